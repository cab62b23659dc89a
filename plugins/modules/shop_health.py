#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: shop_health
short_description: Check that a PrestaShop shop's storefront and back office still work, and compare with a baseline
version_added: 0.1.0
description:
  - Fetches the shop's key pages over HTTP the way a visitor does and records, for each, the status, the final URL
    and the redirects, the time, the size, the C(<title>) and the signs of breakage. By default the home page, a
    category, a product, the cart, the contact page and the back-office login page.
  - Signs of breakage are an HTTP error (4xx, 5xx), PHP messages (fatal and parse errors, warnings, notices,
    deprecations) printed in the page, exception pages (Symfony's "Oops! An Error Occurred", "Whoops", PrestaShop's
    exception display, "Uncaught ...", stack traces), an empty page, an HTML page cut before C(</html>), a redirect
    to the install folder, a redirect loop or too many redirects, a timeout or a connection that fails, and a back
    office that refuses logins because the install folder is still there.
  - PrestaShop's maintenance page (HTTP 503 with its template or its C(Retry-After) header, or any 503 while the
    database says the shop is in maintenance) is a state, not breakage; such a page is reported as V(maintenance)
    and is not verified.
  - With O(baseline), the C(pages) of an earlier run (typically taken before an upgrade), the same pages are
    fetched again and compared; a page that was fine and is now broken, shows a kind of problem it did not show,
    lost its title, or got much slower is a regression, listed in RV(regressions) and shown in a before/after
    RV(diff).
  - The base URL is the shop's main URL from its database (C(shop_url), HTTPS when C(PS_SSL_ENABLED=1)) unless
    O(base_url) says otherwise. The module can run on the shop host (it then reads the database) or on the
    controller (C(delegate_to=localhost)) with O(gather_database=false) and O(base_url).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
  - shopfleet.prestashop._attributes.INFO_MODULE
options:
  shop_root:
    description:
      - Absolute path of the shop's root folder on the host. Needed to read the database (O(gather_database=true));
        with O(gather_database=false) it is only used to find the back-office folder.
    type: path
    required: false
  admin_dir:
    description:
      - Name of the shop's back-office folder, for the back-office login page.
      - By default the folder found in O(shop_root). Without it and without O(shop_root), the back-office page is
        skipped.
    type: str
  gather_database:
    description:
      - Read the database for the shop's URL, its maintenance state and the ids of an active category and product.
      - With V(false), only the home page, the back-office login page (when O(admin_dir) or O(shop_root) tells the
        folder) and the O(pages) are checked, and O(base_url) is required.
    type: bool
    default: true
  shop_id:
    description:
      - In a multistore installation, the shop to check (C(id_shop)). By default the default shop (C(PS_SHOP_DEFAULT)).
    type: int
  base_url:
    description:
      - URL the pages are fetched under, instead of the shop's main URL from the database, for instance
        V(http://127.0.0.1:8080/) to reach the web server directly. Page paths are relative to it.
    type: str
  host_header:
    description:
      - C(Host) header to send, for a shop reached through another address than its domain (behind a proxy, or a
        local web server). Over HTTPS the same name is used for SNI and is what the certificate must match.
      - A redirect to this name under O(base_url)'s scheme is followed to O(base_url)'s address, like
        C(curl --resolve) would, so a shop that redirects to its canonical domain stays reachable. A redirect to
        another scheme or host is followed as it is.
    type: str
  pages:
    description:
      - More pages to check, name to path (relative to the base URL, e.g. V(index.php?id_cms=1&controller=cms)) or
        absolute URL. A name of the defaults (V(home), V(category), V(product), V(cart), V(contact), V(bo_login))
        replaces that default.
    type: dict
    default: {}
  exclude_pages:
    description:
      - Names of pages not to check (e.g. V(cart) for a catalog-only shop).
    type: list
    elements: str
    default: []
  baseline:
    description:
      - The RV(pages) of an earlier run (a registered result's C(pages), or the whole registered result). The pages
        it holds are fetched again at the same URLs and compared.
    type: raw
  slower_factor:
    description:
      - A page is a slowdown regression when it takes more than this many times its baseline time and at least
        O(slower_min_seconds) more.
    type: float
    default: 3.0
  slower_min_seconds:
    description:
      - The least slowdown, in seconds, that counts as a regression, so that fast pages do not fail on noise.
    type: float
    default: 1.0
  fail_on_regression:
    description:
      - With O(baseline), fail when there is a regression. Pages already broken in the baseline do not fail the check.
    type: bool
    default: true
  fail_on_broken:
    description:
      - Without O(baseline), fail when a page is broken.
    type: bool
    default: true
  timeout:
    description:
      - Seconds a page may take, redirects and body included.
    type: float
    default: 20
  warmup:
    description:
      - Fetch every page once, unmeasured, before the measured fetch. Right after an upgrade the caches are cold and
        the first request rebuilds them, which would otherwise read as a slowdown or a timeout.
    type: bool
    default: true
  warmup_timeout:
    description:
      - Seconds the warm-up fetch may take. A page that does not answer within it is reported as a timeout and not
        fetched again.
    type: float
    default: 120
  retries:
    description:
      - How many times a page is fetched again when the connection fails (refused, reset). Timeouts and HTTP errors
        are not retried.
    type: int
    default: 1
  retry_delay:
    description:
      - Seconds between those attempts.
    type: float
    default: 1
  max_redirects:
    description:
      - Redirects followed per page before it counts as broken.
    type: int
    default: 10
  validate_certs:
    description:
      - Check HTTPS certificates.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authorities to trust instead of the system's (an internal CA).
    type: path
  headers:
    description:
      - Extra request headers, for instance a C(User-Agent) the shop's statistics or firewall recognise.
      - They are ordinary arguments; a secret in them (an C(Authorization)) shows in the task's output unless the task
        sets C(no_log).
    type: dict
    default: {}
  use_proxy:
    description:
      - Use the proxy of the environment (C(https_proxy), C(no_proxy), ...).
    type: bool
    default: true
attributes:
  diff_mode:
    details:
      - This module does not change anything. With O(baseline) the before/after comparison is always in RV(diff) and
        RV(comparison); Ansible only displays the diff of tasks that changed something, so it is not shown by C(--diff).
requirements:
  - requests (where the module runs).
  - PyMySQL, only with O(gather_database=true).
notes:
  - Read-only, so check mode runs the check in full; C(changed) is always V(false).
  - The pages are ordinary visits. The shop may record them as it records any visitor (C(connections), C(guest)
    tables) and answers them as any visitor, so while the shop is in maintenance the pages are only verified when
    the address the shop sees for this check is in its maintenance allow-list (C(PS_MAINTENANCE_IP)); PrestaShop
    lets nobody through by default, not even V(127.0.0.1). The M(shopfleet.prestashop.maintenance) module's
    O(shopfleet.prestashop.maintenance#module:allow_ips) adds it.
  - Detection of PHP messages reads the page text, so it needs C(display_errors) on to see them; with it off,
    PrestaShop answers a fatal error with an HTTP 500 and an empty or cut-off page, which is caught as such.
seealso:
  - module: shopfleet.prestashop.maintenance
  - module: shopfleet.prestashop.shop_info
"""

EXAMPLES = r"""
- name: Take a baseline before the upgrade
  shopfleet.prestashop.shop_health:
    shop_root: /var/www/shop
  register: health_before

- name: Check again after the upgrade; fails with a before/after diff when a page regressed
  shopfleet.prestashop.shop_health:
    shop_root: /var/www/shop
    baseline: "{{ health_before.pages }}"
  register: health_after

- name: Reach the web server directly, under the shop's domain, and check a CMS page too
  shopfleet.prestashop.shop_health:
    shop_root: /var/www/shop
    base_url: http://127.0.0.1/
    host_header: shop.example.com
    pages:
      terms: index.php?id_cms=3&controller=cms

- name: From the controller, without database access
  shopfleet.prestashop.shop_health:
    gather_database: false
    base_url: https://shop.example.com/
    admin_dir: admin123abcdefghijk
  delegate_to: localhost
"""

RETURN = r"""
base_url:
  description: URL the pages were fetched under.
  returned: always
  type: str
  sample: https://shop.example.com/
host_header:
  description: C(Host) header sent, V(null) when the URL's own.
  returned: always
  type: str
  sample: null
shop_id:
  description: C(id_shop) of the checked shop, V(null) without the database.
  returned: always
  type: int
  sample: 1
pages:
  description: Every checked page by name, in the order checked. Pass it as O(baseline) to a later run.
  returned: always
  type: dict
  contains:
    name:
      description: Page name.
      type: str
    url:
      description: URL fetched first.
      type: str
    final_url:
      description: URL of the last answer, after redirects.
      type: str
    status:
      description: HTTP status of the last answer, V(null) when none came.
      type: int
    redirects:
      description: Each redirect followed, C({status, url, location}).
      type: list
      elements: dict
    time:
      description: Seconds from the first request to the end of the body, redirects included (the measured fetch).
      type: float
    size:
      description: Body bytes (decoded).
      type: int
    title:
      description: The page's C(<title>), V(null) when it has none.
      type: str
    content_type:
      description: C(Content-Type) of the last answer.
      type: str
    attempts:
      description: Measured fetches made (more than one when the connection failed and was retried).
      type: int
    state:
      description: V(ok), V(broken) (at least one problem) or V(maintenance) (the shop's maintenance page; not verified).
      type: str
    problems:
      description:
        - Signs of breakage, each C({kind, detail}). Kinds are V(http_error), V(php_error), V(php_warning),
          V(exception_page), V(empty_body), V(truncated_html), V(install_redirect), V(install_folder_present),
          V(redirect_loop), V(too_many_redirects), V(timeout), V(connection_error), V(tls_error), V(invalid_url),
          V(request_error).
      type: list
      elements: dict
  sample:
    home:
      name: home
      url: https://shop.example.com/
      final_url: https://shop.example.com/
      status: 200
      redirects: []
      time: 0.184
      size: 48211
      title: My shop
      content_type: text/html; charset=utf-8
      attempts: 1
      state: ok
      problems: []
    product:
      name: product
      url: https://shop.example.com/index.php?id_product=1&controller=product
      final_url: https://shop.example.com/men/1-1-hummingbird-printed-t-shirt.html
      status: 500
      redirects: [{"status": 301, "url": "https://shop.example.com/index.php?id_product=1&controller=product",
                   "location": "https://shop.example.com/men/1-1-hummingbird-printed-t-shirt.html"}]
      time: 0.412
      size: 0
      title: null
      content_type: text/html; charset=UTF-8
      attempts: 1
      state: broken
      problems: [{"kind": "http_error", "detail": "HTTP 500"}, {"kind": "empty_body", "detail": "the page is empty (a white page)"}]
not_checked:
  description: Default pages that could not be built (no active product, unknown back-office folder), each C({page, reason}).
  returned: always
  type: list
  elements: dict
  sample: [{"page": "product", "reason": "no active product in shop 1"}]
broken:
  description: Names of the broken pages.
  returned: always
  type: list
  elements: str
  sample: [product]
maintenance:
  description: Names of the pages that answered with the maintenance page, so were not verified.
  returned: always
  type: list
  elements: str
  sample: []
regressions:
  description: With O(baseline), each regression C({page, kind, message}); kinds are V(broken), V(new_problems), V(title_vanished), V(slower).
  returned: when O(baseline) is set
  type: list
  elements: dict
  sample: [{"page": "product", "kind": "broken", "message": "product: was fine, now broken: http_error: HTTP 500"}]
comparison:
  description: With O(baseline), every page before and after (state, status, time, size, title, final URL, problem kinds) and what changed.
  returned: when O(baseline) is set
  type: list
  elements: dict
  sample: [{"page": "home", "before": {"state": "ok", "status": 200}, "after": {"state": "ok", "status": 200}, "changes": [], "regressions": []}]
diff:
  description: With O(baseline), one line per page before (the baseline) and after (this run), in Ansible's diff format.
  returned: when O(baseline) is set
  type: dict
  sample: {"before": "home: ok          HTTP 200 0.120 s 14.2 kB title='My shop'\n", "after": "home: broken ..."}
summary:
  description: One readable paragraph, also the message when the check fails.
  returned: always
  type: str
  sample: "6 pages: 5 ok, 1 broken, 0 in maintenance. 1 regression: product: was fine, now broken: http_error: HTTP 500"
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import os
import time
from typing import Any
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

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
from ansible_collections.shopfleet.prestashop.plugins.module_utils._health import (
    BACK_OFFICE_LOGIN,
    CATEGORY,
    PRODUCT,
    REQUESTS_IMPORT_ERROR,
    STATE_BROKEN,
    STATE_MAINTENANCE,
    ClientSettings,
    HealthError,
    PageClient,
    compare_pages,
    default_page_paths,
    diff_text,
    index_baseline,
    inspect_response,
    normalize_base_url,
    outcome,
    plan_pages,
    shop_base_url,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    find_admin_dirs,
    global_configuration,
    read_parameters,
    shop_argument_spec,
    shops,
    table,
)


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec["shop_root"] = {"type": "path"}
    argument_spec.update(
        gather_database={"type": "bool", "default": True},
        shop_id={"type": "int"},
        base_url={"type": "str"},
        host_header={"type": "str"},
        pages={"type": "dict", "default": {}},
        exclude_pages={"type": "list", "elements": "str", "default": []},
        baseline={"type": "raw"},
        slower_factor={"type": "float", "default": 3.0},
        slower_min_seconds={"type": "float", "default": 1.0},
        fail_on_regression={"type": "bool", "default": True},
        fail_on_broken={"type": "bool", "default": True},
        timeout={"type": "float", "default": 20.0},
        warmup={"type": "bool", "default": True},
        warmup_timeout={"type": "float", "default": 120.0},
        retries={"type": "int", "default": 1},
        retry_delay={"type": "float", "default": 1.0},
        max_redirects={"type": "int", "default": 10},
        validate_certs={"type": "bool", "default": True},
        ca_path={"type": "path"},
        headers={"type": "dict", "default": {}},
        use_proxy={"type": "bool", "default": True},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                         required_if=[("gather_database", False, ("base_url",))])


# --- what the database says ---------------------------------------------------------------------------------------


def read_shop_facts(module: AnsibleModule, root: str) -> dict[str, Any]:
    """The checked shop's URL, maintenance state, and the ids of a category and a product to visit."""
    require_pymysql(module)
    params = db_params(read_parameters(root)[1], db_overrides(module.params))
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        if not table_exists(connection, params.prefix + "configuration"):
            raise ShopError(f"no {params.prefix}configuration table in {params.describe()}: wrong database or table prefix?")
        settings = global_configuration(connection, params, ["PS_SHOP_DEFAULT", "PS_SSL_ENABLED"])
        shop = pick_shop(shops(connection, params), module.params["shop_id"], settings["PS_SHOP_DEFAULT"])
        not_checked = []
        category_id = active_category(connection, params, shop["id"])
        if category_id is None:
            not_checked.append({"page": CATEGORY, "reason": f"no active category (other than the root and home ones) in shop {shop['id']}"})
        product_id = active_product(connection, params, shop["id"])
        if product_id is None:
            not_checked.append({"page": PRODUCT, "reason": f"no active, visible product in shop {shop['id']}"})
        return {"shop": shop, "ssl": str(settings["PS_SSL_ENABLED"]) == "1", "category_id": category_id, "product_id": product_id,
                "not_checked": not_checked}
    except QUERY_ERRORS as exc:
        raise DbError(f"reading {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()


def pick_shop(shop_list: list[dict[str, Any]], wanted: int | None, default_id: str | None) -> dict[str, Any]:
    if not shop_list:
        raise ShopError("the database holds no shop")
    by_id = {shop["id"]: shop for shop in shop_list}
    if wanted is not None:
        if wanted not in by_id:
            raise ShopError(f"no shop with id {wanted}; the shops are {', '.join(str(shop_id) for shop_id in by_id)}")
        return by_id[wanted]
    if default_id is not None and str(default_id).isdigit() and int(default_id) in by_id:
        return by_id[int(default_id)]
    return next((shop for shop in shop_list if shop["active"]), shop_list[0])


def active_category(connection: Any, params: Any, shop_id: int) -> int | None:
    """An active category a visitor can open: not the root (no parent) nor the shop's home (root) category."""
    if not (table_exists(connection, params.prefix + "category") and table_exists(connection, params.prefix + "category_shop")):
        return None
    return _first_id(connection, f"SELECT c.id_category FROM {table(params, 'category')} c "
                                 f"JOIN {table(params, 'category_shop')} cs ON cs.id_category = c.id_category AND cs.id_shop = %s "
                                 "WHERE c.active = 1 AND c.id_parent <> 0 AND c.is_root_category = 0 "
                                 "ORDER BY c.level_depth, cs.position, c.id_category LIMIT 1", (shop_id,))


def active_product(connection: Any, params: Any, shop_id: int) -> int | None:
    """An active product shown in the catalog of the shop (not a draft of the 8.x product page)."""
    if not (table_exists(connection, params.prefix + "product") and table_exists(connection, params.prefix + "product_shop")):
        return None
    drafts = " AND p.state = 1" if _column_exists(connection, params.prefix + "product", "state") else ""
    return _first_id(connection, f"SELECT p.id_product FROM {table(params, 'product')} p "
                                 f"JOIN {table(params, 'product_shop')} ps ON ps.id_product = p.id_product AND ps.id_shop = %s "
                                 f"WHERE ps.active = 1 AND ps.visibility IN ('both', 'catalog'){drafts} ORDER BY p.id_product LIMIT 1",
                     (shop_id,))


def _first_id(connection: Any, sql: str, args: Any) -> int | None:
    value = fetch_value(connection, sql, args)
    return None if value is None else int(value)


def _column_exists(connection: Any, table_name: str, column: str) -> bool:
    return bool(fetch_all(connection, "SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
                                      "AND COLUMN_NAME = %s", (table_name, column)))


# --- the check ----------------------------------------------------------------------------------------------------


def build_plan(module: AnsibleModule) -> dict[str, Any]:
    """Where to fetch what: base URL, pages, and what is known of the shop (plain data)."""
    params = module.params
    baseline = index_baseline(params["baseline"])
    admin_dir = params["admin_dir"]
    facts: dict[str, Any] = {"shop": None, "ssl": False, "category_id": None, "product_id": None, "not_checked": []}
    admin_reason = "the back-office folder is unknown: set admin_dir"
    if params["shop_root"]:
        root, admin_dir, candidates = shop_folders(params["shop_root"], admin_dir)
        if len(candidates) > 1 and not admin_dir:
            admin_reason = f"several folders look like the back office ({', '.join(candidates)}): set admin_dir"
        if params["gather_database"]:
            facts = read_shop_facts(module, root)
    elif params["gather_database"]:
        raise HealthError("shop_root is needed to read the shop's database; without it set gather_database: false and base_url")
    if params["base_url"]:
        base_url = normalize_base_url(params["base_url"])
    elif facts["shop"]:
        shop = facts["shop"]
        base_url = shop_base_url(shop["domain"], shop["domain_ssl"], shop["uri"], facts["ssl"])
    else:
        raise HealthError("base_url is needed when the database is not read (gather_database: false)")
    not_checked = list(facts["not_checked"])
    if not admin_dir and BACK_OFFICE_LOGIN not in params["pages"]:
        not_checked.append({"page": BACK_OFFICE_LOGIN, "reason": admin_reason})
    defaults = default_page_paths(admin_dir, facts["category_id"], facts["product_id"], storefront=params["gather_database"])
    pages = plan_pages(base_url, defaults, params["pages"], baseline, params["exclude_pages"])
    left_out = set(params["exclude_pages"]) | {page["name"] for page in pages}
    return {
        "base_url": base_url,
        "shop": facts["shop"],
        "pages": pages,
        "not_checked": [entry for entry in not_checked if entry["page"] not in left_out],
        "baseline": baseline,
    }


def shop_folders(shop_root: str, admin_dir: str | None) -> tuple[str, str | None, list[str]]:
    """(root, back-office folder or None, candidates). Unlike shop_info, a shop whose version files are gone is still
    checked: a broken upgrade is exactly when this module must keep working."""
    root = os.path.abspath(shop_root)
    if not os.path.isdir(root):
        raise ShopError(f"{root} does not exist or is not a directory")
    if admin_dir:
        if not os.path.isdir(os.path.join(root, admin_dir)):
            raise ShopError(f"admin folder {admin_dir!r} does not exist in {root}")
        return root, admin_dir, [admin_dir]
    candidates = find_admin_dirs(root)
    return root, candidates[0] if len(candidates) == 1 else None, candidates


def client_settings(params: dict[str, Any], base_url: str) -> ClientSettings:
    return ClientSettings(
        base_url=base_url, host_header=params["host_header"], timeout=params["timeout"], warmup=params["warmup"],
        warmup_timeout=params["warmup_timeout"], retries=max(0, params["retries"]), retry_delay=params["retry_delay"],
        max_redirects=max(0, params["max_redirects"]), validate_certs=params["validate_certs"], ca_path=params["ca_path"],
        headers={str(key): str(value) for key, value in params["headers"].items()}, use_proxy=params["use_proxy"],
    )


def check_pages(plan: dict[str, Any], settings: ClientSettings) -> dict[str, dict[str, Any]]:
    shop = plan["shop"]
    closed = shop["maintenance"] if shop else None
    base_path = urlsplit(plan["base_url"]).path
    client = PageClient(settings)
    try:
        pages = {}
        for page in plan["pages"]:
            # The back office is never behind the storefront's maintenance page: a 503 there is breakage.
            in_maintenance = False if page["name"] == BACK_OFFICE_LOGIN else closed
            pages[page["name"]] = inspect_response(page["name"], client.fetch(page["url"]), base_path, in_maintenance)
        return pages
    finally:
        client.close()


def run(module: AnsibleModule) -> tuple[bool, dict[str, Any]]:
    params = module.params
    if REQUESTS_IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    plan = build_plan(module)
    pages = check_pages(plan, client_settings(params, plan["base_url"]))
    result: dict[str, Any] = {
        "changed": False,
        "base_url": plan["base_url"],
        "host_header": params["host_header"],
        "shop_id": plan["shop"]["id"] if plan["shop"] else None,
        "pages": pages,
        "not_checked": plan["not_checked"],
        "broken": [name for name, page in pages.items() if page["state"] == STATE_BROKEN],
        "maintenance": [name for name, page in pages.items() if page["state"] == STATE_MAINTENANCE],
    }
    regressions = None
    if params["baseline"] is not None:
        regressions, comparison = compare_pages(plan["baseline"], pages, params["slower_factor"], params["slower_min_seconds"])
        result.update(regressions=regressions, comparison=comparison, diff=diff_text(plan["baseline"], pages))
    failed, result["summary"] = outcome(pages, regressions, params["fail_on_broken"], params["fail_on_regression"])
    if result["maintenance"]:
        allowed = f" (PS_MAINTENANCE_IP: {', '.join(plan['shop']['maintenance_ips']) or 'nobody'})" if plan["shop"] else ""
        module.warn(f"the maintenance page answered for {', '.join(result['maintenance'])}: those pages were not verified. The address the "
                    f"shop sees for this check is not in its maintenance allow-list{allowed}")
    return failed, result


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        failed, result = run(module)
    except (HealthError, ShopError, DbError) as exc:
        module.fail_json(msg=str(exc))
    result["duration_s"] = round(time.monotonic() - started, 3)
    if failed:
        module.fail_json(msg=result["summary"], **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
