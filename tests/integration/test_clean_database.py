# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""clean_database through Ansible on a synthetic shop: tab positions renumbered per parent, orphan tab_lang rows."""

from __future__ import annotations

from typing import Any, Callable

from harness.ansible import run_module


def positions(shop: Any) -> dict[int, tuple[int, int]]:
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT id_tab, id_parent, position FROM {shop.prefix}tab")
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def execute(shop: Any, *statements: str) -> None:
    with shop.connect() as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement.replace("PREFIX_", shop.prefix))


def consecutive_per_parent(rows: dict[int, tuple[int, int]], start: int) -> bool:
    by_parent: dict[int, list[int]] = {}
    for parent, position in rows.values():
        by_parent.setdefault(parent, []).append(position)
    return all(sorted(found) == list(range(start, start + len(found))) for found in by_parent.values())


def test_positions_are_renumbered_and_orphans_removed(shop_factory: Callable[..., Any]) -> None:
    shop = shop_factory("8.1.5", prefix="cl_")
    args = {"shop_root": str(shop.root)}
    healthy = run_module("clean_database", args, check=True)
    assert healthy["changed"] is False and healthy["counts"] == {"tab_positions": 0, "orphan_tab_lang": 0}

    execute(shop, "UPDATE PREFIX_tab SET position = position * 3 + 2 WHERE id_parent = 0",
            "INSERT INTO PREFIX_tab_lang (id_tab, id_lang, name) VALUES (99999, 1, 'Gone controller')")
    scrambled = positions(shop)
    predicted = run_module("clean_database", args, check=True, diff=True)
    assert predicted["changed"] is True and predicted["counts"]["orphan_tab_lang"] == 1
    assert predicted["counts"]["tab_positions"] == sum(1 for parent, _position in scrambled.values() if parent == 0)
    assert positions(shop) == scrambled, "check mode writes nothing"

    done = run_module("clean_database", args)
    assert done["changed"] is True and done["counts"] == predicted["counts"]
    after = positions(shop)
    assert consecutive_per_parent(after, 0)
    order_before = sorted((tab for tab, (parent, _p) in scrambled.items() if parent == 0), key=lambda tab: scrambled[tab][1])
    assert sorted(order_before, key=lambda tab: after[tab][1]) == order_before, "the order is kept"
    assert run_module("clean_database", args)["changed"] is False

    official = run_module("clean_database", {**args, "tab_positions_start": 1})
    assert official["changed"] is True and official["counts"]["tab_positions"] == len(after)
    assert consecutive_per_parent(positions(shop), 1)


def test_a_wrong_prefix_is_one_clear_error(shop_factory: Callable[..., Any]) -> None:
    shop = shop_factory("8.1.5", prefix="cw_")
    result = run_module("clean_database", {"shop_root": str(shop.root), "db_prefix": "zz_"})
    assert result["failed"] is True and "has no zz_tab table" in result["msg"]
