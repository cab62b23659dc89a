# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.shopfleet.prestashop.plugins.modules.rollback_complete import (
    ReportError,
    build_report,
    parse_started,
    render_text,
    summarize_step,
)

BACKUP = {"name": "V8.1.5_20240320-120000-1a2b3c4d", "source": "shopfleet", "path": "/b", "version": "8.1.5", "db_version": "8.1.5",
          "created": "2024-03-20T12:00:00Z"}
OPEN_SHOP = {"id": 1, "name": "Main shop", "maintenance": False, "maintenance_ips": []}
CLOSED_SHOP = {"id": 1, "name": "Main shop", "maintenance": True, "maintenance_ips": ["127.0.0.1"]}


def now(files: str | None = "8.1.5", db: str | None = "8.1.5", shops: list[dict[str, Any]] | None = None, db_error: str | None = None) -> dict[str, Any]:
    return {"files": files, "db": db, "files_error": None, "db_error": db_error, "shops": [CLOSED_SHOP] if shops is None else shops}


def make(files: dict[str, Any] | None = None, db: dict[str, Any] | None = None, backup: str | None = "used",
         shop_now: dict[str, Any] | None = None, expected: bool | None = None, kinds: tuple[str, ...] = ("files", "db")) -> dict[str, Any]:
    """A report of a rollback of BACKUP (backup=None: no backup found) with these step results."""
    steps = {"files": summarize_step(files), "db": summarize_step(db)}
    before = {"version": "8.1.7", "db_version": "8.1.7"}
    return build_report("/var/www/shop", 1710936732.0, "upgrade failed", dict(BACKUP) if backup else None, steps, list(kinds), before,
                        shop_now or now(), expected)


def test_step_results_are_read_whatever_their_state() -> None:
    assert summarize_step(None)["status"] == "not_run"
    assert summarize_step({"skipped": True, "skip_reason": "Conditional result was False"})["msg"] == "Conditional result was False"
    assert summarize_step({"changed": False})["status"] == "unchanged"
    failed = summarize_step({"failed": True, "msg": "boom\n  at line 3", "duration_s": 1.26})
    assert failed["status"] == "failed" and failed["msg"] == "boom at line 3" and failed["duration_s"] == 1.3


@pytest.mark.parametrize("result, verified", [
    ({"verified": True}, True), ({"verification": {"ok": False, "mismatches": ["ps_orders"]}}, False), ({"verification": True}, True), ({}, None),
])
def test_verification_is_read_from_the_usual_keys(result: dict[str, Any], verified: bool | None) -> None:
    assert summarize_step({"changed": True, **result})["verified"] is verified


def test_details_keep_plain_values_count_lists_and_never_copy_secrets_or_bookkeeping() -> None:
    details = summarize_step({"changed": True, "restored": ["a", "b"], "tables": 3, "error": {"part": "0001.sql.gz", "nested": {"x": 1}},
                              "db_password": "hunter2", "invocation": {"module_args": {"db_password": "hunter2"}}, "_ansible_no_log": False,
                              "api_key": "k", "message": "x" * 400})["details"]
    assert details == {"error.part": "0001.sql.gz", "message": "x" * 299 + "…", "restored": 2, "tables": 3}


def test_started_accepts_iso_and_epoch() -> None:
    assert parse_started("2024-03-20T12:12:12Z") == parse_started("1710936732") == 1710936732.0
    assert parse_started(None) is None
    with pytest.raises(ReportError, match="started='soon'"):
        parse_started("soon")


def test_success_needs_every_step_done_and_the_shop_matching_the_backup() -> None:
    report = make({"changed": True}, {"changed": False, "verified": True}, expected=True)
    assert report["status"] == "success" and report["problems"] == []
    assert report["next_steps"] == ["Check the storefront and the back office, then take the shops out of maintenance."]


def test_a_step_that_did_not_run_makes_it_incomplete_unless_it_was_not_wanted() -> None:
    report = make({"changed": True}, None, shop_now=now(shops=[OPEN_SHOP]))
    assert report["status"] == "incomplete" and report["problems"] == ["Database restore did not run"]
    assert report["next_steps"][0].startswith("Put the shop in maintenance") and report["next_steps"][1] == f"Run rollback_db with backup {BACKUP['name']}."
    assert make({"changed": True}, None, kinds=("files",))["status"] == "success"


def test_a_version_that_does_not_match_the_backup_fails_the_rollback() -> None:
    report = make({"changed": True}, {"changed": True}, shop_now=now(db="8.1.7"))
    assert report["status"] == "failed" and report["versions"]["checks"] == {"files": True, "db": False}
    assert report["problems"] == ["The shop's PS_VERSION_DB is 8.1.7, the backup holds 8.1.5"]


def test_a_restore_that_does_not_verify_fails_the_rollback() -> None:
    report = make({"changed": True}, {"changed": True, "verification": {"ok": False}})
    assert report["status"] == "failed" and report["verification"]["status"] == "failed"


def test_maintenance_not_as_expected_is_a_problem_with_the_fix() -> None:
    report = make({"changed": True}, {"changed": True}, shop_now=now(shops=[OPEN_SHOP]), expected=True)
    assert report["maintenance"]["as_expected"] is False and report["problems"] == ["Not in maintenance as expected: Main shop (id 1)"]
    assert "Run shopfleet.prestashop.maintenance with state=enabled once the shop is checked." in report["next_steps"]


def test_no_backup_is_nothing_to_restore() -> None:
    report = make(None, None, backup=None)
    assert report["status"] == "nothing_to_restore" and report["problems"] == [] and report["next_steps"][0].startswith("No backup was found")


def test_an_unreadable_database_is_said_and_maintenance_is_unknown() -> None:
    report = make({"changed": True}, {"changed": True}, shop_now=now(db=None, shops=[], db_error="Cannot reach the database server"), expected=True)
    assert report["database"] == {"reachable": False, "error": "Cannot reach the database server"}
    assert report["maintenance"]["as_expected"] is None and "Cannot read the database: Cannot reach the database server" in report["problems"]
    assert "unknown (the database could not be read)" in render_text(report)


def test_the_text_report_leads_with_the_verdict_and_lays_out_steps_versions_and_next_steps() -> None:
    text = render_text(make({"changed": True, "duration_s": 12.34, "restored": ["a"]},
                            {"failed": True, "msg": "MySQL error 1064 in part 0012-ps_orders.sql.gz", "duration_s": 3.2}, expected=True))
    assert text.splitlines()[:5] == [
        "ROLLBACK FAILED: /var/www/shop",
        "=" * 78,
        "Started:  2024-03-20T12:12:12Z",
        "Reason:   upgrade failed",
        "Backup:   V8.1.5_20240320-120000-1a2b3c4d (shopfleet, PrestaShop 8.1.5, taken 2024-03-20T12:00:00Z)",
    ]
    assert "  Files     RESTORED      12.3 s\n            restored: 1\n" in text
    assert "  Database  FAILED         3.2 s\n            MySQL error 1064 in part 0012-ps_orders.sql.gz\n" in text
    assert "  before the rollback    8.1.7        8.1.7\n" in text and "Compared with the backup: files match, database not compared." in text
    assert "Main shop (id 1): IN MAINTENANCE (still served to 127.0.0.1)" in text and "  Expected in maintenance: yes" in text
    assert text.index("Problems") < text.index("What to do next") and text.endswith("it resumes where it stopped and only redoes what still differs.\n")
