#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_db
short_description: Restore a PrestaShop shop's database from a backup, verified and resumable
version_added: 0.1.0
description:
  - The documented RollbackDb step. Restores the database of a backup made by M(shopfleet.prestashop.backup_db), or
    the numbered dump parts of PrestaShop's official upgrade module (C(auto-backupdb_NNNNNN_<name>.sql[.gz|.bz2])).
  - Checks the backup before touching anything (every part's size and sha256 against the manifest, or every official
    part decompressed to its end), so a corrupt, truncated or missing part, or an altered manifest, fails with one
    line and the database as it was.
  - Compares each saved table with the database (rows, C(CHECKSUM TABLE), definition) and restores only the tables
    that differ, then the views and triggers; tables and views with the shop's prefix that the backup does not hold
    (created after it) are dropped, except the ones the backup left out on purpose. A second run finds everything
    equal and changes nothing.
  - Parts are streamed (never a whole part in memory) and split into statements as the mysql client does; the session
    uses C(utf8mb4), no foreign key checks and a permissive C(sql_mode), so zero dates and 3-byte utf8 tables load.
  - At the first SQL error it stops with the part, the statement number, its byte offset and the start of the
    statement. A journal in the workspace's C(journals/) records the parts done; since a table is always restored
    from its first part (C(DROP), C(CREATE), C(INSERT)s), a re-run redoes the interrupted table whole and goes on.
  - After restoring, every restored table's rows and C(CHECKSUM TABLE) are compared with the manifest (O(verify)).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._workspace
  - shopfleet.prestashop._attributes
options:
  name:
    description:
      - Name of the backup to restore, looked up in O(backup_dir), then among the official module's backups in the
        shop's C(<admin>/autoupgrade/backup/) folder.
      - With O(backup_path), the name of the backup inside that folder when it holds several (the official module's
        backup folder).
    type: str
  backup_path:
    description:
      - Folder of the backup to restore instead of looking it up by O(name). One of ours (the folder holding C(db/),
        or the C(db/) folder itself), or an official one (the folder holding the C(auto-backupdb_*) parts, or the
        official C(backup/) folder together with O(name)).
    type: path
  verify:
    description:
      - Compare the rows and C(CHECKSUM TABLE) of every restored table (and the definitions of views and triggers)
        with the manifest after restoring. A difference fails the task. The official module's dumps carry no
        checksums; for them only the presence of every dumped table is checked.
    type: bool
    default: true
  validate:
    description:
      - How the backup is checked before anything is changed. V(full) reads every part (sha256 of ours, complete
        decompression of the official ones); V(quick) checks that every part is there with the right size.
    type: str
    choices: [full, quick]
    default: full
  jobs:
    description:
      - Number of connections restoring different tables at the same time. Restores are bound by the server;
        two connections use two of its cores.
      - The official module's dumps are always restored by one connection, in order.
    type: int
    default: 2
  force:
    description:
      - Restore every table of the backup, even those equal to the saved ones.
    type: bool
    default: false
  drop_extra:
    description:
      - Drop the tables and views with the shop's prefix that the backup does not hold (created after it). Tables the
        backup left out by its own rules (O(shopfleet.prestashop.backup_db#module:exclude_tables), the statistics
        tables) are never dropped, nor, for an official backup, the statistics tables it never saves.
    type: bool
    default: true
notes:
  - Restore speed is bound by the database server (InnoDB inserts); the client streams and splits the parts at a
    few hundred MB/s.
  - C(CHECKSUM TABLE) values depend on the server; after a server upgrade (another major version) a checksum that
    differs while the rows match is reported as a warning, not a failure.
seealso:
  - module: shopfleet.prestashop.backup_db
  - module: shopfleet.prestashop.backup_info
  - module: shopfleet.prestashop.rollback_files
  - module: shopfleet.prestashop.rollback_complete
attributes:
  check_mode:
    support: full
    details:
      - Checks the backup and compares it with the database (read only), and returns the tables that would be replaced,
        created and dropped.
  diff_mode:
    support: full
    details:
      - One line per table or view (kind, rows, checksum) as it is now and as the backup has it.
"""

EXAMPLES = r"""
- name: Find the backup to restore (Rollback / NoRollbackFound)
  shopfleet.prestashop.backup_info:
    shop_root: /var/www/shop
    select: latest
  register: rollback_backup

- name: Restore the database (RollbackDb)
  shopfleet.prestashop.rollback_db:
    shop_root: /var/www/shop
    name: "{{ rollback_backup.selected.name }}"
  when: rollback_backup.rollback_found
  register: rollback_db_result

- name: See what a rollback would change, without changing it
  shopfleet.prestashop.rollback_db:
    shop_root: /var/www/shop
    name: V8.1.5_20240521-101500-3a526a86
  check_mode: true
  diff: true

- name: Restore a dump of the official upgrade module
  shopfleet.prestashop.rollback_db:
    shop_root: /var/www/shop
    backup_path: /var/www/shop/admin123/autoupgrade/backup/V1.7.8.11_20240101-120000-1a2b3c4d
"""

RETURN = r"""
name:
  description: Name of the backup restored.
  returned: always
  type: str
  sample: V8.1.5_20240521-101500-3a526a86
path:
  description: Folder of the backup.
  returned: always
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240521-101500-3a526a86
source:
  description: V(shopfleet) for ours, V(autoupgrade) for the official module's dumps.
  returned: always
  type: str
  sample: shopfleet
replaced:
  description: Tables and views that differed from the backup and were (or would be) restored.
  returned: always
  type: list
  elements: str
  sample: [ps_configuration, ps_orders]
created:
  description: Tables and views of the backup missing from the database, (to be) restored.
  returned: always
  type: list
  elements: str
  sample: []
dropped:
  description: Tables and views with the prefix that the backup does not hold, (to be) dropped.
  returned: always
  type: list
  elements: str
  sample: [ps_new_module_table]
unchanged:
  description: Number of tables and views already equal to the backup.
  returned: always
  type: int
  sample: 303
triggers:
  description: Triggers (to be) created again, and dropped because the backup does not hold them.
  returned: always
  type: dict
  sample: {"restored": ["ps_mymodule_order_created"], "dropped": []}
parts:
  description: Parts restored (V(0) in check mode).
  returned: always
  type: int
  sample: 3
statements:
  description: SQL statements run (V(0) in check mode).
  returned: always
  type: int
  sample: 41
verified:
  description:
    - Whether every restored table matched the manifest afterwards (rows and checksum). V(null) when not verified
      (O(verify=false), check mode, or an official dump).
  returned: always
  type: bool
  sample: true
mismatches:
  description: Tables that did not match the manifest after the restore, and how.
  returned: always
  type: list
  elements: str
  sample: []
stale_journals_removed:
  description:
    - Journals of database upgrades (C(upgrade_db-*.json), C(language_packs-*.json)) removed once the database is the
      backup's, so that the next upgrade runs every statement again instead of resuming after ones the restore undid.
      In check mode, the ones that would be removed.
  returned: success
  type: list
  elements: str
  sample: ["/var/lib/shopfleet/var-www-shop-1a2b3c4d/journals/upgrade_db-8.1.5-8.1.7.json"]
resumed:
  description: Whether this run went on from an interrupted one (its journal was there).
  returned: always
  type: bool
  sample: false
journal:
  description: Journal file of this backup's restore.
  returned: always
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/journals/rollback_db-V8.1.5_20240521-101500-3a526a86.json
duration_s:
  description: Seconds the restore took (V(null) in check mode).
  returned: always
  type: float
  sample: 12.5
"""

import glob
import os
import queue
import re
import threading
import time
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import (
    MANIFEST,
    BackupError,
    official_backup_dir,
    describe_problems,
    official_parts,
    official_parts_problems,
    require_complete,
    sha256_file,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import (
    QUERY_ERRORS,
    DbError,
    connect,
    fetch_value,
    query_error_message,
    quote_identifier,
    require_pymysql,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    inspect_files,
    read_parameters,
    shop_argument_spec,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._sqldump import (
    SPLIT_SQL,
    STATS_TABLES,
    PartError,
    definition_sha256,
    exclusion_rule,
    iter_sql_statements,
    list_objects,
    list_triggers,
    open_part,
    restore_session,
    run_part,
    show_create_view,
    table_state,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    read_json,
    utc_now,
    workspace_argument_spec,
    write_json,
)

SHOPFLEET = "shopfleet"
AUTOUPGRADE = "autoupgrade"
DIFF_LIMIT = 500
JOURNAL_INTERVAL = 0.5

# Statements of the official dumps that matter to us: what they create, where a table starts, the charset they announce.
_CREATE = re.compile(rb"^\s*CREATE\s+(?:ALGORITHM\s*=\s*\w+\s+)?(?:DEFINER\s*=\s*\S+\s+)?(?:SQL\s+SECURITY\s+\w+\s+)?"
                     rb"(TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?`?([^`\s(]+)`?", re.I)
_DROP_TABLE = re.compile(rb"^\s*DROP\s+TABLE\b", re.I)
_SET_NAMES_UTF8 = re.compile(rb"^\s*SET\s+NAMES\s+'?utf8(?:mb3)?'?\s*;?\s*$", re.I)


class RestoreError(Exception):
    """A restore that stopped, with a one-line reason (and how to go on)."""


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        name={"type": "str"},
        backup_path={"type": "path"},
        verify={"type": "bool", "default": True},
        validate={"type": "str", "default": "full", "choices": ["full", "quick"]},
        jobs={"type": "int", "default": 2},
        force={"type": "bool", "default": False},
        drop_extra={"type": "bool", "default": True},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, required_one_of=[("name", "backup_path")])


# --- finding and checking the backup ------------------------------------------------------------------------------


def locate_backup(params: dict[str, Any], root: str, admin_dir: str | None, workspace: Workspace) -> dict[str, Any]:
    """Where the backup is and whose it is: {source, name, path, component_path (ours) | folder (official)}."""
    name, given = params["name"], params["backup_path"]
    if given:
        given = os.path.abspath(given)
        if os.path.isfile(os.path.join(given, MANIFEST)) and os.path.basename(given) == "db":
            return _ours(os.path.dirname(given))
        if os.path.isdir(os.path.join(given, "db")):
            return _ours(given)
        if name and official_parts(given, name):
            return _official(given, name)
        if official_parts(os.path.dirname(given), os.path.basename(given)):
            return _official(os.path.dirname(given), os.path.basename(given))
        candidates = [entry for entry in sorted(os.listdir(given)) if official_parts(given, entry)] if os.path.isdir(given) and not name else []
        if len(candidates) == 1:
            return _official(given, candidates[0])
        if candidates:
            raise BackupError(f"{given} holds several official backups ({', '.join(candidates[:5])}): set name to choose one")
        if name and os.path.isdir(os.path.join(given, name, "db")):
            return _ours(os.path.join(given, name))
        raise BackupError(f"no database backup in {given}" + (f" named {name!r}" if name else "")
                          + ": expected a backup folder holding db/, or the official module's auto-backupdb_* parts")
    path = workspace.backup_path(name)
    if os.path.isdir(os.path.join(path, "db")):
        return _ours(path)
    for admin in ([admin_dir] if admin_dir else []):
        folder = official_backup_dir(root, admin)
        if os.path.isdir(os.path.join(folder, name)):
            return _official(folder, name)
    raise BackupError(f"no database backup named {name!r}: neither {os.path.join(path, 'db')} nor an official backup "
                      f"{'in ' + official_backup_dir(root, admin_dir) if admin_dir else '(no back-office folder found)'}")


def _ours(path: str) -> dict[str, Any]:
    return {"source": SHOPFLEET, "name": os.path.basename(path), "path": path, "component_path": os.path.join(path, "db")}


def _official(folder: str, name: str) -> dict[str, Any]:
    return {"source": AUTOUPGRADE, "name": name, "path": os.path.join(folder, name), "folder": folder}


def load_backup(location: dict[str, Any], deep: bool, prefix: str) -> dict[str, Any]:
    """The backup checked and described as restore units; BackupError (nothing changed yet) when it is not usable."""
    if location["source"] == SHOPFLEET:
        component = require_complete(location["path"], "db", deep=deep)
        manifest = component.manifest or {}
        saved_prefix = (manifest.get("database") or {}).get("prefix")
        if saved_prefix != prefix:
            raise BackupError(f"backup {location['name']!r} holds tables with prefix {saved_prefix!r}, the shop's prefix is {prefix!r}")
        return {"manifest": manifest, "manifest_sha256": sha256_file(os.path.join(component.path, MANIFEST))}
    parts = official_parts(location["folder"], location["name"])
    problems = official_parts_problems(location["folder"], location["name"], parts, deep=deep)
    if problems:
        raise BackupError(f"official backup {location['name']!r}: its database parts are not usable: {describe_problems(problems)}")
    return {"manifest": scan_official(parts, prefix), "manifest_sha256": _official_fingerprint(parts)}


def scan_official(parts: list[str], prefix: str) -> dict[str, Any]:
    """What an official dump holds, read from its statements (it has no manifest): tables, views and statements per part.

    Reading every statement also proves each part can be split to its end before anything is restored.
    """
    tables: dict[str, str] = {}
    statements = []
    for part in parts:
        count = 0
        try:
            with open_part(part) as stream:
                for statement in iter_sql_statements(stream):
                    count += 1
                    match = _CREATE.match(statement.sql[:300])
                    if match:
                        tables.setdefault(match.group(2).decode("utf-8", "replace"), match.group(1).decode().lower())
        except PartError as exc:
            raise BackupError(f"official backup part {os.path.basename(part)} cannot be read: {exc}") from None
        statements.append(count)
    entries = [{"name": name, "kind": kind, "parts": []} for name, kind in sorted(tables.items()) if name.startswith(prefix)]
    return {"official": True, "tables": entries, "parts": [{"file": part, "statements": count} for part, count in zip(parts, statements)]}


def _official_fingerprint(parts: list[str]) -> str:
    stats = [f"{os.path.basename(part)}:{os.path.getsize(part)}:{int(os.path.getmtime(part))}" for part in parts]
    return definition_sha256("\n".join(stats))


# --- comparing the database with the backup -----------------------------------------------------------------------


def server_major(version: str | None) -> str:
    return ".".join(str(version or "").split("-", maxsplit=1)[0].split(".")[:2])


def compare_table(connection: Any, entry: dict[str, Any], comparable_checksums: bool) -> tuple[dict[str, Any], list[str]]:
    """The table's state now and how it differs from the backup's (empty when equal)."""
    state = table_state(connection, entry["name"])
    differences = []
    if state["rows"] != entry.get("rows"):
        differences.append(f"rows {state['rows']} instead of {entry.get('rows')}")
    saved = (entry.get("checksum") or {}).get("value")
    if saved is not None and not comparable_checksums:
        # Another server version may checksum the same rows differently: equal rows cannot be told apart from changed ones.
        differences.append("checksum not comparable (the backup was made on another server version)")
    elif saved is not None and state["checksum"] != saved:
        differences.append("checksum differs")
    if entry.get("definition_sha256") and state["definition_sha256"] != entry["definition_sha256"]:
        differences.append("definition differs")
    return state, differences


def plan_ours(connection: Any, manifest: dict[str, Any], prefix: str, force: bool, drop_extra: bool) -> dict[str, Any]:
    """What to drop, restore and keep, from the live database compared with the manifest (read only)."""
    current = {item.name: item.kind for item in list_objects(connection, prefix)}
    comparable = server_major(manifest.get("database", {}).get("server_version")) == server_major(fetch_value(connection, "SELECT VERSION()"))
    tables, before, after = [], [], []
    for entry in manifest.get("tables", []):
        kind, name = entry["kind"], entry["name"]
        action, reason, state = "unchanged", "", None
        if name not in current:
            action, reason = "create", "missing"
        elif current[name] != kind:
            action, reason = "replace", f"is a {current[name]} now"
        elif kind == "view":
            definition = _view_definition(connection, name)
            if definition is None:
                action, reason = "replace", "cannot be read (it refers to a table or column that is gone)"
            elif definition_sha256(definition) != entry.get("definition_sha256"):
                action, reason = "replace", "definition differs"
        elif force:
            action, reason = "replace", "force"
        else:
            state, differences = compare_table(connection, entry, comparable)
            if differences:
                action, reason = "replace", ", ".join(differences)
        if force and action == "unchanged":
            action, reason = "replace", "force"
        tables.append({"name": name, "kind": kind, "action": action, "reason": reason, "parts": entry["parts"],
                       "bytes": sum(part.get("sql_bytes", part["bytes"]) for part in entry["parts"])})
        before.append(_diff_line(name, current.get(name), state))
        after.append(_diff_line(name, kind, entry))
    selection = manifest.get("selection") or {}
    saved = {entry["name"] for entry in manifest.get("tables", [])}
    extra = [{"name": name, "kind": kind} for name, kind in sorted(current.items())
             if name not in saved and kind in ("table", "view")
             and exclusion_rule(name, prefix, selection.get("include_stats_tables", True), selection.get("exclude_tables") or []) is None]
    drops = extra if drop_extra else []
    before += [_diff_line(item["name"], item["kind"], None) for item in drops]
    triggers = plan_triggers(connection, manifest, tables, drops)
    return {"tables": tables, "drop": drops, "kept_extra": [] if drop_extra else extra, "triggers": triggers,
            "comparable_checksums": comparable, "diff": {"before": _diff_text(before), "after": _diff_text(after)}}


def _view_definition(connection: Any, name: str) -> str | None:
    try:
        return show_create_view(connection, name)
    except QUERY_ERRORS:
        return None


def plan_triggers(connection: Any, manifest: dict[str, Any], tables: list[dict[str, Any]], drops: list[dict[str, Any]]) -> dict[str, Any]:
    restored = {table["name"] for table in tables if table["action"] != "unchanged"}
    dropped_tables = {item["name"] for item in drops}
    saved_tables = [table["name"] for table in tables if table["kind"] == "table"]
    now = {trigger["name"]: trigger for trigger in list_triggers(connection, saved_tables)}
    wanted = {trigger["name"] for trigger in manifest.get("triggers", [])}
    restore = [trigger for trigger in manifest.get("triggers", [])
               if trigger["table"] in restored or now.get(trigger["name"], {}).get("definition_sha256") != trigger["definition_sha256"]]
    drop = sorted(name for name, trigger in now.items() if name not in wanted and trigger["table"] not in dropped_tables | restored)
    return {"restore": restore, "drop": drop}


def plan_official(connection: Any, manifest: dict[str, Any], prefix: str, drop_extra: bool) -> dict[str, Any]:
    current = {item.name: item.kind for item in list_objects(connection, prefix)}
    saved = {entry["name"] for entry in manifest["tables"]}
    tables = [{"name": entry["name"], "kind": entry["kind"], "action": "replace" if entry["name"] in current else "create",
               "reason": "official dumps are restored whole", "parts": [], "bytes": 0} for entry in manifest["tables"]]
    # The official module never saves its statistics tables, and its own restore keeps them.
    protected = {prefix + name for name in STATS_TABLES}
    extra = [{"name": name, "kind": kind} for name, kind in sorted(current.items())
             if name not in saved and name not in protected and kind in ("table", "view")]
    drops = extra if drop_extra else []
    before = [_diff_line(name, kind, None) for name, kind in sorted(current.items()) if name in saved or name in {d["name"] for d in drops}]
    after = [_diff_line(entry["name"], entry["kind"], None) for entry in manifest["tables"]]
    return {"tables": tables, "drop": drops, "kept_extra": [] if drop_extra else extra, "triggers": {"restore": [], "drop": []},
            "comparable_checksums": False, "diff": {"before": _diff_text(before), "after": _diff_text(after)}}


def _diff_line(name: str, kind: str | None, state: dict[str, Any] | None) -> str:
    if kind is None:
        return ""
    if kind != "table" or state is None:
        return f"{name}  {kind}"
    checksum = state.get("checksum")
    value = checksum.get("value") if isinstance(checksum, dict) else checksum
    return f"{name}  table  rows={state.get('rows')}  checksum={value}"


def _diff_text(lines: list[str]) -> str:
    lines = sorted(line for line in lines if line)
    if len(lines) > DIFF_LIMIT:
        lines = lines[:DIFF_LIMIT] + [f"... and {len(lines) - DIFF_LIMIT} more"]
    return "\n".join(lines) + ("\n" if lines else "")


# --- the journal ----------------------------------------------------------------------------------------------------


class Journal:
    """The restore's progress in <workspace>/journals/, written atomically (threads share it).

    Progress is written at most every JOURNAL_INTERVAL seconds, status changes at once: a kill can lose the last
    moments of progress, which costs nothing but time (our tables are compared again by checksum; an official dump
    goes back to an earlier table start, and a table always restarts from its DROP).
    """

    def __init__(self, path: str, backup: dict[str, Any]) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.written = 0.0
        previous = _read_journal(path)
        self.resumed = bool(previous and previous.get("manifest_sha256") == backup["manifest_sha256"] and previous.get("status") != "completed")
        self.data: dict[str, Any] = previous if self.resumed else {
            "backup": backup["name"], "manifest_sha256": backup["manifest_sha256"], "started": utc_now(), "parts_done": [],
            "units_done": [], "restart": None,
        }
        self.data.update(status="running", updated=utc_now(), error=None)

    def save(self, **changes: Any) -> None:
        with self.lock:
            self.data.update(changes, updated=utc_now())
            if "status" in changes or time.monotonic() - self.written >= JOURNAL_INTERVAL:
                write_json(self.path, self.data)
                self.written = time.monotonic()

    def part_done(self, part: str) -> None:
        with self.lock:
            self.data["parts_done"].append(part)
        self.save()

    def unit_done(self, name: str) -> None:
        with self.lock:
            self.data["units_done"].append(name)
        self.save()


def _read_journal(path: str) -> dict[str, Any] | None:
    try:
        data = read_json(path)
    except WorkspaceError:
        return None
    return data if isinstance(data, dict) else None


# --- restoring ------------------------------------------------------------------------------------------------------


class Restorer:
    """Runs the plan on fresh connections: drops, then tables (jobs in parallel, biggest first), views, triggers."""

    def __init__(self, connector: Callable[[], Any], folder: str, zstd: str | None, journal: Journal, jobs: int) -> None:
        self.connector = connector
        self.folder = folder
        self.zstd = zstd
        self.journal = journal
        self.jobs = max(1, jobs)
        self.statements = 0
        self.parts = 0
        self.counter_lock = threading.Lock()

    def drop(self, connection: Any, drops: list[dict[str, Any]], triggers: list[str]) -> None:
        with connection.cursor() as cursor:
            for name in triggers:
                cursor.execute(f"DROP TRIGGER IF EXISTS {quote_identifier(name)}")
            for item in sorted(drops, key=lambda item: item["kind"] != "view"):
                cursor.execute(f"DROP {'VIEW' if item['kind'] == 'view' else 'TABLE'} IF EXISTS {quote_identifier(item['name'])}")

    def run_unit(self, connection: Any, unit: dict[str, Any], stop: threading.Event | None = None) -> None:
        for part in unit["parts"]:
            ran = run_part(connection, os.path.join(self.folder, part["file"]), part.get("statements", SPLIT_SQL), self.zstd, stop)
            with self.counter_lock:
                self.statements += ran
                self.parts += 1
            self.journal.part_done(part["file"])
        self.journal.unit_done(unit["name"])

    def tables(self, units: list[dict[str, Any]]) -> None:
        """Table units in parallel; the first error stops every job after its current statement."""
        work: queue.Queue = queue.Queue()
        for unit in sorted(units, key=lambda unit: -unit["bytes"]):
            work.put(unit)
        stop = threading.Event()
        errors: list[str] = []

        def job() -> None:
            try:
                connection = self.connector()
            except DbError as exc:
                errors.append(str(exc))
                stop.set()
                return
            try:
                restore_session(connection)
                while not stop.is_set():
                    try:
                        unit = work.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        self.run_unit(connection, unit, stop)
                    except PartError as exc:
                        if not stop.is_set():
                            errors.append(str(exc))
                        stop.set()
                    except QUERY_ERRORS as exc:
                        errors.append(f"restoring {unit['name']}: {query_error_message(exc)}")
                        stop.set()
            finally:
                connection.close()

        threads = [threading.Thread(target=job, name=f"shopfleet-restore-{number}", daemon=True) for number in range(min(self.jobs, len(units)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise RestoreError(errors[0])

    def views(self, connection: Any, units: list[dict[str, Any]]) -> None:
        """Views in passes: one may read another, so a view that fails waits for the next pass."""
        pending = list(units)
        while pending:
            failed, last_error = [], ""
            for unit in pending:
                try:
                    self.run_unit(connection, unit)
                except PartError as exc:
                    failed.append(unit)
                    last_error = str(exc)
            if len(failed) == len(pending):
                raise RestoreError(last_error)
            pending = failed


def restore_ours(plan: dict[str, Any], restorer: Restorer, connection: Any) -> None:
    restorer.drop(connection, plan["drop"], plan["triggers"]["drop"])
    to_restore = [table for table in plan["tables"] if table["action"] != "unchanged"]
    restorer.tables([table for table in to_restore if table["kind"] == "table"])
    restore_session(connection)
    restorer.views(connection, [table for table in to_restore if table["kind"] == "view"])
    for trigger in plan["triggers"]["restore"]:
        restorer.run_unit(connection, trigger)


def restore_official(location: dict[str, Any], manifest: dict[str, Any], plan: dict[str, Any], restorer: Restorer, connection: Any) -> None:
    """The official dump in order, on one connection. Resumes at the last table started (a DROP TABLE statement)."""
    restart = restorer.journal.data.get("restart") or {"part": 0, "statement": 0}
    with connection.cursor() as cursor:
        cursor.execute("SET NAMES utf8mb4")
        cursor.execute("SET foreign_key_checks = 0")
        cursor.execute("SET sql_mode = ''")
    for index, part in enumerate(manifest["parts"]):
        if index < restart["part"]:
            continue
        skip = restart["statement"] if index == restart["part"] else 0

        def mark(number: int, sql: bytes, index: int = index) -> None:
            if _DROP_TABLE.match(sql[:60]):
                restorer.journal.save(restart={"part": index, "statement": number - 1})

        ran = run_part(connection, part["file"], SPLIT_SQL, restorer.zstd, rewrite=_official_rewrite, skip=skip, before=mark)
        restorer.statements += ran
        restorer.parts += 1
        restorer.journal.part_done(os.path.basename(part["file"]))
    restorer.drop(connection, plan["drop"], [])


def _official_rewrite(sql: bytes) -> bytes:
    # The official dumps announce 3-byte utf8 but hold whatever the shop's utf8mb4 connection returned.
    if _SET_NAMES_UTF8.match(sql):
        return b"SET NAMES utf8mb4"
    return sql


# --- verifying ------------------------------------------------------------------------------------------------------


def verify(connection: Any, manifest: dict[str, Any], plan: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(mismatches, warnings) of every restored table, view and trigger against the manifest."""
    mismatches, warnings = [], []
    entries = {entry["name"]: entry for entry in manifest.get("tables", [])}
    for table in plan["tables"]:
        if table["action"] == "unchanged":
            continue
        entry = entries[table["name"]]
        if entry["kind"] == "view":
            if definition_sha256(show_create_view(connection, entry["name"])) != entry.get("definition_sha256"):
                mismatches.append(f"{entry['name']}: view definition differs")
            continue
        state = table_state(connection, entry["name"])
        saved = (entry.get("checksum") or {}).get("value")
        if state["rows"] != entry.get("rows"):
            mismatches.append(f"{entry['name']}: {state['rows']} rows, the backup has {entry.get('rows')}")
        elif saved is not None and state["checksum"] != saved:
            message = f"{entry['name']}: CHECKSUM TABLE {state['checksum']}, the backup has {saved}"
            if entry.get("consistency") == "none":
                warnings.append(message + " (its backup was not consistent: it has no transactions and could not be locked)")
            elif not plan["comparable_checksums"]:
                warnings.append(message + " (the backup was made on another server version, whose checksums may differ)")
            else:
                mismatches.append(message)
        if entry.get("definition_sha256") and state["definition_sha256"] != entry["definition_sha256"]:
            warnings.append(f"{entry['name']}: SHOW CREATE TABLE differs from the backup's after the restore")
    saved_triggers = {trigger["name"]: trigger for trigger in manifest.get("triggers", [])}
    if plan["triggers"]["restore"]:
        now = {trigger["name"]: trigger for trigger in list_triggers(connection, [entry["name"] for entry in entries.values()])}
        for name, trigger in saved_triggers.items():
            if now.get(name, {}).get("definition_sha256") != trigger["definition_sha256"]:
                mismatches.append(f"trigger {name}: missing or different after the restore")
    return mismatches, warnings


def verify_official(connection: Any, manifest: dict[str, Any], prefix: str) -> list[str]:
    current = {item.name for item in list_objects(connection, prefix)}
    return [f"{entry['name']}: missing after the restore" for entry in manifest["tables"] if entry["name"] not in current]


# --- the module -----------------------------------------------------------------------------------------------------


def build_plan(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    if params["jobs"] < 1:
        raise RestoreError("jobs must be at least 1")
    shop = inspect_files(params["shop_root"], params["admin_dir"])
    _source, parameters = read_parameters(shop.root)
    database = db_params(parameters, db_overrides(params))
    workspace = Workspace.for_shop(shop.root, params["workspace"], params["backup_dir"])
    location = locate_backup(params, shop.root, shop.admin_dir, workspace)
    backup = load_backup(location, params["validate"] == "full", database.prefix)
    backup.update(location)
    journal = os.path.join(workspace.journals, f"rollback_db-{location['name']}.json")
    return {"root": shop.root, "database": database, "workspace": workspace, "backup": backup, "journal": journal}


def compare(plan: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    connection = connect(plan["database"], params["db_connect_timeout"], read_timeout=None)
    try:
        manifest = plan["backup"]["manifest"]
        if manifest.get("official"):
            return plan_official(connection, manifest, plan["database"].prefix, params["drop_extra"])
        return plan_ours(connection, manifest, plan["database"].prefix, params["force"], params["drop_extra"])
    except QUERY_ERRORS as exc:
        raise DbError(f"comparing {plan['database'].describe()} with the backup failed: {query_error_message(exc)}") from None
    finally:
        connection.close()


def apply(plan: dict[str, Any], actions: dict[str, Any], params: dict[str, Any], zstd: str | None) -> dict[str, Any]:
    started = time.monotonic()
    backup = plan["backup"]
    manifest = backup["manifest"]
    ensure_private_dir(plan["workspace"].journals)
    journal = Journal(plan["journal"], backup)
    journal.save()

    def connector() -> Any:
        return connect(plan["database"], params["db_connect_timeout"], read_timeout=None, write_timeout=None)

    restorer = Restorer(connector, backup.get("component_path", ""), zstd, journal, params["jobs"])
    connection = connector()
    try:
        restore_session(connection)
        if manifest.get("official"):
            restore_official(backup, manifest, actions, restorer, connection)
        else:
            restore_ours(actions, restorer, connection)
        mismatches: list[str] = []
        warnings: list[str] = []
        verified = None
        if params["verify"]:
            if manifest.get("official"):
                mismatches = verify_official(connection, manifest, plan["database"].prefix)
            else:
                mismatches, warnings = verify(connection, manifest, actions)
                verified = not mismatches
    except (RestoreError, PartError) as exc:
        journal.save(status="failed", error=str(exc))
        raise RestoreError(f"{exc} (nothing after it was restored; run again to redo the interrupted table and go on)") from None
    except QUERY_ERRORS as exc:
        journal.save(status="failed", error=query_error_message(exc))
        raise RestoreError(f"restore failed: {query_error_message(exc)} (run again to go on)") from None
    finally:
        connection.close()
    journal.save(status="completed" if not mismatches else "verify_failed", mismatches=mismatches)
    return {"parts": restorer.parts, "statements": restorer.statements, "verified": verified, "mismatches": mismatches,
            "warnings": warnings, "resumed": journal.resumed, "duration_s": round(time.monotonic() - started, 3)}


def result(plan: dict[str, Any], actions: dict[str, Any], changed: bool, done: dict[str, Any] | None) -> dict[str, Any]:
    backup = plan["backup"]
    tables = actions["tables"]
    done = done or {"parts": 0, "statements": 0, "verified": None, "mismatches": [], "warnings": [], "resumed": False, "duration_s": None}
    return {
        "changed": changed, "name": backup["name"], "path": backup["path"], "source": backup["source"],
        "replaced": [table["name"] for table in tables if table["action"] == "replace"],
        "created": [table["name"] for table in tables if table["action"] == "create"],
        "dropped": [item["name"] for item in actions["drop"]],
        "unchanged": sum(1 for table in tables if table["action"] == "unchanged"),
        "triggers": {"restored": [trigger["name"] for trigger in actions["triggers"]["restore"]], "dropped": actions["triggers"]["drop"]},
        "parts": done["parts"], "statements": done["statements"], "verified": done["verified"], "mismatches": done["mismatches"],
        "resumed": done["resumed"], "journal": plan["journal"], "duration_s": done["duration_s"],
        "diff": actions["diff"],
    }


def run(module: AnsibleModule) -> dict[str, Any]:
    require_pymysql(module)
    plan = build_plan(module)
    actions = compare(plan, module.params)
    pending = (any(table["action"] != "unchanged" for table in actions["tables"]) or actions["drop"]
               or actions["triggers"]["restore"] or actions["triggers"]["drop"])
    for item in actions["kept_extra"]:
        module.warn(f"{item['name']} is not in the backup and was kept (drop_extra=false)")
    if module.check_mode:
        outcome = result(plan, actions, bool(pending) or bool(stale_upgrade_journals(plan["workspace"])), None)
        outcome["stale_journals_removed"] = stale_upgrade_journals(plan["workspace"])
        return outcome
    if not pending:
        outcome = result(plan, actions, False, None)
    else:
        done = apply(plan, actions, module.params, module.get_bin_path("zstd"))
        for warning in done["warnings"]:
            module.warn(warning)
        outcome = result(plan, actions, True, done)
        if done["mismatches"]:
            raise VerifyError(outcome)
    outcome["stale_journals_removed"] = remove_stale_upgrade_journals(plan["workspace"])
    outcome["changed"] = outcome["changed"] or bool(outcome["stale_journals_removed"])
    return outcome


# Progress of database upgrades that the restored database no longer reflects: a later upgrade_db must start over,
# not resume after statements the restore undid.
STALE_AFTER_RESTORE = ("upgrade_db-*.json", "language_packs-*.json")


def stale_upgrade_journals(workspace: Workspace) -> list[str]:
    return sorted(path for pattern in STALE_AFTER_RESTORE for path in glob.glob(os.path.join(glob.escape(workspace.journals), pattern)))


def remove_stale_upgrade_journals(workspace: Workspace) -> list[str]:
    removed = stale_upgrade_journals(workspace)
    for path in removed:
        os.unlink(path)
    return removed


class VerifyError(Exception):
    def __init__(self, outcome: dict[str, Any]) -> None:
        super().__init__("restored, but verification failed: " + "; ".join(outcome["mismatches"][:5]))
        self.outcome = outcome


def main() -> None:
    module = create_module()
    try:
        outcome = run(module)
    except VerifyError as exc:
        module.fail_json(msg=str(exc), **exc.outcome)
    except (ShopError, WorkspaceError, DbError, BackupError, RestoreError, PartError) as exc:
        module.fail_json(msg=str(exc))
    except QUERY_ERRORS as exc:
        module.fail_json(msg=f"rollback failed: {query_error_message(exc)}")
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        module.fail_json(msg=f"rollback failed: {exc.strerror or exc}{where}")
    module.exit_json(**outcome)


if __name__ == "__main__":
    main()
