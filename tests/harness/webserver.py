# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real HTTP(S) server on 127.0.0.1, in a thread, serving pages a test sets up: healthy ones and broken ones.

    with WebServer() as server:
        server.page("/", html_page("Home"))
        server.page("/fatal", PHP_FATAL, status=500)
        server.redirect("/old", "/new")
        fetch(server.url("/fatal"))

Routes match the request's path with its query first, then its path alone; anything else is a 404. A test can
change a route at any time (break a page between a baseline and a check). Every request is recorded
(`server.requests`: method, path, headers) so a test can see what a client sent.
"""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Bodies like the ones a broken PrestaShop shows (written for these tests, not copied from PrestaShop).
PHP_FATAL = ("<!DOCTYPE html><html><head><title>Shop</title></head><body>\n<br />\n<b>Fatal error</b>:  Uncaught Error: Call to undefined "
             "method Product::getPriceStatic() in <b>/var/www/shop/classes/Product.php</b> on line <b>42</b><br />\n")
PHP_FATAL_TEXT = ("PHP Fatal error:  Uncaught Error: Class \"PrestaShop\\PrestaShop\\Core\\Version\" not found in /var/www/shop/config/autoload.php:12\n"
                  "Stack trace:\n#0 /var/www/shop/config/config.inc.php(30): require()\n#1 {main}\n  thrown in /var/www/shop/config/autoload.php on line 12\n")
PHP_PARSE_ERROR = "<b>Parse error</b>:  syntax error, unexpected token \"}\" in <b>/var/www/shop/override/classes/Cart.php</b> on line <b>7</b><br />"
PHP_WARNING = ("<br />\n<b>Warning</b>:  Undefined array key \"id_lang\" in <b>/var/www/shop/modules/mymodule/mymodule.php</b> on line <b>88</b>"
               "<br />\n")
PHP_DEPRECATED = "\nDeprecated: Creation of dynamic property Cart::$shopfleet is deprecated in /var/www/shop/classes/Cart.php on line 31\n"
SYMFONY_ERROR_PAGE = ("<!DOCTYPE html><html><head><title>An Error Occurred: Internal Server Error</title></head><body>"
                      "<h1>Oops! An Error Occurred</h1><h2>The server returned a \"500 Internal Server Error\".</h2></body></html>")
PRESTASHOP_EXCEPTION = ("<html><head><title>Shop</title></head><body><div><h2>[PrestaShopException]</h2><p>Property Product->name is "
                        "empty at line 1000 in file classes/ObjectModel.php</p></div></body></html>")
MAINTENANCE_PAGE = ("<!doctype html><html><head><title>My shop</title></head><body><section id=\"main\"><h1>We'll be back soon.</h1>"
                    "<section id=\"content\" class=\"page-content page-maintenance\"><p>We are updating the shop.</p></section>"
                    "</section></body></html>")
SHOP_TEXT_WITH_WARNING_WORD = "Warning: only 2 left in stock! Notice: ships in 3 days."


def html_page(title: str, body: str = "", padding: int = 0) -> str:
    """A well-formed page with that title; `padding` adds that many bytes of filler to the body."""
    filler = "<p>" + "lorem ipsum " * (padding // 12 + 1) + "</p>" if padding else ""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\n"
            f"<body><h1>{title}</h1>{body}{filler}</body>\n</html>\n")


@dataclass
class Route:
    """What a path answers: status, body, headers, an optional delay, and connections to drop before answering."""

    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "text/html; charset=utf-8"
    drop_connections: int = 0


class WebServer:
    """A threaded HTTP server on 127.0.0.1 (HTTPS when given a certificate and key), started and stopped by the test."""

    def __init__(self, tls: tuple[Path, Path] | None = None, canonical_host: str | None = None) -> None:
        self.routes: dict[str, Route] = {}
        # When set, a request whose Host header differs is redirected to this host, as PrestaShop does for its domain.
        self.canonical_host = canonical_host
        self.requests: list[dict[str, Any]] = []
        self._tls = tls
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- routes ---------------------------------------------------------------------------------------------------

    def page(self, path: str, body: bytes | str = b"", status: int = 200, **options: Any) -> Route:
        route = Route(status=status, body=body, **options)
        self.routes[path] = route
        return route

    def redirect(self, path: str, location: str, status: int = 302) -> Route:
        return self.page(path, b"", status=status, headers={"Location": location})

    # --- lifecycle ------------------------------------------------------------------------------------------------

    @property
    def scheme(self) -> str:
        return "https" if self._tls else "http"

    @property
    def port(self) -> int:
        assert self._server is not None, "the server is not started"
        return int(self._server.server_address[1])

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://{self.netloc}{path}"

    def start(self) -> WebServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        server.daemon_threads = True
        if self._tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(self._tls[0]), str(self._tls[1]))
            server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- answering ------------------------------------------------------------------------------------------------

    def _route_for(self, target: str) -> Route | None:
        with self._lock:
            return self.routes.get(target) or self.routes.get(target.split("?", 1)[0])

    def _take_drop(self, route: Route) -> bool:
        with self._lock:
            if route.drop_connections > 0:
                route.drop_connections -= 1
                return True
            return False

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set() and time.monotonic() < deadline:
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))


def _handler_class(server: WebServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:  # noqa: N802  (the name http.server calls)
            server.requests.append({"method": "GET", "path": self.path, "headers": dict(self.headers.items())})
            host = self.headers.get("Host", "")
            if server.canonical_host and host != server.canonical_host:
                self._answer(Route(status=301, headers={"Location": f"{server.scheme}://{server.canonical_host}{self.path}"}))
                return
            route = server._route_for(self.path)
            if route is None:
                self._answer(Route(status=404, body=html_page("Page not found")))
                return
            if server._take_drop(route):
                # Close without answering: the client sees the connection reset, as with a restarting php-fpm.
                self.close_connection = True
                self.connection.close()
                return
            server._wait(route.delay)
            self._answer(route)

        def _answer(self, route: Route) -> None:
            body = route.body.encode() if isinstance(route.body, str) else route.body
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in route.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the client gave up (a timeout test); nothing to answer to

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
            pass

    return Handler


def self_signed_certificate(directory: Path, hostname: str) -> tuple[Path, Path]:
    """A certificate for `hostname` (and no other name) with its key, as PEM files; the certificate is its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{hostname}.crt", directory / f"{hostname}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path
