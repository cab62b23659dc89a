# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/upgrade.yml end to end on synthetic shops: check mode changes nothing, the real run reaches the target,
the rerun changes nothing, a failed step is rolled back, and the fleet summary says so."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from harness.ansible import REPO_ROOT, run_module, run_playbook
from harness.httpserver import HttpServer
from harness.release import build_migrations, build_release
from harness.served import add_catalogue, free_port, php_server
from harness.shopdb import table_checksums

FROM, TO = "8.1.5", "8.1.7"


@pytest.fixture(scope="module")
def release_material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("release")
    release = build_release(folder, TO)
    migrations = build_migrations(folder / "upgrade")
    return {"zip": release.zip_path, "tree": release.tree, "migrations": migrations}


def inventory(tmp_path: Path, shops: dict[str, Any]) -> Path:
    path = tmp_path / "inventory.json"
    hosts = {name: {"prestashop_root": str(shop.root), "ansible_connection": "local", "ansible_python_interpreter": sys.executable}
             for name, shop in shops.items()}
    path.write_text(json.dumps({"prestashop": {"hosts": hosts}}))
    return path


def upgrade(tmp_path: Path, shops: dict[str, Any], material: dict[str, Path], *, check: bool = False, **role_vars: Any) -> Any:
    extra = tmp_path / "upgrade-vars.json"
    extra.write_text(json.dumps({"upgrade_target_version": TO, "upgrade_archive": str(material["zip"]),
                                 "upgrade_migrations_src": str(material["migrations"]), "upgrade_workspace": str(tmp_path / "ws"),
                                 "upgrade_report_dir": str(tmp_path / "reports"), "upgrade_health_check": False,
                                 "upgrade_language_packs": "skip", **role_vars}))
    return run_playbook(REPO_ROOT / "playbooks" / "upgrade.yml", inventory=inventory(tmp_path, shops), extra_vars_file=extra,
                        workdir=tmp_path, check=check, diff=check)


def state(shop: Any) -> tuple[dict[str, str], dict[str, Any]]:
    connection = shop.connect()
    try:
        return shop.file_checksums(), table_checksums(connection, shop.prefix)
    finally:
        connection.close()


def summary(tmp_path: Path) -> dict[str, dict[str, Any]]:
    document = json.loads((tmp_path / "reports" / "upgrade-latest.json").read_text())
    return {row["shop"]: row for row in document["shops"]}


def without_cache(files: dict[str, str]) -> dict[str, str]:
    return {path: digest for path, digest in files.items() if not path.startswith("var/cache/")}


def recap_changed(stdout: str) -> dict[str, int]:
    return {line.split()[0]: int(line.split("changed=")[1].split()[0]) for line in stdout.splitlines() if " changed=" in line and " ok=" in line}


def test_check_mode_plans_and_changes_nothing_then_the_upgrade_runs_once(
        shop_factory: Callable[..., Any], release_material: dict[str, Path], tmp_path: Path) -> None:
    shop = shop_factory(FROM)
    before = state(shop)

    planned = upgrade(tmp_path, {"paris": shop}, release_material, check=True)
    assert planned.returncode == 0, planned.stdout[-4000:]
    assert state(shop) == before
    row = summary(tmp_path)["paris"]
    assert row["result"] == "planned" and row["from"] == FROM and row["to"] == TO
    assert row["plan"]["sql_files"] > 0 and row["plan"]["files"]["update"] > 0
    assert "PS_VERSION_DB" in planned.stdout  # the diff of UpgradeDb

    done = upgrade(tmp_path, {"paris": shop}, release_material)
    assert done.returncode == 0, done.stdout[-4000:]
    row = summary(tmp_path)["paris"]
    assert row["result"] in ("success", "success_with_warnings"), row
    assert row["backup"] and (tmp_path / "ws").rglob(f"{row['backup']}/files/manifest.json")
    info = run_module("shop_info", {"shop_root": str(shop.root)})
    assert (info["version"], info["db_version"]) == (TO, TO)
    assert not list((tmp_path / "ws").rglob("upgrade-run.json"))

    again = upgrade(tmp_path, {"paris": shop}, release_material)
    assert again.returncode == 0, again.stdout[-4000:]
    assert recap_changed(again.stdout) == {"paris": 0}
    assert summary(tmp_path)["paris"]["result"] == "up_to_date"


def test_a_failed_step_is_rolled_back_and_the_host_fails(shop_factory: Callable[..., Any], release_material: dict[str, Path], tmp_path: Path) -> None:
    shop = shop_factory(FROM)
    shop.fail_migration_at(TO)
    before = state(shop)

    failed = upgrade(tmp_path, {"lyon": shop}, release_material)
    assert failed.returncode != 0
    row = summary(tmp_path)["lyon"]
    assert row["result"] == "failed_rolled_back" and row["failed_step"] == "UpgradeDb", row
    assert TO in row["error"] and "next run resumes" not in row["error"]  # the restore made that hint stale
    files, tables = state(shop)
    assert without_cache(files) == without_cache(before[0]) and tables == before[1]
    assert "UpgradeDb failed" in failed.stdout and "Rolled back to backup" in failed.stdout
    # The database is the backup's again: the next run must run every migration statement, not resume mid-file.
    assert not list((tmp_path / "ws").rglob("upgrade_db-*.json"))
    fetched = list((tmp_path / "reports" / "logs" / "lyon").iterdir())
    assert any(path.suffix == ".txt" for path in fetched), fetched
    step_log = next(path for path in fetched if path.name.endswith("-upgrade_db.log")).read_text()
    assert step_log.startswith("upgrade_db: FAILED") and TO in step_log
    report = json.loads(next(path for path in fetched if path.suffix == ".json").read_text())
    assert report["status"] == "failed" and report["steps"]["upgrade_db"]["status"] == "failed"

    shop.fail_migration_at(None)
    fixed = upgrade(tmp_path, {"lyon": shop}, release_material)
    assert fixed.returncode == 0, fixed.stdout[-4000:]
    assert summary(tmp_path)["lyon"]["result"] in ("success", "success_with_warnings")


def test_a_page_the_upgrade_broke_fails_the_shop_and_it_is_rolled_back(
        shop_factory: Callable[..., Any], release_material: dict[str, Path], tmp_path: Path) -> None:
    shop = shop_factory(FROM, admin_dir="admin417qwzkeprxhtyvm")
    port = free_port()
    add_catalogue(shop, port)
    broken_release = tmp_path / "broken-release"
    shutil.copytree(release_material["tree"], broken_release)
    index = broken_release / "index.php"
    index.write_text(index.read_text().replace("<?php", "<?php\nshopfleet_function_removed_by_the_upgrade();", 1))

    with php_server(shop.root, port, display_errors=True):
        before = state(shop)
        failed = upgrade(tmp_path, {"nantes": shop}, release_material, upgrade_archive="", upgrade_release_dir=str(broken_release),
                         upgrade_health_check=True)
        assert failed.returncode != 0
        row = summary(tmp_path)["nantes"]
        assert (row["result"], row["failed_step"]) == ("failed_rolled_back", "Health"), row
        assert "home: was fine, now broken: php_error" in row["error"]
        files, tables = state(shop)
        assert without_cache(files) == without_cache(before[0]) and tables == before[1]

        healthy = upgrade(tmp_path, {"nantes": shop}, release_material, upgrade_health_check=True)
        assert healthy.returncode == 0, healthy.stdout[-4000:]
        report = json.loads(Path(summary(tmp_path)["nantes"]["report"]).read_text())
        health = report["steps"]["health"]
        assert (health["status"], health["details"]["broken"], health["details"]["regressions"]) == ("unchanged", 0, 0), health


@pytest.mark.parametrize("download_on", ["controller", "host"])
def test_the_channel_route_downloads_the_release_where_asked(download_on: str, shop_factory: Callable[..., Any],
                                                             release_material: dict[str, Path], tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(release_material["zip"], mirror / f"prestashop_{TO}.zip")
    zip_bytes = (mirror / f"prestashop_{TO}.zip").read_bytes()
    shops = {"paris": shop_factory(FROM), "lyon": shop_factory(FROM)}
    with HttpServer(mirror) as server:
        (mirror / "releases.json").write_text(json.dumps([{
            "version": TO, "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.3",
            "zip_download_url": server.url(f"prestashop_{TO}.zip"), "zip_md5": hashlib.md5(zip_bytes).hexdigest()}]))
        done = upgrade(tmp_path, shops, release_material, upgrade_archive="", upgrade_channel="minor", upgrade_download_on=download_on,
                       upgrade_metadata_url=server.url("releases.json"), upgrade_controller_cache=str(tmp_path / "controller-cache"),
                       upgrade_batch=["100%"])
        downloads = server.gets(f"prestashop_{TO}.zip")
    assert done.returncode == 0, done.stdout[-4000:]
    assert sorted(summary(tmp_path)) == ["lyon", "paris"] and all(row["result"].startswith("success") for row in summary(tmp_path).values())
    copies = sorted((tmp_path / "ws").rglob(f"releases/{TO}/prestashop_{TO}.zip"))
    assert all(copy.read_bytes() == zip_bytes for copy in copies)
    if download_on == "controller":
        # Once on the controller; both shops are on one machine: one copy, in the workspace root, shared by their unzip steps.
        assert len(downloads) == 1 and copies == [tmp_path / "ws" / "releases" / TO / f"prestashop_{TO}.zip"]
    else:
        # Each host downloads into its shop's own workspace.
        assert len(downloads) == 2 and len(copies) == 2 and all(copy.parents[2] != tmp_path / "ws" for copy in copies)


def test_a_run_stopped_on_error_resumes_with_its_own_backup_once_the_cause_is_fixed(
        shop_factory: Callable[..., Any], release_material: dict[str, Path], tmp_path: Path) -> None:
    shop = shop_factory(FROM)
    shop.fail_migration_at(TO)

    stopped = upgrade(tmp_path, {"rennes": shop}, release_material, upgrade_on_error="stop")
    assert stopped.returncode != 0
    row = summary(tmp_path)["rennes"]
    assert (row["result"], row["failed_step"]) == ("failed", "UpgradeDb") and row["rollback_error"] is None
    records = list((tmp_path / "ws").rglob("upgrade-run.json"))
    assert len(records) == 1 and json.loads(records[0].read_text())["backup_name"] == row["backup"]
    backups_before = sorted(path.name for path in records[0].parent.joinpath("backups").iterdir())

    shop.fail_migration_at(None)
    resumed = upgrade(tmp_path, {"rennes": shop}, release_material)
    assert resumed.returncode == 0, resumed.stdout[-4000:]
    row_after = summary(tmp_path)["rennes"]
    assert row_after["result"].startswith("success") and row_after["backup"] == row["backup"] and row_after["from"] == FROM
    assert sorted(path.name for path in records[0].parent.joinpath("backups").iterdir()) == backups_before
    assert not records[0].exists()
    info = run_module("shop_info", {"shop_root": str(shop.root)})
    assert (info["version"], info["db_version"]) == (TO, TO)
