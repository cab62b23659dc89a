#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: db_version
short_description: Check and repair the PS_VERSION_DB / code version mismatch of the upgrade FAQ
version_added: 0.1.0
description:
  - Reports the version the shop's code declares and C(PS_VERSION_DB), the version of its database schema.
    PrestaShop's upgrade refuses to start when they differ (the upgrade FAQ's "The version of PrestaShop does
    not match the one stored in database").
  - With O(state=present), fixes a mismatch the right way. A database behind its code gets the database upgrade
    step (the same run as M(shopfleet.prestashop.upgrade_db)) for the missing range, so its schema really
    reaches the code's version before C(PS_VERSION_DB) says so.
  - Setting C(PS_VERSION_DB) by hand is possible only with O(force=true).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
options:
  state:
    description:
      - V(report) only reads. V(present) brings the database to O(target_version) (the code's version by default).
    type: str
    choices: [report, present]
    default: report
  target_version:
    description: The version the database must reach; by default the version the shop's files declare.
    type: str
  force:
    description:
      - With O(state=present), write O(target_version) into C(PS_VERSION_DB) without running any migration.
      - B(Dangerous.) The schema then claims a version it may not have, and every later upgrade starts from that
        claim, skipping the migrations it believes done. Use it only when you know the schema is at that version
        (for instance after running the migrations by other means).
    type: bool
    default: false
  migrations:
    description:
      - Where the migrations are (a folder like PrestaShop/autoupgrade's C(upgrade/), its archive, or a release's
        C(install/upgrade)); see M(shopfleet.prestashop.upgrade_db). Needed to repair a database behind its code.
    type: path
  install_dir:
    description: The target release's C(install/) folder, for the callbacks that read it (see M(shopfleet.prestashop.upgrade_db)).
    type: path
  callback_errors:
    description: What a failing PHP callback does (see M(shopfleet.prestashop.upgrade_db)).
    type: str
    choices: [fail, warn]
    default: fail
  boot_kernel:
    description: Whether the PHP runner boots the shop's Symfony kernel (see M(shopfleet.prestashop.upgrade_db)).
    type: str
    choices: [auto, always, never]
    default: auto
  php:
    description: PHP command line of the host.
    type: str
    default: php
  clear_cache:
    description: Empty the shop's caches after the migrations.
    type: bool
    default: true
  regenerate_htaccess:
    description: Regenerate C(.htaccess) after the migrations.
    type: bool
    default: true
  schema_update:
    description: Run the Doctrine schema update after the migrations.
    type: bool
    default: false
  workspace:
    description: Root of the workspaces on the host (journals of the repair).
    type: path
attributes:
  check_mode:
    support: full
    details:
      - Says what would be done; a repair lists the migrations that would run.
  diff_mode:
    support: full
    details:
      - C(PS_VERSION_DB) before and after.
notes:
  - A database ahead of its code (files restored without the database) is an error; this module never runs
    migrations backwards. Restore the matching database backup, or the matching files.
seealso:
  - module: shopfleet.prestashop.upgrade_db
  - module: shopfleet.prestashop.shop_info
  - name: PrestaShop upgrade FAQ
    description: The PS_VERSION_DB mismatch and its fix.
    link: https://devdocs.prestashop-project.org/9/faq/upgrade/
"""

EXAMPLES = r"""
- name: Is the database at the code's version?
  shopfleet.prestashop.db_version:
    shop_root: /var/www/shop
  register: versions

- name: Bring a database behind its code to the code's version (the FAQ's fix)
  shopfleet.prestashop.db_version:
    shop_root: /var/www/shop
    state: present
    migrations: /srv/autoupgrade/upgrade
"""

RETURN = r"""
code_version:
  description: The version the shop's files declare.
  returned: success
  type: str
  sample: 8.1.7
db_version:
  description: C(PS_VERSION_DB) before the run.
  returned: success
  type: str
  sample: 8.1.5
target_version:
  description: The version the database must be at.
  returned: success
  type: str
  sample: 8.1.7
status:
  description: V(match), V(database_behind), V(database_ahead) or V(missing) (no C(PS_VERSION_DB) row), before the run.
  returned: success
  type: str
  sample: database_behind
action:
  description: What the run did (would do, in check mode). V(none), V(upgrade) (the migrations ran) or V(forced).
  returned: success
  type: str
  sample: upgrade
upgrade:
  description: The database upgrade's own result when migrations ran (see M(shopfleet.prestashop.upgrade_db)).
  returned: when RV(action=upgrade)
  type: dict
  sample: {"from_version": "8.1.5", "target_version": "8.1.7", "migrations": [{"name": "8.1.7", "applied": 12}]}
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, query_error_message, require_pymysql
from ansible_collections.shopfleet.prestashop.plugins.module_utils._dbupgrade import run as run_upgrade
from ansible_collections.shopfleet.prestashop.plugins.module_utils._dbupgrade import upgrade_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._migrations import MigrationError
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    read_parameters,
    shop_argument_spec,
    table,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import WorkspaceError


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(upgrade_argument_spec())
    argument_spec.update(
        state={"type": "str", "choices": ["report", "present"], "default": "report"},
        force={"type": "bool", "default": False},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def status_of(db_version: str | None, target: str) -> str:
    if db_version is None:
        return "missing"
    order = php_version_compare(db_version, target)
    return "match" if order == 0 else ("database_behind" if order < 0 else "database_ahead")


def plan(state: str, status: str, force: bool) -> str:
    """The action: none, upgrade or forced; ShopError when the state cannot be reached the right way."""
    if state == "report" or status == "match":
        return "none"
    if force:
        return "forced"
    if status == "database_behind":
        return "upgrade"
    if status == "missing":
        raise ShopError("PS_VERSION_DB is missing, so the migrations to run are unknown: set it with force=true once you know the schema's version")
    raise ShopError("the database is ahead of the code: no migration runs backwards. Restore the matching database backup or the matching "
                    "files (force=true would write the code's version over it)")


def force_version(connection: Any, params: Any, target: str) -> None:
    configuration = table(params, "configuration")
    with connection.cursor() as cursor:
        updated = cursor.execute(f"UPDATE {configuration} SET value = %s, date_upd = NOW() WHERE name = 'PS_VERSION_DB' "
                                 "AND id_shop IS NULL AND id_shop_group IS NULL", (target,))
        if not updated:
            cursor.execute(f"INSERT INTO {configuration} (id_shop_group, id_shop, name, value, date_add, date_upd) "
                           "VALUES (NULL, NULL, 'PS_VERSION_DB', %s, NOW(), NOW())", (target,))


def run(module: AnsibleModule) -> dict[str, Any]:
    require_pymysql(module)
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    params = db_params(read_parameters(files.root)[1], db_overrides(module.params))
    target = module.params["target_version"] or files.version
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        db_version = global_configuration(connection, params, ["PS_VERSION_DB"])["PS_VERSION_DB"]
        status = status_of(db_version, target)
        action = plan(module.params["state"], status, module.params["force"])
        if action == "forced" and not module.check_mode:
            module.warn(f"PS_VERSION_DB forced from {db_version} to {target} without running any migration")
            force_version(connection, params, target)
    except QUERY_ERRORS as exc:
        raise DbError(f"reading {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()
    result: dict[str, Any] = {"changed": action != "none", "code_version": files.version, "db_version": db_version, "target_version": target,
                              "status": status, "action": action, "diff": {"before": {"ps_version_db": db_version},
                                                                           "after": {"ps_version_db": target if action != "none" else db_version}}}
    if action == "upgrade":
        module.params["target_version"] = target
        upgrade = run_upgrade(module)
        result["changed"] = upgrade["changed"]
        result["upgrade"] = {key: value for key, value in upgrade.items() if key not in ("changed", "diff")}
    return result


def main() -> None:
    module = create_module()
    try:
        result = run(module)
    except (ShopError, DbError, WorkspaceError, MigrationError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
