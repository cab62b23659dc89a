#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: maintenance
short_description: Put a PrestaShop shop in maintenance and give it back exactly as it was
version_added: 0.1.0
description:
  - Switches maintenance mode (C(PS_SHOP_ENABLE)) for every shop of an installation, multistore included, and adds
    addresses to the maintenance allow-list (C(PS_MAINTENANCE_IP)) so that the upgrade's own checks still reach
    the storefront.
  - Values are written where PrestaShop reads them, per shop when multistore is in effect, globally otherwise.
  - Before the first change it saves the maintenance rows as they were in the shop's workspace;
    O(state=disabled) then restores exactly those rows (values, rows it added removed) instead of merely opening
    the shop, so a shop that was already in maintenance before the upgrade stays in maintenance.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
options:
  state:
    description:
      - V(enabled) puts the shops in maintenance; V(disabled) gives them back.
    type: str
    choices: [enabled, disabled]
    required: true
  allow_ips:
    description:
      - Addresses to add to the maintenance allow-list when enabling. Existing entries are kept.
    type: list
    elements: str
    default: []
  shops:
    description:
      - Ids of the shops to switch. By default every shop of the installation.
    type: list
    elements: int
  restore:
    description:
      - With O(state=disabled), restore the rows saved when maintenance was enabled, when such a snapshot exists.
      - With V(false), or without a snapshot, the shops are simply opened (C(PS_SHOP_ENABLE=1)) and the allow-list
        is left as it is.
    type: bool
    default: true
  workspace:
    description:
      - Root of the workspaces on the host; the snapshot is C(maintenance.json) in the shop's own folder inside it.
      - Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - Computes the rows that would change; writes neither the database nor the snapshot.
  diff_mode:
    support: full
    details:
      - Maintenance state and allow-list of every shop, before and after.
notes:
  - Idempotent. A snapshot is kept only while the shop stays in maintenance; enabling a shop that somebody opened by
    hand in the meantime takes a new snapshot instead of trusting the stale one.
"""

EXAMPLES = r"""
- name: Close the shops for the upgrade, still open to the controller
  shopfleet.prestashop.maintenance:
    shop_root: /var/www/shop
    state: enabled
    allow_ips:
      - 203.0.113.10

- name: Give the shops back as they were before
  shopfleet.prestashop.maintenance:
    shop_root: /var/www/shop
    state: disabled
"""

RETURN = r"""
shops:
  description: Every switched shop, with its maintenance state and allow-list after the run (predicted in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"id": 1, "name": "Main", "maintenance": true, "ips": ["127.0.0.1", "203.0.113.10"]}]
operations:
  description: The configuration rows written, inserted or deleted (what would be, in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"op": "update", "id": 27, "name": "PS_SHOP_ENABLE", "id_shop": null, "id_shop_group": null, "before": "1", "value": "0"}]
restored:
  description: Whether the saved snapshot was restored (O(state=disabled) only).
  returned: success
  type: bool
  sample: true
snapshot:
  description: Path of the snapshot of the rows as they were before maintenance, or V(null) when there is none.
  returned: success
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/maintenance.json
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, fetch_all, query_error_message, require_pymysql
from ansible_collections.shopfleet.prestashop.plugins.module_utils._maintenance import SETTINGS, apply_to_rows, plan_restore, plan_switch, shop_state
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    multistore_active,
    read_parameters,
    shop_argument_spec,
    table,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    read_json,
    utc_now,
    write_json,
)

SNAPSHOT_FORMAT = "shopfleet.maintenance/1"


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(
        state={"type": "str", "choices": ["enabled", "disabled"], "required": True},
        allow_ips={"type": "list", "elements": "str", "default": []},
        shops={"type": "list", "elements": "int"},
        restore={"type": "bool", "default": True},
        workspace={"type": "path"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def read_rows(connection: Any, params: Any) -> list[dict[str, Any]]:
    # The dates as text, so that the snapshot (JSON) can put them back exactly.
    rows = fetch_all(connection, f"SELECT id_configuration, name, value, id_shop, id_shop_group, CAST(date_add AS CHAR) AS date_add, "
                     f"CAST(date_upd AS CHAR) AS date_upd FROM {table(params, 'configuration')} "
                     f"WHERE name IN ({', '.join(['%s'] * len(SETTINGS))}) ORDER BY id_configuration", list(SETTINGS))
    return [{**row, "id_shop": _int_or_none(row["id_shop"]), "id_shop_group": _int_or_none(row["id_shop_group"])} for row in rows]


def read_shops(connection: Any, params: Any) -> list[dict[str, Any]]:
    rows = fetch_all(connection, f"SELECT id_shop, id_shop_group, name FROM {table(params, 'shop')} ORDER BY id_shop")
    return [{"id": int(row["id_shop"]), "group_id": int(row["id_shop_group"]), "name": row["name"]} for row in rows]


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def build_plan(module: AnsibleModule, rows: list[dict[str, Any]], shops: list[dict[str, Any]], multistore: bool,
               snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """What to do: row operations, and what happens to the snapshot ('save', 'delete' or None)."""
    wanted = module.params["shops"]
    if wanted:
        unknown = sorted(set(wanted) - {shop["id"] for shop in shops})
        if unknown:
            raise ShopError(f"no shop with id {', '.join(map(str, unknown))}; the shops are {', '.join(str(s['id']) for s in shops)}")
        shops = [shop for shop in shops if shop["id"] in wanted]
    in_maintenance = any(shop_state(rows, shop, multistore)["maintenance"] for shop in shops)
    if module.params["state"] == "enabled":
        # A snapshot is the state before *this* maintenance; a shop found open means the old one is stale.
        save = snapshot is None or not in_maintenance
        operations = plan_switch(rows, shops, multistore, True, module.params["allow_ips"])
        return {"shops": shops, "operations": operations, "snapshot": "save" if save and operations else None, "restored": False}
    if snapshot is not None and module.params["restore"]:
        return {"shops": shops, "operations": plan_restore(rows, snapshot["rows"]), "snapshot": "delete", "restored": True}
    return {"shops": shops, "operations": plan_switch(rows, shops, multistore, False, []), "snapshot": None, "restored": False}


def apply_operations(connection: Any, params: Any, operations: list[dict[str, Any]]) -> None:
    configuration = table(params, "configuration")
    with connection.cursor() as cursor:
        connection.begin()
        try:
            for operation in operations:
                if operation["op"] == "update":
                    cursor.execute(f"UPDATE {configuration} SET value = %s, date_upd = COALESCE(%s, NOW()) WHERE id_configuration = %s",
                                   (operation["value"], operation.get("date_upd"), operation["id"]))
                elif operation["op"] == "delete":
                    cursor.execute(f"DELETE FROM {configuration} WHERE id_configuration = %s", (operation["id"],))
                else:
                    cursor.execute(f"INSERT INTO {configuration} (id_configuration, id_shop_group, id_shop, name, value, date_add, date_upd) "
                                   "VALUES (%s, %s, %s, %s, %s, COALESCE(%s, NOW()), COALESCE(%s, NOW()))",
                                   (operation.get("id"), operation["id_shop_group"], operation["id_shop"], operation["name"], operation["value"],
                                    operation.get("date_add"), operation.get("date_upd")))
            connection.commit()
        except BaseException:
            connection.rollback()
            raise


def describe(rows: list[dict[str, Any]], shops: list[dict[str, Any]], multistore: bool) -> list[dict[str, Any]]:
    return [{"id": shop["id"], "name": shop["name"], **shop_state(rows, shop, multistore)} for shop in shops]


def run(module: AnsibleModule) -> dict[str, Any]:
    require_pymysql(module)
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    params = db_params(read_parameters(files.root)[1], db_overrides(module.params))
    workspace = Workspace.for_shop(files.root, module.params["workspace"])
    snapshot_path = os.path.join(workspace.root, "maintenance.json")
    snapshot = read_json(snapshot_path)
    if snapshot is not None and snapshot.get("format") != SNAPSHOT_FORMAT:
        raise WorkspaceError(f"{snapshot_path} is not a maintenance snapshot of ours: move it away")
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        rows = read_rows(connection, params)
        shops = read_shops(connection, params)
        flag = global_configuration(connection, params, ["PS_MULTISHOP_FEATURE_ACTIVE"])["PS_MULTISHOP_FEATURE_ACTIVE"]
        multistore = multistore_active(flag, len(shops))
        plan = build_plan(module, rows, shops, multistore, snapshot)
        after = apply_to_rows(rows, plan["operations"])
        changed = bool(plan["operations"]) or (plan["snapshot"] == "delete" and snapshot is not None)
        if changed and not module.check_mode:
            if plan["snapshot"] == "save":
                ensure_private_dir(workspace.root)
                write_json(snapshot_path, {"format": SNAPSHOT_FORMAT, "saved": utc_now(), "shop_root": files.root, "rows": rows})
            apply_operations(connection, params, plan["operations"])
            if plan["snapshot"] == "delete":
                os.unlink(snapshot_path)
    except QUERY_ERRORS as exc:
        raise DbError(f"switching maintenance in {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()
    kept = snapshot_path if (plan["snapshot"] == "save" or (snapshot is not None and plan["snapshot"] != "delete")) else None
    return {
        "changed": changed,
        "shops": describe(after, plan["shops"], multistore),
        "operations": plan["operations"],
        "restored": plan["restored"] and changed,
        "snapshot": kept,
        "diff": {"before": {"shops": describe(rows, plan["shops"], multistore)}, "after": {"shops": describe(after, plan["shops"], multistore)}},
    }


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except (ShopError, DbError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
