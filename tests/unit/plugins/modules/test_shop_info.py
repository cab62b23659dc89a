# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shop_info's plumbing on a file tree alone; the database side runs against real MariaDB in tests/integration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.shopfleet.prestashop.plugins.modules import shop_info


def run(capsys: pytest.CaptureFixture, **args: Any) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        shop_info.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def release_tree(tmp_path: Path) -> Path:
    (tmp_path / "src/Core").mkdir(parents=True)
    (tmp_path / "src/Core/Version.php").write_text("<?php\nfinal class Version\n{\n    public const VERSION = '8.2.1';\n")
    (tmp_path / "admin/themes/new-theme").mkdir(parents=True)
    for name in ("index.php", "functions.php", "get-file-admin.php"):
        (tmp_path / "admin" / name).write_text("<?php")
    (tmp_path / "install").mkdir()
    return tmp_path


def test_describes_a_tree_without_its_database(capsys: pytest.CaptureFixture, release_tree: Path) -> None:
    result = run(capsys, shop_root=str(release_tree), gather_database=False)
    assert result["changed"] is False
    assert (result["version"], result["version_source"]) == ("8.2.1", "src/Core/Version.php")
    assert (result["admin_dir"], result["install_dir"]) == ("admin", "install")
    assert result["version_matches"] is None and "db_version" not in result
    assert result["disk"]["free_bytes"] > 0


def test_check_mode_reports_the_same_facts(capsys: pytest.CaptureFixture, release_tree: Path) -> None:
    normal = run(capsys, shop_root=str(release_tree), gather_database=False)
    checked = run(capsys, shop_root=str(release_tree), gather_database=False, _ansible_check_mode=True)
    assert {key: checked[key] for key in ("version", "admin_dir", "changed")} == {key: normal[key] for key in ("version", "admin_dir", "changed")}


def test_a_missing_php_binary_is_reported_as_none(capsys: pytest.CaptureFixture, release_tree: Path) -> None:
    assert run(capsys, shop_root=str(release_tree), gather_database=False, php_executable="no-such-php")["php"] is None


def test_a_folder_that_is_not_a_shop_fails_with_one_line(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(tmp_path))
    assert result["failed"] is True
    assert result["msg"] == f"{tmp_path} is not a PrestaShop root: none of config/settings.inc.php, app/AppKernel.php, src/Core/Version.php declares a version"


def test_a_shop_without_parameters_fails_when_the_database_is_wanted(capsys: pytest.CaptureFixture, release_tree: Path) -> None:
    result = run(capsys, shop_root=str(release_tree))
    assert result["failed"] is True and result["msg"].startswith("no database parameters in ")
