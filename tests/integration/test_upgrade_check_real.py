# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_check against real PrestaShop release trees (PRESTASHOP_RELEASES): route, downgrade, PHP range."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import run_module
from harness.real_releases import pick_versions, release_tree, releases_source

SOURCE = releases_source()
SKIP_REASON = ("set PRESTASHOP_RELEASES to a clone of librasoft-fr/prestashop-versions (bare or not) or to a folder of extracted "
               "release trees to run")
pytestmark = [pytest.mark.real_releases, pytest.mark.skipif(SOURCE is None, reason=SKIP_REASON)]


def newest(branch: str) -> str:
    assert SOURCE is not None
    version = pick_versions(SOURCE, (branch,)).get(branch)
    if version is None:
        pytest.skip(f"no {branch}.x release in {SOURCE}")
    return version


def check(shop: Any, tmp_path: Path, version: str) -> dict[str, Any]:
    assert SOURCE is not None
    return run_module("upgrade_check", {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "channel": "directory",
                                        "release_dir": str(release_tree(SOURCE, version))})


def status(result: dict[str, Any], name: str) -> str:
    return next(entry["status"] for entry in result["checklist"] if entry["name"] == name)


def test_an_unzipped_real_release_is_the_target_and_the_route_skips_download_and_unzip(shop_factory: Any, tmp_path: Path) -> None:
    target = newest("8.2") if SOURCE and pick_versions(SOURCE, ("8.2",)) else newest("8.1")
    result = check(shop_factory("8.1.0"), tmp_path, target)
    assert not result.get("failed"), result.get("msg")
    assert result["target_version"] == target and result["route"][:3] == ["UpgradeNow", "RemoveSamples", "BackupFiles"]
    # Real 8.x releases declare PHP up to 8.1, and their installer accepts up to 8.10.99: a newer PHP is a warning.
    assert status(result, "php_version") in ("ok", "warning")


def test_a_real_older_release_is_a_refused_downgrade(shop_factory: Any, tmp_path: Path) -> None:
    result = check(shop_factory("8.1.5"), tmp_path, newest("8.0"))
    assert result["failed"] is True and "no_downgrade" in result["blocking"]


def test_php_outside_a_real_releases_range_blocks(shop_factory: Any, tmp_path: Path) -> None:
    host_php = subprocess.run(["php", "-r", "echo PHP_VERSION_ID;"], capture_output=True, text=True, check=True).stdout
    if int(host_php) <= 70499:
        pytest.skip("this host's PHP is inside the 1.7.8 range (up to 7.4)")
    result = check(shop_factory("1.7.8.0"), tmp_path, newest("1.7.8"))
    assert result["failed"] is True and "php_version" in result["blocking"], result.get("msg")
