# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a PrestaShop shop is: its files (root, admin and install folders, version, database parameters) and the
facts its database holds (PS_VERSION_DB, shops and their maintenance state, modules).

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import (
    DbParams,
    default_socket,
    fetch_all,
    quote_identifier,
    split_host,
    table_exists,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_config import (
    PhpConfigError,
    parse_defines,
    parse_parameters_yml,
    parse_return_array,
    unescape_percent,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import declared_versions

PARAMETERS_PHP = "app/config/parameters.php"
PARAMETERS_YML = "app/config/parameters.yml"
SETTINGS_INC = "config/settings.inc.php"

# Top-level folders every release ships; the admin folder is the one folder that is none of these.
CORE_FOLDERS = frozenset((
    "app", "bin", "cache", "classes", "config", "controllers", "docs", "download", "img", "install", "install-dev", "js",
    "localization", "log", "mails", "modules", "override", "pdf", "src", "themes", "tools", "translations", "upload",
    "var", "vendor", "webservice",
))
# Files the back-office folder has carried from 1.6 to 9.x; a folder with index.php and two of these is an admin folder.
ADMIN_MARKERS = ("functions.php", "get-file-admin.php", "init.php", "themes/new-theme", "filemanager", "ajax-tab.php")
INSTALL_FOLDERS = ("install", "install-dev")

# Database parameter keys of parameters.php/yml, and the 1.6 constants holding the same values.
_PARAMETER_KEYS = {"host": "database_host", "port": "database_port", "name": "database_name", "user": "database_user",
                   "password": "database_password", "prefix": "database_prefix", "engine": "database_engine"}
_SETTINGS_CONSTANTS = {"host": "_DB_SERVER_", "name": "_DB_NAME_", "user": "_DB_USER_", "password": "_DB_PASSWD_",
                       "prefix": "_DB_PREFIX_", "engine": "_MYSQL_ENGINE_"}


class ShopError(Exception):
    """A shop that cannot be read, with a one-line reason."""


@dataclass
class ShopFiles:
    root: str
    version: str | None
    version_source: str | None
    declared_versions: dict[str, str]
    admin_dir: str | None
    admin_dir_candidates: list[str]
    install_dir: str | None
    parameters_source: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


def inspect_files(root: str, admin_dir: str | None = None) -> ShopFiles:
    """Read what the shop's files say, without touching its database."""
    root = os.path.abspath(root)
    if not os.path.isdir(root):
        raise ShopError(f"{root} does not exist or is not a directory")
    versions = declared_versions(root)
    if not versions:
        raise ShopError(f"{root} is not a PrestaShop root: none of config/settings.inc.php, app/AppKernel.php, "
                        "src/Core/Version.php declares a version")
    version_source, version = next(iter(versions.items()))
    candidates = find_admin_dirs(root)
    if admin_dir is not None:
        if not os.path.isdir(os.path.join(root, admin_dir)):
            raise ShopError(f"admin folder {admin_dir!r} does not exist in {root}")
        chosen: str | None = admin_dir
    else:
        chosen = candidates[0] if len(candidates) == 1 else None
    install = next((name for name in INSTALL_FOLDERS if os.path.isdir(os.path.join(root, name))), None)
    return ShopFiles(root=root, version=version, version_source=version_source, declared_versions=versions,
                     admin_dir=chosen, admin_dir_candidates=candidates, install_dir=install)


def find_admin_dirs(root: str) -> list[str]:
    """Top-level folders that look like the back office, whatever they were renamed to."""
    found = []
    for entry in sorted(os.listdir(root)):
        path = os.path.join(root, entry)
        if entry in CORE_FOLDERS or entry.startswith(".") or not os.path.isdir(path) or os.path.islink(path):
            continue
        if not os.path.isfile(os.path.join(path, "index.php")):
            continue
        if sum(os.path.exists(os.path.join(path, marker)) for marker in ADMIN_MARKERS) >= 2:
            found.append(entry)
    return found


def read_settings(root: str) -> tuple[str, str, dict[str, Any]]:
    """The shop's configuration file as PrestaShop's bootstrap reads it: (source, kind, values).

    kind "parameters" (1.7+: every key of the `parameters` mapping, `%%` undone) or "constants" (1.6 settings).
    """
    for relative, kind, reader in ((PARAMETERS_PHP, "parameters", _read_parameters_php), (PARAMETERS_YML, "parameters", _read_parameters_yml),
                                   (SETTINGS_INC, "constants", _read_settings_inc)):
        path = os.path.join(root, relative)
        if not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise ShopError(f"cannot read {relative}: {exc}") from None
        try:
            values = reader(text, relative)
        except PhpConfigError as exc:
            raise ShopError(f"cannot read the database parameters: {exc}") from None
        if values:
            return relative, kind, values
    raise ShopError(f"no database parameters in {root}: none of {PARAMETERS_PHP}, {PARAMETERS_YML}, {SETTINGS_INC} holds them")


def read_parameters(root: str) -> tuple[str, dict[str, Any]]:
    """The shop's database parameters: (source file, {host, port, name, user, password, prefix, engine})."""
    source, kind, values = read_settings(root)
    if kind == "constants":
        return source, {key: values.get(constant) for key, constant in _SETTINGS_CONSTANTS.items()}
    return source, {key: values.get(name) for key, name in _PARAMETER_KEYS.items()}


def cache_enabled(root: str) -> bool:
    """Whether the shop's own cache is on (`ps_cache_enable`, 1.6's `_PS_CACHE_ENABLED_`): upgrades need it off."""
    _source, kind, values = read_settings(root)
    value = values.get("_PS_CACHE_ENABLED_" if kind == "constants" else "ps_cache_enable")
    return str(value).strip().lower() in ("1", "true")


def _read_parameters_php(text: str, source: str) -> dict[str, Any] | None:
    data = parse_return_array(text, source)
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(parameters, dict):
        raise PhpConfigError(f"{source} does not return an array with a 'parameters' key")
    return {key: unescape_percent(value) for key, value in parameters.items()}


def _read_parameters_yml(text: str, source: str) -> dict[str, Any] | None:
    parameters = parse_parameters_yml(text, source)
    return {key: unescape_percent(value) for key, value in parameters.items()} or None


def _read_settings_inc(text: str, source: str) -> dict[str, Any] | None:
    constants = parse_defines(text, source)
    return constants if "_DB_NAME_" in constants else None


def db_params(parameters: dict[str, Any], overrides: dict[str, Any]) -> DbParams:
    """Connection parameters from the shop's files, each value replaced by an override that is set."""
    host, port, socket = split_host(str(parameters.get("host") or "localhost"))
    if parameters.get("port") not in (None, ""):
        port = int(parameters["port"])
    values = {"host": host, "port": port, "socket": socket, "name": parameters.get("name"), "user": parameters.get("user"),
              "password": parameters.get("password"), "prefix": parameters.get("prefix"), "engine": parameters.get("engine")}
    values.update({key: value for key, value in overrides.items() if value is not None and key not in ("host", "port", "socket")})
    if overrides.get("host") is not None:
        # An overriding host may carry its own port or socket (host:port, host:/path), as _DB_SERVER_ does; a
        # TCP host given alone no longer uses the socket of the shop's file.
        values["host"], host_port, host_socket = split_host(str(overrides["host"]))
        values["socket"] = host_socket
        if host_port:
            values["port"] = host_port
    for key in ("port", "socket"):
        if overrides.get(key) is not None:
            values[key] = overrides[key]
    missing = [key for key in ("name", "user") if not values.get(key)]
    if missing:
        raise ShopError(f"the database {' and '.join(missing)} are unknown: set db_{' and db_'.join(missing)}")
    return DbParams(name=str(values["name"]), user=str(values["user"]), password=str(values.get("password") or ""),
                    host=str(values["host"] or "localhost"), port=int(values["port"]) if values.get("port") else None,
                    socket=default_socket(str(values["host"] or "localhost"), values.get("port"), values.get("socket")),
                    prefix=str(values["prefix"] if values.get("prefix") is not None else "ps_"),
                    engine=str(values.get("engine") or "InnoDB"))


# --- database facts -----------------------------------------------------------------------------------------------


def table(params: DbParams, name: str) -> str:
    return quote_identifier(params.prefix + name)


def global_configuration(connection: Any, params: DbParams, names: list[str]) -> dict[str, str | None]:
    """Global (all shops) configuration values, as PrestaShop stores them with NULL shop and shop group."""
    rows = fetch_all(connection, f"SELECT name, value FROM {table(params, 'configuration')} "
                     f"WHERE id_shop IS NULL AND id_shop_group IS NULL AND name IN ({', '.join(['%s'] * len(names))}) "
                     "ORDER BY id_configuration", names)
    values: dict[str, str | None] = dict.fromkeys(names)
    for row in rows:
        values[row["name"]] = row["value"]
    return values


def shops(connection: Any, params: DbParams) -> list[dict[str, Any]]:
    """Every shop of the installation with its main URL and effective maintenance state.

    As in Configuration::get(): with multistore on (the flag and more than one shop) a value set for a shop wins
    over its group's, which wins over the global one; with it off only the global value counts.
    """
    shop_rows = fetch_all(connection, f"SELECT s.id_shop, s.id_shop_group, s.name, s.active, s.deleted, u.domain, u.domain_ssl, "
                          f"u.physical_uri, u.virtual_uri FROM {table(params, 'shop')} s "
                          f"LEFT JOIN {table(params, 'shop_url')} u ON u.id_shop = s.id_shop AND u.main = 1 ORDER BY s.id_shop")
    settings = fetch_all(connection, f"SELECT name, value, id_shop, id_shop_group FROM {table(params, 'configuration')} "
                         "WHERE name IN ('PS_SHOP_ENABLE', 'PS_MAINTENANCE_IP') ORDER BY id_configuration")
    if not multistore_active(_multistore_flag(connection, params), len(shop_rows)):
        settings = [row for row in settings if row["id_shop"] is None and row["id_shop_group"] is None]
    result = []
    for row in shop_rows:
        enabled = _effective(settings, "PS_SHOP_ENABLE", row["id_shop"], row["id_shop_group"])
        allowed = _effective(settings, "PS_MAINTENANCE_IP", row["id_shop"], row["id_shop_group"]) or ""
        result.append({
            "id": int(row["id_shop"]),
            "group_id": int(row["id_shop_group"]),
            "name": row["name"],
            "active": bool(row["active"]) and not bool(row["deleted"]),
            "domain": row["domain"],
            "domain_ssl": row["domain_ssl"],
            "uri": (row["physical_uri"] or "") + (row["virtual_uri"] or "") if row["domain"] is not None else None,
            "maintenance": str(enabled if enabled is not None else "1") == "0",
            "maintenance_ips": [ip.strip() for ip in re.split(r"[,;]", allowed) if ip.strip()],
        })
    return result


def _multistore_flag(connection: Any, params: DbParams) -> str | None:
    return global_configuration(connection, params, ["PS_MULTISHOP_FEATURE_ACTIVE"])["PS_MULTISHOP_FEATURE_ACTIVE"]


def multistore_active(feature_flag: str | None, shop_count: int) -> bool:
    """Shop::isFeatureActive(): the multistore flag is on and there is more than one shop."""
    return str(feature_flag) == "1" and shop_count > 1


def _effective(settings: list[dict[str, Any]], name: str, shop_id: int, group_id: int) -> str | None:
    by_scope: dict[str, Any] = {}
    for row in settings:
        if row["name"] != name:
            continue
        if row["id_shop"] is not None:
            scope = "shop" if int(row["id_shop"]) == int(shop_id) else None
        elif row["id_shop_group"] is not None:
            scope = "group" if int(row["id_shop_group"]) == int(group_id) else None
        else:
            scope = "global"
        if scope:
            by_scope[scope] = row["value"]
    return next((by_scope[scope] for scope in ("shop", "group", "global") if scope in by_scope), None)


def installed_modules(connection: Any, params: DbParams, root: str) -> list[dict[str, Any]]:
    """Installed modules: version recorded in the database, version of the code on disk, activation per shop."""
    modules = fetch_all(connection, f"SELECT id_module, name, version, active FROM {table(params, 'module')} ORDER BY name")
    shops_by_module: dict[int, list[int]] = {}
    if table_exists(connection, params.prefix + "module_shop"):
        for row in fetch_all(connection, f"SELECT id_module, id_shop FROM {table(params, 'module_shop')} ORDER BY id_shop"):
            shops_by_module.setdefault(int(row["id_module"]), []).append(int(row["id_shop"]))
    result = []
    for row in modules:
        folder = os.path.join(root, "modules", row["name"])
        result.append({
            "name": row["name"],
            "version_db": row["version"],
            "version_disk": module_version_on_disk(folder, row["name"]),
            "on_disk": os.path.isdir(folder),
            "active": bool(row["active"]),
            "shops": shops_by_module.get(int(row["id_module"]), []),
        })
    return result


_MODULE_CLASS_VERSION = re.compile(r"""\$this\s*->\s*version\s*=\s*['"]([^'"]+)['"]""")
_CONFIG_XML_VERSION = re.compile(r"<version>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)")


def module_version_on_disk(folder: str, name: str) -> str | None:
    """The version the module's code declares: its main class first (what PrestaShop runs), config.xml second."""
    for filename, pattern in ((name + ".php", _MODULE_CLASS_VERSION), ("config.xml", _CONFIG_XML_VERSION)):
        try:
            with open(os.path.join(folder, filename), encoding="utf-8", errors="replace") as handle:
                match = pattern.search(handle.read())
        except OSError:
            continue
        if match:
            return match.group(1)
    return None


# --- module options shared by every module that works on a shop ---------------------------------------------------


def shop_argument_spec(database: bool = True) -> dict[str, Any]:
    """Options of the `shopfleet.prestashop._shop` documentation fragment, plus `._db`'s when `database`."""
    spec: dict[str, Any] = {"shop_root": {"type": "path", "required": True}, "admin_dir": {"type": "str"}}
    if database:
        spec.update({
            "db_host": {"type": "str"},
            "db_port": {"type": "int"},
            "db_socket": {"type": "path"},
            "db_name": {"type": "str"},
            "db_user": {"type": "str"},
            "db_password": {"type": "str", "no_log": True},
            "db_prefix": {"type": "str"},
            "db_connect_timeout": {"type": "int", "default": 10},
        })
    return spec


def db_overrides(module_params: dict[str, Any]) -> dict[str, Any]:
    """The db_* options a user set, keyed like the shop's own parameters."""
    return {key: module_params.get("db_" + key) for key in ("host", "port", "socket", "name", "user", "password", "prefix")}
