# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import CatalogEntry, DB_FORMAT, FILES_FORMAT, write_component_manifest
from ansible_collections.shopfleet.prestashop.plugins.modules import backup_info
from ansible_collections.shopfleet.prestashop.plugins.modules.backup_info import (
    CatalogError,
    check_options,
    parse_age,
    plan_prune,
    run,
    select_backup,
)

DAY = 86400.0
NOW = 1_700_000_000.0


def component(present: bool = True, complete: bool = True) -> dict[str, Any]:
    return {"present": present, "complete": present and complete, "bytes": 10, "problems": [] if complete or not present else ["no manifest.json"],
            "verified": None, "path": "/x", "format": "f"}


def entry(name: str, days_ago: float, files: str = "ok", db: str = "ok", source: str = "shopfleet", idle_days: float | None = None) -> CatalogEntry:
    """A catalogue entry; each component is 'ok', 'broken' (present, incomplete) or 'absent'."""
    def make(state: str) -> dict[str, Any]:
        return component(present=state != "absent", complete=state == "ok")
    created = NOW - days_ago * DAY
    last_write = NOW - (idle_days if idle_days is not None else days_ago) * DAY
    return CatalogEntry(name=name, source=source, path=f"/b/{name}", version="8.1.5", created=created, last_write=last_write, bytes=20,
                        components={"files": make(files), "db": make(db)})


BOTH = ["files", "db"]


def names(plan: list[dict[str, Any]]) -> list[str]:
    return [item["name"] for item in plan]


# --- options -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [("3600", 3600), ("90m", 5400), ("12h", 43200), ("30d", 2592000), ("2w", 1209600), (" 5 s ", 5)])
def test_ages_read_with_or_without_a_unit(text: str, seconds: int) -> None:
    assert parse_age(text) == seconds


@pytest.mark.parametrize("text", ["", "1y", "-3d", "1.5h", "d"])
def test_unreadable_ages_are_one_clear_error(text: str) -> None:
    with pytest.raises(CatalogError, match="older_than="):
        parse_age(text)


def options(**values: Any) -> dict[str, Any]:
    params = {"name": None, "select": None, "kinds": ["files", "db"], "prune": False, "keep_last": None, "older_than": None}
    params.update(values)
    return params


def test_name_implies_selection_by_name_and_kinds_keep_a_stable_order() -> None:
    assert check_options(options(name="V1")) == {"select": "name", "kinds": ["files", "db"], "older_than": None}
    assert check_options(options(kinds=["db", "files"]))["kinds"] == ["files", "db"]
    assert check_options(options())["select"] == "latest"


@pytest.mark.parametrize("values, message", [
    ({"select": "name"}, "select=name needs name"),
    ({"name": "V1", "select": "latest"}, "drop select=latest"),
    ({"prune": True}, "prune needs keep_last, older_than or both"),
    ({"keep_last": 2}, "only apply with prune=true"),
    ({"prune": True, "keep_last": 0}, "keep at least 1"),
    ({"kinds": []}, "at least one of files, db"),
])
def test_contradictory_options_are_refused(values: dict[str, Any], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        check_options(options(**values))


# --- selection (Rollback / NoRollbackFound) ---------------------------------------------------------------------

def test_latest_selects_the_newest_complete_backup_and_names_the_newer_ones_passed_over() -> None:
    entries = [entry("V3", 0.1, db="broken"), entry("V2", 1, files="absent"), entry("V1", 2)]
    selection = select_backup(entries, "latest", BOTH)
    assert selection["selected"].name == "V1" and selection["found"] is True
    assert [item["name"] for item in selection["passed_over"]] == ["V3", "V2"]
    assert selection["passed_over"][0]["reason"] == "db: no manifest.json" and selection["passed_over"][1]["reason"] == "files: absent"
    assert selection["warnings"] == ["passed over 2 newer backup(s) that are not complete for files+db: V3, V2"]


def test_kinds_decide_what_complete_means() -> None:
    entries = [entry("V2", 1, files="absent"), entry("V1", 2)]
    assert select_backup(entries, "latest", ["db"])["selected"].name == "V2"


def test_latest_can_be_restricted_to_a_version() -> None:
    entries = [entry("V2", 1), entry("V1", 2)]
    entries[0].version = "8.1.7"
    assert select_backup(entries, "latest", BOTH, version="8.1.5")["selected"].name == "V1"
    missing = select_backup(entries, "latest", BOTH, version="1.7.8.11")
    assert missing["found"] is False and missing["msg"] == "no backup of version 1.7.8.11 complete for files+db: nothing to restore"


def test_no_backup_at_all_is_nothing_to_restore() -> None:
    assert select_backup([], "latest", BOTH) == {"selected": None, "found": False, "passed_over": [], "warnings": [],
                                                 "msg": "no backup complete for files+db: nothing to restore"}


def test_only_incomplete_backups_is_nothing_to_restore_with_the_reasons() -> None:
    selection = select_backup([entry("V1", 1, db="broken")], "latest", BOTH)
    assert selection["found"] is False and selection["msg"] == "no backup complete for files+db (1 listed, none complete): nothing to restore"


def test_by_name_finds_it_or_says_why_not() -> None:
    entries = [entry("V2", 1, db="broken"), entry("V1", 2)]
    assert select_backup(entries, "name", BOTH, name="V1")["selected"].name == "V1"
    assert select_backup(entries, "name", BOTH, name="V9")["msg"] == "no backup named 'V9' for this shop: nothing to restore"
    incomplete = select_backup(entries, "name", BOTH, name="V2")
    assert incomplete["found"] is False and incomplete["msg"] == "backup 'V2' is not complete for files+db: db: no manifest.json; nothing to restore"


def test_by_name_prefers_ours_when_the_official_module_used_the_same_name() -> None:
    entries = [entry("V1", 1), entry("V1", 1, source="autoupgrade")]
    selection = select_backup(entries, "name", BOTH, name="V1")
    assert selection["selected"].source == "shopfleet" and "using ours" in selection["warnings"][0]


def test_select_none_only_lists() -> None:
    assert select_backup([entry("V1", 1)], "none", BOTH)["found"] is None


# --- prune planning ----------------------------------------------------------------------------------------------

def test_keep_last_keeps_the_newest_complete_backups_and_incomplete_ones_do_not_count() -> None:
    entries = [entry("V5", 0.5, db="broken", idle_days=0.5), entry("V4", 1), entry("V3", 2), entry("V2", 3, files="absent"), entry("V1", 4)]
    plan = plan_prune(entries, BOTH, NOW, keep_last=2)
    assert names(plan) == ["V2", "V1"]
    assert plan[1]["reason"] == "not among the 2 newest complete backups" and plan[0]["state"] == "partial"


def test_a_partial_backup_newer_than_the_oldest_kept_one_stays() -> None:
    entries = [entry("V3", 1), entry("V2", 2, files="absent"), entry("V1", 3)]
    assert names(plan_prune(entries, BOTH, NOW, keep_last=2)) == []


def test_incomplete_backups_go_only_after_the_grace_period_since_their_last_write() -> None:
    entries = [entry("V3", 0.1), entry("V2", 5, db="broken", idle_days=0.5), entry("V1", 6, db="broken", idle_days=2)]
    plan = plan_prune(entries, BOTH, NOW, keep_last=5)
    assert names(plan) == ["V1"] and plan[0]["reason"] == "incomplete and untouched for 2d"


def test_grace_follows_older_than_but_never_drops_under_an_hour() -> None:
    entries = [entry("V3", 0.1), entry("V2", 5, db="broken", idle_days=0.5)]
    assert names(plan_prune(entries, BOTH, NOW, older_than=6 * 3600)) == ["V2"]
    assert names(plan_prune([entry("V2", 5, db="broken", idle_days=1800 / DAY)], BOTH, NOW, older_than=60)) == []


def test_older_than_keeps_younger_backups_and_always_the_newest_complete_one() -> None:
    entries = [entry("V3", 40), entry("V2", 50), entry("V1", 5 + 60)]
    plan = plan_prune(entries, BOTH, NOW, older_than=int(30 * DAY))
    assert names(plan) == ["V2", "V1"] and plan[0]["reason"] == "not the newest complete backup and older than 30d"
    assert names(plan_prune([entry("V2", 1), entry("V1", 2)], BOTH, NOW, older_than=int(30 * DAY))) == []


def test_keep_last_and_older_than_delete_what_neither_keeps() -> None:
    entries = [entry("V4", 1), entry("V3", 2), entry("V2", 20), entry("V1", 40)]
    assert names(plan_prune(entries, BOTH, NOW, keep_last=1, older_than=int(10 * DAY))) == ["V2", "V1"]


def test_the_selected_backup_is_never_pruned() -> None:
    entries = [entry("V3", 1), entry("V2", 2), entry("V1", 3)]
    assert names(plan_prune(entries, BOTH, NOW, keep_last=1, selected=entries[2])) == ["V2"]


def test_leftovers_of_an_interrupted_prune_are_finished() -> None:
    plan = plan_prune([], BOTH, NOW, keep_last=1, leftovers=["/b/V0.deleting-0a0b0c0d"])
    assert plan == [{"name": "V0.deleting-0a0b0c0d", "source": "leftover", "state": "incomplete", "created": None,
                     "path": "/b/V0.deleting-0a0b0c0d", "reason": "leftover of an interrupted prune"}]


# --- run() on real folders ---------------------------------------------------------------------------------------

def write_backup(backups: Path, name: str, shop_root: str, created: str, kinds: tuple[str, ...] = ("files", "db")) -> Path:
    for kind in kinds:
        folder = backups / name / kind
        folder.mkdir(parents=True)
        if kind == "files":
            (folder / "archive.tar.gz").write_bytes(b"archive of " + name.encode())
            (folder / "index.jsonl.gz").write_bytes(b"index")
            manifest = {"format": FILES_FORMAT, "archive": {"file": "archive.tar.gz"}, "index": {"file": "index.jsonl.gz"}}
        else:
            (folder / "0001-ps_a.sql.gz").write_bytes(b"part")
            manifest = {"format": DB_FORMAT, "tables": [{"name": "ps_a", "parts": [{"file": "0001-ps_a.sql.gz"}]}]}
        write_component_manifest(str(folder), {**manifest, "shop_root": shop_root, "version": "8.1.5", "created": created})
    return backups / name


def params(tmp_path: Path, **values: Any) -> dict[str, Any]:
    base = {"shop_root": str(tmp_path / "shop"), "admin_dir": None, "workspace": None, "backup_dir": str(tmp_path / "backups"),
            "name": None, "select": None, "kinds": ["files", "db"], "version": None, "on_missing": "ok", "verify": "none",
            "include_official": True, "prune": False, "keep_last": None, "older_than": None}
    base.update(values)
    return base


def test_run_never_offers_another_shops_backup_from_a_shared_folder(tmp_path: Path) -> None:
    write_backup(tmp_path / "backups", "V8.1.5_20240101-000000-aaaa", str(tmp_path / "shop"), "2024-01-01T00:00:00Z")
    write_backup(tmp_path / "backups", "V8.1.5_20240201-000000-bbbb", "/var/www/other", "2024-02-01T00:00:00Z")
    result = run(params(tmp_path, prune=True, keep_last=1), check_mode=True, now=NOW)
    assert [backup["name"] for backup in result["backups"]] == ["V8.1.5_20240101-000000-aaaa"]
    assert result["other_shop_backups"] == ["V8.1.5_20240201-000000-bbbb"] and result["pruned"] == []
    assert result["selected"]["name"] == "V8.1.5_20240101-000000-aaaa" and result["selected"]["created"] == "2024-01-01T00:00:00Z"
    assert result["warnings"] == [f"{tmp_path / 'shop'} does not exist: the official module's backups are not listed (set admin_dir to look anyway)"]


def test_run_fails_on_a_selected_backup_that_fails_verification_without_falling_back(tmp_path: Path) -> None:
    write_backup(tmp_path / "backups", "V8.1.5_20240101-000000-aaaa", str(tmp_path / "shop"), "2024-01-01T00:00:00Z")
    newest = write_backup(tmp_path / "backups", "V8.1.5_20240201-000000-bbbb", str(tmp_path / "shop"), "2024-02-01T00:00:00Z")
    archive = newest / "files" / "archive.tar.gz"
    archive.write_bytes(archive.read_bytes().upper())
    assert run(params(tmp_path), check_mode=False, now=NOW)["selected"]["name"] == newest.name
    result = run(params(tmp_path, verify="selected", on_missing="ok"), check_mode=False, now=NOW)
    assert result["failed"] is True and result["selected"] is None and result["rollback_found"] is False
    assert result["msg"].startswith(f"backup '{newest.name}' fails verification: files: archive.tar.gz: sha256 differs from the manifest")
    listed = {backup["name"]: backup["verified"] for backup in run(params(tmp_path, select="none", verify="all"), check_mode=False, now=NOW)["backups"]}
    assert listed == {newest.name: False, "V8.1.5_20240101-000000-aaaa": True}


def test_module_main_reports_bad_options_as_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with patch_module_args({"shop_root": str(tmp_path), "backup_dir": str(tmp_path), "prune": True}):
        with pytest.raises(SystemExit):
            backup_info.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] is True and result["msg"] == "prune needs keep_last, older_than or both"
    assert not os.listdir(tmp_path)
