# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shop_health's main() in-process against a real HTTP server on 127.0.0.1, without a database (the controller-side use)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args
from harness.webserver import MAINTENANCE_PAGE, PHP_FATAL, WebServer, html_page

from ansible_collections.shopfleet.prestashop.plugins.modules import shop_health

ADMIN = "admin042qwertyuiopasdfgh"


def run(capsys: pytest.CaptureFixture, **args: Any) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        shop_health.main()
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def shop() -> Iterator[WebServer]:
    """A storefront whose home and back-office login answer like a healthy shop."""
    with WebServer() as web:
        web.page("/", html_page("My shop"))
        web.page(f"/{ADMIN}/index.php?controller=AdminLogin", html_page("My shop > Back office"))
        web.page("/content/1-delivery", html_page("Delivery"))
        yield web


def check(capsys: pytest.CaptureFixture, web: WebServer, **args: Any) -> dict[str, Any]:
    options = {"gather_database": False, "base_url": web.url("/"), "admin_dir": ADMIN, "warmup": False, "timeout": 5}
    options.update(args)
    # None stands for "not given", as an omitted option in a playbook.
    return run(capsys, **{name: value for name, value in options.items() if value is not None})


def states(result: dict[str, Any]) -> dict[str, str]:
    return {name: page["state"] for name, page in result["pages"].items()}


def test_a_healthy_shop_passes_and_nothing_is_changed(capsys: pytest.CaptureFixture, shop: WebServer) -> None:
    result = check(capsys, shop, pages={"delivery": "content/1-delivery"})

    assert result.get("failed") is not True and result["changed"] is False
    assert states(result) == {"home": "ok", "bo_login": "ok", "delivery": "ok"}
    assert result["pages"]["bo_login"]["url"] == shop.url(f"/{ADMIN}/index.php?controller=AdminLogin")
    assert (result["base_url"], result["shop_id"], result["host_header"]) == (shop.url("/"), None, None)
    assert (result["broken"], result["maintenance"], result["not_checked"]) == ([], [], [])
    assert result["summary"] == "3 pages: 3 ok, 0 broken, 0 in maintenance"
    assert "regressions" not in result and "diff" not in result


def test_check_mode_runs_the_check_in_full(capsys: pytest.CaptureFixture, shop: WebServer) -> None:
    checked = check(capsys, shop, _ansible_check_mode=True)
    assert states(checked) == {"home": "ok", "bo_login": "ok"} and checked["changed"] is False
    assert [request["path"] for request in shop.requests] == ["/", f"/{ADMIN}/index.php?controller=AdminLogin"]


def test_without_the_back_office_folder_its_page_is_skipped_and_said(capsys: pytest.CaptureFixture, shop: WebServer) -> None:
    result = check(capsys, shop, admin_dir=None)
    assert list(result["pages"]) == ["home"]
    assert result["not_checked"] == [{"page": "bo_login", "reason": "the back-office folder is unknown: set admin_dir"}]


def test_the_back_office_folder_is_found_in_the_shop_root_even_without_version_files(capsys: pytest.CaptureFixture, shop: WebServer, tmp_path: Path) -> None:
    (tmp_path / ADMIN / "themes/new-theme").mkdir(parents=True)
    for name in ("index.php", "functions.php", "get-file-admin.php"):
        (tmp_path / ADMIN / name).write_text("<?php")
    result = check(capsys, shop, admin_dir=None, shop_root=str(tmp_path))
    assert states(result) == {"home": "ok", "bo_login": "ok"}


def test_a_broken_page_fails_the_check_with_the_pages_in_the_result(capsys: pytest.CaptureFixture, shop: WebServer) -> None:
    shop.page("/", PHP_FATAL, status=500)
    result = check(capsys, shop)

    assert result["failed"] is True and result["broken"] == ["home"]
    assert result["msg"] == result["summary"]
    assert result["msg"].startswith("2 pages: 1 ok, 1 broken, 0 in maintenance. broken: home (http_error: HTTP 500; php_error: Fatal error: "
                                    "Uncaught Error: Call to undefined method Product::getPriceStatic()")
    assert check(capsys, shop, fail_on_broken=False).get("failed") is not True


def test_after_an_upgrade_a_page_that_broke_is_a_regression_with_a_diff(capsys: pytest.CaptureFixture, shop: WebServer) -> None:
    baseline = check(capsys, shop, pages={"delivery": "content/1-delivery"})
    shop.page("/content/1-delivery", "", status=500)
    shop.page("/", html_page("My shop", "<p>new theme</p>"))

    after = check(capsys, shop, baseline=baseline["pages"])

    assert after["failed"] is True
    assert list(after["pages"]) == ["home", "bo_login", "delivery"], "the baseline's pages are checked again"
    assert after["regressions"] == [{"page": "delivery", "kind": "broken", "message": "delivery: was fine, now broken: http_error: HTTP 500; "
                                                                                      "empty_body: the page is empty (a white page)"}]
    assert after["msg"].startswith("3 pages: 2 ok, 1 broken, 0 in maintenance. 1 regression: delivery: was fine, now broken")
    assert "delivery: ok          HTTP 200" in after["diff"]["before"] and "delivery: broken      HTTP 500" in after["diff"]["after"]
    assert [entry["page"] for entry in after["comparison"]] == ["home", "bo_login", "delivery"]
    assert after["comparison"][2]["changes"] == ["state: 'ok' -> 'broken'", "status: 200 -> 500", "title: 'Delivery' -> None"]

    shop.page("/content/1-delivery", html_page("Delivery"))
    repaired = check(capsys, shop, baseline=baseline)
    assert repaired.get("failed") is not True and repaired["regressions"] == []


def test_a_page_much_slower_than_its_baseline_is_a_regression(capsys: pytest.CaptureFixture, shop: WebServer) -> None:
    baseline = check(capsys, shop)
    shop.page("/", html_page("My shop"), delay=0.6)

    slower = check(capsys, shop, baseline=baseline["pages"], slower_factor=3, slower_min_seconds=0.4)
    tolerated = check(capsys, shop, baseline=baseline["pages"], slower_factor=3, slower_min_seconds=2)

    assert slower["failed"] is True and [(r["page"], r["kind"]) for r in slower["regressions"]] == [("home", "slower")]
    assert tolerated.get("failed") is not True and tolerated["regressions"] == []


def test_the_maintenance_page_is_reported_not_failed(capsys: pytest.CaptureFixture, shop: WebServer) -> None:
    shop.page("/", MAINTENANCE_PAGE, status=503, headers={"Retry-After": "3600"})
    result = check(capsys, shop)

    assert result.get("failed") is not True
    assert (result["maintenance"], result["broken"]) == (["home"], [])
    # Warnings are strings up to ansible-core 2.19 and structured events after: look for the text in either.
    assert "the maintenance page answered for home: those pages were not verified" in json.dumps(result["warnings"])


@pytest.mark.parametrize("args,message", [
    ({"gather_database": True}, "shop_root is needed to read the shop's database; without it set gather_database: false and base_url"),
    ({"base_url": None}, "gather_database is False but all of the following are missing: base_url"),
    ({"base_url": "shop.example.com"}, "base_url must be an absolute http:// or https:// URL, not 'shop.example.com'"),
    ({"baseline": "yesterday"}, "baseline must be the `pages` of a previous shop_health result"),
    ({"pages": {"terms": ""}}, "page 'terms' needs a path or URL"),
])
def test_bad_input_fails_with_one_line(capsys: pytest.CaptureFixture, shop: WebServer, args: dict[str, Any], message: str) -> None:
    result = check(capsys, shop, **args)
    assert result["failed"] is True and result["msg"] == message
    assert shop.requests == []


def test_without_requests_the_module_says_what_to_install(capsys: pytest.CaptureFixture, shop: WebServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shop_health, "REQUESTS_IMPORT_ERROR", "Traceback: No module named 'requests'")
    result = check(capsys, shop)
    assert result["failed"] is True and "Failed to import the required Python library (requests)" in result["msg"]


def test_the_checked_shop_is_the_one_asked_for_else_the_default_one() -> None:
    shops = [{"id": 1, "active": False}, {"id": 2, "active": True}, {"id": 3, "active": True}]
    assert shop_health.pick_shop(shops, 3, "1")["id"] == 3
    assert shop_health.pick_shop(shops, None, "1")["id"] == 1
    assert shop_health.pick_shop(shops, None, None)["id"] == 2, "without PS_SHOP_DEFAULT, the first active shop"
    with pytest.raises(shop_health.ShopError, match="no shop with id 9; the shops are 1, 2, 3"):
        shop_health.pick_shop(shops, 9, "1")
