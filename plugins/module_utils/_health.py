# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is the shop still working: fetching its pages, spotting the signs of breakage, comparing with a baseline.

The fetching is the only part that talks to the network (`PageClient`, with requests). What a response means
(`inspect_response`) and how two runs compare (`compare_pages`, `diff_text`, `outcome`) are pure functions of
plain data, so a result registered by one run can be the baseline of the next.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import html
import re
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

try:
    import requests
    import requests.adapters
    import urllib3
except ImportError:
    requests = None
    REQUESTS_IMPORT_ERROR: str | None = traceback.format_exc()
else:
    REQUESTS_IMPORT_ERROR = None

STATE_OK = "ok"
STATE_BROKEN = "broken"
STATE_MAINTENANCE = "maintenance"

DEFAULT_USER_AGENT = "shopfleet.prestashop shop_health"
# Enough for any storefront page; a bigger body is read up to here and inspected as it is.
MAX_BODY_BYTES = 5 * 1024 * 1024
_CHUNK = 64 * 1024
_DETAIL_LENGTH = 300

# Default pages: name -> path relative to the shop's base URL. The `index.php?controller=` form works with and
# without friendly URLs: with them on, PrestaShop answers with a redirect to the canonical URL, which we follow.
HOME = "home"
CATEGORY = "category"
PRODUCT = "product"
CART = "cart"
CONTACT = "contact"
BACK_OFFICE_LOGIN = "bo_login"
DEFAULT_PAGE_ORDER = (HOME, CATEGORY, PRODUCT, CART, CONTACT, BACK_OFFICE_LOGIN)

# --- signs of breakage in a body ----------------------------------------------------------------------------------

# What PHP prints with display_errors on, in both its HTML and its text form: "<b>Fatal error</b>:  msg in
# <b>/file.php</b> on line <b>12</b>" or "Fatal error: msg in /file.php on line 12". The " in FILE on line N" tail
# is what tells a PHP message from shop text that happens to start with "Warning:".
_PHP_MESSAGE = re.compile(
    r"(?:PHP )?(?:<b>)?(?P<level>Fatal error|Parse error|Recoverable fatal error|Catchable fatal error|Warning|Notice|Deprecated|"
    r"Strict Standards|User Error|User Warning|User Notice)(?:</b>)?:\s+(?P<message>.{1,2000}?)\s+in\s+(?:<b>)?[^<\n]{1,500}?"
    r"(?:</b>)?\s+on\s+line\s+(?:<b>)?\d+",
    re.S,
)
_PHP_FATAL_LEVELS = ("Fatal error", "Parse error", "Recoverable fatal error", "Catchable fatal error", "User Error")
# A fatal error without its usual tail (cut output, a custom error handler) still counts.
_PHP_FATAL_BARE = re.compile(r"(?:PHP )?(?:<b>)?(?:Fatal|Parse) error(?:</b>)?:\s*(?P<message>[^\n<]{0,300})")
# Exception pages: Symfony's production page, the old Symfony/PrestaShop debug page, PrestaShop's own exception
# display, Symfony's debug page and PHP's uncaught exception trace.
_EXCEPTION_PAGES = (
    ("Oops! An Error Occurred", re.compile(r"Oops! An Error Occurred")),
    ("Whoops, looks like something went wrong", re.compile(r"Whoops, looks like something went wrong")),
    ("PrestaShop exception", re.compile(r"\[(?:PrestaShop|PrestaShopDatabase|PrestaShopModule|PrestaShopPayment|Smarty\w*)Exception\]")),
    ("Symfony exception page", re.compile(r"class=\"exception-message(?:-wrapper)?\"")),
    ("uncaught exception", re.compile(r"Uncaught (?:[A-Z][\w\\]*)?(?:Exception|Error)\b")),
    ("stack trace", re.compile(r"Stack trace:\s*(?:<br\s*/?>)?\s*#0 ")),
)
# The back office refuses logins while the install folder is there (PrestaShop's AdminLogin "wrong_install_name").
_INSTALL_FOLDER_NOTICE = re.compile(r"wrong_install_name|you cannot connect to the back office until", re.I)
# PrestaShop's maintenance page: the 1.7+ themes' "page-maintenance" section, 1.6's id="maintenance" block.
_MAINTENANCE_MARKERS = re.compile(r"page-maintenance|id=\"maintenance\"")
_TITLE = re.compile(r"<title[^>]*>(?P<title>.*?)</title\s*>", re.S | re.I)
_HTML_OPEN = re.compile(rb"<html[\s>]", re.I)
_HTML_CLOSE = re.compile(rb"</html\s*>", re.I)
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"\s+")
_INSTALL_PATH = re.compile(r"install(?:-dev)?(?:/|$)")


class HealthError(Exception):
    """Bad input to the health check, with a one-line reason."""


# --- URLs -------------------------------------------------------------------------------------------------------------


def normalize_base_url(url: str) -> str:
    """An absolute http(s) URL ending with '/', so that page paths join under it."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise HealthError(f"base_url must be an absolute http:// or https:// URL, not {url!r}")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return urlunsplit((parts.scheme, parts.netloc, path or "/", "", ""))


def shop_base_url(domain: str | None, domain_ssl: str | None, uri: str | None, ssl: bool) -> str:
    """The shop's main URL as PrestaShop builds it from `shop_url`: (domain_ssl if SSL else domain) + physical + virtual URI."""
    host = (domain_ssl if ssl else domain) or domain or domain_ssl
    if not host:
        raise HealthError("the shop has no main URL in shop_url: set base_url")
    path = "/" + "/".join(part for part in (uri or "").split("/") if part)
    return normalize_base_url(f"{'https' if ssl else 'http'}://{host}{path}")


def default_page_paths(admin_dir: str | None, category_id: int | None = None, product_id: int | None = None,
                       storefront: bool = True) -> dict[str, str]:
    """The default pages that can be built from what is known; a page whose id or folder is unknown is left out.

    Without `storefront`, only the home page and the back-office login: what can be checked knowing nothing of the
    shop's database.
    """
    paths = {HOME: ""}
    if storefront:
        if category_id is not None:
            paths[CATEGORY] = f"index.php?id_category={int(category_id)}&controller=category"
        if product_id is not None:
            paths[PRODUCT] = f"index.php?id_product={int(product_id)}&controller=product"
        paths[CART] = "index.php?controller=cart&action=show"
        paths[CONTACT] = "index.php?controller=contact"
    if admin_dir:
        paths[BACK_OFFICE_LOGIN] = f"{admin_dir.strip('/')}/index.php?controller=AdminLogin"
    return paths


def plan_pages(base_url: str, defaults: dict[str, str], extra: dict[str, str] | None, baseline: dict[str, dict[str, Any]] | None,
               exclude: list[str] | None = None) -> list[dict[str, str]]:
    """The pages to fetch, in order: [{name, url}].

    Defaults first, then the caller's pages (a name of theirs replaces a default). A page the baseline holds is
    fetched at the baseline's URL, so the comparison is between the same pages even if the database now picks
    another product; baseline pages absent from this run's list are added back.
    """
    paths: dict[str, str] = dict(defaults)
    for name, path in (extra or {}).items():
        if not isinstance(path, str) or not path.strip():
            raise HealthError(f"page {name!r} needs a path or URL")
        paths[str(name)] = path.strip()
    urls = {name: urljoin(base_url, path) for name, path in paths.items()}
    for name, page in (baseline or {}).items():
        if page.get("url"):
            urls[name] = page["url"]
    excluded = set(exclude or [])
    return [{"name": name, "url": url} for name, url in urls.items() if name not in excluded]


def index_baseline(baseline: Any) -> dict[str, dict[str, Any]]:
    """A previous result's `pages` (a mapping name -> page, or a list of pages with a name) as name -> page."""
    if baseline is None:
        return {}
    if isinstance(baseline, dict) and "pages" in baseline and isinstance(baseline["pages"], (dict, list)):
        # The whole registered result was passed rather than its `pages`.
        baseline = baseline["pages"]
    if isinstance(baseline, dict):
        items = list(baseline.items())
    elif isinstance(baseline, list):
        items = [(page.get("name") if isinstance(page, dict) else None, page) for page in baseline]
    else:
        raise HealthError("baseline must be the `pages` of a previous shop_health result")
    indexed = {}
    for name, page in items:
        if not isinstance(page, dict) or not name or "state" not in page:
            raise HealthError("baseline must be the `pages` of a previous shop_health result: every page needs a name and a state")
        indexed[str(name)] = page
    return indexed


def is_install_url(url: str, base_path: str) -> bool:
    """Whether a URL points into the shop's install folder (install/ or install-dev/ under the shop or the server root)."""
    path = urlsplit(url).path
    for prefix in (base_path, "/"):
        if path.startswith(prefix) and _INSTALL_PATH.match(path[len(prefix):]):
            return True
    return False


def _authority(netloc: str, scheme: str) -> tuple[str, int | None]:
    parts = urlsplit(f"//{netloc}")
    try:
        port = parts.port
    except ValueError:
        port = None
    return (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


# --- fetching ---------------------------------------------------------------------------------------------------------


@dataclass
class Fetched:
    """What one page fetch gave, redirects followed: raw material for `inspect_response`."""

    url: str
    final_url: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    capped: bool = False
    elapsed: float = 0.0
    redirects: list[dict[str, Any]] = field(default_factory=list)
    error: tuple[str, str] | None = None
    attempts: int = 1


@dataclass
class ClientSettings:
    base_url: str
    host_header: str | None = None
    timeout: float = 20.0
    warmup: bool = True
    warmup_timeout: float = 120.0
    retries: int = 1
    retry_delay: float = 1.0
    max_redirects: int = 10
    validate_certs: bool = True
    ca_path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    use_proxy: bool = True
    max_bytes: int = MAX_BODY_BYTES


class PageClient:
    """Fetches pages the way a visitor would, but following redirects one hop at a time to see each of them.

    With `host_header` set, requests go to base_url's address with that Host header (and, over HTTPS, that name
    for SNI and the certificate check). A redirect to the host_header's own name is sent to base_url's address
    too, as curl's --resolve would: a shop reached through another address than its domain stays reachable.
    """

    def __init__(self, settings: ClientSettings) -> None:
        if requests is None:
            raise HealthError("the requests Python library is required")
        self.settings = settings
        self._base = urlsplit(settings.base_url)
        self._session = requests.Session()
        self._session.trust_env = settings.use_proxy
        self._session.headers["User-Agent"] = DEFAULT_USER_AGENT
        self._session.headers.update(settings.headers)
        self._verify: bool | str = settings.ca_path if (settings.validate_certs and settings.ca_path) else settings.validate_certs
        if settings.host_header and self._base.scheme == "https":
            server_name = _authority(settings.host_header, "https")[0]
            self._session.mount(f"https://{self._base.netloc}/", _ServerNameAdapter(server_name))

    def close(self) -> None:
        self._session.close()

    def fetch(self, url: str) -> Fetched:
        """The page, after an unmeasured warm-up fetch when asked (caches rebuilt after an upgrade make first hits slow)."""
        with warnings.catch_warnings():
            if not self.settings.validate_certs:
                # The user chose not to check certificates; urllib3's warning on every request would only be noise.
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            return self._fetch(url)

    def _fetch(self, url: str) -> Fetched:
        self._session.cookies.clear()
        if self.settings.warmup:
            warm = self._fetch_once(url, self.settings.warmup_timeout)
            if warm.error and warm.error[0] == "timeout":
                # A page that did not answer within the generous warm-up timeout would not answer now either.
                return warm
            self._session.cookies.clear()
        attempts = 0
        while True:
            attempts += 1
            fetched = self._fetch_once(url, self.settings.timeout)
            if fetched.error is None or fetched.error[0] != "connection_error" or attempts > self.settings.retries:
                fetched.attempts = attempts
                return fetched
            time.sleep(self.settings.retry_delay)

    def _fetch_once(self, url: str, timeout: float) -> Fetched:
        fetched = Fetched(url=url, final_url=url)
        seen = {url}
        current = url
        started = time.monotonic()
        try:
            for _hop in range(self.settings.max_redirects + 1):
                target, headers = self._route(current)
                response = self._session.get(target, headers=headers, allow_redirects=False, stream=True, timeout=timeout, verify=self._verify)
                try:
                    if response.is_redirect:
                        location = urljoin(current, response.headers["location"])
                        fetched.redirects.append({"status": response.status_code, "url": current, "location": location})
                        if location in seen:
                            fetched.status = response.status_code
                            fetched.error = ("redirect_loop", f"redirect loop: {' -> '.join(hop['url'] for hop in fetched.redirects)} -> {location}")
                            return fetched
                        seen.add(location)
                        current = fetched.final_url = location
                        continue
                    fetched.status = response.status_code
                    fetched.headers = {key.lower(): value for key, value in response.headers.items()}
                    fetched.body, fetched.capped = self._read_body(response, started + timeout)
                    return fetched
                finally:
                    response.close()
            fetched.error = ("too_many_redirects", f"more than {self.settings.max_redirects} redirects, the last to {current}")
        except _Timeout:
            fetched.error = ("timeout", f"no complete answer from {current} within {timeout:g} s")
        except (requests.exceptions.RequestException, ValueError) as exc:
            fetched.error = _request_error(exc, current, fetched.redirects, self.settings.host_header)
            if fetched.error[0] == "timeout":
                fetched.error = ("timeout", f"no complete answer from {current} within {timeout:g} s")
        finally:
            fetched.elapsed = time.monotonic() - started
        return fetched

    def _route(self, url: str) -> tuple[str, dict[str, str]]:
        """Where to send a request for `url`, with which extra headers."""
        host_header = self.settings.host_header
        parts = urlsplit(url)
        if not host_header:
            return url, {}
        if parts.netloc == self._base.netloc:
            return url, {"Host": host_header}
        if parts.scheme == self._base.scheme and _authority(parts.netloc, parts.scheme) == _authority(host_header, parts.scheme):
            return urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, "")), {"Host": host_header}
        return url, {}

    def _read_body(self, response: Any, deadline: float) -> tuple[bytes, bool]:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            if time.monotonic() > deadline:
                raise _Timeout()
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.settings.max_bytes:
                return b"".join(chunks)[:self.settings.max_bytes], True
        return b"".join(chunks), False


class _Timeout(Exception):
    """The whole answer took longer than the timeout (requests' own timeout is per socket read)."""


if requests is not None:
    class _ServerNameAdapter(requests.adapters.HTTPAdapter):
        """HTTPS to an address under another name: that name goes in SNI and is what the certificate must match."""

        def __init__(self, server_name: str, **kwargs: Any) -> None:
            self._server_name = server_name
            super().__init__(**kwargs)

        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["server_hostname"] = self._server_name
            kwargs["assert_hostname"] = self._server_name
            super().init_poolmanager(*args, **kwargs)


def _request_error(exc: Exception, url: str, redirects: list[dict[str, Any]], host_header: str | None) -> tuple[str, str]:
    """(problem kind, one-line detail) for an exception of requests."""
    text = str(exc)
    errors = requests.exceptions
    if isinstance(exc, errors.SSLError):
        reason = re.search(r"(certificate verify failed: .+?)\s*\(_ssl", text) or re.search(r"\[SSL: ([A-Z_]+)\]", text)
        detail = f"TLS with {urlsplit(url).netloc} failed: {(reason.group(1) if reason else text[-200:]).strip()}"
        if not host_header and "mismatch" in detail:
            detail += " (set host_header to the name the certificate is for)"
        return "tls_error", detail
    if isinstance(exc, errors.Timeout) or "Read timed out" in text:
        return "timeout", f"no answer from {url} in time"
    if isinstance(exc, (errors.InvalidURL, errors.MissingSchema, errors.InvalidSchema)):
        return "invalid_url", f"invalid URL {url}: {text[:200]}"
    if isinstance(exc, (errors.ConnectionError, errors.ChunkedEncodingError, errors.ContentDecodingError)):
        reason = re.search(r"\[Errno -?\d+\] ([^'\")]+)|(RemoteDisconnected\([^)]*\)|Connection aborted[^'\")]*)", text)
        why = (reason.group(1) or reason.group(2)) if reason else text[-200:]
        detail = f"cannot get {url}: {why.strip()}"
        if redirects and urlsplit(redirects[0]["url"]).netloc != urlsplit(url).netloc:
            detail += (f" (after a redirect to another host, {urlsplit(url).netloc}; if that is the shop's own domain, "
                       f"{'check host_header' if host_header else 'set host_header to it'})")
        return "connection_error", detail
    return "request_error", f"{url}: {type(exc).__name__}: {text[:200]}"


# --- what a response means --------------------------------------------------------------------------------------------


def inspect_response(name: str, fetched: Fetched, base_path: str = "/", shop_in_maintenance: bool | None = None) -> dict[str, Any]:
    """The page record: status, final URL, redirects, time, size, title, state and problems.

    `state` is `ok`, `broken` (any problem) or `maintenance` (PrestaShop's 503 maintenance page: a state of the
    shop, not breakage; `shop_in_maintenance` from the database settles it when the page itself is not telling).
    """
    text = fetched.body.decode(_charset(fetched.headers), errors="replace")
    title = extract_title(text)
    record: dict[str, Any] = {
        "name": name,
        "url": fetched.url,
        "final_url": fetched.final_url,
        "status": fetched.status,
        "redirects": fetched.redirects,
        "time": round(fetched.elapsed, 3),
        "size": len(fetched.body),
        "title": title,
        "content_type": fetched.headers.get("content-type"),
        "attempts": fetched.attempts,
    }
    problems: list[dict[str, str]] = []
    install_hops = [hop["location"] for hop in fetched.redirects if is_install_url(hop["location"], base_path)]
    if install_hops:
        problems.append(_problem("install_redirect", f"redirected to the install folder ({install_hops[0]}): the shop thinks it is not installed"))
    if fetched.error:
        problems.append(_problem(*fetched.error))
        return {**record, "state": STATE_BROKEN, "problems": problems}
    if is_maintenance_page(fetched.status, fetched.headers, text, shop_in_maintenance):
        return {**record, "state": STATE_MAINTENANCE, "problems": problems}
    if fetched.status is not None and fetched.status >= 400:
        problems.append(_problem("http_error", f"HTTP {fetched.status}"))
    problems.extend(body_problems(fetched.body, text, fetched.headers.get("content-type"), fetched.capped))
    return {**record, "state": STATE_BROKEN if problems else STATE_OK, "problems": problems}


def is_maintenance_page(status: int | None, headers: dict[str, str], text: str, shop_in_maintenance: bool | None) -> bool:
    """PrestaShop's maintenance answer: 503 with its maintenance template, its Retry-After header, or a shop known to be closed."""
    if status != 503:
        return False
    return bool(shop_in_maintenance) or "retry-after" in headers or bool(_MAINTENANCE_MARKERS.search(text))


def body_problems(body: bytes, text: str, content_type: str | None, capped: bool) -> list[dict[str, str]]:
    """Signs of breakage in a page's body: PHP messages, exception pages, an empty or cut-off page."""
    problems = []
    if not body.strip():
        return [_problem("empty_body", "the page is empty (a white page)")]
    fatal_messages, other_messages = [], []
    for match in _PHP_MESSAGE.finditer(text):
        (fatal_messages if match.group("level") in _PHP_FATAL_LEVELS else other_messages).append(_clean(match.group(0)))
    if not fatal_messages:
        bare = _PHP_FATAL_BARE.search(text)
        if bare:
            fatal_messages.append(_clean(bare.group(0)))
    if fatal_messages:
        problems.append(_problem("php_error", fatal_messages[0]))
    if other_messages:
        more = f" (+{len(other_messages) - 1} more)" if len(other_messages) > 1 else ""
        problems.append(_problem("php_warning", other_messages[0] + more))
    if not fatal_messages:
        for label, pattern in _EXCEPTION_PAGES:
            if pattern.search(text):
                problems.append(_problem("exception_page", label))
                break
    if _INSTALL_FOLDER_NOTICE.search(text):
        problems.append(_problem("install_folder_present", "the back office refuses logins while the install folder exists"))
    is_html = content_type is None or "html" in content_type.lower()
    if is_html and not capped and _HTML_OPEN.search(body[:4096]) and not _HTML_CLOSE.search(body):
        problems.append(_problem("truncated_html", "the HTML stops before </html> (output cut by an error)"))
    return problems


def extract_title(text: str) -> str | None:
    match = _TITLE.search(text)
    if not match:
        return None
    title = _SPACES.sub(" ", html.unescape(_TAGS.sub("", match.group("title")))).strip()
    return title or None


def _charset(headers: dict[str, str]) -> str:
    match = re.search(r"charset=([\w.-]+)", headers.get("content-type", ""), re.I)
    if match:
        try:
            "".encode(match.group(1))
            return match.group(1)
        except LookupError:
            pass
    return "utf-8"


def _clean(text: str) -> str:
    cleaned = _SPACES.sub(" ", html.unescape(_TAGS.sub("", text))).strip()
    return cleaned if len(cleaned) <= _DETAIL_LENGTH else cleaned[:_DETAIL_LENGTH - 1] + "…"


def _problem(kind: str, detail: str) -> dict[str, str]:
    return {"kind": kind, "detail": detail}


# --- baseline comparison ----------------------------------------------------------------------------------------------


def compare_pages(baseline: dict[str, dict[str, Any]], pages: dict[str, dict[str, Any]], slower_factor: float,
                  slower_min_seconds: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(regressions, comparison) between a baseline and this run.

    A regression is a page that was fine and is now broken, that shows a kind of problem it did not show before,
    whose title vanished, or that got slower than `slower_factor` times its baseline time and by at least
    `slower_min_seconds`. A maintenance page on either side is not compared: it is reported as unverified.
    """
    regressions: list[dict[str, Any]] = []
    comparison: list[dict[str, Any]] = []
    for name, after in pages.items():
        before = baseline.get(name)
        entry: dict[str, Any] = {"page": name, "before": _brief(before) if before else None, "after": _brief(after), "changes": []}
        comparison.append(entry)
        if before is None:
            entry["changes"].append("not in the baseline")
            continue
        entry["changes"].extend(_changes(before, after))
        if STATE_MAINTENANCE in (before["state"], after["state"]):
            if after["state"] == STATE_MAINTENANCE:
                entry["changes"].append("unverified: the maintenance page answered")
            continue
        found = _page_regressions(name, before, after, slower_factor, slower_min_seconds)
        regressions.extend(found)
        entry["regressions"] = [regression["kind"] for regression in found]
    for name, before in baseline.items():
        if name not in pages:
            comparison.append({"page": name, "before": _brief(before), "after": None, "changes": ["not checked in this run"]})
    return regressions, comparison


def _page_regressions(name: str, before: dict[str, Any], after: dict[str, Any], slower_factor: float,
                      slower_min_seconds: float) -> list[dict[str, Any]]:
    found = []
    before_kinds = {problem["kind"] for problem in before.get("problems") or []}
    after_problems = after.get("problems") or []
    if after["state"] == STATE_BROKEN:
        new = [problem for problem in after_problems if problem["kind"] not in before_kinds]
        if before["state"] == STATE_OK:
            found.append(_regression(name, "broken", f"was fine, now broken: {_problems_text(after_problems)}"))
        elif new:
            found.append(_regression(name, "new_problems", f"new problems: {_problems_text(new)}"))
    if before.get("title") and not after.get("title") and after["state"] != STATE_BROKEN:
        found.append(_regression(name, "title_vanished", f"the title {before['title']!r} vanished"))
    before_time, after_time = before.get("time"), after.get("time")
    if before["state"] == after["state"] == STATE_OK and isinstance(before_time, (int, float)) and isinstance(after_time, (int, float)):
        if after_time > before_time * slower_factor and after_time - before_time >= slower_min_seconds:
            ratio = f"×{after_time / before_time:.1f}" if before_time > 0 else "from nothing"
            found.append(_regression(name, "slower", f"{after_time:.2f} s, was {before_time:.2f} s ({ratio})"))
    return found


def _regression(page: str, kind: str, message: str) -> dict[str, Any]:
    return {"page": page, "kind": kind, "message": f"{page}: {message}"}


def _problems_text(problems: list[dict[str, str]]) -> str:
    return "; ".join(f"{problem['kind']}: {problem['detail']}" for problem in problems) or "no detail"


def _brief(page: dict[str, Any]) -> dict[str, Any]:
    return {key: page.get(key) for key in ("state", "status", "time", "size", "title", "final_url")} | \
        {"problems": [problem["kind"] for problem in page.get("problems") or []]}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changes = []
    for key, label in (("state", "state"), ("status", "status"), ("title", "title"), ("final_url", "final URL")):
        if before.get(key) != after.get(key):
            changes.append(f"{label}: {before.get(key)!r} -> {after.get(key)!r}")
    if before.get("url") and after.get("url") and before["url"] != after["url"]:
        changes.append(f"url: {before['url']} -> {after['url']}")
    return changes


def page_line(page: dict[str, Any] | None) -> str:
    """One readable line per page, for diffs and summaries."""
    if page is None:
        return "(not checked)"
    status = page.get("status") if page.get("status") is not None else "-"
    size = page.get("size") or 0
    line = f"{page['state']:<11} HTTP {status} {page.get('time', 0):.3f} s {size / 1024:.1f} kB title={page.get('title')!r}"
    if page.get("final_url") and page.get("final_url") != page.get("url"):
        line += f" -> {page['final_url']}"
    problems = page.get("problems") or []
    if problems:
        line += " | " + "; ".join(f"{problem['kind']}: {problem['detail']}" for problem in problems)
    return line


def diff_text(baseline: dict[str, dict[str, Any]], pages: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Ansible's diff: one line per page before (baseline) and after (this run)."""
    names = list(pages) + [name for name in baseline if name not in pages]
    return {
        "before_header": "baseline",
        "after_header": "now",
        "before": "".join(f"{name}: {page_line(baseline.get(name))}\n" for name in names),
        "after": "".join(f"{name}: {page_line(pages.get(name))}\n" for name in names),
    }


def outcome(pages: dict[str, dict[str, Any]], regressions: list[dict[str, Any]] | None, fail_on_broken: bool,
            fail_on_regression: bool) -> tuple[bool, str]:
    """(failed, one-paragraph summary). With a baseline (`regressions` not None) only regressions can fail the check."""
    broken = [name for name, page in pages.items() if page["state"] == STATE_BROKEN]
    closed = [name for name, page in pages.items() if page["state"] == STATE_MAINTENANCE]
    counts = f"{len(pages)} pages: {len(pages) - len(broken) - len(closed)} ok, {len(broken)} broken, {len(closed)} in maintenance"
    parts = [counts]
    if broken:
        parts.append("broken: " + "; ".join(f"{name} ({_problems_text(pages[name]['problems'])})" for name in broken))
    if closed:
        parts.append("maintenance page (not verified): " + ", ".join(closed))
    if regressions is None:
        return bool(broken) and fail_on_broken, ". ".join(parts)
    if regressions:
        parts.insert(1, f"{len(regressions)} regression{'s' if len(regressions) > 1 else ''}: " + "; ".join(r["message"] for r in regressions))
    else:
        parts.insert(1, "no regression against the baseline")
    return bool(regressions) and fail_on_regression, ". ".join(parts)
