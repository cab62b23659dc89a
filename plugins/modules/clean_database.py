#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: clean_database
short_description: Tidy a PrestaShop database after an upgrade (CleanDatabase)
version_added: 0.1.0
description:
  - "Does what the official upgrade's cleanup does: renumbers the back-office menu (C(tab) rows) per parent, the
    dashboard (C(AdminHome), C(AdminDashboard)) first, then by current position, ties by C(id_tab)."
  - "Numbering starts at O(tab_positions_start). PrestaShop's core numbers from 0 (a new tab gets the number of its
    siblings), the official cleanup from 1, which rewrites every row of a healthy shop. The default, 0, follows
    the core: a shop whose positions are already consecutive is left untouched."
  - Removes C(tab_lang) rows whose tab no longer exists (left behind when migrations remove back-office
    controllers), when O(remove_orphan_tab_lang) is true.
  - Idempotent; all changes in one transaction.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
options:
  tab_positions_start:
    description:
      - The first position of each parent's tabs, see the description.
    type: int
    choices: [0, 1]
    default: 0
  remove_orphan_tab_lang:
    description:
      - Whether C(tab_lang) rows of tabs that no longer exist are deleted.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details:
      - Counts the rows that would change; writes nothing.
  diff_mode:
    support: full
    details:
      - The tabs whose position changes, before and after.
seealso:
  - module: shopfleet.prestashop.upgrade_db
"""

EXAMPLES = r"""
- name: Tidy the database after the upgrade
  shopfleet.prestashop.clean_database:
    shop_root: /var/www/shop

- name: Number the menu from 1 like the official module does
  shopfleet.prestashop.clean_database:
    shop_root: /var/www/shop
    tab_positions_start: 1
"""

RETURN = r"""
counts:
  description: Rows changed (or, in check mode, that would change).
  returned: success
  type: dict
  sample: {"tab_positions": 3, "orphan_tab_lang": 2}
tab_positions:
  description: The tabs whose position changes.
  returned: success
  type: list
  elements: dict
  sample: [{"id_tab": 12, "id_parent": 2, "class_name": "AdminOrders", "before": 4, "after": 2}]
duration_s:
  description: How long the step took, in seconds.
  returned: success
  type: float
"""

import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import (
    QUERY_ERRORS,
    DbError,
    connect,
    fetch_all,
    fetch_value,
    query_error_message,
    require_pymysql,
    table_exists,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    inspect_files,
    read_parameters,
    shop_argument_spec,
    table,
)

DASHBOARD_TABS = ("AdminHome", "AdminDashboard")


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(
        tab_positions_start={"type": "int", "choices": [0, 1], "default": 0},
        remove_orphan_tab_lang={"type": "bool", "default": True},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def plan_tab_positions(rows: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    """The tabs whose position changes when each parent's tabs are numbered from `start`, the dashboard first."""
    by_parent: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_parent.setdefault(int(row["id_parent"]), []).append(row)
    changes = []
    for parent in sorted(by_parent):
        siblings = sorted(by_parent[parent], key=lambda row: (0 if row["class_name"] in DASHBOARD_TABS else 1, int(row["position"]), int(row["id_tab"])))
        for position, row in enumerate(siblings, start):
            if int(row["position"]) != position:
                changes.append({"id_tab": int(row["id_tab"]), "id_parent": parent, "class_name": row["class_name"],
                                "before": int(row["position"]), "after": position})
    return changes


def orphan_tab_lang_count(connection: Any, params: Any) -> int:
    return int(fetch_value(connection, f"SELECT COUNT(*) FROM {table(params, 'tab_lang')} tl LEFT JOIN {table(params, 'tab')} t "
                                       "ON t.id_tab = tl.id_tab WHERE t.id_tab IS NULL") or 0)


def apply(connection: Any, params: Any, changes: list[dict[str, Any]], remove_orphans: bool) -> None:
    with connection.cursor() as cursor:
        connection.begin()
        try:
            for change in changes:
                cursor.execute(f"UPDATE {table(params, 'tab')} SET position = %s WHERE id_tab = %s AND id_parent = %s",
                               (change["after"], change["id_tab"], change["id_parent"]))
            if remove_orphans:
                cursor.execute(f"DELETE tl FROM {table(params, 'tab_lang')} tl LEFT JOIN {table(params, 'tab')} t "
                               "ON t.id_tab = tl.id_tab WHERE t.id_tab IS NULL")
            connection.commit()
        except BaseException:
            connection.rollback()
            raise


def run(module: AnsibleModule) -> dict[str, Any]:
    started = time.monotonic()
    require_pymysql(module)
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    params = db_params(read_parameters(files.root)[1], db_overrides(module.params))
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        if not table_exists(connection, params.prefix + "tab"):
            raise DbError(f"{params.describe()} has no {params.prefix}tab table: is the prefix right?")
        rows = fetch_all(connection, f"SELECT id_tab, id_parent, class_name, position FROM {table(params, 'tab')}")
        changes = plan_tab_positions(rows, module.params["tab_positions_start"])
        orphans = orphan_tab_lang_count(connection, params) if module.params["remove_orphan_tab_lang"] else 0
        changed = bool(changes or orphans)
        if changed and not module.check_mode:
            apply(connection, params, changes, bool(orphans))
    except QUERY_ERRORS as exc:
        raise DbError(f"cleaning {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()
    result = {"changed": changed, "counts": {"tab_positions": len(changes), "orphan_tab_lang": orphans}, "tab_positions": changes,
              "duration_s": round(time.monotonic() - started, 2)}
    if module._diff:
        result["diff"] = {"before": {"tab_positions": {str(change["id_tab"]): change["before"] for change in changes}, "orphan_tab_lang": orphans},
                          "after": {"tab_positions": {str(change["id_tab"]): change["after"] for change in changes}, "orphan_tab_lang": 0}}
    return result


def main() -> None:
    module = create_module()
    try:
        result = run(module)
    except (ShopError, DbError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
