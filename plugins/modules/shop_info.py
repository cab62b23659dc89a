#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: shop_info
short_description: Describe a PrestaShop shop, its database, modules and host
version_added: 0.1.0
description:
  - Reads what a shop is without changing anything, for PrestaShop 1.6, 1.7, 8.x and 9.x.
  - From the files, the version in PrestaShop's own order (C(config/settings.inc.php), C(config/autoload.php),
    C(app/AppKernel.php), C(src/Core/Version.php)), the back-office folder whatever it was renamed to, whether
    the install folder is still there, and the database parameters (never the password).
  - From the database, C(PS_VERSION_DB) and whether it matches the code, the shops of a multistore with their
    maintenance state, and the installed modules with their version in the database and on disk.
  - From the host, the PHP version and extensions, and the free space of the shop's filesystem.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
  - shopfleet.prestashop._attributes.INFO_MODULE
options:
  gather_database:
    description:
      - Whether to read the database. With V(false) only the files and the host are read, so a release tree
        without C(parameters.php) can be described too.
    type: bool
    default: true
  php_executable:
    description:
      - PHP command-line binary used to report the PHP version and extensions, found on E(PATH) when not a path.
      - When it is missing, RV(php) is V(null); that is not an error.
    type: str
    default: php
seealso:
  - name: PrestaShop upgrade FAQ
    description: The C(PS_VERSION_DB) mismatch this module reports in RV(version_matches).
    link: https://devdocs.prestashop-project.org/9/faq/upgrade/
"""

EXAMPLES = r"""
- name: Describe a shop from its own configuration files
  shopfleet.prestashop.shop_info:
    shop_root: /var/www/shop
  register: shop

- name: Stop when the database does not match the code (the upgrade FAQ's error)
  ansible.builtin.assert:
    that: shop.version_matches
    fail_msg: "Code is {{ shop.version }} but PS_VERSION_DB is {{ shop.db_version }}"

- name: Reach the database through another address than the shop's own
  shopfleet.prestashop.shop_info:
    shop_root: /var/www/shop
    db_host: 127.0.0.1
    db_port: 3307

- name: Read only the files of an unpacked release
  shopfleet.prestashop.shop_info:
    shop_root: /srv/releases/8.2.1
    gather_database: false
"""

RETURN = r"""
shop_root:
  description: Absolute path of the shop.
  returned: always
  type: str
  sample: /var/www/shop
version:
  description: Version the shop's code declares.
  returned: always
  type: str
  sample: 8.1.7
version_source:
  description: File the version was read from, relative to the shop root.
  returned: always
  type: str
  sample: src/Core/Version.php
declared_versions:
  description:
    - Every version file found and the version it declares. More than one entry that disagree point to a
      half-done upgrade or leftovers of an old one.
  returned: always
  type: dict
  sample: {"src/Core/Version.php": "8.1.7"}
admin_dir:
  description: Back-office folder name, or V(null) when it cannot be told (see RV(admin_dir_candidates)).
  returned: always
  type: str
  sample: admin123abcdefghij
admin_dir_candidates:
  description: Every top-level folder that looks like a back office.
  returned: always
  type: list
  elements: str
  sample: ["admin123abcdefghij"]
install_dir:
  description: Name of the install folder when it is still present (the back office refuses logins then), else V(null).
  returned: always
  type: str
  sample: null
parameters_source:
  description: File the database parameters were read from.
  returned: when O(gather_database=true)
  type: str
  sample: app/config/parameters.php
database:
  description: Where the database is. The password is never returned.
  returned: when O(gather_database=true)
  type: dict
  contains:
    name:
      description: Database name.
      type: str
    user:
      description: Database user.
      type: str
    host:
      description: Server host.
      type: str
    port:
      description: Server port, V(null) for the default or a socket.
      type: int
    socket:
      description: Unix socket used, if any.
      type: str
    prefix:
      description: Table prefix.
      type: str
  sample: {"name": "prestashop", "user": "shop", "host": "127.0.0.1", "port": 3306, "socket": null, "prefix": "ps_"}
table_prefix:
  description: Table prefix of the shop's tables.
  returned: when O(gather_database=true)
  type: str
  sample: ps_
db_version:
  description: C(PS_VERSION_DB), the version of the database schema.
  returned: when O(gather_database=true)
  type: str
  sample: 8.1.7
install_version:
  description: C(PS_INSTALL_VERSION), the version the shop was first installed with.
  returned: when O(gather_database=true)
  type: str
  sample: 1.7.8.5
version_matches:
  description:
    - Whether C(PS_VERSION_DB) equals the code's version (PHP's version_compare). When false, upgrades refuse to
      start until the database is brought to the code's version. V(null) when the database was not read.
  returned: always
  type: bool
  sample: true
multistore:
  description:
    - Whether multistore is in effect, as PrestaShop decides it (C(PS_MULTISHOP_FEATURE_ACTIVE) and more than one shop).
      Only then do per-shop configuration values count.
  returned: when O(gather_database=true)
  type: bool
  sample: false
shops:
  description: Every shop of the installation.
  returned: when O(gather_database=true)
  type: list
  elements: dict
  contains:
    id:
      description: C(id_shop).
      type: int
    group_id:
      description: C(id_shop_group).
      type: int
    name:
      description: Shop name.
      type: str
    active:
      description: Whether the shop is active and not deleted.
      type: bool
    domain:
      description: Main domain, from C(shop_url).
      type: str
    domain_ssl:
      description: Main HTTPS domain.
      type: str
    uri:
      description: Physical plus virtual URI.
      type: str
    maintenance:
      description: Whether the shop is in maintenance (C(PS_SHOP_ENABLE=0) for this shop, its group or globally).
      type: bool
    maintenance_ips:
      description: Addresses still served during maintenance (C(PS_MAINTENANCE_IP)).
      type: list
      elements: str
  sample: [{"id": 1, "group_id": 1, "name": "My shop", "active": true, "domain": "shop.example", "domain_ssl": "shop.example",
            "uri": "/", "maintenance": false, "maintenance_ips": ["127.0.0.1"]}]
modules:
  description: Installed modules.
  returned: when O(gather_database=true)
  type: list
  elements: dict
  contains:
    name:
      description: Technical name.
      type: str
    version_db:
      description: Version recorded in the database (what the module's upgrade scripts start from).
      type: str
    version_disk:
      description: Version the module's code declares, V(null) when its folder or declaration is missing.
      type: str
    on_disk:
      description: Whether the module's folder exists.
      type: bool
    active:
      description: C(module.active).
      type: bool
    shops:
      description: Shops the module is enabled for (C(module_shop)).
      type: list
      elements: int
  sample: [{"name": "ps_linklist", "version_db": "6.0.7", "version_disk": "6.0.7", "on_disk": true, "active": true, "shops": [1]}]
php:
  description: PHP command line of the host, V(null) when there is none.
  returned: always
  type: dict
  contains:
    executable:
      description: Path of the binary.
      type: str
    version:
      description: PHP_VERSION.
      type: str
    extensions:
      description: Loaded extensions, lowercase.
      type: list
      elements: str
  sample: {"executable": "/usr/bin/php", "version": "8.2.36", "extensions": ["curl", "dom", "pdo_mysql"]}
disk:
  description: Space on the filesystem holding the shop.
  returned: always
  type: dict
  contains:
    free_bytes:
      description: Bytes available to unprivileged users.
      type: int
    total_bytes:
      description: Size of the filesystem.
      type: int
  sample: {"free_bytes": 52345678912, "total_bytes": 270582939648}
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import (
    QUERY_ERRORS,
    DbError,
    connect,
    query_error_message,
    require_pymysql,
    table_exists,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._host import disk_space, php_facts
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    installed_modules,
    multistore_active,
    read_parameters,
    shop_argument_spec,
    shops,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(
        gather_database={"type": "bool", "default": True},
        php_executable={"type": "str", "default": "php"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def describe_files(module: AnsibleModule) -> dict[str, Any]:
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    if files.admin_dir is None and len(files.admin_dir_candidates) > 1:
        module.warn(f"several folders look like the back office ({', '.join(files.admin_dir_candidates)}): set admin_dir")
    if len(set(files.declared_versions.values())) > 1:
        module.warn(f"the version files disagree: {files.declared_versions}; PrestaShop uses {files.version_source}")
    return {
        "shop_root": files.root,
        "version": files.version,
        "version_source": files.version_source,
        "declared_versions": files.declared_versions,
        "admin_dir": files.admin_dir,
        "admin_dir_candidates": files.admin_dir_candidates,
        "install_dir": files.install_dir,
        "version_matches": None,
    }


def describe_database(module: AnsibleModule, root: str, code_version: str) -> dict[str, Any]:
    require_pymysql(module)
    source, parameters = read_parameters(root)
    params = db_params(parameters, db_overrides(module.params))
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        if not table_exists(connection, params.prefix + "configuration"):
            raise ShopError(f"no {params.prefix}configuration table in {params.describe()}: wrong database or table prefix?")
        settings = global_configuration(connection, params, ["PS_VERSION_DB", "PS_INSTALL_VERSION", "PS_MULTISHOP_FEATURE_ACTIVE"])
        db_version = settings["PS_VERSION_DB"]
        shop_list = shops(connection, params)
        return {
            "parameters_source": source,
            "database": params.public(),
            "table_prefix": params.prefix,
            "db_version": db_version,
            "install_version": settings["PS_INSTALL_VERSION"],
            "version_matches": db_version is not None and php_version_compare(db_version, code_version) == 0,
            "multistore": multistore_active(settings["PS_MULTISHOP_FEATURE_ACTIVE"], len(shop_list)),
            "shops": shop_list,
            "modules": installed_modules(connection, params, root),
        }
    except QUERY_ERRORS as exc:
        raise DbError(f"reading {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()


def main() -> None:
    module = create_module()
    try:
        result = describe_files(module)
        if module.params["gather_database"]:
            result.update(describe_database(module, result["shop_root"], result["version"]))
    except (ShopError, DbError) as exc:
        module.fail_json(msg=str(exc))
    result["php"] = php_facts(module, module.params["php_executable"])
    disk = disk_space(result["shop_root"])
    result["disk"] = {"free_bytes": disk["free_bytes"], "total_bytes": disk["total_bytes"]}
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
