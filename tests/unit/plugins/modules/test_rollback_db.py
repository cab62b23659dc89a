# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollback_db without a database: finding and checking backups, reading official dumps, the journal, the plan's text."""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import DB_FORMAT, BackupError, write_component_manifest
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace
from ansible_collections.shopfleet.prestashop.plugins.modules import rollback_db

NAME = "V1.7.8.11_20240101-120000-1a2b3c4d"
OFFICIAL_HEADER = b"/* Backup */\nSET SESSION sql_mode = '';\nSET NAMES 'utf8';\nSET FOREIGN_KEY_CHECKS=0;\n\n"


def run(capsys: pytest.CaptureFixture, **args: Any) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        rollback_db.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "src/Core").mkdir(parents=True)
    (root / "src/Core/Version.php").write_text("<?php\nfinal class Version\n{\n    public const VERSION = '8.1.5';\n")
    (root / "admin42/themes/new-theme").mkdir(parents=True)
    for name in ("index.php", "functions.php", "get-file-admin.php"):
        (root / "admin42" / name).write_text("<?php")
    (root / "app/config").mkdir(parents=True)
    (root / "app/config/parameters.php").write_text(
        "<?php return ['parameters' => ['database_host' => '127.0.0.1', 'database_port' => '1', 'database_name' => 'shop', "
        "'database_user' => 'shop', 'database_password' => 'pw', 'database_prefix' => 'ps_']];\n")
    return root


def official_parts(folder: Path, name: str = NAME) -> list[Path]:
    (folder / name).mkdir(parents=True)
    first = folder / name / f"auto-backupdb_000001_{name}.sql.gz"
    second = folder / name / f"auto-backupdb_000002_{name}.sql.bz2"
    first.write_bytes(gzip.compress(OFFICIAL_HEADER + b"DROP TABLE IF EXISTS `ps_a`;\nCREATE TABLE `ps_a` (`x` text);\n"
                                    b"INSERT INTO `ps_a` VALUES ('semi;\ncolon'),('it\\'s');\n"))
    second.write_bytes(bz2.compress(OFFICIAL_HEADER + b"DROP TABLE IF EXISTS `other_t`;\nCREATE TABLE `other_t` (`x` int);\n"
                                    b"DROP VIEW IF EXISTS `ps_v`;\nCREATE ALGORITHM=UNDEFINED DEFINER=CURRENT_USER SQL SECURITY DEFINER "
                                    b"VIEW `ps_v` AS select 1 AS `one`;\nSET FOREIGN_KEY_CHECKS=1;\n"))
    return [first, second]


def our_backup(workspace: Workspace, name: str, prefix: str = "ps_") -> Path:
    component = Path(workspace.backup_path(name)) / "db"
    component.mkdir(parents=True)
    (component / "0001-ps_a.sql.gz").write_bytes(gzip.compress(b"SELECT 1;\n"))
    write_component_manifest(str(component), {"format": DB_FORMAT, "database": {"prefix": prefix},
                                              "tables": [{"name": "ps_a", "kind": "table", "parts": [{"file": "0001-ps_a.sql.gz"}]}]})
    return component.parent


def locate(shop: Path, workspace: Workspace, **params: Any) -> dict[str, Any]:
    return rollback_db.locate_backup({"name": params.get("name"), "backup_path": params.get("backup_path")}, str(shop), "admin42", workspace)


def test_a_backup_is_found_by_name_in_the_workspace_then_among_the_official_ones(shop: Path, tmp_path: Path) -> None:
    workspace = Workspace.for_shop(str(shop), str(tmp_path / "ws"))
    ours = our_backup(workspace, "mine")
    official = shop / "admin42/autoupgrade/backup"
    official_parts(official)
    assert locate(shop, workspace, name="mine") == {"source": "shopfleet", "name": "mine", "path": str(ours), "component_path": str(ours / "db")}
    assert locate(shop, workspace, name=NAME) == {"source": "autoupgrade", "name": NAME, "path": str(official / NAME), "folder": str(official)}
    with pytest.raises(BackupError, match="no database backup named 'nope'"):
        locate(shop, workspace, name="nope")


@pytest.mark.parametrize("given, name", [("ours", None), ("ours/db", None), ("official", NAME), ("official/" + NAME, None)])
def test_a_backup_path_may_point_at_any_reasonable_folder(shop: Path, tmp_path: Path, given: str, name: str | None) -> None:
    workspace = Workspace.for_shop(str(shop), str(tmp_path / "ws"))
    ours = our_backup(workspace, "mine")
    official_parts(tmp_path / "official")
    base = {"ours": ours, "official": tmp_path / "official"}[given.split("/")[0]]
    path = base / given.split("/", 1)[1] if "/" in given else base
    found = locate(shop, workspace, backup_path=str(path), name=name)
    assert found["source"] == ("shopfleet" if given.startswith("ours") else "autoupgrade")
    assert found["name"] == ("mine" if given.startswith("ours") else NAME)


def test_the_official_backup_folder_without_a_name_is_fine_until_it_holds_several(shop: Path, tmp_path: Path) -> None:
    workspace = Workspace.for_shop(str(shop), str(tmp_path / "ws"))
    official_parts(tmp_path / "official")
    assert locate(shop, workspace, backup_path=str(tmp_path / "official"))["name"] == NAME
    official_parts(tmp_path / "official", "V1.7.8.11_20240202-120000-5e6f7a8b")
    with pytest.raises(BackupError, match="holds several official backups"):
        locate(shop, workspace, backup_path=str(tmp_path / "official"))
    with pytest.raises(BackupError, match="no database backup in"):
        locate(shop, workspace, backup_path=str(tmp_path))


def test_an_official_dump_is_read_statement_by_statement_before_anything_is_restored(tmp_path: Path) -> None:
    parts = official_parts(tmp_path / "official")
    scanned = rollback_db.scan_official([str(part) for part in parts], "ps_")
    assert scanned["tables"] == [{"name": "ps_a", "kind": "table", "parts": []}, {"name": "ps_v", "kind": "view", "parts": []}]
    assert [part["statements"] for part in scanned["parts"]] == [6, 8]


def test_a_truncated_official_part_is_refused_before_anything_is_restored(tmp_path: Path) -> None:
    parts = official_parts(tmp_path / "official")
    parts[0].write_bytes(parts[0].read_bytes()[:-12])
    location = {"source": "autoupgrade", "name": NAME, "folder": str(tmp_path / "official")}
    with pytest.raises(BackupError, match="truncated or corrupt"):
        rollback_db.load_backup(location, deep=True, prefix="ps_")


def test_a_backup_of_another_table_prefix_is_refused(shop: Path, tmp_path: Path) -> None:
    workspace = Workspace.for_shop(str(shop), str(tmp_path / "ws"))
    path = our_backup(workspace, "other", prefix="shop2_")
    with pytest.raises(BackupError, match="prefix 'shop2_'"):
        rollback_db.load_backup({"source": "shopfleet", "name": "other", "path": str(path)}, deep=True, prefix="ps_")


@pytest.mark.parametrize("statement, rewritten", [
    (b"SET NAMES 'utf8'", b"SET NAMES utf8mb4"), (b"set names utf8mb3", b"SET NAMES utf8mb4"), (b"SET NAMES 'latin1'", b"SET NAMES 'latin1'"),
    (b"INSERT INTO t VALUES ('SET NAMES utf8')", b"INSERT INTO t VALUES ('SET NAMES utf8')"),
])
def test_official_dumps_announcing_3_byte_utf8_are_read_as_utf8mb4(statement: bytes, rewritten: bytes) -> None:
    assert rollback_db._official_rewrite(statement) == rewritten


def test_a_journal_resumes_only_an_unfinished_restore_of_the_same_backup(tmp_path: Path) -> None:
    path = str(tmp_path / "journal.json")
    backup = {"name": "b", "manifest_sha256": "a" * 64}
    first = rollback_db.Journal(path, backup)
    assert first.resumed is False
    first.part_done("0001-ps_a.sql.gz")
    assert rollback_db.Journal(path, backup).resumed is True
    assert rollback_db.Journal(path, dict(backup, manifest_sha256="b" * 64)).resumed is False
    first.save(status="completed")
    again = rollback_db.Journal(path, backup)
    assert again.resumed is False and again.data["parts_done"] == []


def test_server_versions_compare_by_major_and_minor() -> None:
    assert rollback_db.server_major("10.11.19-MariaDB-0+deb12u1") == rollback_db.server_major("10.11.6-MariaDB") == "10.11"
    assert rollback_db.server_major("8.0.36") != rollback_db.server_major("10.11.6-MariaDB")


def test_the_diff_lists_one_line_per_object_and_cuts_long_lists() -> None:
    assert rollback_db._diff_line("ps_a", "table", {"rows": 3, "checksum": {"value": 42}}) == "ps_a  table  rows=3  checksum=42"
    assert rollback_db._diff_line("ps_v", "view", None) == "ps_v  view"
    text = rollback_db._diff_text([f"t{number:04d}" for number in range(rollback_db.DIFF_LIMIT + 3)])
    assert text.splitlines()[-1] == "... and 3 more" and len(text.splitlines()) == rollback_db.DIFF_LIMIT + 1


def test_a_name_or_a_backup_path_is_required(capsys: pytest.CaptureFixture, shop: Path) -> None:
    result = run(capsys, shop_root=str(shop))
    assert result["failed"] is True and "name" in result["msg"] and "backup_path" in result["msg"]


def test_a_missing_backup_fails_with_one_line_before_the_database_is_reached(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), name="V8.1.5_20200101-000000-00000000")
    assert result["failed"] is True and result["msg"].startswith("no database backup named") and "\n" not in result["msg"]
    assert not (tmp_path / "ws").exists()
