# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_check through Ansible: target, route and checklist (UpgradeNow), changing nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import run_module
from harness.release import build_release
from harness.shopdb import table_checksums

ALL_STEPS = ["UpgradeNow", "Download", "Unzip", "RemoveSamples", "BackupFiles", "BackupDb", "UpgradeFiles", "UpgradeDb", "UpgradeModules",
             "CleanDatabase", "UpgradeComplete"]


def release_list(tmp_path: Path, php_max: str = "8.4") -> str:
    """A local mirror of PrestaShop's release list."""
    def entry(version: str, stability: str = "stable") -> dict[str, Any]:
        return {"version": version, "stability": stability, "php_min_version": "7.2.5", "php_max_version": php_max,
                "zip_download_url": f"http://127.0.0.1:1/prestashop_{version}.zip", "xml_download_url": f"http://127.0.0.1:1/{version}.xml",
                "zip_md5": "0" * 32}
    path = tmp_path / f"releases-{php_max}.json"
    path.write_text(json.dumps([entry("8.1.5"), entry("8.1.6"), entry("8.1.7"), entry("8.2.0-beta.1", "beta"), entry("9.0.0")]))
    return str(path)


def check(shop: Any, tmp_path: Path, check_mode: bool = False, **options: Any) -> dict[str, Any]:
    options.setdefault("metadata_url", release_list(tmp_path))
    return run_module("upgrade_check", {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), **options}, check=check_mode)


def status(result: dict[str, Any], name: str) -> str:
    return next(entry["status"] for entry in result["checklist"] if entry["name"] == name)


def snapshot(shop: Any) -> tuple[dict[str, str], dict[str, Any]]:
    connection = shop.connect()
    try:
        return shop.file_checksums(), table_checksums(connection, shop.prefix)
    finally:
        connection.close()


def test_the_minor_channel_goes_to_the_newest_stable_release_of_the_branch_by_every_step(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    before = snapshot(shop)
    checked = check(shop, tmp_path, check_mode=True)
    result = check(shop, tmp_path)
    assert snapshot(shop) == before and not (tmp_path / "ws").exists()
    assert result["changed"] is False and not result.get("failed"), result.get("msg")
    assert checked["target_version"] == result["target_version"] == "8.1.7" and result["upgrade_needed"] is True
    assert result["route"] == ALL_STEPS and result["skipped_steps"] == []
    passed_over = {(r["version"], r["reason"].split(" (")[0]) for r in result["skipped_releases"]}
    assert passed_over >= {("8.2.0-beta.1", "not stable"), ("9.0.0", "another major branch than 8")}
    assert status(result, "version_match") == "ok" and status(result, "disk_space") == "ok" and status(result, "maintenance") == "warning"


def test_the_major_channel_crosses_branches(shop_factory: Any, tmp_path: Path) -> None:
    assert check(shop_factory("8.1.5"), tmp_path, channel="major")["target_version"] == "9.0.0"


def test_a_personal_archive_skips_download_and_its_php_range_comes_from_the_release(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    release = build_release(tmp_path / "release", "8.1.7")
    result = check(shop, tmp_path, channel="archive", archive=str(release.zip_path))
    assert result["target_version"] == "8.1.7" and result["route"] == ["UpgradeNow"] + ALL_STEPS[2:]
    # Synthetic 8.x releases declare PHP up to 8.1 but let their installer run up to 8.10.99, like the real ones.
    assert status(result, "php_version") in ("ok", "warning")


def test_an_unzipped_folder_skips_download_and_unzip(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    release = build_release(tmp_path / "release", "8.1.7")
    result = check(shop, tmp_path, channel="directory", release_dir=str(release.tree))
    assert result["route"] == ["UpgradeNow"] + ALL_STEPS[3:]


def test_backups_turned_off_in_the_upgrade_options_show_as_skipped_steps(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    run_module("upgrade_config", {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "backup": False})
    assert check(shop, tmp_path)["skipped_steps"] == ["BackupFiles", "BackupDb"]


def test_a_shop_already_at_the_newest_release_needs_no_upgrade_and_that_is_not_an_error(shop_factory: Any, tmp_path: Path) -> None:
    result = check(shop_factory("9.0.0"), tmp_path, channel="major")
    assert result.get("failed") is not True and result["upgrade_needed"] is False and result["route"] == []


def test_a_downgrade_is_refused(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    release = build_release(tmp_path / "release", "8.0.5")
    result = check(shop, tmp_path, channel="archive", archive=str(release.zip_path))
    assert result["failed"] is True and result["blocking"] == ["no_downgrade"]
    assert "older than the shop's 8.1.5" in result["msg"]


def test_a_database_behind_its_code_blocks_with_the_faqs_fix_and_can_be_waived(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.3")
    result = check(shop, tmp_path)
    assert result["failed"] is True and "version_match" in result["blocking"]
    assert "the code is 8.1.5 but PS_VERSION_DB is 8.1.3" in result["msg"]
    waived = check(shop, tmp_path, ignore_checks=["version_match"])
    assert waived.get("failed") is not True and status(waived, "version_match") == "blocking" and waived["blocking"] == []


def test_php_outside_the_targets_range_blocks(shop_factory: Any, tmp_path: Path) -> None:
    result = check(shop_factory("8.1.5"), tmp_path, metadata_url=release_list(tmp_path, php_max="7.4"), target_version="8.1.7")
    assert result["failed"] is True and "php_version" in result["blocking"]


def test_every_blocking_item_is_named_in_one_message(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", install_dir=True, ps_version_db="8.1.3", shop_names=["Main", "Outlet"])
    result = check(shop, tmp_path)
    assert result["failed"] is True and set(result["blocking"]) == {"version_match", "install_folder"}
    assert "version_match:" in result["msg"] and "install_folder:" in result["msg"]
    assert status(result, "multistore") == "warning"


@pytest.mark.parametrize("metadata", ["no-such-file.json", "http://127.0.0.1:9/releases.json"])
def test_an_unreachable_release_list_is_one_clear_error(shop_factory: Any, tmp_path: Path, metadata: str) -> None:
    result = check(shop_factory("8.1.5"), tmp_path, metadata_url=str(tmp_path / metadata) if "://" not in metadata else metadata)
    assert result["failed"] is True and "\n" not in result["msg"]
