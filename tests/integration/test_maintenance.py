# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""maintenance through Ansible: close the shops, give them back exactly as they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.ansible import run_module


def maintenance_rows(shop: Any) -> list[tuple]:
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id_configuration, id_shop_group, id_shop, name, value FROM {shop.prefix}configuration "
                           "WHERE name IN ('PS_SHOP_ENABLE', 'PS_MAINTENANCE_IP') ORDER BY id_configuration")
            return list(cursor.fetchall())
    finally:
        connection.close()


def execute(shop: Any, sql: str) -> None:
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def states(result: dict[str, Any]) -> list[tuple]:
    return [(shop["id"], shop["maintenance"]) for shop in result["shops"]]


def switch(shop: Any, workspace: Path, state: str, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("maintenance", {"shop_root": str(shop.root), "workspace": str(workspace), "state": state, **options}, check=check, diff=True)


def test_closes_the_shop_then_gives_it_back_exactly_as_it_was(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    before = maintenance_rows(shop)

    predicted = switch(shop, tmp_path / "ws", "enabled", check=True, allow_ips=["203.0.113.10"])
    assert predicted["changed"] is True and maintenance_rows(shop) == before and not (tmp_path / "ws").exists()
    closed = switch(shop, tmp_path / "ws", "enabled", allow_ips=["203.0.113.10"])
    again = switch(shop, tmp_path / "ws", "enabled", allow_ips=["203.0.113.10"])

    assert states(predicted) == states(closed) == [(1, True)]
    assert "203.0.113.10" in closed["shops"][0]["ips"] and closed["diff"]["before"]["shops"][0]["maintenance"] is False
    assert shop.config_value("PS_SHOP_ENABLE") == "0"
    assert again["changed"] is False

    opened = switch(shop, tmp_path / "ws", "disabled")
    assert opened["changed"] is True and opened["restored"] is True and states(opened) == [(1, False)]
    assert maintenance_rows(shop) == before
    assert switch(shop, tmp_path / "ws", "disabled")["changed"] is False


def test_a_multistore_keeps_the_shop_that_was_already_closed_closed(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", shop_names=["Main", "Outlet", "Wholesale"], shops_in_maintenance=[2])
    before = maintenance_rows(shop)

    closed = switch(shop, tmp_path / "ws", "enabled", allow_ips=["198.51.100.7"])
    assert states(closed) == [(1, True), (2, True), (3, True)]
    assert all("198.51.100.7" in s["ips"] for s in closed["shops"])
    assert all(op["id_shop"] is not None for op in closed["operations"]), "multistore values are written per shop"

    opened = switch(shop, tmp_path / "ws", "disabled")
    assert states(opened) == [(1, False), (2, True), (3, False)]
    assert maintenance_rows(shop) == before


def test_a_shop_closed_before_the_upgrade_stays_closed(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.0.5", shops_in_maintenance=[1])
    before = maintenance_rows(shop)
    assert switch(shop, tmp_path / "ws", "enabled")["changed"] is False
    switch(shop, tmp_path / "ws", "enabled", allow_ips=["192.0.2.1"])
    assert states(switch(shop, tmp_path / "ws", "disabled")) == [(1, True)]
    assert maintenance_rows(shop) == before


def test_a_fresh_install_without_an_allow_list_row_gets_it_and_loses_it_again(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    execute(shop, f"DELETE FROM {shop.prefix}configuration WHERE name = 'PS_MAINTENANCE_IP'")
    before = maintenance_rows(shop)
    closed = switch(shop, tmp_path / "ws", "enabled", allow_ips=["127.0.0.1"])
    assert any(op["op"] == "insert" and op["name"] == "PS_MAINTENANCE_IP" for op in closed["operations"])
    switch(shop, tmp_path / "ws", "disabled")
    assert maintenance_rows(shop) == before


def test_a_snapshot_left_behind_by_an_opened_shop_is_not_trusted(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    switch(shop, tmp_path / "ws", "enabled", allow_ips=["192.0.2.1"])
    execute(shop, f"UPDATE {shop.prefix}configuration SET value = '1' WHERE name = 'PS_SHOP_ENABLE'")
    execute(shop, f"UPDATE {shop.prefix}configuration SET value = '10.9.8.7' WHERE name = 'PS_MAINTENANCE_IP'")
    opened_by_hand = maintenance_rows(shop)

    switch(shop, tmp_path / "ws", "enabled", allow_ips=["192.0.2.1"])
    switch(shop, tmp_path / "ws", "disabled")
    assert maintenance_rows(shop) == opened_by_hand


def test_without_a_snapshot_disabling_just_opens_the_shops(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5", shops_in_maintenance=[1])
    result = switch(shop, tmp_path / "ws", "disabled")
    assert result["changed"] is True and result["restored"] is False and states(result) == [(1, False)]


def test_an_unknown_shop_id_is_one_clear_error(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    result = switch(shop, tmp_path / "ws", "enabled", shops=[7])
    assert result["failed"] is True and result["msg"] == "no shop with id 7; the shops are 1"
