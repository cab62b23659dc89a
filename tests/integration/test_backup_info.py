# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""backup_info through Ansible: the backup catalogue, Rollback / NoRollbackFound, verify and prune."""

from __future__ import annotations

import bz2
import gzip
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import DB_FORMAT, FILES_FORMAT, write_component_manifest
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace
from harness.ansible import run_module
from harness.shoptree import write_shop_tree

OLD = "V8.1.3_20240105-101010-0a0b0c0d"
OFFICIAL = "V8.1.4_20240210-111111-1a2b3c4d"
NEW = "V8.1.5_20240320-121212-2b3c4d5e"


def make_backup(shop: Any, workspace: Path, name: str, created: str, kinds: tuple[str, ...] = ("files", "db")) -> Path:
    """A small but well-formed backup of ours, written the way backup_files/backup_db finish theirs."""
    path = Path(Workspace.for_shop(str(shop.root), str(workspace)).backup_path(name))
    common = {"shop_root": str(shop.root), "version": name[1:6], "created": created}
    if "files" in kinds:
        folder = path / "files"
        folder.mkdir(parents=True, mode=0o700)
        (folder / "archive.tar.gz").write_bytes(gzip.compress(b"a tar of the shop " * 4000))
        (folder / "index.jsonl.gz").write_bytes(gzip.compress(b'{"path": "index.php"}\n'))
        write_component_manifest(str(folder), {"format": FILES_FORMAT, **common, "archive": {"file": "archive.tar.gz", "compression": "gz"},
                                               "index": {"file": "index.jsonl.gz", "entries": 1}})
    if "db" in kinds:
        folder = path / "db"
        folder.mkdir(parents=True, mode=0o700)
        (folder / "0001-ps_configuration.sql.gz").write_bytes(gzip.compress(b"INSERT INTO ps_configuration VALUES (1);\n" * 1000))
        write_component_manifest(str(folder), {"format": DB_FORMAT, **common, "tables": [
            {"name": "ps_configuration", "kind": "table", "parts": [{"file": "0001-ps_configuration.sql.gz"}]}]})
    return path


def make_official_backup(shop: Any, name: str = OFFICIAL) -> Path:
    """What PrestaShop's upgrade module leaves: a zip of the tree and numbered .sql.gz/.sql.bz2 parts."""
    folder = shop.root / shop.admin_dir / "autoupgrade" / "backup"
    (folder / name).mkdir(parents=True)
    with zipfile.ZipFile(folder / f"auto-backupfiles_{name}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in ("index.php", "config/defines.inc.php", "app/config/parameters.php"):
            archive.write(shop.root / relative, relative)
    sql = b"SET NAMES 'utf8';\nDROP TABLE IF EXISTS `ps_configuration`;\n" * 200
    (folder / name / f"auto-backupdb_000001_{name}.sql.gz").write_bytes(gzip.compress(sql))
    (folder / name / f"auto-backupdb_000002_{name}.sql.bz2").write_bytes(bz2.compress(sql))
    return folder


def info(shop: Any, workspace: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("backup_info", {"shop_root": str(shop.root), "workspace": str(workspace), **options}, check=check, diff=True)


@pytest.fixture
def shop(tmp_path: Path) -> Any:
    """The files of an installed 8.1.5 shop: backup_info reads no database, so none is created (it keeps the file fast)."""
    return write_shop_tree(tmp_path / "shop", "8.1.5", admin_dir="admin123abcdefghijklmnop")


def test_lists_ours_and_the_official_modules_newest_first_and_selects_the_latest(shop: Any, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    nothing = info(shop, workspace, check=True)
    assert nothing["changed"] is False and nothing["rollback_found"] is False and nothing["backups"] == []
    assert nothing["msg"] == "no backup complete for files+db: nothing to restore" and not workspace.exists()

    make_backup(shop, workspace, OLD, "2024-01-05T10:10:10Z")
    official_dir = make_official_backup(shop)
    make_backup(shop, workspace, NEW, "2024-03-20T12:12:12Z")
    result = info(shop, workspace)
    assert result["changed"] is False and result["rollback_found"] is True
    assert [(backup["name"], backup["source"], backup["state"]) for backup in result["backups"]] == [
        (NEW, "shopfleet", "complete"), (OFFICIAL, "autoupgrade", "complete"), (OLD, "shopfleet", "complete")]
    assert result["selected"]["name"] == NEW and result["selected"]["version"] == "8.1.5"
    assert result["official_backup_dirs"] == [str(official_dir)]
    official = result["backups"][1]
    assert official["version"] == "8.1.4" and official["components"]["db"]["path"] == str(official_dir / OFFICIAL)
    official_files = [official_dir / f"auto-backupfiles_{OFFICIAL}.zip", *(official_dir / OFFICIAL).iterdir()]
    assert official["size_bytes"] == sum(os.path.getsize(path) for path in official_files)

    by_name = info(shop, workspace, name=OFFICIAL)
    assert by_name["selected"]["source"] == "autoupgrade" and by_name["msg"].startswith(f"selected {OFFICIAL} (autoupgrade, 8.1.4, ")


def test_a_killed_backup_is_passed_over_and_no_backup_is_nothing_to_restore(shop: Any, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    make_backup(shop, workspace, OLD, "2024-01-05T10:10:10Z")
    killed = make_backup(shop, workspace, NEW, "2024-03-20T12:12:12Z", kinds=("files",))
    (killed / "db").mkdir()
    (killed / "db" / "0001-ps_access.sql.gz.part-0badf00d").write_bytes(b"half a part")
    result = info(shop, workspace)
    assert result["selected"]["name"] == OLD and result["passed_over"][0]["name"] == NEW
    assert result["backups"][0]["problems"] == ["db: unfinished write left 0001-ps_access.sql.gz.part-0badf00d",
                                                "db: no manifest.json (the backup did not finish)"]
    assert "passed over 1 newer backup(s) that are not complete for files+db: " + NEW in result.output

    ok = info(shop, workspace, name=NEW, on_missing="ok")
    assert ok.get("failed") is not True and ok["rollback_found"] is False and ok["selected"] is None
    assert ok["msg"].startswith(f"backup {NEW!r} is not complete for files+db: db: unfinished write left ")
    failed = info(shop, workspace, name="V8.1.5_20240101-000000-ffffffff", on_missing="fail")
    assert failed["failed"] is True and failed["msg"] == "no backup named 'V8.1.5_20240101-000000-ffffffff' for this shop: nothing to restore"
    assert "Traceback" not in failed.output


def test_verify_catches_a_flipped_byte_in_ours_and_a_truncated_official_gzip_part(shop: Any, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    backup = make_backup(shop, workspace, NEW, "2024-03-20T12:12:12Z")
    official_dir = make_official_backup(shop)
    assert info(shop, workspace, verify="selected")["selected"]["verified"] is True

    archive = backup / "files" / "archive.tar.gz"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x20
    archive.write_bytes(bytes(data))
    part = official_dir / OFFICIAL / f"auto-backupdb_000001_{OFFICIAL}.sql.gz"
    part.write_bytes(part.read_bytes()[:-30])

    deep = info(shop, workspace, select="none", verify="all")
    problems = {backup["name"]: (backup["verified"], backup["problems"]) for backup in deep["backups"]}
    assert problems[NEW] == (False, ["files: archive.tar.gz: sha256 differs from the manifest (file altered or corrupt)"])
    assert problems[OFFICIAL][0] is False and problems[OFFICIAL][1][0].startswith(f"db: auto-backupdb_000001_{OFFICIAL}.sql.gz: truncated or corrupt")
    refused = info(shop, workspace, verify="selected", on_missing="ok")
    assert refused["failed"] is True and "not falling back to an older backup" in refused["msg"]


def test_prune_keep_last_in_check_mode_then_for_real_then_nothing_left_to_do(shop: Any, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    old = make_backup(shop, workspace, OLD, "2024-01-05T10:10:10Z")
    official_dir = make_official_backup(shop)
    new = make_backup(shop, workspace, NEW, "2024-03-20T12:12:12Z")

    predicted = info(shop, workspace, check=True, select="none", prune=True, keep_last=1)
    assert predicted["changed"] is True and [item["name"] for item in predicted["pruned"]] == [OFFICIAL, OLD]
    assert predicted["pruned"][0]["reason"] == "not among the 1 newest complete backups"
    assert predicted["diff"] == {"before": f"{NEW}\n{OFFICIAL}\n{OLD}\n", "after": f"{NEW}\n"}
    assert old.is_dir() and (official_dir / f"auto-backupfiles_{OFFICIAL}.zip").exists()

    pruned = info(shop, workspace, select="none", prune=True, keep_last=1)
    assert pruned["changed"] is True and [backup["name"] for backup in pruned["backups"]] == [NEW]
    assert not old.exists() and sorted(os.listdir(official_dir)) == [] and new.is_dir()
    assert sorted(os.listdir(new.parent)) == [NEW]

    again = info(shop, workspace, select="none", prune=True, keep_last=1)
    assert again["changed"] is False and again["pruned"] == []


def test_prune_finishes_what_an_interrupted_prune_left(shop: Any, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    make_backup(shop, workspace, NEW, "2024-03-20T12:12:12Z")
    half_deleted = make_backup(shop, workspace, OLD, "2024-01-05T10:10:10Z")
    leftover = half_deleted.rename(half_deleted.parent / f"{OLD}.deleting-0a0b0c0d")
    (leftover / "files" / "archive.tar.gz").unlink()
    result = info(shop, workspace, select="none", prune=True, older_than="1d")
    assert [backup["name"] for backup in result["backups"]] == [NEW]
    assert result["changed"] is True and result["pruned"][0]["reason"] == "leftover of an interrupted prune" and not leftover.exists()
