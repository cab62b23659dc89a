# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_config through Ansible: the UpdateConfig step, and the official module's JSON in and out."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from harness.ansible import run_module


def configure(shop: Any, workspace: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("upgrade_config", {"shop_root": str(shop.root), "workspace": str(workspace), **options}, check=check, diff=True)


def test_stores_options_once_and_reports_only_the_keys_that_change(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    workspace = tmp_path / "ws"
    predicted = configure(shop, workspace, check=True, channel="major", keep_mails=True)
    assert predicted["changed"] is True and not workspace.exists()
    first = configure(shop, workspace, channel="major", keep_mails=True)
    assert first["changed_keys"] == ["channel", "keep_mails"] and first["config"]["backup"] is True
    assert stat.S_IMODE(os.stat(first["path"]).st_mode) == 0o600
    assert configure(shop, workspace, channel="major")["changed"] is False

    second = configure(shop, workspace, disable_overrides=True)
    assert second["changed_keys"] == ["disable_overrides"]
    assert second["config"]["channel"] == "major" and second["config"]["keep_mails"] is True, "options not given keep their stored value"


def test_an_archive_channel_without_its_archive_is_refused(shop_factory: Any, tmp_path: Path) -> None:
    result = configure(shop_factory("8.1.5"), tmp_path / "ws", channel="archive")
    assert result["failed"] is True and result["msg"] == "channel archive needs archive (the release zip on the host)"


def test_imports_the_official_modules_json_and_exports_it_back(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    official = {"channel": "local", "archive_zip": "prestashop_8.2.1.zip", "archive_xml": "prestashop_8.2.1.xml",
                "PS_AUTOUP_CUSTOM_MOD_DESACT": "1", "PS_AUTOUP_KEEP_MAILS": 0, "PS_AUTOUP_BACKUP": True,
                "PS_DISABLE_OVERRIDES": "false", "PS_AUTOUP_PERFORMANCE": 3, "something_else": 1}
    (tmp_path / "official.json").write_text(json.dumps(official))
    result = configure(shop, tmp_path / "ws", import_from=str(tmp_path / "official.json"), export_to=str(tmp_path / "back.json"))
    download = shop.root / shop.admin_dir / "autoupgrade" / "download"
    assert result["config"]["channel"] == "archive" and result["config"]["archive"] == str(download / "prestashop_8.2.1.zip")
    assert result["config"]["disable_custom_modules"] is True and result["config"]["disable_overrides"] is False
    assert any("something_else" in warning for warning in result.get("warnings", []))
    exported = json.loads((tmp_path / "back.json").read_text())
    assert exported["channel"] == "local" and exported["PS_AUTOUP_CUSTOM_MOD_DESACT"] == 1 and exported["archive_zip"].endswith("prestashop_8.2.1.zip")
    rerun = configure(shop, tmp_path / "ws", import_from=str(tmp_path / "official.json"), export_to=str(tmp_path / "back.json"))
    assert rerun["changed"] is False


def test_an_unreadable_import_is_one_clear_error(shop_factory: Any, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{not json")
    result = configure(shop_factory("8.1.5"), tmp_path / "ws", import_from=str(tmp_path / "broken.json"))
    assert result["failed"] is True and result["msg"].startswith(f"cannot read {tmp_path / 'broken.json'}: ")


def test_the_run_under_way_is_recorded_once_and_upgrade_check_sees_it(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    run = {"target_version": "8.1.7", "from_version": "8.1.5", "backup_name": "V8.1.5_20261121-101010-0a1b2c3d", "started": "2026-11-21T10:10:10Z"}
    predicted = configure(shop, tmp_path / "ws", check=True, run=run)
    assert predicted["changed"] is True and not Path(predicted["run_path"]).exists()

    recorded = configure(shop, tmp_path / "ws", run=run)
    assert recorded["changed"] is True and json.loads(Path(recorded["run_path"]).read_text()) == run
    assert stat.S_IMODE(os.stat(recorded["run_path"]).st_mode) == 0o600
    assert configure(shop, tmp_path / "ws", run=run)["changed"] is False
    release_list = tmp_path / "releases.json"
    release_list.write_text(json.dumps([{"version": "8.1.7", "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.3",
                                         "zip_download_url": "https://mirror.invalid/prestashop_8.1.7.zip", "zip_md5": "0" * 32}]))
    seen = run_module("upgrade_check", {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "channel": "minor",
                                        "metadata_url": str(release_list), "fail_on_blocking": False})
    assert seen.get("unfinished_run") == run, seen.get("msg")
