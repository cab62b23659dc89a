# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.shopfleet.prestashop.plugins.module_utils._maintenance import apply_to_rows, plan_restore, plan_switch, shop_state

SHOPS = [{"id": 1, "group_id": 1}, {"id": 2, "group_id": 1}]


def row(id_configuration: int, name: str, value: str, id_shop: int | None = None, id_shop_group: int | None = None) -> dict:
    return {"id_configuration": id_configuration, "name": name, "value": value, "id_shop": id_shop, "id_shop_group": id_shop_group}


GLOBAL_OPEN = [row(1, "PS_SHOP_ENABLE", "1"), row(2, "PS_MAINTENANCE_IP", "127.0.0.1")]


def test_a_single_shop_is_closed_through_its_global_row() -> None:
    plan = plan_switch(GLOBAL_OPEN, SHOPS[:1], multistore=False, enable=True, allow_ips=["10.0.0.1"])
    assert plan == [
        {"op": "update", "id": 1, "name": "PS_SHOP_ENABLE", "id_shop": None, "id_shop_group": None, "before": "1", "value": "0"},
        {"op": "update", "id": 2, "name": "PS_MAINTENANCE_IP", "id_shop": None, "id_shop_group": None, "before": "127.0.0.1", "value": "127.0.0.1,10.0.0.1"},
    ]


def test_a_multistore_is_closed_shop_by_shop_with_rows_of_their_own() -> None:
    plan = plan_switch(GLOBAL_OPEN, SHOPS, multistore=True, enable=True, allow_ips=[])
    assert [(op["op"], op["id_shop"], op["value"]) for op in plan] == [("insert", 1, "0"), ("insert", 2, "0")]


def test_shop_rows_count_only_in_a_multistore() -> None:
    rows = GLOBAL_OPEN + [row(3, "PS_SHOP_ENABLE", "0", id_shop=2, id_shop_group=1)]
    assert shop_state(rows, SHOPS[1], multistore=True)["maintenance"] is True
    assert shop_state(rows, SHOPS[1], multistore=False)["maintenance"] is False


def test_nothing_to_do_when_already_closed_and_allowed() -> None:
    rows = [row(1, "PS_SHOP_ENABLE", "0"), row(2, "PS_MAINTENANCE_IP", "10.0.0.1;127.0.0.1")]
    assert plan_switch(rows, SHOPS[:1], multistore=False, enable=True, allow_ips=["127.0.0.1"]) == []


def test_restoring_updates_changed_rows_deletes_added_ones_and_reinserts_removed_ones() -> None:
    saved = GLOBAL_OPEN
    now = [row(1, "PS_SHOP_ENABLE", "0"), row(9, "PS_SHOP_ENABLE", "0", id_shop=1, id_shop_group=1)]
    plan = plan_restore(now, saved)
    assert [(op["op"], op["id"]) for op in plan] == [("update", 1), ("delete", 9), ("insert", 2)]
    assert sorted((r["id_configuration"], r["value"]) for r in apply_to_rows(now, plan)) == [(1, "1"), (2, "127.0.0.1")]
