# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    BACKUP_NAME_PATTERN,
    AtomicFile,
    Workspace,
    WorkspaceError,
    check_name,
    ensure_private_dir,
    is_inside,
    new_backup_name,
    read_json,
    remove_partials,
    shop_slug,
    write_json,
)


def test_each_shop_gets_its_own_readable_and_unique_folder(tmp_path: Path) -> None:
    first = Workspace.for_shop("/var/www/shop", workspace=str(tmp_path))
    second = Workspace.for_shop("/var/www/shop-2", workspace=str(tmp_path))
    assert first.root != second.root and first.root.startswith(str(tmp_path) + "/var-www-shop-")
    assert first.backups == os.path.join(first.root, "backups")
    assert shop_slug("/var/www/shop/") == shop_slug("/var/www/shop")


def test_backup_dir_replaces_only_the_backups_folder(tmp_path: Path) -> None:
    workspace = Workspace.for_shop("/var/www/shop", workspace=str(tmp_path / "ws"), backup_dir=str(tmp_path / "elsewhere"))
    assert workspace.backups == str(tmp_path / "elsewhere") and workspace.journals.startswith(str(tmp_path / "ws"))


def test_default_backup_names_follow_prestashops_pattern() -> None:
    name = new_backup_name("8.1.5", datetime.datetime(2026, 11, 21, 12, 44, 0))
    match = BACKUP_NAME_PATTERN.match(name)
    assert match and match.group("version") == "8.1.5" and match.group("date") == "20261121-124400"


@pytest.mark.parametrize("name", ["../etc", "a/b", "", ".hidden", "x" * 200, "back up"])
def test_names_that_are_not_one_safe_path_component_are_refused(name: str) -> None:
    with pytest.raises(WorkspaceError):
        check_name(name)


def test_private_folders_are_0700_parents_included(tmp_path: Path) -> None:
    assert ensure_private_dir(str(tmp_path / "a" / "b")) is True
    assert ensure_private_dir(str(tmp_path / "a" / "b")) is False
    assert stat.S_IMODE(os.stat(tmp_path / "a").st_mode) == 0o700 == stat.S_IMODE(os.stat(tmp_path / "a" / "b").st_mode)


def test_an_atomic_file_appears_only_when_complete_and_is_0600(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    with pytest.raises(RuntimeError):
        with AtomicFile(str(target)) as handle:
            handle.write(b"half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    write_json(str(target), {"b": 1, "a": "é"})
    assert read_json(str(target)) == {"a": "é", "b": 1}
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_leftovers_of_interrupted_writes_are_cleared(tmp_path: Path) -> None:
    (tmp_path / "archive.tar.zst.part-1a2b3c4d").write_bytes(b"x")
    (tmp_path / "db.part-00ff00ff").mkdir()
    (tmp_path / "manifest.json").write_text("{}")
    assert len(remove_partials(str(tmp_path))) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_is_inside_resolves_symlinks(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "shop")
    assert is_inside(str(tmp_path / "link" / "img"), str(tmp_path / "shop"))
    assert not is_inside(str(tmp_path / "shop-2"), str(tmp_path / "shop"))
