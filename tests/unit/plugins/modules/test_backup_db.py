# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""backup_db's choices, plan and results without a database (dumps run against MariaDB in tests/integration)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import DB_FORMAT, write_component_manifest
from ansible_collections.shopfleet.prestashop.plugins.module_utils._sqldump import DbObject, DumpError
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace
from ansible_collections.shopfleet.prestashop.plugins.modules import backup_db

PASSWORD = "s3cr3t-Pa55"


def run(capsys: pytest.CaptureFixture, **args: Any) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        backup_db.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "src/Core").mkdir(parents=True)
    (root / "src/Core/Version.php").write_text("<?php\nfinal class Version\n{\n    public const VERSION = '8.1.5';\n")
    (root / "app/config").mkdir(parents=True)
    # Port 1 on loopback: nobody answers, so a test reaching the database fails fast.
    (root / "app/config/parameters.php").write_text(
        "<?php return ['parameters' => ['database_host' => '127.0.0.1', 'database_port' => '1', 'database_name' => 'shop', "
        f"'database_user' => 'shop', 'database_password' => '{PASSWORD}', 'database_prefix' => 'ps_']];\n")
    return root


def plan_for(shop: Path, workspace: Path, **args: Any) -> dict[str, Any]:
    with patch_module_args({"shop_root": str(shop), "workspace": str(workspace), **args}):
        module = backup_db.create_module()
    return backup_db.build_plan(module)


@pytest.mark.parametrize("requested, program, expected", [
    ("auto", "/usr/bin/mariadb-dump", "mariadb-dump"), ("auto", None, "pymysql"), ("pymysql", "/usr/bin/mariadb-dump", "pymysql"),
    ("mariadb-dump", "/usr/bin/mysqldump", "mariadb-dump"),
])
def test_the_engine_is_the_dump_tool_when_there_is_one(requested: str, program: str | None, expected: str) -> None:
    assert backup_db.choose_engine(requested, program) == expected


def test_asking_for_the_dump_tool_where_there_is_none_is_a_clear_error() -> None:
    with pytest.raises(DumpError, match="neither mariadb-dump nor mysqldump"):
        backup_db.choose_engine("mariadb-dump", None)


@pytest.mark.parametrize("requested, zstd, expected", [("auto", "/usr/bin/zstd", "zstd"), ("auto", None, "gzip"), ("gzip", "/usr/bin/zstd", "gzip")])
def test_compression_is_zstd_when_the_program_is_there(requested: str, zstd: str | None, expected: str) -> None:
    assert backup_db.choose_compression(requested, zstd) == expected
    with pytest.raises(DumpError, match="zstd program"):
        backup_db.choose_compression("zstd", None)


def test_a_plan_names_the_backup_after_the_version_and_finds_nothing_there_yet(shop: Path, tmp_path: Path) -> None:
    plan = plan_for(shop, tmp_path / "ws", engine="pymysql")
    assert plan["name"].startswith("V8.1.5_") and plan["state"] == "absent" and plan["engine"] == "pymysql"
    assert plan["component_path"] == str(Path(plan["path"]) / "db")
    assert plan["database"].prefix == "ps_" and plan["include_stats_tables"] is True
    assert not (tmp_path / "ws").exists()


def manifest_for(shop: Path, prefix: str = "ps_") -> dict[str, Any]:
    return {"format": DB_FORMAT, "shop_root": str(shop), "database": {"name": "shop", "prefix": prefix}, "engine": "pymysql",
            "tables": [{"name": "ps_a", "kind": "table", "rows": 2, "parts": [{"file": "0001-ps_a.sql.gz", "rows": 2}]}], "triggers": []}


def write_component(workspace: Path, shop: Path, name: str, manifest: dict[str, Any]) -> Path:
    component = Path(Workspace.for_shop(str(shop), str(workspace)).backup_path(name)) / "db"
    component.mkdir(parents=True)
    (component / "0001-ps_a.sql.gz").write_bytes(b"not really gzip")
    write_component_manifest(str(component), manifest)
    return component


def test_a_complete_backup_of_that_name_is_found(shop: Path, tmp_path: Path) -> None:
    write_component(tmp_path / "ws", shop, "kept", manifest_for(shop))
    plan = plan_for(shop, tmp_path / "ws", name="kept", engine="pymysql")
    assert plan["state"] == "complete"
    result = backup_db.result_from_manifest(plan, plan["manifest"], changed=False)
    assert result["changed"] is False and result["tables"] == [{"name": "ps_a", "kind": "table", "rows": 2, "bytes": 15, "parts": 1}]
    assert result["totals"]["rows"] == 2 and result["duration_s"] is None


def test_a_complete_backup_of_that_name_for_another_prefix_is_refused(shop: Path, tmp_path: Path) -> None:
    write_component(tmp_path / "ws", shop, "other", manifest_for(shop, prefix="shop2_"))
    with pytest.raises(Exception, match="choose another name"):
        plan_for(shop, tmp_path / "ws", name="other", engine="pymysql")


def test_leftovers_of_a_killed_backup_make_it_incomplete(shop: Path, tmp_path: Path) -> None:
    component = Path(Workspace.for_shop(str(shop), str(tmp_path / "ws")).backup_path("killed")) / "db"
    component.mkdir(parents=True)
    (component / "0001-ps_a.sql.gz").write_bytes(b"half")
    (component / "0002-ps_b.sql.zst.part-1a2b3c4d").write_bytes(b"x")
    plan = plan_for(shop, tmp_path / "ws", name="killed", engine="pymysql")
    assert plan["state"] == "incomplete" and plan["problems"]


def test_check_mode_reports_the_servers_estimates() -> None:
    plan = {"name": "n", "path": "/b/n", "component_path": "/b/n/db", "engine": "pymysql", "compression": "gzip"}
    found = {"objects": [DbObject("ps_a", "table", rows_estimate=10, bytes_estimate=16384), DbObject("ps_v", "view")],
             "excluded": [{"name": "ps_guest", "rule": "include_stats_tables=false"}]}
    result = backup_db.check_result(plan, found)
    assert result["estimated"] is True and result["changed"] is True
    assert result["tables"] == [{"name": "ps_a", "kind": "table", "rows": 10, "bytes": 16384, "parts": None},
                                {"name": "ps_v", "kind": "view", "rows": None, "bytes": 0, "parts": None}]
    assert result["totals"]["tables"] == 1 and result["totals"]["views"] == 1 and result["totals"]["rows"] == 10


def test_totals_add_up_every_part_of_tables_and_triggers() -> None:
    tables = [{"kind": "table", "rows": 3, "parts": [{"bytes": 10, "sql_bytes": 30}, {"bytes": 5, "sql_bytes": 20}]},
              {"kind": "view", "rows": None, "parts": [{"bytes": 1, "sql_bytes": 2}]}]
    triggers = [{"parts": [{"bytes": 4, "sql_bytes": 8}]}]
    assert backup_db.totals(tables, triggers) == {"tables": 1, "views": 1, "triggers": 1, "rows": 3, "parts": 4, "bytes": 20, "sql_bytes": 60}


def test_an_unreachable_database_fails_with_one_line_writes_nothing_and_hides_the_password(
        capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), name="b", db_connect_timeout=2)
    assert result["failed"] is True and "Cannot reach the database server" in result["msg"] and "\n" not in result["msg"]
    assert PASSWORD not in json.dumps(result)
    assert not (tmp_path / "ws").exists()


def test_a_folder_that_is_not_a_shop_fails_with_one_line(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(tmp_path), workspace=str(tmp_path / "ws"))
    assert result["failed"] is True and "is not a PrestaShop root" in result["msg"]


def test_a_chunk_size_below_one_mib_is_refused(capsys: pytest.CaptureFixture, shop: Path, tmp_path: Path) -> None:
    result = run(capsys, shop_root=str(shop), workspace=str(tmp_path / "ws"), chunk_size_mb=0)
    assert result["failed"] is True and result["msg"] == "chunk_size_mb must be at least 1"
