#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_db
short_description: Back up a PrestaShop shop's database as consistent, verifiable SQL parts
version_added: 0.1.0
description:
  - The documented BackupDb step. Dumps every table and view whose name starts with the shop's table prefix, and
    their triggers, into C(<backup>/db/) as compressed SQL parts with a C(manifest.json) written last, which marks
    the backup complete. M(shopfleet.prestashop.rollback_db) restores it; M(shopfleet.prestashop.backup_info) lists it.
  - Every transactional table is read from ONE consistent snapshot (C(START TRANSACTION WITH CONSISTENT SNAPSHOT),
    REPEATABLE READ), so a shop that keeps taking orders during the backup is saved as it was at one instant.
  - For each table the manifest records its rows and its C(CHECKSUM TABLE), computed in that same snapshot, and a
    hash of its definition; the restore recomputes them to prove the restored table is the saved one.
  - The statistics tables the official upgrade module never saves (C(connections), C(connections_page),
    C(connections_source), C(guest), C(statssearch)) are saved unless O(include_stats_tables=false).
  - Each table goes into its own part (or several, cut at O(chunk_size_mb)), a standalone SQL script
    (C(mariadb < part) restores it); views and triggers come in their own parts after the tables, their DEFINER
    removed so that the shop's own database user can restore them.
  - Binary data is dumped in hex, NULL stays NULL, text is UTF-8 (utf8mb4 and 3-byte utf8 tables alike), zero dates
    and AUTO_INCREMENT counters are kept, generated columns are computed again by the server on restore.
  - A kill at any moment leaves at worst parts without a manifest (or C(.part-) files), which no rollback accepts;
    the next run with the same O(name) clears them and starts again.
  - Files are created 0600 and folders 0700. The database password goes to C(mariadb-dump) in a 0600 option file,
    never on its command line.
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
      - Name of the backup, the folder under O(backup_dir). A complete database component of this name means there is
        nothing to do (C(changed=false)).
      - Defaults to a new C(V<version>_<YYYYmmdd-HHMMSS>-<hex>) name, as the official upgrade module names its
        backups, so each run without O(name) makes a new backup.
    type: str
  engine:
    description:
      - V(mariadb-dump) runs C(mariadb-dump) (or C(mysqldump)) once for all transactional tables and splits its output
        into one part per table. Its snapshot and the snapshot the checksums are computed in are opened while READ
        locks hold the shop's tables still, for the instant it takes the tool to start (O(lock_timeout)); this needs
        the C(LOCK TABLES) privilege, which a shop's user normally has on its database.
      - V(pymysql) reads the rows with PyMySQL, formatted by the server in batches over ranges of the primary key, in
        the same snapshot as the checksums; it needs nothing but the shop's connection.
      - V(auto) is V(mariadb-dump) when C(mariadb-dump) or C(mysqldump) is installed, else V(pymysql). When the
        tables cannot be locked it falls back to V(pymysql), with a warning.
    type: str
    choices: [auto, mariadb-dump, pymysql]
    default: auto
  dump_executable:
    description:
      - The C(mariadb-dump)/C(mysqldump) program for O(engine=mariadb-dump), found on E(PATH) when not a path.
    type: str
  include_stats_tables:
    description:
      - Whether to save the statistics tables the official module leaves out (C(connections), C(connections_page),
        C(connections_source), C(guest), C(statssearch)). With V(false) they are listed in RV(excluded), and a
        rollback leaves them as they are.
    type: bool
    default: true
  exclude_tables:
    description:
      - More tables to leave out, by name with or without the prefix, or shell patterns (V(*_tmp), V(ps_log)).
        They are listed in RV(excluded), and a rollback leaves them as they are.
    type: list
    elements: str
    default: []
  compression:
    description:
      - V(zstd) compresses each part with the C(zstd) program (level 1) while it is written; V(gzip) compresses
        in-process (zlib, level 1). Parts under 1 MiB are always gzipped in-process, since starting a program per
        tiny table costs more than it saves.
      - V(auto) is V(zstd) when the C(zstd) program is on the host, else V(gzip). Restoring C(.zst) parts needs the
        C(zstd) program too.
    type: str
    choices: [auto, zstd, gzip]
    default: auto
  chunk_size_mb:
    description:
      - Size of SQL (before compression) after which a table's dump goes on in a new part, cut between two
        statements. A restore always replays a table from its first part.
    type: int
    default: 256
  lock_timeout:
    description:
      - Seconds to wait for the READ locks that line up the snapshots of O(engine=mariadb-dump) (a long transaction
        of the shop holds them up; the shop's writes wait behind them meanwhile).
    type: int
    default: 10
notes:
  - Tables without transactions (MyISAM, Aria) cannot be part of a snapshot. Each is dumped and checksummed under
    its own READ lock, consistent with itself but not with the other tables, and a warning says so.
  - Stored procedures, functions and events are not saved (PrestaShop has none; they have no table prefix).
  - Check mode lists the tables that would be dumped, with the server's estimates of their rows and size, and writes
    nothing, not even the workspace folder.
seealso:
  - module: shopfleet.prestashop.rollback_db
  - module: shopfleet.prestashop.backup_files
  - module: shopfleet.prestashop.backup_info
attributes:
  check_mode:
    support: full
    details:
      - Lists what would be dumped (server estimates of rows and bytes) and writes nothing.
  diff_mode:
    support: none
    details:
      - A backup has no before and after to compare.
"""

EXAMPLES = r"""
- name: Back up the shop's database before an upgrade
  shopfleet.prestashop.backup_db:
    shop_root: /var/www/shop
    name: "{{ upgrade_backup_name }}"
  register: backup_db

- name: Back up without the statistics tables, as the official module does
  shopfleet.prestashop.backup_db:
    shop_root: /var/www/shop
    include_stats_tables: false
    exclude_tables: [ps_log]

- name: Use PyMySQL only (no mariadb-dump on the host, or no LOCK TABLES privilege)
  shopfleet.prestashop.backup_db:
    shop_root: /var/www/shop
    engine: pymysql
    backup_dir: /srv/backups/shop
"""

RETURN = r"""
name:
  description: Name of the backup.
  returned: always
  type: str
  sample: V8.1.5_20240521-101500-3a526a86
path:
  description: Folder of the backup (holding C(db/), and C(files/) when M(shopfleet.prestashop.backup_files) used the same name).
  returned: always
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240521-101500-3a526a86
component_path:
  description: Folder of the database component.
  returned: always
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240521-101500-3a526a86/db
engine:
  description: Engine that made (or would make) the dump.
  returned: always
  type: str
  sample: mariadb-dump
compression:
  description: Compression of the parts over 1 MiB (smaller ones are gzip).
  returned: always
  type: str
  sample: zstd
tables:
  description:
    - Every table and view saved (or, in check mode, that would be), in restore order.
    - In check mode C(rows) and C(bytes) are the server's estimates (C(information_schema)); after a dump, exact rows
      and the size of the parts.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Table or view name.
      type: str
    kind:
      description: V(table) or V(view).
      type: str
    rows:
      description: Rows saved (V(null) for a view).
      type: int
    bytes:
      description: Compressed size of its parts (check mode, the server's estimate of its data size).
      type: int
    parts:
      description: Number of part files (V(null) in check mode).
      type: int
  sample: [{"name": "ps_orders", "kind": "table", "rows": 1520, "bytes": 81234, "parts": 1}]
triggers:
  description: Triggers saved, by name.
  returned: always
  type: list
  elements: str
  sample: [ps_mymodule_order_created]
excluded:
  description: Tables with the prefix that were left out, with the rule that left them out.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "ps_guest", "rule": "include_stats_tables=false"}]
totals:
  description: Counts and sizes of the whole dump (estimates in check mode).
  returned: always
  type: dict
  sample: {"tables": 305, "views": 1, "triggers": 1, "rows": 15200000, "parts": 307, "bytes": 102521882, "sql_bytes": 782704433}
estimated:
  description: Whether the figures are the server's estimates (check mode) rather than what was written.
  returned: always
  type: bool
  sample: false
duration_s:
  description: Seconds the dump took (V(null) when nothing was done).
  returned: always
  type: float
  sample: 14.2
"""

import os
import shutil
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import (
    DB_FORMAT,
    MANIFEST,
    BackupError,
    read_component,
    write_component_manifest,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import (
    QUERY_ERRORS,
    DbError,
    DbParams,
    connect,
    fetch_value,
    query_error_message,
    require_pymysql,
    table_exists,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    read_parameters,
    shop_argument_spec,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._sqldump import (
    DumpError,
    Dumper,
    DumpSettings,
    DumpTool,
    SnapshotLockError,
    dump_tool_version,
    list_objects,
    select_objects,
    sync_folder,
    write_defaults_file,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    is_inside,
    new_backup_name,
    read_json,
    utc_now,
    workspace_argument_spec,
)

DUMP_PROGRAMS = ("mariadb-dump", "mysqldump")


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        name={"type": "str"},
        engine={"type": "str", "default": "auto", "choices": ["auto", "mariadb-dump", "pymysql"]},
        dump_executable={"type": "str"},
        include_stats_tables={"type": "bool", "default": True},
        exclude_tables={"type": "list", "elements": "str", "default": []},
        compression={"type": "str", "default": "auto", "choices": ["auto", "zstd", "gzip"]},
        chunk_size_mb={"type": "int", "default": 256},
        lock_timeout={"type": "int", "default": 10},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


# --- the plan ---------------------------------------------------------------------------------------------------


def find_dump_program(module: AnsibleModule) -> str | None:
    wanted = module.params["dump_executable"]
    if wanted:
        path = wanted if os.path.isabs(wanted) else module.get_bin_path(wanted)
        if not path or not os.access(path, os.X_OK):
            raise DumpError(f"dump_executable {wanted!r} is not an executable program on this host")
        return path
    return next((path for path in map(module.get_bin_path, DUMP_PROGRAMS) if path), None)


def choose_engine(requested: str, dump_program: str | None) -> str:
    if requested == "mariadb-dump" and not dump_program:
        raise DumpError("engine=mariadb-dump but neither mariadb-dump nor mysqldump is installed: install one or use engine=pymysql")
    if requested == "auto":
        return "mariadb-dump" if dump_program else "pymysql"
    return requested


def choose_compression(requested: str, zstd: str | None) -> str:
    if requested == "zstd" and not zstd:
        raise DumpError("compression=zstd but the zstd program is not on this host: install zstd or use compression=gzip")
    if requested == "auto":
        return "zstd" if zstd else "gzip"
    return requested


def build_plan(module: AnsibleModule) -> dict[str, Any]:
    """Everything decided before writing: names, paths, engine, and the tables that would be dumped."""
    params = module.params
    if params["chunk_size_mb"] < 1:
        raise DumpError("chunk_size_mb must be at least 1")
    shop = inspect_files(params["shop_root"], params["admin_dir"])
    _source, parameters = read_parameters(shop.root)
    database = db_params(parameters, db_overrides(params))
    workspace = Workspace.for_shop(shop.root, params["workspace"], params["backup_dir"])
    name = params["name"] or new_backup_name(shop.version or "unknown")
    backup_path = workspace.backup_path(name)
    if is_inside(backup_path, shop.root):
        module.warn(f"the backup {backup_path} is inside the shop's web root: it holds customer data and the web server may "
                    f"serve it; set backup_dir outside {shop.root}")
    dump_program = find_dump_program(module) if params["engine"] != "pymysql" else None
    component = read_component(backup_path, "db")
    state = "complete" if component.complete else ("incomplete" if os.path.lexists(component.path) else "absent")
    if state == "complete":
        _check_same_shop(component.manifest or {}, shop.root, database, name)
    return {
        "root": shop.root, "version": shop.version, "admin_dir": shop.admin_dir, "name": name, "path": backup_path,
        "component_path": component.path, "state": state, "manifest": component.manifest, "problems": component.problems,
        "database": database, "engine": choose_engine(params["engine"], dump_program), "engine_requested": params["engine"],
        "dump_program": dump_program, "zstd": module.get_bin_path("zstd"),
        "compression": choose_compression(params["compression"], module.get_bin_path("zstd")),
        "include_stats_tables": params["include_stats_tables"], "exclude_tables": list(params["exclude_tables"]),
        "chunk_bytes": params["chunk_size_mb"] << 20, "lock_timeout": params["lock_timeout"],
        "connect_timeout": params["db_connect_timeout"], "tmpdir": module.tmpdir,
    }


def _check_same_shop(manifest: dict[str, Any], root: str, database: DbParams, name: str) -> None:
    saved = manifest.get("database") or {}
    if os.path.realpath(str(manifest.get("shop_root"))) != os.path.realpath(root) or saved.get("prefix") != database.prefix:
        raise BackupError(f"backup {name!r} holds the database of {manifest.get('shop_root')} (prefix {saved.get('prefix')!r}), "
                          f"not of {root} (prefix {database.prefix!r}): choose another name")


def read_objects(plan: dict[str, Any]) -> dict[str, Any]:
    """The tables, views and triggers the backup holds, with the server's estimates, and what is left out."""
    connection = connect(plan["database"], plan["connect_timeout"])
    try:
        objects = list_objects(connection, plan["database"].prefix)
        selected, excluded = select_objects(objects, plan["database"].prefix, plan["include_stats_tables"], plan["exclude_tables"])
        if not any(item.kind == "table" for item in selected):
            raise DumpError(f"no table with prefix {plan['database'].prefix!r} in {plan['database'].describe()}: wrong database or prefix?")
        server_version = str(fetch_value(connection, "SELECT VERSION()"))
        ps_version_db = None
        if table_exists(connection, plan["database"].prefix + "configuration"):
            ps_version_db = global_configuration(connection, plan["database"], ["PS_VERSION_DB"])["PS_VERSION_DB"]
    except QUERY_ERRORS as exc:
        raise DbError(f"reading {plan['database'].describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()
    ordered = [item for item in selected if item.kind == "table"] + [item for item in selected if item.kind == "view"]
    return {"objects": ordered, "excluded": excluded, "server_version": server_version, "ps_version_db": ps_version_db}


# --- writing ------------------------------------------------------------------------------------------------------


def dump(plan: dict[str, Any], found: dict[str, Any], component: str, warn: Any) -> tuple[str, dict[str, Any]]:
    """Write the parts; returns the engine that made them and what the manifest says about them."""
    def connector() -> Any:
        return connect(plan["database"], plan["connect_timeout"], read_timeout=None, write_timeout=None)

    settings = DumpSettings(component, plan["compression"], plan["zstd"], plan["chunk_bytes"])
    engine = plan["engine"]
    if engine == "mariadb-dump":
        version = dump_tool_version(plan["dump_program"])
        defaults = write_defaults_file(plan["tmpdir"], plan["database"])
        tool = DumpTool(plan["dump_program"], defaults, plan["database"].name, version)
        try:
            return engine, dict(Dumper(connector, settings, found["objects"]).run(engine, tool, plan["lock_timeout"]), engine_version=version)
        except SnapshotLockError as exc:
            if plan["engine_requested"] != "auto":
                raise DumpError(f"{exc}; engine=pymysql needs no lock") from None
            warn(f"{exc}: dumping with PyMySQL instead")
            _clear_folder(component)
            engine = "pymysql"
        finally:
            os.unlink(defaults)
    return engine, dict(Dumper(connector, settings, found["objects"]).run("pymysql"), engine_version=None)


def write_backup(plan: dict[str, Any], found: dict[str, Any], warn: Any) -> dict[str, Any]:
    started = time.monotonic()
    created = utc_now()
    component = plan["component_path"]
    ensure_private_dir(plan["path"])
    if os.path.lexists(component):
        # An interrupted run's leftovers: nothing in them is trusted or reused (a dump needs one snapshot).
        _remove(component)
    os.mkdir(component, 0o700)
    try:
        engine, written = dump(plan, found, component, warn)
        manifest = {
            "format": DB_FORMAT, "name": plan["name"], "shop_root": plan["root"], "version": plan["version"],
            "admin_dir": plan["admin_dir"], "ps_version_db": found["ps_version_db"], "created": created,
            "database": {"name": plan["database"].name, "prefix": plan["database"].prefix, "server_version": found["server_version"]},
            "engine": engine, "engine_version": written["engine_version"], "compression": plan["compression"],
            "selection": {"include_stats_tables": plan["include_stats_tables"], "exclude_tables": plan["exclude_tables"]},
            "excluded": found["excluded"], "tables": written["tables"], "triggers": written["triggers"], "warnings": written["warnings"],
            "totals": totals(written["tables"], written["triggers"]), "duration_s": round(time.monotonic() - started, 3),
            "contents": [{"file": part["file"], "sha256": part["sha256"]} for part in all_parts(written)],
        }
        sync_folder(component)
        write_component_manifest(component, manifest)
        # What was written is the truth from now on (write_component_manifest fills `contents` in its own copy).
        manifest = read_json(os.path.join(component, MANIFEST))
    except BaseException:
        # A failure (a full disk, a lost connection) leaves nothing behind; a kill leaves what the next run clears.
        shutil.rmtree(component, ignore_errors=True)
        _remove_if_empty(plan["path"])
        raise
    return manifest


def all_parts(written: dict[str, Any]) -> list[dict[str, Any]]:
    return [part for entry in written["tables"] + written["triggers"] for part in entry["parts"]]


def totals(tables: list[dict[str, Any]], triggers: list[dict[str, Any]]) -> dict[str, int]:
    parts = [part for entry in tables + triggers for part in entry["parts"]]
    return {
        "tables": sum(1 for entry in tables if entry["kind"] == "table"), "views": sum(1 for entry in tables if entry["kind"] == "view"),
        "triggers": len(triggers), "rows": sum(entry["rows"] or 0 for entry in tables), "parts": len(parts),
        "bytes": sum(part.get("bytes", 0) for part in parts), "sql_bytes": sum(part.get("sql_bytes", 0) for part in parts),
    }


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _clear_folder(folder: str) -> None:
    for entry in os.listdir(folder):
        _remove(os.path.join(folder, entry))


def _remove_if_empty(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:
        pass


# --- results ------------------------------------------------------------------------------------------------------


def result_from_manifest(plan: dict[str, Any], manifest: dict[str, Any], changed: bool) -> dict[str, Any]:
    # Sizes from `contents`, the list _backup checked against the disk.
    sizes = {entry["file"]: entry["bytes"] for entry in manifest.get("contents", [])}
    tables = [{"name": entry["name"], "kind": entry["kind"], "rows": entry.get("rows"),
               "bytes": sum(sizes.get(part["file"], 0) for part in entry["parts"]), "parts": len(entry["parts"])}
              for entry in manifest.get("tables", [])]
    return {
        "changed": changed, "name": plan["name"], "path": plan["path"], "component_path": plan["component_path"],
        "engine": manifest.get("engine"), "compression": manifest.get("compression"), "tables": tables,
        "triggers": [trigger["name"] for trigger in manifest.get("triggers", [])], "excluded": manifest.get("excluded", []),
        "totals": manifest.get("totals") or totals(manifest.get("tables", []), manifest.get("triggers", [])), "estimated": False,
        "duration_s": manifest.get("duration_s") if changed else None,
    }


def check_result(plan: dict[str, Any], found: dict[str, Any]) -> dict[str, Any]:
    tables = [{"name": item.name, "kind": item.kind, "rows": item.rows_estimate if item.kind == "table" else None,
               "bytes": item.bytes_estimate, "parts": None} for item in found["objects"]]
    estimate = {"tables": sum(1 for item in found["objects"] if item.kind == "table"), "views": sum(1 for item in found["objects"] if item.kind == "view"),
                "triggers": None, "rows": sum(item.rows_estimate for item in found["objects"]), "parts": None,
                "bytes": None, "sql_bytes": sum(item.bytes_estimate for item in found["objects"])}
    return {
        "changed": True, "name": plan["name"], "path": plan["path"], "component_path": plan["component_path"], "engine": plan["engine"],
        "compression": plan["compression"], "tables": tables, "triggers": [], "excluded": found["excluded"], "totals": estimate,
        "estimated": True, "duration_s": None,
    }


def run(module: AnsibleModule) -> dict[str, Any]:
    require_pymysql(module)
    plan = build_plan(module)
    if plan["state"] == "complete":
        return result_from_manifest(plan, plan["manifest"], changed=False)
    if plan["state"] == "incomplete":
        module.warn(f"backup {plan['name']!r}: an unfinished database component is there ({'; '.join(plan['problems'][:3])}); "
                    + ("it would be removed and the backup made again" if module.check_mode else "removed, backing up again"))
    found = read_objects(plan)
    if module.check_mode:
        return check_result(plan, found)
    manifest = write_backup(plan, found, module.warn)
    for warning in manifest["warnings"]:
        module.warn(warning)
    return result_from_manifest(plan, manifest, changed=True)


def main() -> None:
    module = create_module()
    try:
        result = run(module)
    except (ShopError, WorkspaceError, DbError, DumpError, BackupError) as exc:
        module.fail_json(msg=str(exc))
    except QUERY_ERRORS as exc:
        module.fail_json(msg=f"backup failed: {query_error_message(exc)}")
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        module.fail_json(msg=f"backup failed: {exc.strerror or exc}{where}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
