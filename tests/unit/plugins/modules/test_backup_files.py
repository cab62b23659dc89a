# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""backup_files: its rules and choices, and a whole run on a small tree (Ansible runs are in tests/integration)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import read_component
from ansible_collections.shopfleet.prestashop.plugins.module_utils._filetree import FileTreeError, read_index
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace
from ansible_collections.shopfleet.prestashop.plugins.modules import backup_files

DEFAULT_PARAMS = {"default_excludes": True, "keep_images": True, "exclude": []}


def run(capsys: pytest.CaptureFixture, **args: Any) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        backup_files.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    files = {
        "src/Core/Version.php": "<?php\nfinal class Version\n{\n    public const VERSION = '8.1.5';\n",
        "admin42/index.php": "<?php", "admin42/functions.php": "<?php", "admin42/get-file-admin.php": "<?php",
        "admin42/autoupgrade/backup/old.zip": "zip", "app/config/parameters.php": "<?php return [];",
        "var/cache/prod/appParameters.php": "<?php", "img/p/1.jpg": "jpg", "img/tmp/t.jpg": "tmp", "classes/Cart.php": "<?php class Cart {}",
    }
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    return root


def test_default_rules_are_prestashops_with_the_real_admin_folder(tmp_path: Path) -> None:
    workspace = Workspace.for_shop(str(tmp_path / "shop"), str(tmp_path / "ws"))
    ruleset = backup_files.exclusion_rules(str(tmp_path / "shop"), "admin42", DEFAULT_PARAMS, workspace, workspace.backup_path("b"))
    assert [rule["rule"] for rule in ruleset.public()] == [
        "/app/cache", "/cache/smarty/compile", "/cache/smarty/cache", "/cache/tcpdf", "/cache/cachefs", "/var/cache",
        "/modules/autoupgrade", "/admin42/autoupgrade", "/img/tmp",
    ]


def test_user_rules_keep_images_and_folders_inside_the_shop_are_added(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / "private/backups").mkdir(parents=True)
    workspace = Workspace.for_shop(str(root), str(tmp_path / "ws"), str(root / "private/backups"))
    params = {"default_excludes": False, "keep_images": False, "exclude": ["**/.git", "/{admin}/export/*.csv"]}
    ruleset = backup_files.exclusion_rules(str(root), "admin42", params, workspace, workspace.backup_path("b"))
    assert ruleset.public() == [
        {"rule": "/img", "source": "keep_images=false"}, {"rule": "/**/.git", "source": "exclude"},
        {"rule": "/admin42/export/*.csv", "source": "exclude"}, {"rule": "/private/backups", "source": "backup folder inside the shop"},
    ]


def test_an_unknown_admin_folder_excludes_any_top_level_autoupgrade(tmp_path: Path) -> None:
    workspace = Workspace.for_shop(str(tmp_path), str(tmp_path / "ws"))
    ruleset = backup_files.exclusion_rules(str(tmp_path), None, DEFAULT_PARAMS, workspace, workspace.backup_path("b"))
    assert ruleset.match("adminXYZ/autoupgrade") is not None


@pytest.mark.parametrize("requested, level, zstd, expected", [
    ("auto", None, "/usr/bin/zstd", ("zstd", 1)), ("auto", None, None, ("gzip", 1)), ("gzip", 6, None, ("gzip", 6)),
    ("none", None, None, ("none", 0)), ("zstd", 19, "/usr/bin/zstd", ("zstd", 19)),
])
def test_compression_choice(requested: str, level: int | None, zstd: str | None, expected: tuple[str, int]) -> None:
    assert backup_files.choose_compression(requested, level, zstd) == expected


@pytest.mark.parametrize("requested, level, zstd, message", [
    ("zstd", None, None, "zstd program is not on this host"), ("gzip", 10, None, "out of range for gzip: 1 to 9"),
])
def test_impossible_compression_choices_are_refused(requested: str, level: int | None, zstd: str | None, message: str) -> None:
    with pytest.raises(FileTreeError, match=message):
        backup_files.choose_compression(requested, level, zstd)


def test_check_mode_estimates_and_writes_nothing(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), name="b1", _ansible_check_mode=True)
    assert result["changed"] is True and result["estimated"] is True and result["archive"] is None
    assert result["totals"]["files"] == 7 and result["totals"]["bytes"] > 0
    assert {item["path"] for item in result["excluded"]} == {"admin42/autoupgrade", "var/cache", "img/tmp"}
    assert not (tmp_path / "ws").exists()


def test_a_run_writes_a_complete_backup_and_the_rerun_changes_nothing(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), name="b1", compression="gzip")
    component = read_component(result["path"], "files")
    assert result["changed"] is True and component.complete, component.problems
    assert result["archive"]["file"] == "archive.tar.gz" and result["totals"]["files"] == 7
    entries = read_index(os.path.join(result["component_path"], "index.jsonl.gz"), component.manifest["index"]["sha256"])
    assert "app/config/parameters.php" in entries and "var/cache/prod/appParameters.php" not in entries
    assert {os.stat(os.path.join(result["component_path"], name)).st_mode & 0o777 for name in os.listdir(result["component_path"])} == {0o600}
    assert os.stat(result["component_path"]).st_mode & 0o777 == 0o700
    again = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), name="b1", compression="gzip")
    assert again["changed"] is False and again["archive"] == result["archive"]


def test_leftovers_of_a_killed_run_are_cleared_and_redone(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path) -> None:
    component = Path(Workspace.for_shop(str(shop), str(tmp_path / "ws")).backup_path("b1")) / "files"
    component.mkdir(parents=True)
    (component / "archive.tar.gz.part-1234abcd").write_bytes(b"half")
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), name="b1", compression="gzip")
    assert result["changed"] is True and read_component(result["path"], "files").complete
    assert sorted(os.listdir(component)) == ["archive.tar.gz", "index.jsonl.gz", "manifest.json"]


def test_a_backup_of_that_name_from_another_shop_is_not_taken_for_ours(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path) -> None:
    run(capsys, shop_root=str(shop), backup_dir=str(tmp_path / "shared"), name="b1", compression="none")
    other = tmp_path / "other"
    shutil.copytree(shop, other)
    result = run(capsys, shop_root=str(other), backup_dir=str(tmp_path / "shared"), name="b1", compression="none")
    assert result["failed"] is True and "was taken from" in result["msg"] and "choose another name" in result["msg"]


@pytest.mark.parametrize("args, message", [
    ({"exclude": ["../etc"]}, "invalid rule '../etc'"),
    ({"name": "../escape"}, "invalid name '../escape'"),
    ({"compression": "gzip", "compression_level": 12}, "compression_level 12 is out of range for gzip"),
])
def test_bad_options_fail_with_one_line(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path, args: dict[str, Any], message: str) -> None:
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), **args)
    assert result["failed"] is True and message in result["msg"] and "\n" not in result["msg"]
    assert not (tmp_path / "ws").exists()


def test_a_folder_that_is_not_a_shop_fails(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(tmp_path), workspace=str(tmp_path / "ws"))
    assert result["failed"] is True and "is not a PrestaShop root" in result["msg"]


def test_a_failed_backup_leaves_nothing_behind(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def refusing_open(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("Cart.php"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args, **kwargs)
    monkeypatch.setattr(os, "open", refusing_open)
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), name="b1", compression="gzip")
    assert result["failed"] is True
    assert result["msg"] == f"cannot read {shop}/classes/Cart.php: Permission denied (fix its permissions or exclude it)"
    assert not os.path.exists(Workspace.for_shop(str(shop), str(tmp_path / "ws")).backup_path("b1"))
