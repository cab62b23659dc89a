# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the real-shop test bed (`make e2e`): release material, installed shops, the run report.

Run with PRESTASHOP_RELEASES and PRESTASHOP_AUTOUPGRADE set (see harness/realshop.py e2e_material); without them
every test module here skips with one line saying what is missing. The MariaDB server is the session's private one
(tests/conftest.py); every shop has its own database on it and its own folder, removed after a passing test
(kept after a failing one, and always with SHOPFLEET_E2E_KEEP=1, for a look at the logs).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import REPO_ROOT
from harness.realshop import PhpServer, RealShop, StepClock, add_realistic_data, e2e_material, install_shop, migrations_folder, render_markdown

REPORT_ENV = "SHOPFLEET_E2E_REPORT"
KEEP_ENV = "SHOPFLEET_E2E_KEEP"


@pytest.fixture(scope="session")
def material() -> tuple[Path, Path]:
    releases, autoupgrade, missing = e2e_material()
    if missing or releases is None or autoupgrade is None:
        pytest.skip(missing)
    return releases, autoupgrade


@pytest.fixture(scope="session")
def migrations(material: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PrestaShop/autoupgrade's upgrade/ folder (sql/ and php/), extracted once for the session."""
    return migrations_folder(material[1], tmp_path_factory.mktemp("autoupgrade"))


def _report_paths() -> tuple[Path, Path]:
    configured = os.environ.get(REPORT_ENV, "").strip()
    json_path = Path(configured) if configured else REPO_ROOT / ".build" / "e2e" / "report.json"
    if json_path.suffix != ".json":
        json_path = json_path / "report.json"
    return json_path, json_path.with_suffix(".md")


@pytest.fixture(scope="session")
def e2e_report() -> Iterator[list[dict[str, Any]]]:
    """Runs append their StepClock.run here; written at the end of the session as JSON and Markdown."""
    runs: list[dict[str, Any]] = []
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    yield runs
    if runs:
        json_path, markdown_path = _report_paths()
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({"started": started, "runs": runs}, indent=2) + "\n", encoding="utf-8")
        markdown_path.write_text(render_markdown(runs), encoding="utf-8")


@pytest.fixture
def clock(request: pytest.FixtureRequest, e2e_report: list[dict[str, Any]]) -> Iterator[StepClock]:
    recorder = StepClock(request.node.name)
    yield recorder
    recorder.run["result"] = getattr(request.node, "e2e_outcome", None) or "failed"
    e2e_report.append(recorder.run)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.e2e_outcome = "xfailed (known failure)" if hasattr(report, "wasxfail") else report.outcome  # type: ignore[attr-defined]


@pytest.fixture
def real_shop(material: tuple[Path, Path], mariadb: Any, tmp_path: Path, request: pytest.FixtureRequest,
              clock: StepClock) -> Iterator[Callable[[str], RealShop]]:
    """install(version) -> a real shop of that version with realistic data, served by php -S while the test runs."""
    servers: list[PhpServer] = []
    shops: list[RealShop] = []

    def install(version: str) -> RealShop:
        releases = material[0]
        with clock.step(f"install {version}"):
            shop = install_shop(releases, version, tmp_path / f"shop-{version}", mariadb, name=f"e2e_{len(shops)}_{version.replace('.', '_')}")
        shops.append(shop)
        with clock.step("add realistic data"):
            counts = add_realistic_data(shop)
        clock.note(f"{version}: installed in {shop.install_seconds} s; data added: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        server = PhpServer(shop)
        server.start()
        servers.append(server)
        return shop

    yield install
    for server in servers:
        server.stop()
    passed = getattr(request.node, "e2e_outcome", None) == "passed"
    if passed and os.environ.get(KEEP_ENV) != "1":
        for shop in shops:
            mariadb.drop_database(shop.db["name"])
            shutil.rmtree(shop.workdir, ignore_errors=True)
        for leftover in ("workspace", "release"):
            shutil.rmtree(tmp_path / leftover, ignore_errors=True)
