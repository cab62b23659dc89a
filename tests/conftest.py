# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by every test: the collection on sys.path, a private MariaDB, synthetic shops."""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness.ansible import ensure_collection_link  # noqa: E402  (needs the sys.path entry above)

sys.path.insert(0, str(ensure_collection_link()))

STRICT_SKIPS = os.environ.get("SHOPFLEET_STRICT_SKIPS") == "1"
# Tests that may be skipped in CI because what they need cannot be had there: they say so in their skip reason.
ALLOWED_SKIP_MARKERS = ("real_releases",)


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One private MariaDB server for the whole test session (own datadir, socket and port on 127.0.0.1)."""
    from harness.mariadb import MariaDB

    server = MariaDB(tmp_path_factory.mktemp("mariadb"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


_shop_numbers = itertools.count(1)


@pytest.fixture
def shop_factory(mariadb: Any, tmp_path: Path) -> Callable[..., Any]:
    """Build synthetic shops (files + database) in this test's folder: shop_factory("8.1.5", folder=..., admin_dir=..., ...)."""
    from harness.shops import build_shop

    built: list[Any] = []

    def make(version: str, **options: Any) -> Any:
        folder = options.pop("folder", None) or f"shop{len(built) + 1}"
        # Database and user names must be unique on the session's server and short (MariaDB caps user names).
        shop = build_shop(tmp_path / folder, mariadb, version, name=f"t{next(_shop_numbers)}", **options)
        built.append(shop)
        return shop

    yield make
    for shop in built:
        mariadb.drop_database(shop.db["name"])


# --- strict skips: in CI a skipped test is a failure unless it waits for something CI cannot have -----------------

_unexpected_skips: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if STRICT_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        if not any(marker in report.keywords for marker in ALLOWED_SKIP_MARKERS):
            _unexpected_skips.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _unexpected_skips and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _unexpected_skips:
        terminalreporter.section("unexpected skips (SHOPFLEET_STRICT_SKIPS=1)")
        for nodeid in _unexpected_skips:
            terminalreporter.write_line(f"SKIPPED but must run: {nodeid}")
