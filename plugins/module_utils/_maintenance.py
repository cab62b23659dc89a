# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Maintenance mode as PrestaShop stores it: PS_SHOP_ENABLE and PS_MAINTENANCE_IP rows of `configuration`.

Planning is pure: it takes the rows and the shops and returns the row operations that reach the wanted state, so
tests assert on plans and check mode returns one.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import re
from typing import Any

SETTINGS = ("PS_SHOP_ENABLE", "PS_MAINTENANCE_IP")


def split_ips(value: str | None) -> list[str]:
    return [ip.strip() for ip in re.split(r"[,;]", value or "") if ip.strip()]


def effective(rows: list[dict[str, Any]], name: str, shop: dict[str, Any], multistore: bool) -> dict[str, Any] | None:
    """The row PrestaShop reads for this shop: shop row, else group row, else global (only global without multistore)."""
    candidates = [row for row in rows if row["name"] == name]
    if multistore:
        for matches in (lambda r: r["id_shop"] == shop["id"],
                        lambda r: r["id_shop"] is None and r["id_shop_group"] == shop["group_id"]):
            found = [row for row in candidates if matches(row)]
            if found:
                return found[-1]
    found = [row for row in candidates if row["id_shop"] is None and row["id_shop_group"] is None]
    return found[-1] if found else None


def shop_state(rows: list[dict[str, Any]], shop: dict[str, Any], multistore: bool) -> dict[str, Any]:
    enable = effective(rows, "PS_SHOP_ENABLE", shop, multistore)
    ips = effective(rows, "PS_MAINTENANCE_IP", shop, multistore)
    return {"maintenance": enable is not None and str(enable["value"]) == "0", "ips": split_ips(ips["value"] if ips else None)}


def _write_scope(shop: dict[str, Any], multistore: bool) -> tuple[int | None, int | None]:
    """(id_shop, id_shop_group) of the row to write so that PrestaShop reads it for this shop."""
    return (shop["id"], shop["group_id"]) if multistore else (None, None)


def _set(operations: list[dict[str, Any]], rows: list[dict[str, Any]], name: str, scope: tuple[int | None, int | None], value: str) -> None:
    id_shop, id_shop_group = scope
    existing = [row for row in rows if row["name"] == name and row["id_shop"] == id_shop and row["id_shop_group"] == id_shop_group]
    if existing:
        row = existing[-1]
        if str(row["value"]) != value:
            operations.append({"op": "update", "id": row["id_configuration"], "name": name, "id_shop": id_shop,
                               "id_shop_group": id_shop_group, "before": row["value"], "value": value})
            row["value"] = value
    else:
        operations.append({"op": "insert", "name": name, "id_shop": id_shop, "id_shop_group": id_shop_group, "value": value})
        rows.append({"id_configuration": None, "name": name, "id_shop": id_shop, "id_shop_group": id_shop_group, "value": value})


def plan_switch(rows: list[dict[str, Any]], shops: list[dict[str, Any]], multistore: bool, enable: bool,
                allow_ips: list[str]) -> list[dict[str, Any]]:
    """Row operations that put every given shop in (or out of) maintenance, allow-listing `allow_ips` when enabling."""
    rows = [dict(row) for row in rows]
    operations: list[dict[str, Any]] = []
    for shop in shops:
        state = shop_state(rows, shop, multistore)
        scope = _write_scope(shop, multistore)
        if state["maintenance"] != enable:
            _set(operations, rows, "PS_SHOP_ENABLE", scope, "0" if enable else "1")
        missing = [ip for ip in allow_ips if ip not in state["ips"]]
        if enable and missing:
            _set(operations, rows, "PS_MAINTENANCE_IP", scope, ",".join(state["ips"] + missing))
    return operations


def _saved_dates(row: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The row's dates as the snapshot saved them (snapshots of older versions have none: the writer uses NOW())."""
    return {name: row[name] for name in names if row.get(name)}


def plan_restore(rows: list[dict[str, Any]], saved: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Row operations that bring the maintenance rows back exactly to a saved snapshot of them."""
    operations: list[dict[str, Any]] = []
    saved_by_id = {row["id_configuration"]: row for row in saved}
    current_by_id = {row["id_configuration"]: row for row in rows}
    for row in rows:
        before = saved_by_id.get(row["id_configuration"])
        if before is None:
            operations.append({"op": "delete", "id": row["id_configuration"], "name": row["name"], "id_shop": row["id_shop"],
                               "id_shop_group": row["id_shop_group"], "before": row["value"]})
        elif str(before["value"]) != str(row["value"]) or before["name"] != row["name"]:
            operations.append({"op": "update", "id": row["id_configuration"], "name": before["name"], "id_shop": row["id_shop"],
                               "id_shop_group": row["id_shop_group"], "before": row["value"], "value": before["value"],
                               **_saved_dates(before, ("date_upd",))})
    for row in saved:
        if row["id_configuration"] not in current_by_id:
            operations.append({"op": "insert", "id": row["id_configuration"], "name": row["name"], "id_shop": row["id_shop"],
                               "id_shop_group": row["id_shop_group"], "value": row["value"], **_saved_dates(row, ("date_add", "date_upd"))})
    return operations


def apply_to_rows(rows: list[dict[str, Any]], operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows as they will be once the operations ran (for predictions and diffs)."""
    result = [dict(row) for row in rows]
    for operation in operations:
        if operation["op"] == "insert":
            result.append({"id_configuration": operation.get("id"), "name": operation["name"], "id_shop": operation["id_shop"],
                           "id_shop_group": operation["id_shop_group"], "value": operation["value"]})
        elif operation["op"] == "update":
            for row in result:
                if row["id_configuration"] == operation["id"]:
                    row["value"] = operation["value"]
        else:
            result = [row for row in result if row["id_configuration"] != operation["id"]]
    return result
