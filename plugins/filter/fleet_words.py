# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: fleet_words
short_description: Say in plain words what happened to a fleet of shops
version_added: 0.1.0
description:
  - Turns the rows of a fleet summary (one dictionary per shop, as the C(upgrade), C(rollback) and C(check) roles
    make them) into a few sentences for a person - how many shops went which way, then one line per shop that
    needs attention, naming the failed step, the error and what was done about it.
author:
  - shopfleet developers (@shopfleet)
options:
  _input:
    description: The rows, each with at least C(shop) and C(result).
    type: list
    elements: dict
    required: true
  kind:
    description: What the run was.
    type: str
    choices: [upgrade, rollback, check]
    default: upgrade
"""

EXAMPLES = r"""
- name: Explain the upgrade run
  ansible.builtin.debug:
    msg: "{{ rows | shopfleet.prestashop.fleet_words(kind='upgrade') }}"
"""

RETURN = r"""
_value:
  description: The sentences, separated by newlines.
  type: str
"""

from collections import Counter
from typing import Any

from ansible.errors import AnsibleFilterError

# What each result means, for a person; the order is the order of the first sentence.
RESULT_WORDS = {
    "success": "upgraded",
    "success_with_warnings": "upgraded with warnings",
    "up_to_date": "already up to date",
    "planned": "would be upgraded (check mode: nothing changed)",
    "failed_rolled_back": "failed and were rolled back automatically",
    "failed": "failed",
    "not_started": "not started (the rollout stopped)",
    "incomplete": "incomplete",
    "restored": "restored",
    "nothing_to_restore": "had no backup to restore",
    "ready": "ready to upgrade",
    "blocked": "blocked",
    "unreachable": "unreachable",
    "pending": "not reached yet",
}
ATTENTION = ("failed_rolled_back", "failed", "not_started", "incomplete", "blocked", "unreachable")


def _sentence_for(row: dict[str, Any], kind: str) -> str:
    result = row.get("result")
    shop = row.get("shop", "?")
    if result == "failed_rolled_back":
        return (f"- {shop}: {row.get('failed_step') or 'a step'} failed ({row.get('error') or 'no message'}); "
                f"the shop was restored from backup {row.get('backup')} and is back as it was.")
    if result == "failed":
        after = (f" The rollback failed too: {row['rollback_error']}; the shop is still in maintenance."
                 if row.get("rollback_error") else "")
        return f"- {shop}: {row.get('failed_step') or 'a step'} failed ({row.get('error') or 'no message'}).{after}"
    if result == "blocked":
        return f"- {shop}: cannot be upgraded yet: {row.get('error') or ', '.join(row.get('blocking') or [])}."
    if result == "unreachable":
        return f"- {shop}: could not be reached; nothing was done there."
    if result == "not_started":
        return f"- {shop}: not touched, because the {kind} stopped after an earlier failure."
    return f"- {shop}: {RESULT_WORDS.get(result, result)}: {row.get('error') or 'see its report'}."


def fleet_words(rows: list[dict[str, Any]], kind: str = "upgrade") -> str:
    if not isinstance(rows, (list, tuple)) or not all(isinstance(row, dict) for row in rows):
        raise AnsibleFilterError("fleet_words expects a list of dictionaries")
    counts = Counter(str(row.get("result")) for row in rows)
    order = [key for key in RESULT_WORDS if key in counts] + sorted(key for key in counts if key not in RESULT_WORDS)
    parts = [f"{counts[key]} {RESULT_WORDS.get(key, key)}" for key in order]
    noun = "shop" if len(rows) == 1 else "shops"
    lines = [f"{kind.capitalize()} of {len(rows)} {noun}: " + ("; ".join(parts) if parts else "nothing to do") + "."]
    attention = [row for row in rows if row.get("result") in ATTENTION]
    if attention:
        lines.append("Needs attention:")
        lines.extend(_sentence_for(row, kind) for row in attention)
    return "\n".join(lines)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"fleet_words": fleet_words}
