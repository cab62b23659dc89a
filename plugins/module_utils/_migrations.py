"""PrestaShop's database migrations: which files run, in which order, how they are cut into statements, and the journal.

Selection, order, placeholders and splitting follow what the upgrade module does (prestashop-core.md §3): PHP's
`version_compare` selects, PHP's `natcasesort` orders, `/;\\s*[\\r\\n]+/` splits. The journal records how many
statements of each file were applied so a failed or killed run resumes at the statement that did not finish.
"""

from __future__ import annotations

import functools
import os
import re
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import read_json, utc_now, write_json

STATEMENT_END = re.compile(r";\s*[\r\n]+")
CALLBACK_MARK = "/* PHP:"
# Errors PrestaShop logs as warnings: the object already exists or is already gone, so a re-run is harmless.
WARNING_ERRORS = frozenset((1050, 1054, 1060, 1061, 1062, 1091))
JOURNAL_FORMAT = "shopfleet.upgrade_db.journal/1"


class MigrationError(Exception):
    """A migration source or journal that cannot be used, with a one-line message."""


# --- order and selection -------------------------------------------------------------------------------------------


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isdigit():
        end += 1
    return end


def _compare_numbers(left: str, right: str) -> int:
    """Two digit runs as strnatcmp compares them: a leading zero means a fraction (left-aligned), else by value."""
    if left.startswith("0") or right.startswith("0"):
        for a, b in zip(left, right):
            if a != b:
                return -1 if a < b else 1
        return (len(left) > len(right)) - (len(left) < len(right))
    stripped_left, stripped_right = left.lstrip("0"), right.lstrip("0")
    if len(stripped_left) != len(stripped_right):
        return -1 if len(stripped_left) < len(stripped_right) else 1
    return (stripped_left > stripped_right) - (stripped_left < stripped_right)


def natcasecmp(left: str, right: str) -> int:
    """PHP's strnatcasecmp: digit runs compare as numbers, everything else character by character, case folded."""
    left, right = left.lower(), right.lower()
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i].isdigit() and right[j].isdigit():
            end_i, end_j = _digit_run(left, i), _digit_run(right, j)
            result = _compare_numbers(left[i:end_i], right[j:end_j])
            if result:
                return result
            i, j = end_i, end_j
            continue
        if left[i] != right[j]:
            return -1 if left[i] < right[j] else 1
        i += 1
        j += 1
    return (len(left) - i > len(right) - j) - (len(left) - i < len(right) - j)


def natcasesorted(names: list[str]) -> list[str]:
    """natcasesort: the natural, case-insensitive order PrestaShop runs migrations in (8.1.7 before 8.1.7-catchup)."""
    return sorted(names, key=functools.cmp_to_key(natcasecmp))


def normalize_version(version: str) -> str:
    """Pads a version the way the upgrade module pads the shop's: 4 levels for 1.x, 3 for 8 and later."""
    parts = version.split(".")
    levels = 4 if parts[0] == "1" else 3
    return ".".join(parts + ["0"] * (levels - len(parts)))


def migration_names(sql_dir: str) -> list[str]:
    """The names PrestaShop derives from the folder: every entry not starting with a dot, with '.sql' removed."""
    try:
        entries = os.listdir(sql_dir)
    except OSError as exc:
        raise MigrationError(f"cannot read the migrations folder {sql_dir}: {exc.strerror}") from None
    names = [entry.replace(".sql", "") for entry in entries if not entry.startswith(".")]
    if not names:
        raise MigrationError(f"the migrations folder {sql_dir} holds no SQL file")
    return names


def select_migrations(names: list[str], from_version: str, to_version: str) -> list[str]:
    """Names above the database version and not above the target, in the order PrestaShop runs them."""
    origin = normalize_version(from_version)
    return [name for name in natcasesorted(names)
            if php_version_compare(name, origin) == 1 and php_version_compare(to_version, name) != -1]


# --- statements ----------------------------------------------------------------------------------------------------


def substitute(text: str, prefix: str, engine: str, db_name: str) -> str:
    """PREFIX_, ENGINE_TYPE and DB_NAME replaced in one pass, as str_replace with arrays does (left to right)."""
    for search, value in (("PREFIX_", prefix), ("ENGINE_TYPE", engine or "MyISAM"), ("DB_NAME", db_name)):
        text = text.replace(search, value)
    return text


def split_statements(text: str) -> list[str]:
    """The non-empty, trimmed statements of a migration file, cut where PrestaShop cuts them."""
    return [part.strip() for part in STATEMENT_END.split(text + "\n") if part.strip()]


def file_statements(path: str, prefix: str, engine: str, db_name: str) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError as exc:
        raise MigrationError(f"cannot read {path}: {exc.strerror}") from None
    return split_statements(substitute(text, prefix, engine, db_name))


_CALLBACK = re.compile(r"/\* PHP:(?P<call>.*)$", re.S)


def parse_callback(statement: str) -> dict[str, str] | None:
    """A `/* PHP:func(args); */;` statement as {function, arguments}; None for plain SQL.

    Raises MigrationError for a `Class::method` call, which PrestaShop refuses as well.
    """
    if CALLBACK_MARK not in statement:
        return None
    call = statement[statement.index(CALLBACK_MARK) + len(CALLBACK_MARK):]
    # PrestaShop drops the last 4 characters (' */;'); statements lost their ';' to the split, so cut at '*/'.
    call = call.rsplit("*/", 1)[0].strip().rstrip(";").strip()
    if "::" in call:
        raise MigrationError(f"object method calls are refused in migrations: {call}")
    arguments = re.search(r"\((.*)\)", call, re.S)
    function = call[:arguments.start()] if arguments else call
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", function.strip()):
        raise MigrationError(f"not a PHP callback: {statement[:200]}")
    return {"function": function.strip(), "arguments": arguments.group(1) if arguments else ""}


def drop_before_create(statement: str, prefix: str) -> str | None:
    """The DROP TABLE IF EXISTS PrestaShop runs before a CREATE TABLE of a prefixed table, or None."""
    if "CREATE TABLE" not in statement:
        return None
    # No DOTALL: as in PrestaShop's pattern, '.' stops at the end of the line.
    match = re.search(r"CREATE TABLE.*[`]*" + re.escape(prefix) + r"([^`]*)[`]*\s\(", statement)
    if not match or not match.group(1):
        return None
    return f"DROP TABLE IF EXISTS `{prefix}{match.group(1)}`;"


def plan_migrations(sql_dir: str, names: list[str], prefix: str, engine: str, db_name: str) -> list[dict[str, Any]]:
    """Each selected file with its statements, callbacks parsed: plain data for check mode and for the run."""
    plan = []
    for name in names:
        path = os.path.join(sql_dir, name + ".sql")
        steps = []
        for statement in file_statements(path, prefix, engine, db_name):
            callback = parse_callback(statement)
            steps.append({"kind": "php", "statement": statement, **callback} if callback else {"kind": "sql", "statement": statement})
        plan.append({"name": name, "file": path, "steps": steps})
    return plan


# --- the journal ---------------------------------------------------------------------------------------------------


def journal_path(journals_dir: str, from_version: str, to_version: str) -> str:
    return os.path.join(journals_dir, f"upgrade_db-{from_version}-{to_version}.json")


def new_journal(from_version: str, to_version: str, files: list[str]) -> dict[str, Any]:
    return {"format": JOURNAL_FORMAT, "from": from_version, "to": to_version, "files": files, "applied": {}, "warnings": [],
            "failure": None, "started": utc_now(), "updated": utc_now(), "migrations_done": False, "finished": None}


def read_journal(path: str, from_version: str, to_version: str, files: list[str]) -> dict[str, Any] | None:
    """The journal of an earlier run of this very upgrade, or None; one that does not match is an error, never a guess."""
    journal = read_json(path)
    if journal is None:
        return None
    if not isinstance(journal, dict) or journal.get("format") != JOURNAL_FORMAT:
        raise MigrationError(f"{path} is not an upgrade_db journal of ours: move it away")
    if (journal.get("from"), journal.get("to")) != (from_version, to_version) or journal.get("files") != files:
        raise MigrationError(f"{path} was written for other migrations ({', '.join(journal.get('files') or [])}); "
                             "the migration source changed since: restore the backup or move the journal away")
    return journal


def applied_count(journal: dict[str, Any], name: str) -> int:
    return int(journal["applied"].get(name, 0))


def save_journal(path: str, journal: dict[str, Any]) -> None:
    journal["updated"] = utc_now()
    write_json(path, journal)
