# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._preflight import blocking, check_php, checklist, disk_needs, php_range_17, route

PHP82 = {"version": "8.2.36", "extensions": ["curl", "dom", "fileinfo", "gd", "iconv", "intl", "mbstring", "openssl", "pdo_mysql", "simplexml", "zip"]}


def facts(**changes: Any) -> dict[str, Any]:
    base = {"version": "8.1.5", "target_version": "8.1.7", "db_version": "8.1.5", "php": PHP82, "php_min": "7.2.5", "php_max": "8.4",
            "php_max_id": None, "unwritable": [], "user": "deploy", "cache_enabled": False, "install_dir": None,
            "shops": [{"name": "Main", "maintenance": True}],
            "disk": [{"path": "/var/www", "required_bytes": 10, "free_bytes": 100, "short": False, "needs": ["backup"]}]}
    base.update(changes)
    return base


def test_routes_follow_the_documented_diagram() -> None:
    assert route("minor")["route"][:3] == ["UpgradeNow", "Download", "Unzip"]
    assert route("archive")["route"][:3] == ["UpgradeNow", "Unzip", "RemoveSamples"]
    assert route("directory")["route"][:3] == ["UpgradeNow", "RemoveSamples", "BackupFiles"]
    assert route("minor", backup=False)["skipped_steps"] == ["BackupFiles", "BackupDb"]


def test_a_healthy_shop_has_nothing_blocking() -> None:
    assert blocking(checklist(facts()), []) == []


def test_php_above_the_declared_maximum_is_a_warning_when_the_installer_accepts_it() -> None:
    assert check_php(PHP82, "7.2.5", "8.1", 81099, "8.1.7")["status"] == "warning"
    assert check_php(PHP82, "7.2.5", "8.1", None, "8.1.7")["status"] == "blocking"
    assert check_php(PHP82, "8.3", "8.4", None, "9.1.0")["status"] == "blocking"
    assert check_php(None, "7.2.5", "8.1", None, "8.1.7")["status"] == "blocking"


def test_json_is_not_required_as_an_extension_on_php_8() -> None:
    assert next(i for i in checklist(facts()) if i["name"] == "php_extensions")["status"] == "ok"


def test_the_17_line_has_the_official_modules_php_table() -> None:
    assert php_range_17("1.7.8.11") == ("5.6", "7.4") and php_range_17("1.7.6.9") == ("5.6", "7.2") and php_range_17("8.1.7") is None


def test_disk_needs_on_one_filesystem_add_up() -> None:
    needs = disk_needs([{"path": "/a", "device": 1, "free_bytes": 100, "required_bytes": 60, "need": "backup"},
                        {"path": "/b", "device": 1, "free_bytes": 100, "required_bytes": 50, "need": "release"},
                        {"path": "/c", "device": 2, "free_bytes": 10, "required_bytes": 5, "need": "new files"}])
    assert [(n["path"], n["required_bytes"], n["short"], n["needs"]) for n in needs] == [
        ("/a", 110, True, ["backup", "release"]), ("/c", 5, False, ["new files"])]


def test_blocking_items_list_every_problem_and_waivers_keep_them_visible() -> None:
    items = checklist(facts(db_version="8.1.3", cache_enabled=True, unwritable=["var"], install_dir="install"))
    assert {i["name"] for i in blocking(items, [])} == {"version_match", "shop_cache", "writable", "install_folder"}
    assert {i["name"] for i in blocking(items, ["shop_cache"])} == {"version_match", "writable", "install_folder"}
