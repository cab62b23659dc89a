# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""backup_db through Ansible on synthetic shops and the harness's MariaDB: both engines, a shop written to during
the backup, kills, failures, and the password kept out of every command line and output."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pymysql
import pytest

from harness.ansible import COLLECTIONS_PATH, run_module
from harness.shopdb import table_checksums

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import read_component, require_complete

ENGINES = ("mariadb-dump", "pymysql")


def args(shop: Any, workspace: Path, **extra: Any) -> dict[str, Any]:
    return {"shop_root": str(shop.root), "workspace": str(workspace), **extra}


def db_component(result: dict[str, Any]) -> Path:
    return Path(result["component_path"])


def count(shop: Any, sql: str) -> int:
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def module_process(module: str, arguments: dict[str, Any], folder: Path) -> subprocess.Popen:
    """The module's code in a plain Python process (as Ansible runs it), so a test can kill it at a chosen moment."""
    args_file = folder / f"{module}-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": arguments}))
    args_file.chmod(0o600)
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_PATH))
    return subprocess.Popen([sys.executable, "-m", f"ansible_collections.shopfleet.prestashop.plugins.modules.{module}", str(args_file)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_direct(module: str, arguments: dict[str, Any], folder: Path) -> dict[str, Any]:
    """The module without ansible-playbook's start-up, for the steps where Ansible itself is not under test."""
    out, err = module_process(module, arguments, folder).communicate(timeout=300)
    try:
        return json.loads(out)
    except ValueError:
        raise AssertionError(f"{module} printed no result: {err.decode(errors='replace')[-2000:]}") from None


def kill_when(process: subprocess.Popen, ready: Any, timeout: float = 60.0) -> bool:
    """SIGKILL the process as soon as ready() is true; False when it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.kill()
    raise AssertionError("the module neither finished nor reached the kill point in time")


@pytest.mark.parametrize("engine", ENGINES)
def test_check_mode_writes_nothing_then_the_backup_is_complete_exact_and_private_then_a_rerun_does_nothing(shop_factory: Any, tmp_path: Path,
                                                                                                           engine: str) -> None:
    shop = shop_factory("8.1.5")
    workspace = tmp_path / "workspace"

    checked = run_module("backup_db", args(shop, workspace, name="before-upgrade", engine=engine), check=True)
    assert not checked.get("failed"), checked.get("msg")
    assert checked["changed"] is True and checked["estimated"] is True and checked["engine"] == engine
    assert not workspace.exists()
    assert {"ps_orders", "ps_guest", "ps_connections", "ps_mymodule_customer_totals"} <= {table["name"] for table in checked["tables"]}

    first = run_module("backup_db", args(shop, workspace, name="before-upgrade", engine=engine))
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True and first["engine"] == engine
    component = require_complete(first["path"], "db", deep=True)
    manifest = component.manifest
    assert manifest["format"] == "shopfleet.backup.db/1" and manifest["engine"] == engine
    assert manifest["database"]["prefix"] == "ps_" and manifest["ps_version_db"] == "8.1.5"
    with shop.connect() as connection:
        live = table_checksums(connection, shop.prefix)
    tables = {entry["name"]: entry for entry in manifest["tables"]}
    assert set(tables) == set(live)
    for name, checksum in live.items():
        entry = tables[name]
        if checksum is None:
            assert entry["kind"] == "view"
            continue
        assert entry["checksum"] == {"algorithm": "checksum-table", "value": checksum}, name
        assert entry["rows"] == count(shop, f"SELECT COUNT(*) FROM `{name}`"), name
    assert [trigger["name"] for trigger in manifest["triggers"]] == ["ps_mymodule_order_created"]
    assert [entry["kind"] for entry in manifest["tables"]][-1] == "view"
    for path in [Path(first["path"]), *Path(first["path"]).rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path

    again = run_direct("backup_db", args(shop, workspace, name="before-upgrade", engine=engine), tmp_path)
    assert again["changed"] is False and again["totals"] == first["totals"]
    assert require_complete(first["path"], "db").manifest == manifest


def test_statistics_tables_are_saved_unless_left_out_and_exclusions_are_listed(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    saved = run_module("backup_db", args(shop, tmp_path / "ws", name="all"))
    assert {"ps_connections", "ps_connections_page", "ps_connections_source", "ps_guest", "ps_statssearch"} <= {t["name"] for t in saved["tables"]}
    assert saved["excluded"] == []

    lean = run_direct("backup_db", args(shop, tmp_path / "ws", name="lean", include_stats_tables=False, exclude_tables=["log", "ps_mymodule_*"]),
                      tmp_path)
    names = {table["name"] for table in lean["tables"]}
    assert not names & {"ps_guest", "ps_statssearch", "ps_log", "ps_mymodule_blob", "ps_mymodule_customer_totals"}
    assert {item["name"]: item["rule"] for item in lean["excluded"]}["ps_guest"] == "include_stats_tables=false"
    assert {item["name"]: item["rule"] for item in lean["excluded"]}["ps_log"] == "exclude_tables: log"
    # The trigger on ps_orders writes into an excluded table; it is still saved with ps_orders.
    assert lean["triggers"] == ["ps_mymodule_order_created"]


# --- a shop that keeps writing during the backup ------------------------------------------------------------------


class Writer(threading.Thread):
    """Keeps two tables in lock-step: each transaction adds a log row and sets a configuration counter to the number
    of such rows. Any consistent copy of the database has counter == rows; an inconsistent one almost never does."""

    def __init__(self, shop: Any) -> None:
        super().__init__(daemon=True)
        self.shop = shop
        self.stop = threading.Event()
        self.commits = 0
        self.deadlocks = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.shop.connect() as connection, connection.cursor() as cursor:
                cursor.execute("INSERT INTO ps_configuration (name, value, date_add, date_upd) VALUES ('SHOPFLEET_WRITER', '0', NOW(), NOW())")
                connection.autocommit(False)
                while not self.stop.is_set():
                    try:
                        cursor.execute("INSERT INTO ps_log (severity, message, date_add, date_upd) VALUES (1, 'writer', NOW(), NOW())")
                        cursor.execute("UPDATE ps_configuration SET value = (SELECT COUNT(*) FROM ps_log WHERE message = 'writer') "
                                       "WHERE name = 'SHOPFLEET_WRITER'")
                        cursor.execute("UPDATE ps_tab SET position = position + 1 WHERE id_tab = 1")
                        connection.commit()
                    except pymysql.err.OperationalError as exc:
                        # InnoDB rolled the whole transaction back; a client retries it, as shops' frameworks do.
                        if exc.args[0] != 1213:
                            raise
                        connection.rollback()
                        self.deadlocks += 1
                        continue
                    self.commits += 1
        except BaseException as exc:  # reported by the test
            self.error = exc


def writer_state(connection: Any) -> tuple[int, int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT CAST(value AS UNSIGNED) FROM ps_configuration WHERE name = 'SHOPFLEET_WRITER'")
        counter = int(cursor.fetchone()[0])
        cursor.execute("SELECT COUNT(*) FROM ps_log WHERE message = 'writer'")
        rows = int(cursor.fetchone()[0])
        cursor.execute("SELECT position FROM ps_tab WHERE id_tab = 1")
        position = int(cursor.fetchone()[0])
    return counter, rows, position


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_a_backup_taken_while_the_shop_writes_restores_to_one_point_in_time(shop_factory: Any, tmp_path: Path, engine: str) -> None:
    shop = shop_factory("8.1.5", scale=3)
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT position FROM ps_tab WHERE id_tab = 1")
        base_position = int(cursor.fetchone()[0])
    writer = Writer(shop)
    writer.start()
    try:
        while writer.commits < 20 and writer.error is None:
            time.sleep(0.01)
        before = writer.commits
        backup = run_module("backup_db", args(shop, tmp_path / "ws", name="busy", engine=engine))
        during = writer.commits - before
    finally:
        writer.stop.set()
        writer.join()
    assert writer.error is None, writer.error
    assert not backup.get("failed"), backup.get("msg")
    assert during > 20, "the shop must have kept writing while it was backed up"

    restored = run_direct("rollback_db", args(shop, tmp_path / "ws", name="busy"), tmp_path)
    assert not restored.get("failed"), restored.get("msg")
    # The manifest's checksums were computed in the dump's own snapshot: the restored tables match them.
    assert restored["verified"] is True and restored["mismatches"] == []
    assert {"ps_log", "ps_configuration", "ps_tab"} <= set(restored["replaced"])
    with shop.connect() as connection:
        counter, rows, position = writer_state(connection)
    assert counter == rows == position - base_position
    assert 0 < counter < writer.commits


# --- interruptions and failures -----------------------------------------------------------------------------------


def finished_parts(folder: Path) -> int:
    return sum(1 for path in folder.glob("*.sql.*") if ".part-" not in path.name) if folder.is_dir() else 0


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_a_backup_killed_at_any_moment_is_never_complete_and_the_next_run_makes_it_whole(shop_factory: Any, tmp_path: Path, engine: str) -> None:
    shop = shop_factory("8.1.5", scale=2)
    arguments = args(shop, tmp_path / "ws", name="killed", engine=engine)
    component = None
    backup = tmp_path / "ws"

    def folder() -> Path:
        return next(backup.glob("*/backups/killed/db"), backup / "absent")

    for moment in (lambda: folder().is_dir(), lambda: finished_parts(folder()) >= 1, lambda: finished_parts(folder()) >= 20,
                   lambda: finished_parts(folder()) >= 33):
        process = module_process("backup_db", arguments, tmp_path)
        if kill_when(process, moment):
            component = read_component(str(folder().parent), "db")
            assert component.complete is False
    assert component is not None, "no kill landed while the backup ran"
    finished = run_direct("backup_db", arguments, tmp_path)
    assert finished["changed"] is True and not finished.get("failed"), finished.get("msg")
    assert require_complete(finished["path"], "db", deep=True).complete


def test_the_password_is_never_on_a_command_line_nor_in_results_or_output(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    password = shop.db["password"]
    seen = tmp_path / "seen.json"
    wrapper = tmp_path / "mariadb-dump"
    # The wrapper records how it was called, and checks the option file, before running the real tool.
    wrapper.write_text(f"""#!{sys.executable}
import json, os, stat, sys
options = [arg.split("=", 1)[1] for arg in sys.argv[1:] if arg.startswith("--defaults-extra-file=")]
json.dump({{"argv": sys.argv, "cmdline": open("/proc/self/cmdline", "rb").read().decode(), "environ": dict(os.environ),
           "option_file_mode": [stat.S_IMODE(os.stat(path).st_mode) for path in options],
           "password_in_option_file": [{password!r} in open(path).read() for path in options]}}, open({str(seen)!r}, "w"))
os.execv("/usr/bin/mariadb-dump", ["mariadb-dump"] + sys.argv[1:])
""")
    wrapper.chmod(0o700)
    result = run_module("backup_db", args(shop, tmp_path / "ws", name="secret", engine="mariadb-dump", dump_executable=str(wrapper),
                                          db_password=password))
    assert not result.get("failed"), result.get("msg")
    called = json.loads(seen.read_text())
    assert password not in json.dumps(called["argv"]) and password not in called["cmdline"]
    assert password not in json.dumps(called["environ"])
    assert called["option_file_mode"] == [0o600] and called["password_in_option_file"] == [True]
    assert password not in json.dumps(dict(result)) and password not in result.output
    manifest = (Path(result["component_path"]) / "manifest.json").read_text()
    assert password not in manifest
    # The option file lived in the module's temporary folder only.
    assert not list((tmp_path / "ws").rglob("*.cnf"))


def test_wrong_credentials_fail_with_one_line_and_leave_no_backup(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    result = run_module("backup_db", args(shop, tmp_path / "ws", name="denied", db_password="not-the-password"))
    assert result["failed"] is True
    assert "Access denied" in result["msg"] and "\n" not in result["msg"] and "not-the-password" not in result["msg"]
    assert not list((tmp_path / "ws").rglob("db"))


@pytest.mark.parametrize("script, message", [
    ("/usr/bin/mariadb-dump \"$@\" | head -c 30000\nexit 2\n", "failed (exit 2)"),
    ("/usr/bin/mariadb-dump \"$@\" | head -c 30000\n", "cut short"),
    ("echo 'mariadb-dump: Got error: 1044: Access denied to database' >&2\nexit 2\n", "Got error: 1044"),
])
def test_a_failing_or_truncated_dump_is_an_error_never_a_backup(shop_factory: Any, tmp_path: Path, script: str, message: str) -> None:
    shop = shop_factory("8.1.5")
    wrapper = tmp_path / "broken-dump"
    wrapper.write_text("#!/bin/sh\n" + script)
    wrapper.chmod(0o700)
    result = run_direct("backup_db", args(shop, tmp_path / "ws", name="broken", engine="mariadb-dump", dump_executable=str(wrapper)), tmp_path)
    assert result.get("failed") is True and message in result["msg"], result["msg"]
    assert not list((tmp_path / "ws").rglob("manifest.json"))
    assert not list((tmp_path / "ws").rglob("*.sql.*"))
