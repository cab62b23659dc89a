# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""db_version through Ansible: the upgrade FAQ's PS_VERSION_DB mismatch, reported and repaired the right way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.ansible import run_module
from harness.release import MIGRATION_VERSIONS, build_migrations


def db_version(shop: Any, tmp_path: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("db_version", {"shop_root": str(shop.root), "workspace": str(tmp_path / "ws"), **options}, check=check, diff=True)


def test_a_database_behind_its_code_gets_the_missing_migrations_then_says_so(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.3")
    migrations = str(build_migrations(tmp_path / "module", MIGRATION_VERSIONS))

    report = db_version(shop, tmp_path)
    assert (report["status"], report["action"], report["changed"]) == ("database_behind", "none", False)
    predicted = db_version(shop, tmp_path, check=True, state="present", migrations=migrations)
    assert predicted["action"] == "upgrade" and shop.config_value("PS_VERSION_DB") == "8.1.3"
    repaired = db_version(shop, tmp_path, state="present", migrations=migrations)
    assert not repaired.get("failed"), repaired.get("msg")
    assert repaired["changed"] is True and shop.config_value("PS_VERSION_DB") == "8.1.5"
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.5", "only the missing range ran"
    again = db_version(shop, tmp_path, state="present", migrations=migrations)
    assert (again["status"], again["changed"]) == ("match", False)


def test_a_database_ahead_of_its_code_is_refused_unless_forced(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.7")
    refused = db_version(shop, tmp_path, state="present")
    assert refused["failed"] is True and refused["msg"].startswith("the database is ahead of the code")
    forced = db_version(shop, tmp_path, state="present", force=True)
    assert forced["action"] == "forced" and shop.config_value("PS_VERSION_DB") == "8.1.5"
    assert any("forced" in str(warning) for warning in forced.get("warnings", []))
