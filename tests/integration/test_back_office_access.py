# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""back_office_access through Ansible: the upgrade FAQ's lost back-office pages, restored."""

from __future__ import annotations

from typing import Any

from harness.ansible import run_module


def query(shop: Any, sql: str) -> list[tuple]:
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return list(cursor.fetchall())
    finally:
        connection.close()


def granted(shop: Any, profile: int, table: str = "access") -> set[str]:
    return {slug for (slug,) in query(shop, f"SELECT r.slug FROM {shop.prefix}{table} a JOIN {shop.prefix}authorization_role r "
                                            f"ON r.id_authorization_role = a.id_authorization_role WHERE a.id_profile = {profile}")}


def grant(shop: Any, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("back_office_access", {"shop_root": str(shop.root), **options}, check=check, diff=True)


def test_gives_superadmin_back_the_pages_an_upgrade_took(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    full = granted(shop, 1)
    query(shop, f"DELETE a FROM {shop.prefix}access a JOIN {shop.prefix}authorization_role r ON r.id_authorization_role = a.id_authorization_role "
                "WHERE a.id_profile = 1 AND r.slug LIKE 'ROLE_MOD_TAB_ADMINSECURITY_%'")
    lost = full - granted(shop, 1)
    assert len(lost) == 4

    predicted = grant(shop, check=True, profile="1", slugs=["ROLE_MOD_TAB_%"])
    assert predicted["changed"] is True and set(predicted["added"]) == lost and granted(shop, 1) == full - lost
    fixed = grant(shop, profile="1", slugs=["ROLE_MOD_TAB_%"])
    assert set(fixed["added"]) == lost and granted(shop, 1) == full
    assert grant(shop, profile="1", slugs=["ROLE_MOD_TAB_%"])["changed"] is False


def test_grants_one_page_to_a_profile_named_in_any_language(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    result = grant(shop, profile="logisticien", slugs=["ROLE_MOD_TAB_ADMINSECURITY_READ"])
    assert result["profile"]["id"] == 2 and result["added"] == ["ROLE_MOD_TAB_ADMINSECURITY_READ"]
    assert "ROLE_MOD_TAB_ADMINSECURITY_READ" in granted(shop, 2)


def test_module_roles_go_to_module_access(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    result = grant(shop, profile="Logistician", slugs=["ROLE_MOD_MODULE_PS_LINKLIST_%"])
    assert len(result["added"]) == 4 and all(slug.startswith("ROLE_MOD_MODULE_PS_LINKLIST_") for slug in granted(shop, 2, "module_access"))


def test_mirrors_another_profile(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    grant(shop, profile="Logistician", mirror="SuperAdmin")
    assert granted(shop, 1) <= granted(shop, 2)


def test_reports_pages_no_profile_can_reach_until_granted(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    query(shop, f"INSERT INTO {shop.prefix}authorization_role (slug) VALUES ('ROLE_MOD_TAB_ADMINNEWPAGE_READ')")
    before = grant(shop, check=True, profile="1", slugs=["ROLE_MOD_TAB_ADMINSECURITY_READ"])
    assert "ROLE_MOD_TAB_ADMINNEWPAGE_READ" in before["unreachable_slugs"]
    after = grant(shop, profile="1", slugs=["ROLE_MOD_TAB_ADMINNEWPAGE_%"])
    assert after["added"] == ["ROLE_MOD_TAB_ADMINNEWPAGE_READ"] and "ROLE_MOD_TAB_ADMINNEWPAGE_READ" not in after["unreachable_slugs"]


def test_an_unknown_profile_or_slug_is_one_clear_error(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    no_profile = grant(shop, profile="Accountant", slugs=["ROLE_MOD_TAB_%"])
    assert no_profile["failed"] is True and no_profile["msg"].startswith("no profile 'Accountant'; the profiles are 1 (")
    no_slug = grant(shop, profile="1", slugs=["ROLE_MOD_TAB_NOPE_READ"])
    assert no_slug["failed"] is True and no_slug["msg"].startswith("no authorization_role slug ROLE_MOD_TAB_NOPE_READ in ")
