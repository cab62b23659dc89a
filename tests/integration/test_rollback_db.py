# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollback_db through Ansible on synthetic shops: exact restores from both engines, kills, bad backups, SQL errors
and the official upgrade module's dumps."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from harness.ansible import COLLECTIONS_PATH, run_module
from harness.shopdb import SPECIAL_BLOB, TRICKY_TEXTS, table_checksums
from harness.shops import build_shop

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import write_component_manifest

STATS = ("ps_connections", "ps_connections_page", "ps_connections_source", "ps_guest", "ps_statssearch")


def args(shop: Any, workspace: Path, **extra: Any) -> dict[str, Any]:
    return {"shop_root": str(shop.root), "workspace": str(workspace), **extra}


def module_process(module: str, arguments: dict[str, Any], folder: Path) -> subprocess.Popen:
    """The module's code in a plain Python process (as Ansible runs it): quick setup steps, and kills."""
    args_file = folder / f"{module}-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": arguments}))
    args_file.chmod(0o600)
    return subprocess.Popen([sys.executable, "-m", f"ansible_collections.shopfleet.prestashop.plugins.modules.{module}", str(args_file)],
                            env=dict(os.environ, PYTHONPATH=str(COLLECTIONS_PATH)), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_direct(module: str, arguments: dict[str, Any], folder: Path, may_fail: bool = False) -> dict[str, Any]:
    """The module without ansible-playbook's start-up, for the steps where Ansible itself is not under test."""
    out, err = module_process(module, arguments, folder).communicate(timeout=300)
    try:
        result = json.loads(out)
    except ValueError:
        raise AssertionError(f"{module} printed no result: {err.decode(errors='replace')[-2000:]}") from None
    assert may_fail or not result.get("failed"), result.get("msg")
    return result


def checksums(shop: Any) -> dict[str, Any]:
    with shop.connect() as connection:
        return table_checksums(connection, shop.prefix)


def execute(shop: Any, *statements: str) -> None:
    with shop.connect() as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def query(shop: Any, sql: str) -> list[tuple[Any, ...]]:
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


# What an upgrade (or a bad day) does to a shop's database.
CHANGES = (
    "UPDATE ps_configuration SET value = '9.0.0' WHERE name = 'PS_VERSION_DB'",
    "DELETE FROM ps_customer WHERE id_customer > 150",
    "UPDATE ps_customer SET note = 'changed' WHERE id_customer < 5",
    "UPDATE ps_mymodule_blob SET payload = 'overwritten', checked_at = NOW() WHERE id_mymodule_blob < 3",
    "INSERT INTO ps_statssearch (id_shop, id_shop_group, keywords, results, date_add) VALUES (1, 1, 'new search', 3, NOW())",
    "CREATE TABLE ps_new_module (id INT PRIMARY KEY, label VARCHAR(40)) ENGINE=InnoDB",
    "INSERT INTO ps_new_module VALUES (1, 'added after the backup')",
    "ALTER TABLE ps_customer ADD COLUMN loyalty_points INT NULL",
    "CREATE INDEX date_upd ON ps_orders (date_upd)",
    "CREATE VIEW ps_new_view AS SELECT 1 AS one",
    "DROP TRIGGER ps_mymodule_order_created",
    "CREATE TRIGGER ps_extra_trigger BEFORE UPDATE ON ps_tab FOR EACH ROW SET NEW.position = NEW.position",
)


def assert_special_values_survived(shop: Any, triggers: bool = True) -> None:
    if query(shop, "SHOW TABLES LIKE 'ps_measures'"):
        assert query(shop, "SELECT f = CAST(1.2345678 AS FLOAT), ts, tm FROM ps_measures WHERE id = 1")[0][0] == 1
    assert query(shop, "SELECT payload, payload_sha1 = SHA1(payload) FROM ps_mymodule_blob WHERE id_mymodule_blob = 1") == [(SPECIAL_BLOB, 1)]
    assert query(shop, "SELECT payload, thumbnail IS NULL, label IS NULL FROM ps_mymodule_blob WHERE id_mymodule_blob = 2")[0][0] == b""
    notes = [row[0] for row in query(shop, f"SELECT note FROM ps_customer ORDER BY id_customer LIMIT {len(TRICKY_TEXTS)}")]
    assert notes == list(TRICKY_TEXTS)
    assert query(shop, "SELECT COUNT(*) FROM ps_mymodule_blob WHERE checked_at = '0000-00-00 00:00:00'")[0][0] > 0
    assert "loyalty_points" not in [row[0] for row in query(shop, "SHOW COLUMNS FROM ps_customer")]
    if triggers:
        assert [row[0] for row in query(shop, "SHOW TRIGGERS LIKE 'ps_orders'")] == ["ps_mymodule_order_created"]
    assert query(shop, "SELECT COUNT(*) FROM ps_mymodule_customer_totals")[0][0] > 0


# Types whose text form could lose something: FLOAT (the server prints 6 digits), DOUBLE extremes, DECIMAL, BIT,
# fractional TIMESTAMP (at a DST change in Europe), negative TIME, JSON, ENUM, SET and geometry.
EDGE_VALUES = (
    "CREATE TABLE ps_measures (id INT PRIMARY KEY, f FLOAT, d DOUBLE, amount DECIMAL(30,10), flags BIT(10), y YEAR, ts TIMESTAMP(6) NULL, "
    "tm TIME(3), doc JSON, state ENUM('a','b'), tags SET('x','y'), spot POINT) ENGINE=InnoDB",
    "INSERT INTO ps_measures VALUES (1, 1.2345678, 0.1 + 0.2, 12345678901234567890.0123456789, b'1010101010', 2024, "
    "'2024-03-31 02:30:00.123456', '-838:59:59.999', '{\"a\": [1, \"é\"]}', 'b', 'x,y', ST_GeomFromText('POINT(1.5 2.25)')), "
    "(2, 3.40282e38, -1e-300, -0.0000000001, b'0', 1901, NULL, '00:00:00', NULL, NULL, '', NULL), "
    "(3, 16777217, 1.7976931348623157e308, 0, NULL, NULL, '1970-01-01 00:00:01', NULL, '[]', 'a', 'y', NULL)",
)


@pytest.mark.parametrize("engine, jobs", [("mariadb-dump", 2), ("pymysql", 1)])
def test_a_rollback_brings_back_every_table_exactly_and_drops_what_came_after(shop_factory: Any, tmp_path: Path, engine: str, jobs: int) -> None:
    shop = shop_factory("8.1.5")
    workspace = tmp_path / "ws"
    execute(shop, *EDGE_VALUES)
    original = checksums(shop)
    counters = auto_increments(shop)
    run_direct("backup_db", args(shop, workspace, name="before", engine=engine), tmp_path)
    execute(shop, *CHANGES, "UPDATE ps_measures SET f = f + 1, ts = NOW()")
    execute(shop, "INSERT INTO ps_log (severity, message, date_add, date_upd) VALUES (1, 'after', NOW(), NOW())", "DELETE FROM ps_log WHERE message = 'after'")
    changed = checksums(shop)

    checked = run_module("rollback_db", args(shop, workspace, name="before", jobs=jobs), check=True, diff=True)
    assert not checked.get("failed"), checked.get("msg")
    assert checked["changed"] is True and checkums_unchanged(shop, changed)
    assert {"ps_configuration", "ps_customer", "ps_mymodule_blob", "ps_statssearch", "ps_orders"} <= set(checked["replaced"])
    assert checked["dropped"] == ["ps_new_module", "ps_new_view"] and checked["created"] == []
    assert checked["triggers"] == {"restored": ["ps_mymodule_order_created"], "dropped": ["ps_extra_trigger"]}
    assert "ps_tab  table" in checked["diff"]["after"] and "ps_new_module" in checked["diff"]["before"]

    restored = run_module("rollback_db", args(shop, workspace, name="before", jobs=jobs))
    assert not restored.get("failed"), restored.get("msg")
    assert restored["changed"] is True and restored["verified"] is True and restored["source"] == "shopfleet"
    assert checksums(shop) == original
    assert auto_increments(shop) == counters
    assert_special_values_survived(shop)
    assert query(shop, "SHOW TRIGGERS LIKE 'ps_tab'") == []
    assert query(shop, "SHOW INDEX FROM ps_orders WHERE Key_name = 'date_upd'") == []

    again = run_direct("rollback_db", args(shop, workspace, name="before", jobs=jobs), tmp_path)
    assert again["changed"] is False and again["unchanged"] == len(original) and again["parts"] == 0


def checkums_unchanged(shop: Any, expected: dict[str, Any]) -> bool:
    return checksums(shop) == expected


def auto_increments(shop: Any) -> dict[str, int]:
    return {row[0]: row[1] for row in query(shop, "SELECT TABLE_NAME, AUTO_INCREMENT FROM information_schema.TABLES "
                                                  "WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT IS NOT NULL")}


def test_tables_the_backup_left_out_stay_as_they_are_and_a_myisam_table_comes_back(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    workspace = tmp_path / "ws"
    execute(shop, "CREATE TABLE ps_legacy (id INT AUTO_INCREMENT PRIMARY KEY, label VARCHAR(20)) ENGINE=MyISAM",
            "INSERT INTO ps_legacy (label) VALUES ('one'), ('two'), (NULL)")
    original = checksums(shop)
    backup = run_direct("backup_db", args(shop, workspace, name="lean", include_stats_tables=False, exclude_tables=["log"]), tmp_path)
    # A module run outside Ansible reports its warnings as structured events.
    assert "ps_legacy (MyISAM) has no transactions" in json.dumps(backup.get("warnings", []))
    manifest = json.loads((Path(backup["component_path"]) / "manifest.json").read_text())
    assert {entry["name"]: entry.get("consistency") for entry in manifest["tables"]}["ps_legacy"] == "table-lock"
    execute(shop, "UPDATE ps_legacy SET label = 'changed'", "DELETE FROM ps_guest WHERE id_guest > 10", "DELETE FROM ps_log WHERE id_log > 10",
            "UPDATE ps_configuration SET value = 'x' WHERE name = 'PS_SHOP_NAME'")
    changed = checksums(shop)

    restored = run_direct("rollback_db", args(shop, workspace, name="lean"), tmp_path)
    assert set(restored["replaced"]) == {"ps_legacy", "ps_configuration"} and restored["dropped"] == [] and restored["verified"] is True
    now = checksums(shop)
    assert now["ps_legacy"] == original["ps_legacy"] and now["ps_configuration"] == original["ps_configuration"]
    assert now["ps_guest"] == changed["ps_guest"] and now["ps_log"] == changed["ps_log"]


def test_journals_of_a_database_upgrade_the_restore_undid_are_removed(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    workspace = tmp_path / "ws"
    made = run_direct("backup_db", args(shop, workspace, name="before-upgrade"), tmp_path)
    journals = Path(made["path"]).parents[1] / "journals"
    journals.mkdir(mode=0o700, exist_ok=True)
    stale = journals / "upgrade_db-8.1.5-8.1.7.json"
    stale.write_text(json.dumps({"status": "failed", "done": {"8.1.7.sql": 9}}))
    kept = journals / "upgrade_files-8.1.7.json"
    kept.write_text("{}")

    restored = run_direct("rollback_db", args(shop, workspace, name="before-upgrade"), tmp_path)
    assert restored["changed"] is True and restored["replaced"] == [] and restored["stale_journals_removed"] == [str(stale)]
    assert not stale.exists() and kept.exists()
    assert run_direct("rollback_db", args(shop, workspace, name="before-upgrade"), tmp_path)["changed"] is False


@pytest.mark.slow
def test_a_rollback_killed_midway_ends_like_an_uninterrupted_one_when_run_again(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", scale=2)
    workspace = tmp_path / "ws"
    original = checksums(shop)
    run_direct("backup_db", args(shop, workspace, name="before"), tmp_path)
    execute(shop, *CHANGES)
    execute(shop, "DELETE FROM ps_log", "DELETE FROM ps_order_detail", "DELETE FROM ps_cart")

    # The restore takes the biggest tables first: kill it as soon as the biggest of the emptied ones gets rows back.
    manifest = json.loads(next(workspace.glob("*/backups/before/db/manifest.json")).read_text())
    emptied = [entry for entry in manifest["tables"] if entry["name"] in ("ps_log", "ps_order_detail", "ps_cart")]
    first = max(emptied, key=lambda entry: sum(part["sql_bytes"] for part in entry["parts"]))["name"]
    process = module_process("rollback_db", args(shop, workspace, name="before", force=True, jobs=2), tmp_path)
    deadline = time.monotonic() + 120
    with shop.connect() as connection, connection.cursor() as cursor:
        while process.poll() is None and time.monotonic() < deadline:
            try:
                cursor.execute(f"SELECT COUNT(*) FROM `{first}`")
            except pymysql.err.ProgrammingError:
                break  # dropped, about to be created again: the restore is under way
            if cursor.fetchone()[0]:
                break
    assert process.poll() is None, "the rollback finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert checksums(shop) != original

    resumed = run_module("rollback_db", args(shop, workspace, name="before"))
    assert not resumed.get("failed"), resumed.get("msg")
    assert resumed["resumed"] is True and resumed["verified"] is True
    assert checksums(shop) == original
    assert_special_values_survived(shop)
    assert run_direct("rollback_db", args(shop, workspace, name="before"), tmp_path)["changed"] is False


def damage(component: Path, how: str) -> None:
    parts = sorted(component.glob("*.sql.*"))
    victim = next(part for part in parts if "ps_orders" in part.name)
    if how == "corrupt":
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))
    elif how == "truncated":
        victim.write_bytes(victim.read_bytes()[:-10])
    elif how == "missing":
        victim.unlink()
    elif how == "tampered":
        manifest = json.loads((component / "manifest.json").read_text())
        manifest["contents"][3]["sha256"] = "0" * 64
        (component / "manifest.json").write_text(json.dumps(manifest))
    else:
        (component / "manifest.json").write_text((component / "manifest.json").read_text()[:-40])


@pytest.fixture(scope="module")
def damaged_shop(mariadb: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, Path]]:
    """One shop changed after its backup, shared by the damaged-backup tests (they must leave it as it is)."""
    folder = tmp_path_factory.mktemp("damaged")
    shop = build_shop(folder / "shop", mariadb, "8.1.5", name="rollback_damaged")
    backup = run_direct("backup_db", args(shop, folder / "ws", name="pristine"), folder)
    execute(shop, *CHANGES)
    yield shop, folder / "ws", Path(backup["path"])
    mariadb.drop_database(shop.db["name"])


@pytest.mark.parametrize("how, message", [("corrupt", "sha256 differs"), ("truncated", "truncated"), ("missing", "missing"),
                                          ("tampered", "sha256"), ("cut_manifest", "does not parse")])
def test_a_damaged_backup_fails_with_one_line_before_anything_is_restored(damaged_shop: tuple[Any, Path, Path], how: str, message: str) -> None:
    shop, workspace, pristine = damaged_shop
    copy = pristine.parent / how
    shutil.copytree(pristine, copy)
    manifest = json.loads((copy / "db" / "manifest.json").read_text())
    write_component_manifest(str(copy / "db"), dict(manifest, name=how, contents=None))
    changed = checksums(shop)
    damage(copy / "db", how)
    result = run_direct("rollback_db", args(shop, workspace, name=how), workspace.parent, may_fail=True)
    assert result.get("failed") is True and message in result["msg"] and "\n" not in result["msg"], result["msg"]
    assert checksums(shop) == changed
    assert not list(workspace.glob(f"*/journals/rollback_db-{how}.json"))


def rewrite_manifest(component: Path, manifest: dict[str, Any], changed_part: Path) -> None:
    """What someone who edits a part by hand must do for the backup to be accepted again."""
    for entry in manifest["tables"]:
        for part in entry["parts"]:
            if part["file"] == changed_part.name:
                part.update(bytes=changed_part.stat().st_size, sha256=hashlib.sha256(changed_part.read_bytes()).hexdigest())
    write_component_manifest(str(component), dict(manifest, contents=None))


def test_an_sql_error_stops_at_the_statement_with_its_part_and_position_and_a_rerun_goes_on(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    workspace = tmp_path / "ws"
    original = checksums(shop)
    backup = run_direct("backup_db", args(shop, workspace, name="broken", engine="pymysql", compression="gzip"), tmp_path)
    component = Path(backup["component_path"])
    manifest = json.loads((component / "manifest.json").read_text())
    execute(shop, *CHANGES)
    victim = next(component.glob("*-ps_customer.sql.gz"))
    good = victim.read_bytes()
    text = gzip.decompress(good)
    broken = text.replace(b"INSERT INTO `ps_customer`", b"INSERT INTO `ps_customer` (`no_such_column`) SELECT 1;\nINSERT INTO `ps_customer`", 1)
    victim.write_bytes(gzip.compress(broken))
    rewrite_manifest(component, manifest, victim)

    failed = run_module("rollback_db", args(shop, workspace, name="broken", jobs=1))
    assert failed["failed"] is True
    offset = broken.index(b"INSERT INTO `ps_customer` (`no_such_column`)")
    statement = broken[:offset].count(b";\n") + 1
    assert f"{victim.name}, statement {statement} at offset {offset}: " in failed["msg"], failed["msg"]
    assert "MySQL error 1054" in failed["msg"] and "no_such_column" in failed["msg"] and "run again" in failed["msg"]
    journal = json.loads(next(workspace.glob("*/journals/rollback_db-broken.json")).read_text())
    assert journal["status"] == "failed" and victim.name in journal["error"]

    victim.write_bytes(good)
    rewrite_manifest(component, manifest, victim)
    fixed = run_direct("rollback_db", args(shop, workspace, name="broken"), tmp_path)
    # The backup itself changed (its manifest was rewritten), so this run starts a new journal rather than resuming.
    assert fixed["resumed"] is False and fixed["verified"] is True and checksums(shop) == original


# --- the official upgrade module's dumps --------------------------------------------------------------------------


def write_official_dump(shop: Any, folder: Path, name: str) -> list[Path]:
    """Parts shaped like the official module's: numbered, gz then bz2, statements ending with ';' and a newline, the
    statistics tables left out, views with DEFINER=CURRENT_USER (values escaped by PyMySQL)."""
    header = b"/* Backup for http://localhost/ */\n\nSET SESSION sql_mode = '';\nSET NAMES 'utf8';\nSET FOREIGN_KEY_CHECKS=0;\n\n"
    chunks: list[bytes] = []
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SHOW FULL TABLES LIKE 'ps\\_%'")
        for table, kind in sorted(cursor.fetchall(), key=lambda row: row[1] == "VIEW"):
            if table in STATS:
                continue
            if kind == "VIEW":
                cursor.execute(f"SHOW CREATE VIEW `{table}`")
                create = cursor.fetchone()[1].replace("DEFINER=`root`@`localhost`", "DEFINER=CURRENT_USER")
                chunks.append(f"DROP VIEW IF EXISTS `{table}`;\n{create};\n\n".encode())
                continue
            cursor.execute(f"SHOW CREATE TABLE `{table}`")
            chunks.append(f"/* Scheme for table {table} */\nDROP TABLE IF EXISTS `{table}`;\n{cursor.fetchone()[1]};\n\n".encode())
            cursor.execute("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
                           "AND EXTRA NOT LIKE '%%GENERATED%%' ORDER BY ORDINAL_POSITION", (table,))
            columns = ", ".join(f"`{row[0]}`" for row in cursor.fetchall())
            cursor.execute(f"SELECT {columns} FROM `{table}`")
            rows = cursor.fetchall()
            for start in range(0, len(rows), 200):
                values = ",\n".join("(" + ",".join(connection.escape(value) for value in row) + ")" for row in rows[start:start + 200])
                chunks.append(f"INSERT INTO `{table}` ({columns}) VALUES\n".encode() + values.encode("utf-8", "surrogateescape") + b";\n")
    chunks.append(b"SET FOREIGN_KEY_CHECKS=1;\n")
    middle = len(chunks) // 2
    part_folder = folder / name
    part_folder.mkdir(parents=True)
    first, second = part_folder / f"auto-backupdb_000001_{name}.sql.gz", part_folder / f"auto-backupdb_000002_{name}.sql.bz2"
    first.write_bytes(gzip.compress(header + b"".join(chunks[:middle])))
    second.write_bytes(bz2.compress(header + b"".join(chunks[middle:])))
    return [first, second]


def test_a_dump_of_the_official_upgrade_module_restores_too(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    name = "V8.1.5_20240101-120000-1a2b3c4d"
    official = shop.root / shop.admin_dir / "autoupgrade" / "backup"
    write_official_dump(shop, official, name)
    original = checksums(shop)
    execute(shop, *CHANGES)
    changed = checksums(shop)

    checked = run_module("rollback_db", args(shop, tmp_path / "ws", name=name), check=True)
    assert not checked.get("failed"), checked.get("msg")
    assert checked["source"] == "autoupgrade" and checksums(shop) == changed
    assert checked["dropped"] == ["ps_new_module", "ps_new_view"]
    assert "ps_statssearch" not in checked["replaced"] and "ps_orders" in checked["replaced"]

    restored = run_direct("rollback_db", args(shop, tmp_path / "ws", backup_path=str(official / name)), tmp_path)
    assert restored["changed"] is True and restored["verified"] is None and restored["dropped"] == ["ps_new_module", "ps_new_view"]
    now = checksums(shop)
    assert {table: value for table, value in now.items() if table not in STATS} == {t: v for t, v in original.items() if t not in STATS}
    # The official module never saves the statistics tables; its restore keeps them as they are, and so do we.
    assert now["ps_statssearch"] == changed["ps_statssearch"]
    # Its dumps hold no triggers: a table it restores comes back without them.
    assert_special_values_survived(shop, triggers=False)


def test_no_such_backup_fails_with_one_line(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    result = run_direct("rollback_db", args(shop, tmp_path / "ws", name="V8.1.5_20200101-000000-00000000"), tmp_path, may_fail=True)
    assert result.get("failed") is True and "no database backup named" in result["msg"] and "\n" not in result["msg"]
