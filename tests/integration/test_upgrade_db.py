# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_db through Ansible: harness migrations with PHP callbacks that really run, journal, failure and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

from harness.ansible import COLLECTIONS_PATH, REPO_ROOT, run_module
from harness.release import MIGRATION_VERSIONS, build_migrations
from harness.shopdb import table_checksums

CHAIN = "8.1.7,8.1.7-catchup"
MODULE = REPO_ROOT / "plugins/modules/upgrade_db.py"
# A test-only callback: the first time, it leaves a flag and sleeps so the test can SIGKILL the run right there.
PAUSE_CALLBACK = """<?php
function shopfleet_test_pause($flag)
{
    if (!is_file($flag)) {
        touch($flag);
        sleep(60);
    }

    return true;
}
"""


def upgrade(shop: Any, workspace: Path, migrations: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    # Language packs have their own tests (test_upgrade_db_extras.py): these stay off the network.
    arguments = {"shop_root": str(shop.root), "workspace": str(workspace), "migrations": str(migrations), "target_version": "8.1.7",
                 "language_packs": "skip", **options}
    return run_module("upgrade_db", arguments, check=check, diff=True)


def checksums(shop: Any) -> dict[str, Any]:
    with shop.connect() as connection:
        return table_checksums(connection, shop.prefix)


def set_config(shop: Any, name: str, value: str | None) -> None:
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {shop.prefix}configuration WHERE name = %s", (name,))
        if value is not None:
            cursor.execute(f"INSERT INTO {shop.prefix}configuration (name, value, date_add, date_upd) VALUES (%s, %s, NOW(), NOW())", (name, value))


def orders_columns(shop: Any) -> list[str]:
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SHOW COLUMNS FROM {shop.prefix}orders LIKE 'shopfleet%'")
        return [row[0] for row in cursor.fetchall()]


def test_migrates_8_1_5_to_8_1_7_in_prestashops_order_with_callbacks_that_run(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.5")
    migrations = build_migrations(tmp_path / "module", MIGRATION_VERSIONS)
    workspace = tmp_path / "ws"
    (shop.root / "var" / "cache" / "prod").mkdir(parents=True, exist_ok=True)
    (shop.root / "var" / "cache" / "prod" / "stale.php").write_text("<?php // stale")
    before = checksums(shop)

    predicted = upgrade(shop, workspace, migrations, check=True)
    assert predicted["changed"] is True and not workspace.exists() and checksums(shop) == before
    assert [entry["name"] for entry in predicted["migrations"]] == ["8.1.7", "8.1.7-catchup"]
    assert predicted["diff"] == {"before": {"ps_version_db": "8.1.5"}, "after": {"ps_version_db": "8.1.7"},
                                 "after_header": "PS_VERSION_DB after 8.1.7, 8.1.7-catchup"}
    pending = predicted["migrations"][0]["pending"]
    assert pending[0] == "SET SESSION sql_mode = ''" and "/* PHP:shopfleet_record_migration('8.1.7', 1); */" in pending
    assert all("PREFIX_" not in statement and "ENGINE_TYPE" not in statement for statement in pending)

    done = upgrade(shop, workspace, migrations)
    assert done["changed"] is True, done.get("msg")
    assert shop.config_value("PS_VERSION_DB") == "8.1.7"
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == CHAIN
    assert shop.config_value("SHOPFLEET_SQL_8_1_7_CATCHUP") == "8.1.7-catchup columns=2"
    assert (shop.config_value("SHOPFLEET_PHP_8_1_7") or "").startswith("8.1.7 step 1 shop 1 lang 1 of ")
    assert orders_columns(shop) == ["shopfleet_8_1_7", "shopfleet_8_1_7_catchup"]
    assert [(entry["name"], entry["applied"]) for entry in done["migrations"]] == [("8.1.7", entry["statements"]) for entry in done["migrations"][:1]] + \
        [("8.1.7-catchup", done["migrations"][1]["statements"])]
    assert shop.config_value("PS_NEED_REBUILD_INDEX") in (None, "1")
    assert not (shop.root / "var" / "cache" / "prod" / "stale.php").exists() and done["post_steps"]["cache_entries_removed"] >= 1
    assert done["post_steps"]["htaccess"] == "regenerated"
    assert done["php"]["ps_version"] == "8.1.5" and done["php"]["kernel"] == "booted AppKernel"
    journal = json.loads(Path(done["journal"]).read_text())
    assert journal["finished"] and journal["failure"] is None and Path(done["journal"]).name == "upgrade_db-8.1.5-8.1.7.json"

    after = checksums(shop)
    again = upgrade(shop, workspace, migrations)
    assert again["changed"] is False and again["migrations"] == [] and checksums(shop) == after


def test_a_migration_failing_half_way_leaves_ps_version_db_and_the_rerun_resumes_at_that_statement(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.5")
    migrations = build_migrations(tmp_path / "module", MIGRATION_VERSIONS)
    workspace = tmp_path / "ws"
    set_config(shop, "SHOPFLEET_FAIL_AT", "8.1.7")

    failed = upgrade(shop, workspace, migrations)
    assert failed.get("failed") is True
    assert "migration 8.1.7.sql" in failed["msg"] and "Synthetic failure requested for 8.1.7" in failed["msg"]
    assert "shopfleet_fail_when_asked('8.1.7')" in failed["failure"]["statement"]
    assert shop.config_value("PS_VERSION_DB") == "8.1.5"
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.7"

    set_config(shop, "SHOPFLEET_FAIL_AT", None)
    resumed = upgrade(shop, workspace, migrations)
    assert resumed["changed"] is True, resumed.get("msg")
    assert shop.config_value("PS_VERSION_DB") == "8.1.7"
    # Resumed AT the failed callback: 8.1.7's statements before it did not run twice.
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == CHAIN
    assert resumed["migrations"][0]["already_applied"] == resumed["migrations"][0]["statements"] - 1
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {shop.prefix}shopfleet_8_1_7")
        assert cursor.fetchone() == (1,)


def test_runs_from_an_archive_starting_at_8_1_3(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.3")
    migrations = build_migrations(tmp_path / "module", MIGRATION_VERSIONS)
    archive = tmp_path / "autoupgrade.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(migrations.parent, arcname="autoupgrade")

    done = upgrade(shop, tmp_path / "ws", archive)
    assert done["changed"] is True, done.get("msg")
    assert [entry["name"] for entry in done["migrations"]] == ["8.1.5", "8.1.7", "8.1.7-catchup"]
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.5," + CHAIN and shop.config_value("PS_VERSION_DB") == "8.1.7"


def test_bad_sources_fail_in_one_line_and_change_nothing(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.5")
    before = checksums(shop)
    missing = upgrade(shop, tmp_path / "ws", tmp_path / "nowhere")
    assert missing.get("failed") is True and missing["msg"] == f"the migrations {tmp_path / 'nowhere'} do not exist"
    assert "Traceback" not in missing.output
    assert checksums(shop) == before and not (tmp_path / "ws").exists()


def run_directly(args: dict[str, Any], workdir: Path) -> subprocess.Popen[bytes]:
    """The module as Ansible runs it (a Python process reading its arguments), without ansible-playbook's start-up."""
    args_file = workdir / f"args-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_PATH))
    return subprocess.Popen([sys.executable, str(MODULE), str(args_file)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def test_a_run_killed_during_a_callback_resumes_and_ends_like_an_uninterrupted_one(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.5")
    migrations = build_migrations(tmp_path / "module", ["8.1.7", "8.1.7-catchup"])
    flag = tmp_path / "paused"
    sql = migrations / "sql" / "8.1.7.sql"
    sql.write_text(sql.read_text().replace("/* PHP:shopfleet_fail_when_asked", f"/* PHP:shopfleet_test_pause('{flag}'); */;\n/* PHP:shopfleet_fail_when_asked"))
    (migrations / "php" / "shopfleet_test_pause.php").write_text(PAUSE_CALLBACK)
    args = {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "migrations": str(migrations), "target_version": "8.1.7",
            "language_packs": "skip"}

    process = run_directly(args, tmp_path)
    deadline = time.monotonic() + 60
    while not flag.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert flag.exists(), process.communicate()[0]
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    assert shop.config_value("PS_VERSION_DB") == "8.1.5" and shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.7"

    resumed = run_directly(args, tmp_path)
    output = json.loads(resumed.communicate(timeout=120)[0])
    assert output["changed"] is True and output["migrations"][0]["already_applied"] > 0, output
    assert shop.config_value("PS_VERSION_DB") == "8.1.7"
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == CHAIN, "the statements applied before the kill did not run again"
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {shop.prefix}shopfleet_8_1_7")
        assert cursor.fetchone() == (1,)
    assert orders_columns(shop) == ["shopfleet_8_1_7", "shopfleet_8_1_7_catchup"]
