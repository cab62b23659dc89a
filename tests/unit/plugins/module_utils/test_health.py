# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_health: what a page's answer means and how two runs compare (pure), and fetching from a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from harness.webserver import (
    MAINTENANCE_PAGE, PHP_DEPRECATED, PHP_FATAL, PHP_FATAL_TEXT, PHP_PARSE_ERROR, PHP_WARNING, PRESTASHOP_EXCEPTION, SHOP_TEXT_WITH_WARNING_WORD,
    SYMFONY_ERROR_PAGE, WebServer, html_page, self_signed_certificate,
)

from ansible_collections.shopfleet.prestashop.plugins.module_utils._health import (
    ClientSettings, Fetched, HealthError, PageClient, body_problems, compare_pages, default_page_paths, diff_text, extract_title, index_baseline,
    inspect_response, is_install_url, normalize_base_url, outcome, plan_pages, shop_base_url,
)


def kinds(page: dict[str, Any]) -> list[str]:
    return [problem["kind"] for problem in page["problems"]]


def problems_in(body: str, content_type: str | None = "text/html") -> list[str]:
    return [problem["kind"] for problem in body_problems(body.encode(), body, content_type, False)]


# --- reading a page ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,title", [
    ("<html><head><title>My shop</title></head>", "My shop"),
    ("<TITLE lang='fr'>\n  Caf&eacute; &amp; th\u00e9\n</TITLE>", "Café & thé"),
    ("<title><span>Boots</span> - Shop</title>", "Boots - Shop"),
    ("<title>   </title>", None),
    ("<h1>No title</h1>", None),
])
def test_the_title_is_the_text_a_browser_shows(text: str, title: str | None) -> None:
    assert extract_title(text) == title


@pytest.mark.parametrize("body,expected", [
    (html_page("Home"), []),
    (PHP_FATAL, ["php_error", "truncated_html"]),
    (PHP_FATAL_TEXT, ["php_error"]),
    (html_page("Cart", PHP_PARSE_ERROR), ["php_error"]),
    (html_page("Product", PHP_WARNING), ["php_warning"]),
    (html_page("Cart", PHP_DEPRECATED), ["php_warning"]),
    (html_page("Product", PHP_WARNING + PHP_FATAL), ["php_error", "php_warning"]),
    (SYMFONY_ERROR_PAGE, ["exception_page"]),
    (PRESTASHOP_EXCEPTION, ["exception_page"]),
    ("<html><body>Fatal error: Allowed memory size exhausted", ["php_error", "truncated_html"]),
    ("", ["empty_body"]),
    (" \n\t", ["empty_body"]),
    ("<!DOCTYPE html><html><head><title>Home</title></head><body><div class=\"products\">", ["truncated_html"]),
    (html_page("Login", "<div id=\"wrong_install_name\">Delete install</div>"), ["install_folder_present"]),
])
def test_signs_of_breakage_in_a_body(body: str, expected: list[str]) -> None:
    assert problems_in(body) == expected


def test_shop_text_that_merely_starts_like_a_php_message_is_not_breakage() -> None:
    assert problems_in(html_page("Boots", SHOP_TEXT_WITH_WARNING_WORD)) == []


def test_a_body_that_is_not_html_is_not_expected_to_close_its_html() -> None:
    assert problems_in('{"html": "<html>"}', "application/json") == []


def test_the_first_php_message_is_the_detail_without_markup() -> None:
    detail = body_problems(PHP_FATAL.encode(), PHP_FATAL, "text/html", False)[0]["detail"]
    assert detail == "Fatal error: Uncaught Error: Call to undefined method Product::getPriceStatic() in /var/www/shop/classes/Product.php on line 42"


def fetched(status: int | None = 200, body: str = "", headers: dict[str, str] | None = None, **extra: Any) -> Fetched:
    return Fetched(url="http://shop.test/", final_url="http://shop.test/", status=status, body=body.encode(), headers=headers or {}, **extra)


def test_a_503_is_the_maintenance_page_when_prestashop_says_so() -> None:
    assert inspect_response("home", fetched(503, MAINTENANCE_PAGE))["state"] == "maintenance"
    assert inspect_response("home", fetched(503, "down", {"retry-after": "3600"}))["state"] == "maintenance"
    assert inspect_response("home", fetched(503, "<html><title>Shop</title></html>"), shop_in_maintenance=True)["state"] == "maintenance"
    plain = inspect_response("home", fetched(503, "Service Unavailable"))
    assert (plain["state"], kinds(plain)) == ("broken", ["http_error"])
    assert inspect_response("home", fetched(200, MAINTENANCE_PAGE), shop_in_maintenance=True)["state"] == "ok"


def test_a_record_holds_what_a_person_needs_to_see() -> None:
    record = inspect_response("product", fetched(500, "", {"content-type": "text/html; charset=utf-8"}, elapsed=0.41234,
                                                 redirects=[{"status": 301, "url": "a", "location": "http://shop.test/"}]))
    assert record == {
        "name": "product", "url": "http://shop.test/", "final_url": "http://shop.test/", "status": 500,
        "redirects": [{"status": 301, "url": "a", "location": "http://shop.test/"}], "time": 0.412, "size": 0, "title": None,
        "content_type": "text/html; charset=utf-8", "attempts": 1, "state": "broken",
        "problems": [{"kind": "http_error", "detail": "HTTP 500"}, {"kind": "empty_body", "detail": "the page is empty (a white page)"}],
    }


def test_a_body_in_its_declared_charset_is_read_in_it() -> None:
    body = "<html><head><title>Caf\u00e9</title></head></html>".encode("latin-1")
    page = Fetched(url="u", final_url="u", status=200, body=body, headers={"content-type": "text/html; charset=ISO-8859-1"})
    assert inspect_response("home", page)["title"] == "Café"


@pytest.mark.parametrize("url,inside", [
    ("http://shop.test/shop/install/index.php", True),
    ("http://shop.test/shop/install", True),
    ("http://shop.test/install-dev/", True),
    ("http://shop.test/install/", True),
    ("http://shop.test/shop/installation-guide.html", False),
    ("http://shop.test/shop/en/install/", False),
])
def test_the_install_folder_is_recognised_under_the_shop_or_the_server_root(url: str, inside: bool) -> None:
    assert is_install_url(url, "/shop/") is inside


# --- URLs and the pages to fetch --------------------------------------------------------------------------------------


def test_the_base_url_comes_from_shop_url_like_prestashop_builds_it() -> None:
    assert shop_base_url("shop.test", "secure.shop.test", "/", False) == "http://shop.test/"
    assert shop_base_url("shop.test", "secure.shop.test", "/", True) == "https://secure.shop.test/"
    assert shop_base_url("shop.test:8080", "", "/shop//fr/", False) == "http://shop.test:8080/shop/fr/"
    with pytest.raises(HealthError, match="no main URL"):
        shop_base_url(None, None, None, False)


def test_a_base_url_must_be_absolute_http() -> None:
    assert normalize_base_url(" http://127.0.0.1:8080/shop ") == "http://127.0.0.1:8080/shop/"
    for wrong in ("127.0.0.1/shop", "ftp://shop.test/", "/shop/"):
        with pytest.raises(HealthError, match="absolute"):
            normalize_base_url(wrong)


def test_default_pages_are_those_the_facts_allow() -> None:
    assert default_page_paths("admin123abc", 3, 1) == {
        "home": "", "category": "index.php?id_category=3&controller=category", "product": "index.php?id_product=1&controller=product",
        "cart": "index.php?controller=cart&action=show", "contact": "index.php?controller=contact",
        "bo_login": "admin123abc/index.php?controller=AdminLogin",
    }
    assert list(default_page_paths(None, None, None)) == ["home", "cart", "contact"]
    assert list(default_page_paths("admin123abc", 3, 1, storefront=False)) == ["home", "bo_login"]


def test_the_plan_joins_paths_replaces_defaults_and_keeps_the_baselines_urls() -> None:
    defaults = default_page_paths("admin1", 3, 1)
    baseline = {"product": {"url": "http://shop.test/shop/index.php?id_product=7&controller=product", "state": "ok"},
                "legal": {"url": "http://shop.test/shop/content/2-legal", "state": "ok"}}
    plan = plan_pages("http://shop.test/shop/", defaults, {"cart": "/elsewhere/cart", "cms": "https://cdn.test/page"}, baseline, ["contact"])
    assert plan == [
        {"name": "home", "url": "http://shop.test/shop/"},
        {"name": "category", "url": "http://shop.test/shop/index.php?id_category=3&controller=category"},
        {"name": "product", "url": "http://shop.test/shop/index.php?id_product=7&controller=product"},
        {"name": "cart", "url": "http://shop.test/elsewhere/cart"},
        {"name": "bo_login", "url": "http://shop.test/shop/admin1/index.php?controller=AdminLogin"},
        {"name": "cms", "url": "https://cdn.test/page"},
        {"name": "legal", "url": "http://shop.test/shop/content/2-legal"},
    ]
    with pytest.raises(HealthError, match="page 'cms' needs a path"):
        plan_pages("http://shop.test/", {}, {"cms": " "}, None)


def test_a_baseline_is_a_results_pages_in_any_of_its_shapes() -> None:
    pages = {"home": {"name": "home", "state": "ok"}}
    assert index_baseline(pages) == index_baseline(list(pages.values())) == index_baseline({"changed": False, "pages": pages}) == pages
    assert index_baseline(None) == {}
    for wrong in ("home", [{"state": "ok"}], {"home": {"status": 200}}):
        with pytest.raises(HealthError, match="baseline must be the `pages` of a previous shop_health result"):
            index_baseline(wrong)


# --- comparing with a baseline ----------------------------------------------------------------------------------------


def page(state: str = "ok", time: float = 0.2, title: str | None = "Home", problems: tuple[str, ...] = (), status: int = 200,
         **extra: Any) -> dict[str, Any]:
    return {"state": state, "status": status, "time": time, "size": 1000, "title": title, "url": "http://shop.test/",
            "final_url": "http://shop.test/", "problems": [{"kind": kind, "detail": f"{kind} detail"} for kind in problems], **extra}


def regressions_of(before: dict[str, Any], after: dict[str, Any], factor: float = 3.0, floor: float = 1.0) -> list[tuple[str, str]]:
    found, _comparison = compare_pages({"home": before}, {"home": after}, factor, floor)
    return [(regression["kind"], regression["message"]) for regression in found]


def test_a_page_that_was_fine_and_is_broken_is_a_regression() -> None:
    assert regressions_of(page(), page("broken", status=500, problems=("http_error", "empty_body"))) == [
        ("broken", "home: was fine, now broken: http_error: http_error detail; empty_body: empty_body detail")]


def test_a_page_already_broken_the_same_way_is_not_a_regression_but_a_new_kind_of_problem_is() -> None:
    warning = page("broken", problems=("php_warning",))
    assert regressions_of(warning, page("broken", problems=("php_warning",))) == []
    assert regressions_of(warning, page("broken", problems=("php_warning", "php_error"))) == [
        ("new_problems", "home: new problems: php_error: php_error detail")]


def test_a_vanished_title_is_a_regression_a_changed_one_is_not() -> None:
    assert regressions_of(page(title="Home"), page(title=None)) == [("title_vanished", "home: the title 'Home' vanished")]
    assert regressions_of(page(title="Home"), page(title="Accueil")) == []


@pytest.mark.parametrize("before,after,slower", [
    (0.2, 1.5, True),     # ×7.5 and +1.3 s
    (0.2, 0.9, False),    # ×4.5 but only +0.7 s: noise on a fast page
    (2.0, 4.0, False),    # +2 s but only ×2
    (2.0, 6.5, True),
])
def test_a_slowdown_needs_both_the_factor_and_the_floor(before: float, after: float, slower: bool) -> None:
    assert bool(regressions_of(page(time=before), page(time=after))) is slower


def test_the_slowdown_message_says_how_much() -> None:
    assert regressions_of(page(time=0.25), page(time=1.5)) == [("slower", "home: 1.50 s, was 0.25 s (×6.0)")]


def test_maintenance_on_either_side_is_unverified_not_a_regression() -> None:
    found, comparison = compare_pages({"home": page()}, {"home": page("maintenance", status=503, time=9.0)}, 3.0, 1.0)
    assert found == []
    assert comparison[0]["changes"] == ["state: 'ok' -> 'maintenance'", "status: 200 -> 503", "unverified: the maintenance page answered"]
    assert compare_pages({"home": page("maintenance", status=503)}, {"home": page("broken", problems=("php_error",))}, 3.0, 1.0)[0] == []


def test_pages_on_one_side_only_are_listed_not_compared() -> None:
    found, comparison = compare_pages({"home": page(), "legal": page()}, {"home": page(), "cms": page("broken", problems=("http_error",))}, 3.0, 1.0)
    assert found == []
    assert [(entry["page"], entry["changes"]) for entry in comparison] == [
        ("home", []), ("cms", ["not in the baseline"]), ("legal", ["not checked in this run"])]


def test_the_diff_has_one_line_per_page_before_and_after() -> None:
    before = {"home": {**page(time=0.12, title="My shop"), "name": "home"}}
    after = {"home": {**page("broken", time=0.3, title=None, status=500, problems=("http_error",)), "name": "home"}}
    diff = diff_text(before, after)
    assert diff["before"] == "home: ok          HTTP 200 0.120 s 1.0 kB title='My shop'\n"
    assert diff["after"] == "home: broken      HTTP 500 0.300 s 1.0 kB title=None | http_error: http_error detail\n"
    assert (diff["before_header"], diff["after_header"]) == ("baseline", "now")


def test_without_a_baseline_broken_pages_fail_the_check_with_a_readable_summary() -> None:
    pages = {"home": page(), "product": page("broken", problems=("php_error",)), "cart": page("maintenance")}
    failed, summary = outcome(pages, None, fail_on_broken=True, fail_on_regression=True)
    assert failed is True
    assert summary == ("3 pages: 1 ok, 1 broken, 1 in maintenance. broken: product (php_error: php_error detail). "
                       "maintenance page (not verified): cart")
    assert outcome(pages, None, fail_on_broken=False, fail_on_regression=True)[0] is False


def test_with_a_baseline_only_regressions_fail_the_check() -> None:
    pages = {"home": page(), "product": page("broken", problems=("php_error",))}
    assert outcome(pages, [], fail_on_broken=True, fail_on_regression=True) == (
        False, "2 pages: 1 ok, 1 broken, 0 in maintenance. no regression against the baseline. broken: product (php_error: php_error detail)")
    regression = {"page": "product", "kind": "broken", "message": "product: was fine, now broken"}
    failed, summary = outcome(pages, [regression], fail_on_broken=False, fail_on_regression=True)
    assert failed is True and summary.startswith("2 pages: 1 ok, 1 broken, 0 in maintenance. 1 regression: product: was fine, now broken.")
    assert outcome(pages, [regression], fail_on_broken=True, fail_on_regression=False)[0] is False


# --- fetching from a real server --------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[WebServer]:
    with WebServer() as web:
        yield web


def client_for(web: WebServer, **settings: Any) -> PageClient:
    options: dict[str, Any] = {"base_url": web.url("/"), "warmup": False, "timeout": 2.0, "retry_delay": 0.05}
    options.update(settings)
    return PageClient(ClientSettings(**options))


def check(web: WebServer, path: str, **settings: Any) -> dict[str, Any]:
    client = client_for(web, **settings)
    try:
        return inspect_response(path, client.fetch(web.url(path)))
    finally:
        client.close()


def test_a_healthy_page_is_recorded_with_its_facts(server: WebServer) -> None:
    server.page("/", html_page("My shop", padding=2000))
    record = check(server, "/")
    assert (record["state"], record["status"], record["title"], record["problems"]) == ("ok", 200, "My shop", [])
    assert record["size"] > 2000 and record["content_type"] == "text/html; charset=utf-8" and 0 < record["time"] < 1


@pytest.mark.parametrize("path,route,expected", [
    ("/fatal", {"body": PHP_FATAL}, ["php_error", "truncated_html"]),
    ("/error500", {"body": html_page("Error"), "status": 500}, ["http_error"]),
    ("/white", {"body": "", "status": 500}, ["http_error", "empty_body"]),
    ("/empty", {"body": ""}, ["empty_body"]),
    ("/oops", {"body": SYMFONY_ERROR_PAGE, "status": 500}, ["http_error", "exception_page"]),
    ("/notice", {"body": html_page("Cart", PHP_WARNING)}, ["php_warning"]),
    ("/gone", {"body": html_page("Not found"), "status": 404}, ["http_error"]),
])
def test_each_kind_of_broken_page_is_caught(server: WebServer, path: str, route: dict[str, Any], expected: list[str]) -> None:
    server.page(path, **route)
    record = check(server, path)
    assert (record["state"], kinds(record)) == ("broken", expected)


def test_a_page_that_does_not_answer_in_time_is_a_timeout(server: WebServer) -> None:
    server.page("/hang", html_page("Slow"), delay=3.0)
    record = check(server, "/hang", timeout=0.4)
    assert kinds(record) == ["timeout"] and record["status"] is None
    assert record["problems"][0]["detail"] == f"no complete answer from {server.url('/hang')} within 0.4 s"
    assert 0.4 <= record["time"] < 1.5


def test_a_redirect_loop_is_caught_and_shown(server: WebServer) -> None:
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    record = check(server, "/a")
    assert kinds(record) == ["redirect_loop"]
    assert record["problems"][0]["detail"] == f"redirect loop: {server.url('/a')} -> {server.url('/b')} -> {server.url('/a')}"


def test_too_many_redirects_are_caught(server: WebServer) -> None:
    for step in range(4):
        server.redirect(f"/r{step}", f"/r{step + 1}", status=301)
    assert kinds(check(server, "/r0", max_redirects=2)) == ["too_many_redirects"]


def test_a_redirect_to_the_install_folder_is_caught(server: WebServer) -> None:
    server.redirect("/shop/", "/shop/install/")
    server.page("/shop/install/", html_page("PrestaShop Installation Assistant"))
    client = client_for(server, base_url=server.url("/shop/"))
    record = inspect_response("home", client.fetch(server.url("/shop/")), "/shop/")
    assert kinds(record) == ["install_redirect"] and record["final_url"] == server.url("/shop/install/")
    assert record["redirects"] == [{"status": 302, "url": server.url("/shop/"), "location": server.url("/shop/install/")}]


def test_redirects_are_followed_and_recorded(server: WebServer) -> None:
    server.redirect("/index.php?id_product=1&controller=product", "/men/1-t-shirt.html", status=301)
    server.page("/men/1-t-shirt.html", html_page("T-shirt"))
    record = check(server, "/index.php?id_product=1&controller=product")
    assert (record["state"], record["title"], record["final_url"]) == ("ok", "T-shirt", server.url("/men/1-t-shirt.html"))


def test_the_maintenance_page_is_a_state(server: WebServer) -> None:
    server.page("/", MAINTENANCE_PAGE, status=503, headers={"Retry-After": "3600"})
    record = check(server, "/")
    assert (record["state"], record["status"], record["problems"]) == ("maintenance", 503, [])


def test_a_refused_connection_is_retried_then_reported(server: WebServer) -> None:
    server.page("/flaky", html_page("Back"), drop_connections=1)
    record = check(server, "/flaky")
    assert (record["state"], record["attempts"]) == ("ok", 2)

    server.page("/flaky", html_page("Back"), drop_connections=5)
    record = check(server, "/flaky", retries=2)
    assert (kinds(record), record["attempts"]) == (["connection_error"], 3)


def test_a_closed_port_is_a_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/"
    client = PageClient(ClientSettings(base_url=url, warmup=False, retries=0))
    record = inspect_response("home", client.fetch(url))
    assert record["problems"] == [{"kind": "connection_error", "detail": f"cannot get {url}: Connection refused"}]


def test_the_warm_up_fetch_is_not_measured_and_a_warm_up_timeout_ends_the_page(server: WebServer) -> None:
    server.page("/", html_page("Home"))
    assert check(server, "/", warmup=True)["state"] == "ok"
    assert len(server.requests) == 2

    server.page("/cold", html_page("Cold"), delay=2.0)
    record = check(server, "/cold", warmup=True, warmup_timeout=0.3)
    assert kinds(record) == ["timeout"] and len(server.requests) == 3


def test_a_huge_body_is_read_up_to_the_cap(server: WebServer) -> None:
    server.page("/big", html_page("Big", padding=200_000))
    record = check(server, "/big", max_bytes=50_000)
    assert (record["state"], record["size"], record["title"]) == ("ok", 50_000, "Big")


# --- Host header, canonical redirects, TLS ------------------------------------------------------------------------------


def test_without_the_shops_domain_in_host_the_canonical_redirect_leads_away_with_a_hint() -> None:
    with WebServer(canonical_host="shop.invalid") as web:
        web.page("/", html_page("Home"))
        record = check(web, "/", retries=0)
    assert kinds(record) == ["connection_error"]
    assert record["redirects"] == [{"status": 301, "url": web.url("/"), "location": "http://shop.invalid/"}]
    assert record["problems"][0]["detail"].endswith("(after a redirect to another host, shop.invalid; if that is the shop's own domain, set host_header to it)")


def test_with_host_header_the_shop_answers_and_its_redirects_stay_on_the_address() -> None:
    with WebServer(canonical_host="shop.invalid") as web:
        web.page("/", html_page("Home"))
        web.redirect("/index.php?controller=cart", "http://shop.invalid/cart", status=301)
        web.page("/cart", html_page("Cart"))
        home = check(web, "/", host_header="shop.invalid")
        cart = check(web, "/index.php?controller=cart", host_header="shop.invalid")
    assert (home["state"], home["title"]) == ("ok", "Home")
    assert (cart["state"], cart["title"], cart["final_url"]) == ("ok", "Cart", "http://shop.invalid/cart")
    assert [(request["path"], request["headers"]["Host"]) for request in web.requests] == [
        ("/", "shop.invalid"), ("/index.php?controller=cart", "shop.invalid"), ("/cart", "shop.invalid")]


def test_https_under_the_host_header_name_checks_the_certificate_for_that_name(tmp_path: Path) -> None:
    certificate, key = self_signed_certificate(tmp_path, "shop.invalid")
    with WebServer(tls=(certificate, key)) as web:
        web.page("/", html_page("Secure home"))
        named = check(web, "/", host_header="shop.invalid", ca_path=str(certificate))
        by_address = check(web, "/", ca_path=str(certificate), retries=0)
        unknown_ca = check(web, "/", host_header="shop.invalid", retries=0)
        unchecked = check(web, "/", validate_certs=False)
    assert (named["state"], named["title"]) == ("ok", "Secure home")
    assert kinds(by_address) == ["tls_error"] and "IP address mismatch" in by_address["problems"][0]["detail"]
    assert by_address["problems"][0]["detail"].endswith("(set host_header to the name the certificate is for)")
    assert kinds(unknown_ca) == ["tls_error"] and "self-signed certificate" in unknown_ca["problems"][0]["detail"]
    assert unchecked["state"] == "ok"
