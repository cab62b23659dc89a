# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""UpgradeNow: the route of an upgrade through the documented steps, and the checklist that may block it.

Everything here is pure: the module gathers facts, these functions decide, tests assert on the decisions.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare

UPGRADE_STEPS = ("UpgradeNow", "Download", "Unzip", "RemoveSamples", "BackupFiles", "BackupDb", "UpgradeFiles", "UpgradeDb",
                 "UpgradeModules", "CleanDatabase", "UpgradeComplete")
# PrestaShop's state diagram: a personal archive goes from UpgradeNow to Unzip, an unzipped folder to RemoveSamples.
_FIRST_STEP_AFTER_UPGRADE_NOW = {"minor": "Download", "major": "Download", "archive": "Unzip", "directory": "RemoveSamples"}

# What PrestaShop's own checks require of PHP (json is built in since PHP 8).
REQUIRED_EXTENSIONS = ("curl", "dom", "fileinfo", "gd", "iconv", "intl", "json", "mbstring", "openssl", "pdo_mysql", "simplexml", "zip")
# Folders the upgrade writes in, relative to the shop root ("<admin>" is the back-office folder).
WRITABLE_FOLDERS = (".", "app/config", "cache", "config", "img", "mails", "modules", "override", "themes", "translations", "upload",
                    "download", "var", "<admin>")
# The 1.7 line's supported PHP, as the official module has it (8.0+ ranges come from the release itself).
PHP_RANGES_17 = (("1.7.0", "5.4", "7.1"), ("1.7.4", "5.6", "7.1"), ("1.7.5", "5.6", "7.2"), ("1.7.7", "5.6", "7.3"), ("1.7.8", "5.6", "7.4"))
# A release of about 330 MB unpacked ships as an ~85 MB zip: when only the zip is known, this is the unpacked size.
UNZIPPED_PER_ZIPPED = 4
UNKNOWN_RELEASE_ZIP_BYTES = 120 << 20
WORKSPACE_MARGIN_BYTES = 100 << 20


def route(channel: str, backup: bool = True) -> dict[str, list[str]]:
    """The steps to run (the documented diagram's path for this channel), and those the options turn off."""
    first = _FIRST_STEP_AFTER_UPGRADE_NOW[channel]
    steps = ["UpgradeNow"] + list(UPGRADE_STEPS[UPGRADE_STEPS.index(first):])
    skipped = [] if backup else ["BackupFiles", "BackupDb"]
    return {"route": steps, "skipped_steps": skipped}


def php_range_17(target: str) -> tuple[str, str] | None:
    """The official module's PHP range for a 1.7 target (its table), None for other lines."""
    if not target.startswith("1.7."):
        return None
    found = None
    for since, low, high in PHP_RANGES_17:
        if php_version_compare(target, since) >= 0:
            found = (low, high)
    return found


def _major_minor(version: str) -> str:
    return ".".join(re.findall(r"[0-9]+", version)[:2])


def _max_from_id(version_id: int) -> str:
    # PrestaShop's installer compares PHP_VERSION_ID with e.g. 81099, which reads as 8.10.99.
    return f"{version_id // 10000}.{(version_id // 100) % 100}.{version_id % 100}"


def check_php(php: dict[str, Any] | None, php_min: str | None, php_max: str | None, php_max_id: int | None, target: str) -> dict[str, Any]:
    name = "php_version"
    if php is None:
        return item(name, "blocking", "no PHP command line on the host: the upgrade runs PrestaShop's own PHP")
    version = php["version"]
    if not php_min and not php_max:
        return item(name, "warning", f"the PHP range of PrestaShop {target} is unknown; the host has {version}")
    if php_min and php_version_compare(_major_minor(version), _major_minor(php_min)) < 0:
        return item(name, "blocking", f"PrestaShop {target} needs PHP {php_min} or newer; the host has {version}")
    if php_max and php_version_compare(_major_minor(version), _major_minor(php_max)) > 0:
        if php_max_id and php_version_compare(version, _max_from_id(php_max_id)) <= 0:
            return item(name, "warning", f"PrestaShop {target} declares PHP up to {php_max}; the host has {version}, which its installer "
                                         f"accepts (up to {_max_from_id(php_max_id)}) but PrestaShop does not support")
        return item(name, "blocking", f"PrestaShop {target} supports PHP {php_min or '?'} to {php_max}; the host has {version}")
    return item(name, "ok", f"PHP {version} is in PrestaShop {target}'s range ({php_min or '?'} to {php_max or '?'})")


def item(name: str, status: str, message: str) -> dict[str, str]:
    return {"name": name, "status": status, "message": message}


def checklist(facts: dict[str, Any]) -> list[dict[str, str]]:
    """The checklist of an upgrade from facts gathered by upgrade_check (see its `facts` return)."""
    current, target, db_version = facts["version"], facts["target_version"], facts["db_version"]
    items = []
    if target is None:
        items.append(item("target", "ok", f"no release newer than {current} in this channel"))
    elif php_version_compare(target, current) < 0:
        items.append(item("no_downgrade", "blocking", f"the target {target} is older than the shop's {current}: PrestaShop cannot be downgraded"))
    else:
        items.append(item("no_downgrade", "ok", f"{current} → {target}"))
    if db_version is None:
        items.append(item("version_match", "blocking", "PS_VERSION_DB is missing from the configuration table"))
    elif php_version_compare(db_version, current) != 0:
        items.append(item("version_match", "blocking",
                          f"the code is {current} but PS_VERSION_DB is {db_version} (the upgrade FAQ's mismatch): bring the database to the "
                          f"code's version first (shopfleet.prestashop.db_version), or the upgrade would skip or replay migrations"))
    else:
        items.append(item("version_match", "ok", f"PS_VERSION_DB equals the code's version {current}"))
    if target is not None:
        items.append(check_php(facts["php"], facts.get("php_min"), facts.get("php_max"), facts.get("php_max_id"), target))
    php = facts["php"]
    if php is not None:
        missing = [name for name in REQUIRED_EXTENSIONS if name not in php["extensions"] and not (name == "json" and _php8(php["version"]))]
        items.append(item("php_extensions", "blocking", f"PHP lacks the extensions {', '.join(missing)}") if missing
                     else item("php_extensions", "ok", "every extension PrestaShop needs is loaded"))
    unwritable = facts["unwritable"]
    items.append(item("writable", "blocking", f"not writable by {facts['user']}: {', '.join(unwritable)}") if unwritable
                 else item("writable", "ok", f"the shop's folders are writable by {facts['user']}"))
    items.append(item("shop_cache", "blocking", "the shop's cache is on (ps_cache_enable / _PS_CACHE_ENABLED_): turn it off for the upgrade")
                 if facts["cache_enabled"] else item("shop_cache", "ok", "the shop's cache is off"))
    open_shops = [shop["name"] for shop in facts["shops"] if not shop["maintenance"]]
    items.append(item("maintenance", "warning", f"not in maintenance: {', '.join(open_shops)} (the upgrade role puts them in maintenance)")
                 if open_shops else item("maintenance", "ok", "every shop is in maintenance"))
    disk = facts["disk"]
    short = [f"{place['path']} needs {_mb(place['required_bytes'])} and has {_mb(place['free_bytes'])} free" for place in disk if place["short"]]
    if short:
        items.append(item("disk_space", "blocking", "not enough free space: " + "; ".join(short)))
    else:
        room = "; ".join(f"{place['path']}: {_mb(place['required_bytes'])} needed, {_mb(place['free_bytes'])} free" for place in disk)
        items.append(item("disk_space", "ok", room))
    if facts["install_dir"]:
        items.append(item("install_folder", "blocking",
                          f"the install folder {facts['install_dir']}/ is still in the shop: remove it (the back office refuses logins while it exists)"))
    else:
        items.append(item("install_folder", "ok", "no install folder in the shop"))
    if len(facts["shops"]) > 1:
        items.append(item("multistore", "warning", f"{len(facts['shops'])} shops share these files and this database and are upgraded together: "
                                                   + ", ".join(shop["name"] for shop in facts["shops"])))
    return items


def blocking(items: list[dict[str, str]], ignored: list[str]) -> list[dict[str, str]]:
    return [entry for entry in items if entry["status"] == "blocking" and entry["name"] not in ignored]


def disk_needs(places: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum what each filesystem must hold; `places` are {path, device, free_bytes, required_bytes}."""
    by_device: dict[Any, dict[str, Any]] = {}
    for place in places:
        entry = by_device.setdefault(place["device"], {"path": place["path"], "free_bytes": place["free_bytes"], "required_bytes": 0, "needs": []})
        entry["required_bytes"] += place["required_bytes"]
        entry["needs"].append(place["need"])
    return [{**entry, "short": entry["required_bytes"] > entry["free_bytes"]} for entry in by_device.values()]


def _php8(version: str) -> bool:
    return php_version_compare(version, "8.0.0") >= 0


def _mb(size: int) -> str:
    return f"{size / 1048576:.0f} MB"
