# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError
from ansible_collections.shopfleet.prestashop.plugins.modules.back_office_access import access_table, find_profile, is_pattern, plan_grants

ROLES = {1: "ROLE_MOD_TAB_ADMINORDERS_READ", 2: "ROLE_MOD_TAB_ADMINSECURITY_READ", 3: "ROLE_MOD_MODULE_PS_LINKLIST_READ"}
PROFILES = [{"id": 1, "names": ["SuperAdmin"]}, {"id": 2, "names": ["Logistician", "Logisticien"]}]


def test_module_roles_and_tab_roles_live_in_different_tables() -> None:
    assert access_table("ROLE_MOD_MODULE_PS_LINKLIST_READ") == "module_access"
    assert access_table("ROLE_MOD_TAB_ADMINORDERS_READ") == "access"


def test_only_a_percent_sign_makes_a_pattern_since_every_slug_has_underscores() -> None:
    assert is_pattern("ROLE_MOD_TAB_%_READ") and not is_pattern("ROLE_MOD_TAB_ADMINORDERS_READ")


def test_profiles_are_found_by_id_or_by_any_of_their_names() -> None:
    assert find_profile(PROFILES, "2")["id"] == 2 and find_profile(PROFILES, "LOGISTICIEN")["id"] == 2
    with pytest.raises(ShopError, match="no profile 'x'; the profiles are 1 \\(SuperAdmin\\), 2 \\(Logistician/Logisticien\\)"):
        find_profile(PROFILES, "x")


def test_plans_only_what_the_profile_lacks_and_sorts_by_slug() -> None:
    plan = plan_grants(ROLES, {1: {1, 2, 3}, 2: {1}}, 2, ["ROLE_MOD_TAB_%"], 1, {"ROLE_MOD_TAB_%": [1, 2]})
    assert plan == {"missing": [3, 2], "unknown": [], "empty_patterns": []}


def test_an_exact_slug_that_matches_nothing_is_unknown_a_pattern_is_only_empty() -> None:
    plan = plan_grants(ROLES, {}, 1, ["ROLE_X_READ", "ROLE_Y_%"], None, {})
    assert (plan["unknown"], plan["empty_patterns"]) == (["ROLE_X_READ"], ["ROLE_Y_%"])
