# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading the registered results of earlier steps for a report (the same rules as rollback_complete's).

A step is summarised from what Ansible registered for it: status (failed, skipped, changed, unchanged, not run),
message, `duration_s`, warnings, and its other plain values as details (lists as their length, nested mappings
flattened one level, anything that looks like a secret left out).

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import parse_time

# Keys of a registered result that are Ansible's bookkeeping or read on their own, never copied as details.
NOT_DETAILS = frozenset(("changed", "failed", "skipped", "msg", "skip_reason", "invocation", "diff", "warnings", "deprecations", "exception",
                         "module_stdout", "module_stderr", "stdout", "stderr", "stdout_lines", "stderr_lines", "ansible_facts",
                         "false_condition", "duration_s", "verified", "verification", "rc", "results"))
SECRET_KEY = re.compile(r"pass|secret|token|key", re.IGNORECASE)
MAX_TEXT = 300


class StepResultError(ValueError):
    """An input the report cannot read (one line)."""


def parse_started(value: str | None) -> float | None:
    """Epoch seconds from ISO 8601 or epoch-seconds text; None when not given."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
        return float(text)
    moment = parse_time(text)
    if moment is None:
        raise StepResultError(f"started={value!r}: expected an ISO 8601 time (2024-03-20T12:12:12Z) or epoch seconds")
    return moment


def read_text(path: str) -> str | None:
    """A report file's current text, None when it does not exist (reruns compare with it to stay idempotent)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def summarize_step(result: dict[str, Any] | None) -> dict[str, Any]:
    """{status, msg, duration_s, warnings, details} of one step from its registered result."""
    if not result:
        return {"status": "not_run", "msg": None, "duration_s": None, "warnings": [], "details": {}}
    warnings = [text for text in (short_text(item) for item in result.get("warnings") or []) if text]
    if result.get("skipped"):
        return {"status": "skipped", "msg": short_text(result.get("skip_reason") or result.get("msg")), "duration_s": None,
                "warnings": warnings, "details": {}}
    status = "failed" if result.get("failed") else "changed" if result.get("changed") else "unchanged"
    return {"status": status, "msg": short_text(result.get("msg")), "duration_s": number(result.get("duration_s")),
            "warnings": warnings, "details": details_of(result)}


def details_of(result: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key, value in sorted(result.items()):
        if key in NOT_DETAILS or key.startswith("_") or SECRET_KEY.search(key):
            continue
        if isinstance(value, (list, tuple)):
            details[key] = len(value)
        elif isinstance(value, dict):
            details.update({f"{key}.{sub}": plain(item) for sub, item in sorted(value.items())
                            if not isinstance(item, (dict, list)) and not SECRET_KEY.search(str(sub))})
        else:
            details[key] = plain(value)
    return details


def plain(value: Any) -> Any:
    if isinstance(value, str):
        return short_text(value)
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    return short_text(str(value))


def short_text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def number(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
