# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_modules through Ansible: new module files, upgrade scripts that really run in PHP, custom modules
disabled and given back exactly."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import ensure_collection_link, run_module
from harness.httpserver import HttpServer
from harness.release import ModuleSpec, build_release_tree, module_files, write_files
from harness.shopdb import table_checksums

# Each test is several ansible-playbook runs plus PHP processes.
pytestmark = pytest.mark.slow

BROKEN = ModuleSpec("brokenmod", "1.1.0", db_version="1.0.0", native=False, upgrades=("1.0.5", "1.1.0"), author="Web agency")
FAILING_SCRIPT = "<?php\nfunction upgrade_module_1_1_0($module)\n{\n    echo 'cannot migrate';\n    return false;\n}\n"


@pytest.fixture(scope="module")
def release_817(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_release_tree(tmp_path_factory.mktemp("release") / "release", "8.1.7")


def upgrade(shop: Any, workspace: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("upgrade_modules", {"shop_root": str(shop.root), "workspace": str(workspace), **options}, check=check, diff=True)


def query(shop: Any, sql: str) -> list[tuple]:
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.close()


def versions(shop: Any) -> dict[str, str]:
    return dict(query(shop, f"SELECT name, version FROM {shop.prefix}module"))


def checksums(shop: Any) -> dict[str, Any]:
    connection = shop.connect()
    try:
        return table_checksums(connection, shop.prefix)
    finally:
        connection.close()


def by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in result["modules"]}


def test_release_modules_replaced_and_pending_scripts_run(shop_factory: Any, release_817: Path, tmp_path: Path) -> None:
    shop = shop_factory("8.0.5")
    files_before, tables_before = shop.file_checksums(), checksums(shop)

    predicted = upgrade(shop, tmp_path / "ws", check=True, release_dir=str(release_817))
    assert predicted["changed"] is True and not (tmp_path / "ws").exists()
    assert shop.file_checksums() == files_before and checksums(shop) == tables_before
    planned = by_name(predicted)
    assert planned["ps_linklist"]["status"] == "planned" and planned["ps_linklist"]["source"] == "release"
    assert (planned["ps_linklist"]["version_old"], planned["ps_linklist"]["version_new"]) == ("5.0.5", "6.0.7")
    assert planned["ps_linklist"]["scripts"] == ["6.0.0", "6.0.7"] and planned["ps_linklist"]["files"] > 0
    assert planned["mymodule"]["scripts"] == ["1.5.0"] and planned["mymodule"]["source"] is None
    assert "legacyblock" not in planned and predicted["diff"]["after"]["versions"]["mymodule"] == "1.5.0"

    done = upgrade(shop, tmp_path / "ws", release_dir=str(release_817))
    assert done["changed"] is True and done["failed_modules"] == []
    assert by_name(done)["ps_linklist"]["scripts_run"] == ["6.0.0", "6.0.7"] and by_name(done)["mymodule"]["scripts_run"] == ["1.5.0"]
    assert shop.config_value("SHOPFLEET_MODULE_MYMODULE_1_5_0") == "mymodule"
    assert shop.config_value("SHOPFLEET_MODULE_PS_LINKLIST_6_0_7") == "ps_linklist"
    assert versions(shop)["mymodule"] == "1.5.0" and versions(shop)["ps_linklist"] == "6.0.7"
    assert (shop.root / "modules/ps_linklist/config.xml").read_bytes() == (release_817 / "modules/ps_linklist/config.xml").read_bytes()
    assert (shop.root / "modules/ps_linklist/upgrade/upgrade-6.0.7.php").is_file()

    files_after, tables_after = shop.file_checksums(), checksums(shop)
    again = upgrade(shop, tmp_path / "ws", release_dir=str(release_817))
    assert again["changed"] is False and again["upgraded"] == []
    assert shop.file_checksums() == files_after and checksums(shop) == tables_after


def test_a_failing_script_fails_its_module_only_and_a_fixed_rerun_resumes(shop_factory: Any, release_817: Path, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", extra_modules=[BROKEN])
    (shop.root / "modules/brokenmod/upgrade/upgrade-1.1.0.php").write_text(FAILING_SCRIPT)
    shop_rows = query(shop, f"SELECT ms.* FROM {shop.prefix}module_shop ms JOIN {shop.prefix}module m USING (id_module) WHERE m.name = 'brokenmod'")

    failed = upgrade(shop, tmp_path / "ws", release_dir=str(release_817))
    assert failed["failed_modules"] == ["brokenmod"] and "mymodule" in failed["upgraded"]
    assert "brokenmod" in failed["msg"] and "returned false" in failed["msg"]
    row = by_name(failed)["brokenmod"]
    assert row["status"] == "failed" and row["scripts_run"] == ["1.0.5"] and "cannot migrate" in row["output"]
    # The version of the script that succeeded is recorded; the module is disabled with its rows saved.
    assert versions(shop)["brokenmod"] == "1.0.5" and failed["disabled"] == ["brokenmod"]
    assert query(shop, f"SELECT active FROM {shop.prefix}module WHERE name = 'brokenmod'") == [(0,)]
    assert Path(failed["snapshot"]).is_file() and stat.S_IMODE(os.stat(failed["snapshot"]).st_mode) == 0o600

    module_files_fixed = module_files(BROKEN)
    write_files(shop.root, {"modules/brokenmod/upgrade/upgrade-1.1.0.php": module_files_fixed["modules/brokenmod/upgrade/upgrade-1.1.0.php"]})
    fixed = upgrade(shop, tmp_path / "ws", release_dir=str(release_817), reenable=True)
    assert fixed["failed_modules"] == [] and fixed["reenabled"] == ["brokenmod"] and fixed["snapshot"] is None
    assert by_name(fixed)["brokenmod"]["scripts_run"] == ["1.1.0"] and versions(shop)["brokenmod"] == "1.1.0"
    assert query(shop, f"SELECT ms.* FROM {shop.prefix}module_shop ms JOIN {shop.prefix}module m USING (id_module) WHERE m.name = 'brokenmod'") == shop_rows
    assert upgrade(shop, tmp_path / "ws", release_dir=str(release_817), reenable=True)["changed"] is False


def test_custom_modules_disabled_then_given_back_exactly(shop_factory: Any, release_817: Path, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", shop_names=["Main", "Second"], extra_modules=[ModuleSpec("agencyslider", "2.0.0", native=False, upgrades=())])
    module_shop_before = query(shop, f"SELECT * FROM {shop.prefix}module_shop ORDER BY id_module, id_shop")
    active_before = query(shop, f"SELECT name, active FROM {shop.prefix}module ORDER BY name")
    tables_before = checksums(shop)

    predicted = upgrade(shop, tmp_path / "ws", check=True, release_dir=str(release_817), disable_custom_modules=True)
    assert predicted["disabled"] == ["agencyslider", "mymodule"] and predicted["snapshot"] is not None
    assert checksums(shop) == tables_before and not (tmp_path / "ws").exists()

    disabled = upgrade(shop, tmp_path / "ws", release_dir=str(release_817), disable_custom_modules=True)
    assert disabled["disabled"] == ["agencyslider", "mymodule"]
    assert query(shop, f"SELECT name, active FROM {shop.prefix}module WHERE name IN ('agencyslider', 'mymodule', 'legacyblock') ORDER BY name") \
        == [("agencyslider", 0), ("legacyblock", 0), ("mymodule", 0)]
    assert query(shop, f"SELECT COUNT(*) FROM {shop.prefix}module_shop ms JOIN {shop.prefix}module m USING (id_module) "
                       "WHERE m.name IN ('agencyslider', 'mymodule')") == [(0,)]
    assert versions(shop)["mymodule"] == "1.5.0"
    assert upgrade(shop, tmp_path / "ws", release_dir=str(release_817), disable_custom_modules=True)["changed"] is False

    predicted_back = upgrade(shop, tmp_path / "ws", check=True, reenable=True)
    assert predicted_back["reenabled"] == ["agencyslider", "mymodule"] and Path(disabled["snapshot"]).exists()
    back = upgrade(shop, tmp_path / "ws", reenable=True)
    assert back["reenabled"] == ["agencyslider", "mymodule"] and back["snapshot"] is None
    assert query(shop, f"SELECT * FROM {shop.prefix}module_shop ORDER BY id_module, id_shop") == module_shop_before
    assert query(shop, f"SELECT name, active FROM {shop.prefix}module ORDER BY name") == active_before
    assert upgrade(shop, tmp_path / "ws", reenable=True)["changed"] is False


def test_zip_and_url_sources_bring_newer_versions_and_hostile_zips_are_refused(shop_factory: Any, release_817: Path, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    zips = tmp_path / "zips"
    zips.mkdir()
    newer = ModuleSpec("mymodule", "1.6.0", native=False, upgrades=("1.5.0", "1.6.0"))
    with zipfile.ZipFile(zips / "mymodule.zip", "w") as archive:
        for relative, content in module_files(newer).items():
            archive.writestr(relative[len("modules/"):], content)

    done = upgrade(shop, tmp_path / "ws", release_dir=str(release_817), module_source=str(zips))
    row = by_name(done)["mymodule"]
    assert row["source"] == "zip:mymodule.zip" and row["scripts_run"] == ["1.5.0", "1.6.0"] and versions(shop)["mymodule"] == "1.6.0"
    assert shop.config_value("SHOPFLEET_MODULE_MYMODULE_1_6_0") == "mymodule"

    served = tmp_path / "served"
    served.mkdir()
    with zipfile.ZipFile(served / "mymodule-1.7.0.zip", "w") as archive:
        for relative, content in module_files(ModuleSpec("mymodule", "1.7.0", native=False, upgrades=("1.7.0",))).items():
            archive.writestr(relative[len("modules/"):], content)
    with HttpServer(served) as server:
        from_url = upgrade(shop, tmp_path / "ws", check=True, module_urls={"mymodule": server.url("mymodule-1.7.0.zip")})
    row = by_name(from_url)["mymodule"]
    assert row["source"].startswith("url:") and (row["version_old"], row["version_new"], row["scripts"]) == ("1.6.0", "1.7.0", ["1.7.0"])

    with zipfile.ZipFile(zips / "evil.zip", "w") as archive:
        archive.writestr("evil/../../escape.php", "<?php\n")
    refused = upgrade(shop, tmp_path / "ws", release_dir=str(release_817), module_source=str(zips))
    assert refused["failed"] is True and "evil.zip: unsafe path" in refused["msg"]

    denied = upgrade(shop, tmp_path / "ws", release_dir=str(release_817), db_password="Not-The-Password-42")
    assert denied["failed"] is True and denied["msg"].startswith("Access denied to database") and "Not-The-Password-42" not in denied.output + str(dict(denied))


SLOW = ModuleSpec("slowmod", "1.2.0", db_version="1.0.0", native=False, upgrades=("1.1.0", "1.2.0"), author="Web agency")
# Stalls while the test's flag is set, so the test can kill the run between two scripts.
STALLING_SCRIPT = ("<?php\nfunction upgrade_module_1_2_0($module)\n{\n"
                   "    $flag = 'SELECT value FROM ' . _DB_PREFIX_ . 'configuration WHERE name = \\'SHOPFLEET_TEST_STALL\\'';\n"
                   "    while (Db::getInstance()->getValue($flag, false) === '1') {\n        sleep(1);\n    }\n\n"
                   "    return Configuration::updateValue('SHOPFLEET_SLOWMOD_1_2_0', 'done');\n}\n")


def start_module_process(shop: Any, workspace: Path, tmp_path: Path, **options: Any) -> subprocess.Popen:
    """The module run as Ansible runs it on a host (arguments in a 0600 file), in its own process group."""
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {"shop_root": str(shop.root), "workspace": str(workspace), **options}}))
    args_file.chmod(0o600)
    env = {**os.environ, "PYTHONPATH": str(ensure_collection_link())}
    return subprocess.Popen([sys.executable, "-m", "ansible_collections.shopfleet.prestashop.plugins.modules.upgrade_modules", str(args_file)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_a_run_killed_between_two_scripts_resumes_after_the_last_one_that_succeeded(shop_factory: Any, release_817: Path, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", extra_modules=[SLOW])
    (shop.root / "modules/slowmod/upgrade/upgrade-1.2.0.php").write_text(STALLING_SCRIPT)
    query(shop, f"INSERT INTO {shop.prefix}configuration (name, value, date_add, date_upd) VALUES ('SHOPFLEET_TEST_STALL', '1', NOW(), NOW())")

    process = start_module_process(shop, tmp_path / "ws", tmp_path, modules=["slowmod"])
    try:
        deadline = time.monotonic() + 60
        while versions(shop)["slowmod"] != "1.1.0" and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.2)
        time.sleep(0.5)
        # Still running: stalled inside upgrade-1.2.0.php, after 1.1.0 was recorded.
        assert process.poll() is None and versions(shop)["slowmod"] == "1.1.0", process.communicate()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()

    query(shop, f"UPDATE {shop.prefix}configuration SET value = '0' WHERE name = 'SHOPFLEET_TEST_STALL'")
    resumed = upgrade(shop, tmp_path / "ws", release_dir=str(release_817), modules=["slowmod"])
    assert by_name(resumed)["slowmod"]["scripts"] == ["1.2.0"] and by_name(resumed)["slowmod"]["scripts_run"] == ["1.2.0"]
    assert versions(shop)["slowmod"] == "1.2.0" and shop.config_value("SHOPFLEET_SLOWMOD_1_2_0") == "done"
