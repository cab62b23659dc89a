# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError
from ansible_collections.shopfleet.prestashop.plugins.modules.db_version import plan, status_of


@pytest.mark.parametrize("db,target,status", [("8.1.7", "8.1.7", "match"), ("8.1.5", "8.1.7", "database_behind"),
                                              ("8.1.7", "8.1.5", "database_ahead"), (None, "8.1.7", "missing"),
                                              ("8.1.7-catchup", "8.1.7", "database_behind")])
def test_status_compares_like_php(db: str | None, target: str, status: str) -> None:
    assert status_of(db, target) == status


def test_the_right_way_is_an_upgrade_and_by_hand_only_when_forced() -> None:
    assert plan("report", "database_behind", False) == "none"
    assert plan("present", "match", True) == "none"
    assert plan("present", "database_behind", False) == "upgrade"
    assert plan("present", "database_ahead", True) == "forced"
    with pytest.raises(ShopError, match="ahead of the code"):
        plan("present", "database_ahead", False)
    with pytest.raises(ShopError, match="PS_VERSION_DB is missing"):
        plan("present", "missing", False)
