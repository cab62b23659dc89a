# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shop_health through Ansible against a synthetic shop served by PHP's own web server, with its database on the harness's MariaDB.

One shop goes through what an upgrade can do to it: healthy (the baseline), a fatal error in the front controller,
a core file gone, then closed for maintenance. Each run is a real ansible-playbook (a few seconds each).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from harness.ansible import run_module
from harness.served import CATALOGUE, free_port, php_server
from harness.shopdb import table_checksums

FRONT_PAGES = ["home", "category", "product", "cart", "contact"]


def execute(shop: Any, *statements: str) -> None:
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.replace("{p}", shop.prefix))
    finally:
        connection.close()


@pytest.fixture
def served_shop(shop_factory: Any) -> Iterator[tuple[Any, str]]:
    """A synthetic 8.1 shop with a small catalogue, served with display_errors on; its shop_url points at the server."""
    shop = shop_factory("8.1.5", admin_dir="admin417qwzkeprxhtyvm")
    port = free_port()
    execute(shop, *CATALOGUE, f"UPDATE {{p}}shop_url SET domain = '127.0.0.1:{port}', domain_ssl = '127.0.0.1:{port}'")
    with php_server(shop.root, port, display_errors=True) as base_url:
        yield shop, base_url


def snapshot(shop: Any) -> tuple[dict[str, str], dict[str, Any]]:
    connection = shop.connect()
    try:
        return shop.file_checksums(), table_checksums(connection, shop.prefix)
    finally:
        connection.close()


def health(shop: Any, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("shop_health", {"shop_root": str(shop.root), "warmup": False, "timeout": 10, **options}, check=check, diff=True)


def states(result: dict[str, Any]) -> dict[str, str]:
    return {name: page["state"] for name, page in result["pages"].items()}


def test_a_healthy_shop_then_a_broken_upgrade_then_maintenance(served_shop: tuple[Any, str]) -> None:
    shop, base_url = served_shop
    before = snapshot(shop)

    # Healthy, in check mode: the database gives the URL, the category, the product and the back-office folder.
    baseline = health(shop, check=True)
    assert not baseline.get("failed"), baseline.get("msg") or baseline.output
    assert baseline["changed"] is False and snapshot(shop) == before
    assert (baseline["base_url"], baseline["shop_id"], baseline["not_checked"]) == (base_url, 1, [])
    assert states(baseline) == dict.fromkeys(FRONT_PAGES + ["bo_login"], "ok")
    assert baseline["pages"]["category"]["url"] == base_url + "index.php?id_category=6&controller=category"
    assert baseline["pages"]["product"]["url"] == base_url + "index.php?id_product=4&controller=product"
    assert baseline["pages"]["bo_login"]["url"] == base_url + "admin417qwzkeprxhtyvm/index.php?controller=AdminLogin"
    assert baseline["pages"]["home"]["title"] == "Main shop" and baseline["pages"]["bo_login"]["title"] == "Back office"

    # The upgrade left a fatal error in the front controller: every storefront page regresses, the back office does not.
    index = shop.root / "index.php"
    healthy_index = index.read_text()
    index.write_text(healthy_index.replace("<?php", "<?php\nshopfleet_function_removed_by_the_upgrade();", 1))
    broken = health(shop, baseline=baseline["pages"])
    assert broken["failed"] is True and broken["changed"] is False
    assert [(r["page"], r["kind"]) for r in broken["regressions"]] == [(name, "broken") for name in FRONT_PAGES]
    assert broken["broken"] == FRONT_PAGES and broken["pages"]["bo_login"]["state"] == "ok"
    home = broken["pages"]["home"]
    # With display_errors on, PHP keeps the 200 it had when the error text started the output: only the body tells.
    assert home["status"] == 200 and [problem["kind"] for problem in home["problems"]] == ["php_error"]
    assert "Call to undefined function shopfleet_function_removed_by_the_upgrade()" in home["problems"][0]["detail"]
    assert broken["msg"].startswith("6 pages: 1 ok, 5 broken, 0 in maintenance. 5 regressions: home: was fine, now broken: php_error: ")
    assert "home: ok          HTTP 200" in broken["diff"]["before"] and "home: broken      HTTP 200" in broken["diff"]["after"]

    # A core file is gone (the version class every page needs), on a production-like server (display_errors off):
    # without a baseline, every page is broken, a 500 with an empty body.
    index.write_text(healthy_index)
    version_file = shop.root / "src/Core/Version.php"
    version_text = version_file.read_text()
    version_file.unlink()
    with php_server(shop.root, free_port(), display_errors=False) as production_url:
        gone = health(shop, base_url=production_url)
    assert gone["failed"] is True and gone["broken"] == FRONT_PAGES + ["bo_login"] and gone["base_url"] == production_url
    assert {(page["status"], tuple(problem["kind"] for problem in page["problems"])) for page in gone["pages"].values()} == {
        (500, ("http_error", "empty_body"))}
    version_file.write_text(version_text)

    # Closed for maintenance, the checking address not allowed: the pages are not verified, which is not a regression.
    execute(shop, "UPDATE {p}configuration SET value = '0' WHERE name = 'PS_SHOP_ENABLE'",
            "UPDATE {p}configuration SET value = '10.9.9.9' WHERE name = 'PS_MAINTENANCE_IP'")
    closed = health(shop, baseline=baseline)
    assert not closed.get("failed"), closed.get("msg")
    assert (closed["maintenance"], closed["broken"], closed["regressions"]) == (FRONT_PAGES, [], [])
    assert "PS_MAINTENANCE_IP: 10.9.9.9" in closed.output
    assert "home: ok          HTTP 200" in closed["diff"]["before"] and "home: maintenance HTTP 503" in closed["diff"]["after"]


def test_from_the_controller_without_the_database(served_shop: tuple[Any, str]) -> None:
    shop, base_url = served_shop
    result = run_module("shop_health", {"gather_database": False, "base_url": base_url, "admin_dir": "admin417qwzkeprxhtyvm",
                                        "pages": {"cart": "index.php?controller=cart"}, "warmup": False})
    assert not result.get("failed"), result.get("msg")
    assert states(result) == {"home": "ok", "bo_login": "ok", "cart": "ok"} and result["shop_id"] is None

    wrong = run_module("shop_health", {"shop_root": str(shop.root), "db_password": "not-the-password", "warmup": False})
    assert wrong["failed"] is True and wrong["msg"].startswith(f"Access denied to database '{shop.db['name']}'")
    assert "not-the-password" not in wrong.output
