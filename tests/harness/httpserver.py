# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real HTTP(S) server on 127.0.0.1, in a thread, serving a folder the way a release mirror does.

It answers GET and HEAD with Content-Length, honours `Range: bytes=N-` / `bytes=N-M` (206 with Content-Range,
416 past the end), says 404 for anything else, and can misbehave on request: cut the connection after N bytes
of a body, or ignore Range headers. With `tls=True` it serves HTTPS with a self-signed certificate made by the
`openssl` binary (for certificate-error tests, or trusted through `cert_path`). Every request is recorded.

    with HttpServer(folder) as server:
        server.cut_after("prestashop_8.1.7.zip", 100_000)      # the next GET of it stops after 100 kB
        url = server.url("prestashop_8.1.7.zip")
"""

from __future__ import annotations

import http.server
import re
import shutil
import socket
import ssl
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


@dataclass
class Cut:
    after: int
    times: int


class HttpServer:
    """Serves `root` on 127.0.0.1 (a free port) until stopped; `requests` lists what clients asked for."""

    def __init__(self, root: Path, tls: bool = False, cert_dir: Path | None = None) -> None:
        self.root = Path(root)
        self.tls = tls
        self.cert_dir = Path(cert_dir) if cert_dir else self.root.parent / f".{self.root.name}-tls"
        self.cert_path: Path | None = None
        self.requests: list[dict[str, Any]] = []
        self.ignore_ranges = False
        self._cuts: dict[str, Cut] = {}
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- control ---------------------------------------------------------------------------------------------

    def start(self) -> "HttpServer":
        handler = _handler_for(self)
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            cert, key = self._self_signed_certificate()
            context.load_cert_chain(str(cert), str(key))
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, name="harness-http", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "HttpServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start the server first"
        return self._server.server_address[1]

    def url(self, path: str = "") -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}/{path.lstrip('/')}"

    def cut_after(self, path: str, after: int, times: int = 1) -> None:
        """The next `times` GETs of `path` send `after` bytes of the body, then drop the connection."""
        with self._lock:
            self._cuts[path.lstrip("/")] = Cut(after, times)

    def gets(self, path: str) -> list[dict[str, Any]]:
        """The GET requests made for one path, oldest first."""
        return [request for request in self.requests if request["method"] == "GET" and request["path"] == path.lstrip("/")]

    # --- internals -------------------------------------------------------------------------------------------

    def _take_cut(self, path: str) -> int | None:
        with self._lock:
            cut = self._cuts.get(path)
            if cut is None or cut.times <= 0:
                return None
            cut.times -= 1
            return cut.after

    def _self_signed_certificate(self) -> tuple[Path, Path]:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("the openssl binary is needed for the HTTPS test server")
        self.cert_dir.mkdir(parents=True, exist_ok=True)
        cert, key = self.cert_dir / "cert.pem", self.cert_dir / "key.pem"
        if not cert.exists():
            subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert)],
                           check=True, capture_output=True, timeout=60)
        self.cert_path = cert
        return cert, key


def _handler_for(server: HttpServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (the name is http.server's)
            pass  # keep pytest output clean; `server.requests` has the log

        def do_HEAD(self) -> None:  # noqa: N802  (http.server's naming)
            self._answer(body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._answer(body=True)

        def _answer(self, body: bool) -> None:
            path = self.path.split("?", 1)[0].lstrip("/")
            server.requests.append({"method": self.command, "path": path, "range": self.headers.get("Range")})
            file = (server.root / path).resolve()
            if not path or not file.is_file() or server.root.resolve() not in file.parents:
                self.send_error(404, "Not Found")
                return
            size = file.stat().st_size
            start, end = 0, size - 1
            status = 200
            requested = self.headers.get("Range")
            if requested and not server.ignore_ranges:
                match = _RANGE.match(requested.strip())
                if match is None or int(match.group(1)) >= size:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = int(match.group(1))
                end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
                status = 206
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(end - start + 1))
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.end_headers()
            if body:
                self._send_body(file, start, end - start + 1, server._take_cut(path))

        def _send_body(self, file: Path, start: int, length: int, cut: int | None) -> None:
            limit = length if cut is None else min(cut, length)
            with file.open("rb") as handle:
                handle.seek(start)
                left = limit
                while left > 0:
                    chunk = handle.read(min(65536, left))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    left -= len(chunk)
            if cut is not None:
                self.wfile.flush()
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                self.close_connection = True

    return Handler
