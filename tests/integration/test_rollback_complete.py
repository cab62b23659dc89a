# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollback_complete through Ansible: the per-shop rollback report (RollbackComplete)."""

from __future__ import annotations

import gzip
import json
import os
import stat
from pathlib import Path
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import DB_FORMAT, FILES_FORMAT, write_component_manifest
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace
from harness.ansible import run_module

NAME = "V8.1.5_20240320-120000-1a2b3c4d"
STARTED = "2024-03-20T12:12:12Z"
FILES_DONE = {"changed": True, "duration_s": 12.34, "restored": ["index.php", "classes/Cart.php"], "deleted": ["modules/new/new.php"]}
DB_DONE = {"changed": True, "duration_s": 48.06, "verified": True, "tables": 97}


def make_backup(shop: Any, workspace: Path) -> Path:
    """A small, well-formed backup of ours (what backup_files and backup_db leave)."""
    path = Path(Workspace.for_shop(str(shop.root), str(workspace)).backup_path(NAME))
    common = {"shop_root": str(shop.root), "version": "8.1.5", "created": "2024-03-20T12:00:00Z"}
    files, db = path / "files", path / "db"
    files.mkdir(parents=True)
    db.mkdir()
    (files / "archive.tar.gz").write_bytes(gzip.compress(b"tar"))
    (files / "index.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))
    write_component_manifest(str(files), {"format": FILES_FORMAT, **common, "archive": {"file": "archive.tar.gz"}, "index": {"file": "index.jsonl.gz"}})
    (db / "0001-ps_configuration.sql.gz").write_bytes(gzip.compress(b"SELECT 1;\n"))
    write_component_manifest(str(db), {"format": DB_FORMAT, **common, "ps_version_db": "8.1.5",
                                       "tables": [{"name": "ps_configuration", "parts": [{"file": "0001-ps_configuration.sql.gz"}]}]})
    return path


def report(shop: Any, workspace: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("rollback_complete", {"shop_root": str(shop.root), "workspace": str(workspace), **options}, check=check, diff=True)


def test_a_successful_rollback_is_reported_once_per_run(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", shops_in_maintenance=[1])
    workspace = tmp_path / "ws"
    make_backup(shop, workspace)
    reports = Path(Workspace.for_shop(str(shop.root), str(workspace)).reports)
    options = {"backup_name": NAME, "files_result": FILES_DONE, "db_result": DB_DONE, "started": STARTED, "expected_maintenance": True,
               "before": {"version": "8.1.7", "db_version": "8.1.7"}, "reason": "upgrade_db: MySQL error 1054 in 8.1.7.sql"}

    predicted = report(shop, workspace, check=True, **options)
    assert predicted["changed"] is True and predicted["status"] == "success" and not reports.exists()

    written = report(shop, workspace, **options)
    assert written["changed"] is True and written["report"] == predicted["report"]
    result = written["report"]
    assert result["backup"] == {"name": NAME, "source": "shopfleet", "version": "8.1.5", "db_version": "8.1.5", "created": "2024-03-20T12:00:00Z",
                                "path": str(reports.parent / "backups" / NAME)}
    assert result["versions"]["now"] == {"files": "8.1.5", "db": "8.1.5"} and result["versions"]["matches_backup"] is True
    assert result["steps"]["files"]["details"] == {"deleted": 1, "restored": 2} and result["durations"]["total_s"] == 60.4
    assert result["verification"] == {"status": "passed", "files": None, "db": True}
    assert result["maintenance"]["as_expected"] is True and result["problems"] == []
    assert written["report_files"]["json"] == str(reports / f"rollback-{NAME}-20240320-121212.json")
    for path in written["report_files"].values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert json.loads(Path(written["report_files"]["json"]).read_text()) == result
    text = Path(written["report_files"]["txt"]).read_text()
    assert text == written["report_text"] and text.startswith(f"ROLLBACK SUCCEEDED: {shop.root}\n")
    assert "Main shop (id 1): IN MAINTENANCE" in text and "Compared with the backup: files match, database match." in text

    again = report(shop, workspace, **options)
    assert again["changed"] is False and sorted(os.listdir(reports)) == sorted(os.path.basename(path) for path in written["report_files"].values())


def test_a_failed_rollback_says_what_failed_and_what_to_do(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.7")
    workspace = tmp_path / "ws"
    make_backup(shop, workspace)
    failed_db = {"failed": True, "duration_s": 3.2, "msg": "MySQL error 1064 in part 0012-ps_orders.sql.gz at byte 12345: INSERT INTO `ps_orders` ...",
                 "error": {"part": "0012-ps_orders.sql.gz", "position": 12345}}
    result = report(shop, workspace, backup_name=NAME, files_result=FILES_DONE, db_result=failed_db, started=STARTED)
    assert result["status"] == "failed" and result["changed"] is True
    assert result["report"]["problems"] == [f"Database restore failed: {failed_db['msg']}"]
    assert result["report"]["versions"]["checks"] == {"files": True, "db": None}
    next_steps = result["report"]["next_steps"]
    assert next_steps[0].startswith("Put the shop in maintenance") and "re-run rollback_db with the same backup" in next_steps[1]
    assert result["report_text"].startswith("ROLLBACK FAILED: ") and "error.part: 0012-ps_orders.sql.gz" in result["report_text"]


def test_nothing_to_restore_and_an_unreachable_database_are_reported_not_failed(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    workspace = tmp_path / "ws"
    result = report(shop, workspace, db_host="127.0.0.1", db_port=1, db_password=shop.db["password"], db_connect_timeout=2,
                    files_result={"skipped": True, "skip_reason": "Conditional result was False"}, started="1710936732")
    assert result.get("failed") is not True and result["status"] == "nothing_to_restore"
    assert result["report"]["database"]["reachable"] is False and result["report"]["database"]["error"].startswith("Cannot reach the database server")
    assert result["report_files"]["txt"].endswith("/rollback-none-20240320-121212.txt")
    assert result["report_text"].startswith("NOTHING TO RESTORE (no backup found): ") and "unknown (the database could not be read)" in result["report_text"]
    assert shop.db["password"] not in result.output and shop.db["password"] not in Path(result["report_files"]["json"]).read_text()

    bad = report(shop, workspace, started="yesterday")
    assert bad["failed"] is True and bad["msg"] == "started='yesterday': expected an ISO 8601 time (2024-03-20T12:12:12Z) or epoch seconds"
