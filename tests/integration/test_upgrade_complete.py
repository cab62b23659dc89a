# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_complete through Ansible: the workspace tidied and the per-shop report written."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any, Callable

from harness.ansible import run_module
from harness.shoptree import write_shop_tree
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import shop_slug

VERSION = "8.1.7"
STARTED = "2024-03-20T12:12:12Z"
RESULTS = {
    "upgrade_files": {"changed": True, "duration_s": 2.5, "counts": {"add": 3, "update": 40}, "warnings": ["a translation file kept as is"]},
    "upgrade_db": {"changed": True, "duration_s": 1.5, "files_run": ["8.1.6.sql", "8.1.7.sql"]},
    "clean_database": {"changed": False, "duration_s": 0.1},
}


def workspace_with_leftovers(workspace: Path, shop_root: Path) -> Path:
    folder = workspace / shop_slug(str(shop_root))
    release = folder / "releases" / VERSION / "release"
    (release / "classes").mkdir(parents=True)
    (release / ".shopfleet-release.json").write_text("{}")
    (release / "classes/Cart.php").write_text("<?php\n")
    (folder / "releases" / VERSION / f"prestashop_{VERSION}.zip").write_bytes(b"zip")
    (folder / "journals").mkdir()
    (folder / "journals" / f"upgrade_files-{VERSION}.json").write_text(json.dumps({"status": "done"}))
    (folder / "journals" / f"upgrade_db-{VERSION}.json").write_text(json.dumps({"status": "running"}))
    (folder / "journals" / "upgrade_files-8.1.6.json").write_text(json.dumps({"status": "done"}))
    return folder


def test_the_workspace_is_tidied_and_the_report_written(shop_factory: Callable[..., Any], tmp_path: Path) -> None:
    shop = shop_factory(VERSION, prefix="uc_")
    folder = workspace_with_leftovers(tmp_path / "ws", shop.root)
    args = {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "version": VERSION, "from_version": "8.1.5",
            "started": STARTED, "backup_name": "V8.1.5_20240320-121000-ab12", "results": RESULTS}

    predicted = run_module("upgrade_complete", args, check=True)
    assert predicted["changed"] is True and predicted["status"] == "success_with_warnings"
    assert (folder / "releases" / VERSION / "release").exists() and not (folder / "reports").exists()

    done = run_module("upgrade_complete", args)
    assert done["changed"] is True and sorted(done["removed"]) == sorted(predicted["removed"])
    assert not (folder / "releases" / VERSION / "release").exists() and (folder / "releases" / VERSION / f"prestashop_{VERSION}.zip").exists()
    assert sorted(path.name for path in (folder / "journals").iterdir()) == [f"upgrade_db-{VERSION}.json", "upgrade_files-8.1.6.json"]
    assert done["kept_journals"] == [str(folder / "journals" / f"upgrade_db-{VERSION}.json")]
    report = done["report"]
    assert report["versions"] == {"before": "8.1.5", "target": VERSION, "now": {"files": VERSION, "db": VERSION},
                                  "at_target": {"files": True, "db": True}}
    assert list(report["steps"]) == ["upgrade_files", "upgrade_db", "clean_database"]
    assert report["steps"]["upgrade_files"]["details"]["counts.update"] == 40 and report["durations"]["total_s"] == 4.1
    assert report["warnings"] == ["upgrade_files: a translation file kept as is"] and report["backup"] == args["backup_name"]
    text_file = Path(done["report_files"]["txt"])
    assert text_file.name == f"upgrade-{VERSION}-20240320-121212.txt" and stat.S_IMODE(text_file.stat().st_mode) == 0o600
    assert text_file.read_text().startswith("UPGRADE SUCCEEDED WITH WARNINGS") and "upgrade_db" in text_file.read_text()
    assert json.loads(Path(done["report_files"]["json"]).read_text()) == report

    again = run_module("upgrade_complete", args)
    assert again["changed"] is False and again["removed"] == []


def test_a_failed_step_or_a_shop_short_of_the_target_is_a_failed_upgrade(tmp_path: Path) -> None:
    shop = write_shop_tree(tmp_path / "shop", "8.1.5")
    results = {**RESULTS, "upgrade_db": {"failed": True, "msg": "8.1.7.sql statement 3: Table 'x' doesn't exist"}}
    result = run_module("upgrade_complete", {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "version": VERSION,
                                             "results": results, "db_connect_timeout": 2, "started": STARTED})
    assert result["status"] == "failed"
    assert result["report"]["problems"] == ["upgrade_db failed: 8.1.7.sql statement 3: Table 'x' doesn't exist",
                                            f"the shop's files declare 8.1.5, not {VERSION}"]
    assert any(warning.startswith("cannot read the database") for warning in result["report"]["warnings"])
    bad = run_module("upgrade_complete", {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), "version": "../x"})
    assert bad["failed"] is True
