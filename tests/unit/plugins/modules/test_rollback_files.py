# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollback_files: the restore plan as plain data, and a whole backup → change → rollback on a small tree."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.shopfleet.prestashop.plugins.module_utils._filetree import (
    FileTreeError,
    IndexEntry,
    Node,
    Rule,
    RuleSet,
    Skipped,
)
from ansible_collections.shopfleet.prestashop.plugins.modules import backup_files, rollback_files
from ansible_collections.shopfleet.prestashop.plugins.modules.rollback_files import plan_restore

MTIME = 1_700_000_000_000_000_000
SHA = "a" * 64


def entry(path: str, kind: str = "file", size: int = 10, mode: int = 0o644, mtime: int = MTIME, sha256: str = SHA, target: str | None = None) -> IndexEntry:
    return IndexEntry(path, kind, size if kind == "file" else 0, mode, mtime, 33, 33, sha256 if kind == "file" else None, target)


def node(path: str, kind: str = "file", size: int = 10, mode: int = 0o644, mtime: int = MTIME, target: str | None = None, uid: int = 33) -> Node:
    type_bits = {"file": stat.S_IFREG, "dir": stat.S_IFDIR, "link": stat.S_IFLNK}[kind]
    info = SimpleNamespace(st_mode=type_bits | mode, st_size=size, st_mtime_ns=mtime, st_uid=uid, st_gid=33)
    return Node(path, kind, info, target)  # type: ignore[arg-type]


def index_of(*entries: IndexEntry) -> dict[str, IndexEntry]:
    return {item.path: item for item in entries}


def plan(index: dict[str, IndexEntry], current: list[Node | Skipped], same: bool = True, **options: Any) -> rollback_files.RestorePlan:
    asked = []

    def same_content(path: str, _entry: IndexEntry) -> bool:
        asked.append(path)
        return same
    options.setdefault("owners", True)
    result = plan_restore(index, current, protect=options.pop("protect", RuleSet()), same_content=same_content, **options)
    result.asked = asked  # type: ignore[attr-defined]
    return result


TREE = index_of(entry("app", "dir", mode=0o755), entry("app/a.php"), entry("app/b.php"), entry("l", "link", target="app/a.php"))
CURRENT = [node("app", "dir", mode=0o755), node("app/a.php"), node("app/b.php"), node("l", "link", target="app/a.php")]


def test_an_identical_tree_gives_an_empty_plan_without_reading_any_file() -> None:
    result = plan(TREE, CURRENT)
    assert not result.changes() and result.asked == []
    assert result.counts() == {"files": 0, "links": 0, "dirs": 0, "deleted": 0, "metadata": 0, "kept": 0, "checked": 4}


def test_a_file_of_another_size_is_rewritten_without_hashing() -> None:
    result = plan(TREE, [CURRENT[0], node("app/a.php", size=11), CURRENT[2], CURRENT[3]])
    assert [item.path for item in result.write] == ["app/a.php"] and result.asked == []
    assert [item.path for item in result.dirs] == ["app"], "its folder's mtime is set back after the rename"


def test_same_size_other_mtime_is_hashed_then_rewritten_or_only_touched() -> None:
    current = [CURRENT[0], node("app/a.php", mtime=MTIME + 10**9), CURRENT[2], CURRENT[3]]
    assert [item.path for item in plan(TREE, current, same=False).write] == ["app/a.php"]
    touched = plan(TREE, current, same=True)
    assert touched.write == [] and [(item.path, what) for item, what in touched.fix] == [("app/a.php", ["mtime"])]
    assert touched.asked == ["app/a.php"]


def test_mode_and_owner_differences_are_metadata_fixes() -> None:
    result = plan(TREE, [CURRENT[0], node("app/a.php", mode=0o600, uid=0), CURRENT[2], CURRENT[3]])
    assert [(item.path, what) for item, what in result.fix] == [("app/a.php", ["mode", "owner"])]
    assert plan(TREE, [CURRENT[0], node("app/a.php", uid=0), CURRENT[2], CURRENT[3]], owners=False).fix == [], "owners only as root"


def test_missing_entries_are_restored_parents_first() -> None:
    index = index_of(entry("m", "dir"), entry("m/x", "dir"), entry("m/x/y.php"), entry("m/l", "link", target="x"))
    result = plan(index, [])
    assert [item.path for item in result.mkdir] == ["m", "m/x"]
    assert [item.path for item in result.write] == ["m/x/y.php"] and [item.path for item in result.link] == ["m/l"]
    assert [item.path for item in result.dirs] == ["m/x", "m"], "folder times are set deepest first, at the end"


def test_entries_absent_from_the_backup_are_deleted_children_first() -> None:
    current = CURRENT + [node("new", "dir"), node("new/sub", "dir"), node("new/sub/z.php"), node("app/c.php")]
    result = plan(TREE, current)
    assert result.delete == [("new/sub/z.php", "file"), ("app/c.php", "file"), ("new/sub", "dir"), ("new", "dir")]
    assert result.top_deleted() == ["app/c.php", "new"]
    assert result.counts()["deleted"] == 4


def test_folders_holding_protected_paths_are_kept() -> None:
    current = CURRENT + [node("var", "dir"), Skipped("var/cache", "dir", "/var/cache", "excluded by the backup"), node("var/old.log")]
    result = plan(TREE, current)
    assert result.delete == [("var/old.log", "file")]
    assert result.kept == [{"path": "var", "reason": "holds protected paths"}]


def test_protected_entries_of_the_index_are_not_restored() -> None:
    index = index_of(entry("app", "dir"), entry("app/config", "dir"), entry("app/config/parameters.php"))
    result = plan(index, [node("app", "dir", mode=0o644)], protect=RuleSet([Rule("/app/config", "protect")]))
    assert result.write == [] and result.mkdir == []


def test_delete_extra_false_keeps_what_the_backup_lacks() -> None:
    result = plan(TREE, CURRENT + [node("new.php")], delete_extra=False)
    assert result.delete == [] and result.kept == [{"path": "new.php", "reason": "absent from the backup (delete_extra=false)"}]


def test_a_folder_where_the_backup_has_a_file_goes_with_its_content() -> None:
    current = [CURRENT[0], node("app/a.php", "dir"), node("app/a.php/inner.txt"), CURRENT[2], CURRENT[3]]
    result = plan(TREE, current)
    assert result.delete == [("app/a.php/inner.txt", "file"), ("app/a.php", "dir")]
    assert [item.path for item in result.write] == ["app/a.php"]


def test_a_file_where_the_backup_has_a_folder_goes_first() -> None:
    result = plan(TREE, [node("app"), CURRENT[3]])
    assert result.delete == [("app", "file")]
    assert [item.path for item in result.mkdir] == ["app"] and [item.path for item in result.write] == ["app/a.php", "app/b.php"]


def test_a_folder_in_the_way_that_holds_protected_paths_is_a_conflict() -> None:
    current = [CURRENT[0], node("app/a.php", "dir"), Skipped("app/a.php/keep", "file", "/app/a.php/keep", "protect")]
    with pytest.raises(FileTreeError, match="cannot restore app/a.php"):
        plan(TREE, current)


def test_a_link_with_another_target_is_replaced() -> None:
    result = plan(TREE, CURRENT[:3] + [node("l", "link", target="/etc/passwd")])
    assert [item.path for item in result.link] == ["l"]


def test_official_zips_keep_big_files_and_folders_and_always_compare_contents() -> None:
    index = index_of(IndexEntry("a.php", "file", 10, None, None, crc32=1))
    big = node("huge.sql", size=20 << 20)

    def keep_big(item: Node) -> str | None:
        return "too big for the zip" if item.stat.st_size >= 15 << 20 else None
    result = plan(index, [node("a.php"), big, node("uploads", "dir"), node("uploads/x.txt")], compare_mtime=False, owners=False,
                  keep_extra=keep_big, delete_dirs=False)
    assert result.asked == ["a.php"], "a zip keeps no usable mtime: same size means compare the CRC"
    assert result.delete == [("uploads/x.txt", "file")]
    assert {item["path"]: item["reason"] for item in result.kept} == {
        "huge.sql": "too big for the zip", "uploads": "folder absent from the backup (folders are not deleted for this kind of backup)"}


# --- a whole run -------------------------------------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture, module: Any, **args: Any) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def tree_state(root: Path) -> dict[str, Any]:
    state = {}
    for current, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(current, name)
            info = path.lstat()
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                state[relative] = ("link", os.readlink(path))
            elif path.is_dir():
                state[relative] = ("dir", stat.S_IMODE(info.st_mode), info.st_mtime_ns)
            else:
                state[relative] = ("file", stat.S_IMODE(info.st_mode), info.st_mtime_ns, path.read_bytes())
    return state


@pytest.fixture
def backed_up(capsys: pytest.CaptureFixture, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    root = tmp_path / "shop"
    for relative, content in {"src/Core/Version.php": "<?php\nfinal class Version\n{\n    public const VERSION = '8.1.5';\n",
                              "classes/Cart.php": "<?php class Cart {}", "classes/Order.php": "<?php class Order {}",
                              "var/cache/prod/appParameters.php": "<?php stale", "var/cache/index.php": "<?php", "img/p/1.jpg": "jpg"}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    (root / "theme").symlink_to("classes")
    result = run(capsys, backup_files, shop_root=str(root), workspace=str(tmp_path / "ws"), name="b1", compression="gzip")
    assert result["changed"] is True
    return root, tree_state(root)


def test_check_mode_reports_without_changing_then_the_run_restores_and_the_rerun_does_nothing(
        capsys: pytest.CaptureFixture, tmp_path: Path, backed_up: tuple[Path, dict[str, Any]]) -> None:
    root, original = backed_up
    (root / "classes/Cart.php").write_text("<?php class Cart { /* upgraded */ }")
    (root / "classes/Order.php").unlink()
    (root / "classes/New.php").write_text("<?php")
    (root / "theme").unlink()
    (root / "theme").symlink_to("/etc")
    os.chmod(root / "img/p/1.jpg", 0o600)
    changed = tree_state(root)
    args = {"shop_root": str(root), "workspace": str(tmp_path / "ws"), "name": "b1"}

    checked = run(capsys, rollback_files, **args, _ansible_check_mode=True, _ansible_diff=True)
    assert tree_state(root) == changed and not (Path(checked["backup"]["path"]).parent.parent / "journals").exists()
    assert checked["changed"] is True and checked["verified"] == "archive"
    assert checked["restored"] == ["classes/Cart.php", "classes/Order.php", "theme"] and checked["deleted"] == ["classes/New.php"]
    assert checked["metadata"] == ["classes", "img/p/1.jpg"]
    assert checked["cache_cleared"] == ["var/cache/prod"]
    assert "classes/New.php: file 5 bytes mode 0644" in checked["diff"]["before"]
    assert "classes/Order.php: file 20 bytes mode 0644" in checked["diff"]["after"]

    restored = run(capsys, rollback_files, **args)
    assert restored["changed"] is True and restored["counts"]["files"] == 2 and restored["counts"]["links"] == 1
    final = tree_state(root)
    assert {path: value for path, value in final.items() if not path.startswith("var/cache")} == \
           {path: value for path, value in original.items() if not path.startswith("var/cache")}
    assert sorted(path for path in final if path.startswith("var/cache/")) == ["var/cache/index.php"]

    again = run(capsys, rollback_files, **args)
    assert again["changed"] is False and again["cache_cleared"] == [] and tree_state(root) == final


def test_a_missing_backup_fails_with_one_line(capsys: pytest.CaptureFixture, backed_up: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, original = backed_up
    result = run(capsys, rollback_files, shop_root=str(root), workspace=str(tmp_path / "ws"), name="nope")
    assert result["failed"] is True and result["msg"].startswith("no files backup named 'nope'") and "\n" not in result["msg"]
    assert tree_state(root) == original


def test_name_or_backup_path_is_required(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    result = run(capsys, rollback_files, shop_root=str(tmp_path))
    assert result["failed"] is True and "name, backup_path" in result["msg"]
