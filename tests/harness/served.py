# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A synthetic shop served for real: `php -S` on 127.0.0.1 and the few catalogue rows the page checks need."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# The harness's shops have no catalogue tables; these hold just what shop_health reads to pick a category and a product.
CATALOGUE = [
    "CREATE TABLE `{p}category` (id_category INT UNSIGNED PRIMARY KEY, id_parent INT UNSIGNED NOT NULL, level_depth TINYINT UNSIGNED NOT NULL, "
    "active TINYINT(1) NOT NULL, is_root_category TINYINT(1) NOT NULL DEFAULT 0)",
    "CREATE TABLE `{p}category_shop` (id_category INT UNSIGNED, id_shop INT UNSIGNED, position INT UNSIGNED NOT NULL DEFAULT 0, "
    "PRIMARY KEY (id_category, id_shop))",
    "CREATE TABLE `{p}product` (id_product INT UNSIGNED PRIMARY KEY, active TINYINT(1) NOT NULL, state INT UNSIGNED NOT NULL DEFAULT 1)",
    "CREATE TABLE `{p}product_shop` (id_product INT UNSIGNED, id_shop INT UNSIGNED, active TINYINT(1) NOT NULL, "
    "visibility ENUM('both','catalog','search','none') NOT NULL DEFAULT 'both', PRIMARY KEY (id_product, id_shop))",
    # Root (no parent), Home (the shop's root category), an inactive one, then the first a visitor can open: 6.
    "INSERT INTO `{p}category` VALUES (1, 0, 0, 1, 0), (2, 1, 1, 1, 1), (5, 2, 2, 0, 0), (6, 2, 2, 1, 0), (7, 2, 2, 1, 0)",
    "INSERT INTO `{p}category_shop` VALUES (1, 1, 0), (2, 1, 0), (5, 1, 0), (6, 1, 1), (7, 1, 2)",
    # A draft of the 8.x product page, a product hidden from the catalogue, an inactive one, then the first visible: 4.
    "INSERT INTO `{p}product` VALUES (1, 1, 0), (2, 1, 1), (3, 0, 1), (4, 1, 1), (5, 1, 1)",
    "INSERT INTO `{p}product_shop` VALUES (1, 1, 1, 'both'), (2, 1, 1, 'none'), (3, 1, 0, 'both'), (4, 1, 1, 'both'), (5, 1, 1, 'catalog')",
]


def add_catalogue(shop: Any, port: int) -> None:
    """The catalogue tables and rows, and the shop's URL pointing at 127.0.0.1:port (PrestaShop redirects to its domain)."""
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            for statement in CATALOGUE + [f"UPDATE {{p}}shop_url SET domain = '127.0.0.1:{port}', domain_ssl = '127.0.0.1:{port}'"]:
                cursor.execute(statement.replace("{p}", shop.prefix))
    finally:
        connection.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def php_server(root: Path, port: int, display_errors: bool) -> Iterator[str]:
    """`php -S` serving the shop on 127.0.0.1:port; yields its base URL.

    OPcache is off: the built-in server is not the "cli" SAPI, so opcache.enable (not enable_cli) applies to it, and
    with revalidate_freq it would serve a file we just changed from its cache for up to two seconds.
    """
    php = shutil.which("php")
    assert php, "php-cli is required (make deps installs it)"
    server = subprocess.Popen([php, "-d", f"display_errors={int(display_errors)}", "-d", "opcache.enable=0", "-S", f"127.0.0.1:{port}",
                               "-t", str(root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "php -S did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)
