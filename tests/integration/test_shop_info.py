# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shop_info through Ansible on synthetic shops of every layout, on the harness's MariaDB."""

from __future__ import annotations

import shutil
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from harness.ansible import run_module
from harness.shopdb import table_checksums
from harness.shops import build_shop

LAYOUTS = {
    "1.6.1.24": "config/settings.inc.php",
    "1.7.8.11": "app/AppKernel.php",
    "8.0.5": "app/AppKernel.php",
    "8.1.5": "src/Core/Version.php",
    "9.0.0": "src/Core/Version.php",
}


@pytest.fixture(scope="module")
def shop(mariadb: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One 8.1 shop shared by the tests that only read it (shop_info never writes)."""
    built = build_shop(tmp_path_factory.mktemp("shop") / "shop", mariadb, "8.1.5", name="info_shared")
    yield built
    mariadb.drop_database(built.db["name"])


def snapshot(shop: Any) -> tuple[dict[str, str], dict[str, Any]]:
    connection = shop.connect()
    try:
        return shop.file_checksums(), table_checksums(connection, shop.prefix)
    finally:
        connection.close()


@pytest.mark.parametrize("version", sorted(LAYOUTS))
def test_describes_every_layout_in_check_mode_then_for_real_and_changes_nothing(shop_factory: Any, version: str) -> None:
    shop = shop_factory(version, admin_dir="admin417qwzkeprxhtyvm")
    before = snapshot(shop)

    checked = run_module("shop_info", {"shop_root": str(shop.root)}, check=True)
    assert snapshot(shop) == before
    first = run_module("shop_info", {"shop_root": str(shop.root)})
    second = run_module("shop_info", {"shop_root": str(shop.root)})

    assert snapshot(shop) == before
    assert not checked.get("failed") and not first.get("failed"), first.get("msg")
    assert first["changed"] is False and second["changed"] is False
    assert {key: checked[key] for key in ("version", "db_version", "modules")} == {key: first[key] for key in ("version", "db_version", "modules")}
    assert first["version"] == version and first["version_source"] == LAYOUTS[version]
    assert first["admin_dir"] == "admin417qwzkeprxhtyvm" and first["install_dir"] is None
    assert (first["db_version"], first["version_matches"]) == (version, True)
    assert first["table_prefix"] == "ps_" and first["database"]["name"] == shop.db["name"]
    assert first["multistore"] is False and [s["id"] for s in first["shops"]] == [1]


def test_reports_every_installed_module_with_its_database_and_disk_versions(shop: Any) -> None:
    result = run_module("shop_info", {"shop_root": str(shop.root)})
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT name, version, active FROM {shop.prefix}module ORDER BY name")
            rows = cursor.fetchall()
    finally:
        connection.close()
    assert [(m["name"], m["version_db"], m["active"]) for m in result["modules"]] == [(name, v, bool(a)) for name, v, a in rows]
    on_disk = [m for m in result["modules"] if m["on_disk"]]
    assert on_disk and all(m["version_disk"] for m in on_disk)
    assert all(m["shops"] == [1] for m in result["modules"] if m["active"])


def test_never_shows_the_database_password(shop: Any) -> None:
    result = run_module("shop_info", {"shop_root": str(shop.root)})
    assert shop.db["password"] not in str(dict(result))
    assert shop.db["password"] not in result.output


def test_lists_the_shops_of_a_multistore_with_their_own_maintenance_state(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5", shop_names=["Main", "Outlet", "Wholesale"], shops_in_maintenance=[2])
    result = run_module("shop_info", {"shop_root": str(shop.root)})
    assert result["multistore"] is True
    assert [(s["id"], s["name"], s["maintenance"]) for s in result["shops"]] == [(1, "Main", False), (2, "Outlet", True), (3, "Wholesale", False)]
    assert all(s["maintenance_ips"] for s in result["shops"])


def test_without_multistore_a_shop_level_value_is_ignored_as_prestashop_ignores_it(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {shop.prefix}configuration (id_shop_group, id_shop, name, value, date_add, date_upd) "
                           "VALUES (1, 1, 'PS_SHOP_ENABLE', '0', NOW(), NOW())")
    finally:
        connection.close()
    result = run_module("shop_info", {"shop_root": str(shop.root)})
    assert result["multistore"] is False and result["shops"][0]["maintenance"] is False


def test_a_database_behind_its_code_is_the_faq_mismatch(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5", ps_version_db="8.1.3")
    result = run_module("shop_info", {"shop_root": str(shop.root)})
    assert (result["version"], result["db_version"], result["version_matches"]) == ("8.1.5", "8.1.3", False)


def test_reads_a_custom_table_prefix_and_a_leftover_install_folder(shop_factory: Any) -> None:
    shop = shop_factory("8.0.5", prefix="shop2_", install_dir=True)
    result = run_module("shop_info", {"shop_root": str(shop.root)})
    assert result["table_prefix"] == "shop2_" and result["version_matches"] is True
    assert result["install_dir"] == "install"


def test_options_override_what_the_shop_files_say(shop_factory: Any, mariadb: Any) -> None:
    shop = shop_factory("8.1.5")
    (shop.root / "app/config/parameters.php").write_text(
        "<?php return ['parameters' => ['database_host' => 'db.nowhere.invalid', 'database_name' => 'gone', "
        "'database_user' => 'gone', 'database_password' => 'gone', 'database_prefix' => 'ps_']];")
    result = run_module("shop_info", {"shop_root": str(shop.root), "db_socket": str(mariadb.socket), "db_name": shop.db["name"],
                                      "db_user": shop.db["user"], "db_password": shop.db["password"]})
    assert not result.get("failed"), result.get("msg")
    assert result["database"]["socket"] == str(mariadb.socket) and result["db_version"] == "8.1.5"


@pytest.mark.skipif(shutil.which("php") is None, reason="php is part of every shop host and of the test machine")
def test_reports_the_hosts_php(shop: Any) -> None:
    expected = subprocess.run(["php", "-r", "echo PHP_VERSION;"], capture_output=True, text=True, check=True).stdout
    php = run_module("shop_info", {"shop_root": str(shop.root)})["php"]
    assert php["version"] == expected and "pdo_mysql" in php["extensions"]


# --- failures: one clear line, nothing else ------------------------------------------------------------------------


def test_wrong_credentials_say_so_without_the_password(shop: Any) -> None:
    result = run_module("shop_info", {"shop_root": str(shop.root), "db_password": "Wr0ng-Secret"})
    assert result["failed"] is True
    assert result["msg"].startswith(f"Access denied to database '{shop.db['name']}' as '{shop.db['user']}'")
    assert "Wr0ng-Secret" not in result["msg"] and "Wr0ng-Secret" not in result.output


def test_a_database_server_that_is_down_is_named(shop: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    result = run_module("shop_info", {"shop_root": str(shop.root), "db_host": "127.0.0.1", "db_port": closed_port, "db_connect_timeout": 2})
    assert result["failed"] is True
    assert result["msg"].startswith(f"Cannot reach the database server for database '{shop.db['name']}'")
    assert f"127.0.0.1:{closed_port}" in result["msg"]


def test_a_wrong_table_prefix_is_named(shop: Any) -> None:
    result = run_module("shop_info", {"shop_root": str(shop.root), "db_prefix": "nope_"})
    assert result["failed"] is True and "no nope_configuration table" in result["msg"]


def test_unreadable_parameters_are_named_with_their_line(shop_factory: Any) -> None:
    shop = shop_factory("8.1.5")
    (shop.root / "app/config/parameters.php").write_text("<?php\nreturn array('parameters' =>\n  array('database_host' => getenv('DB_HOST')));\n")
    result = run_module("shop_info", {"shop_root": str(shop.root)})
    assert result["failed"] is True
    assert result["msg"] == "cannot read the database parameters: app/config/parameters.php line 3: 'getenv' is not a literal value"


def test_a_folder_that_is_not_a_shop_is_refused(tmp_path: Any) -> None:
    result = run_module("shop_info", {"shop_root": str(tmp_path)})
    assert result["failed"] is True and "is not a PrestaShop root" in result["msg"]
