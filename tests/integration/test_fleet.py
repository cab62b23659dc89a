# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet in one run: ten shops (own roots and databases on one server, local connections) checked, then upgraded
with several forks; the shop that fails is rolled back and the others are upgraded. An unreachable shop stops the
rollout."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from harness.ansible import REPO_ROOT, run_playbook
from harness.release import build_migrations, build_release
from harness.shopdb import table_checksums

FROM, TO = "8.1.5", "8.1.7"
FLEET_SIZE = 10
FAILING = "shop07"


@pytest.fixture(scope="module")
def release_material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("release")
    release = build_release(folder, TO)
    return {"zip": release.zip_path, "migrations": build_migrations(folder / "upgrade")}


def local_host(shop: Any) -> dict[str, Any]:
    return {"prestashop_root": str(shop.root), "ansible_connection": "local", "ansible_python_interpreter": sys.executable}


def write_inventory(tmp_path: Path, hosts: dict[str, dict[str, Any]]) -> Path:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps({"prestashop": {"hosts": hosts}}))
    return path


def play(playbook: str, tmp_path: Path, hosts: dict[str, dict[str, Any]], material: dict[str, Path], forks: int = 5, **extra: Any) -> Any:
    extra_file = tmp_path / f"{playbook}-vars.json"
    extra_file.write_text(json.dumps({"upgrade_target_version": TO, "upgrade_archive": str(material["zip"]),
                                      "upgrade_migrations_src": str(material["migrations"]), "upgrade_workspace": str(tmp_path / "ws"),
                                      "upgrade_report_dir": str(tmp_path / "reports"), "upgrade_health_check": False,
                                      "upgrade_language_packs": "skip", **extra}))
    return run_playbook(REPO_ROOT / "playbooks" / f"{playbook}.yml", inventory=write_inventory(tmp_path, hosts), extra_vars_file=extra_file,
                        workdir=tmp_path, forks=forks, timeout=1800)


def rows(tmp_path: Path, kind: str) -> dict[str, dict[str, Any]]:
    document = json.loads((tmp_path / "reports" / f"{kind}-latest.json").read_text())
    return {row["shop"]: row for row in document["shops"]}


def fingerprint(shop: Any) -> tuple[dict[str, str], dict[str, Any]]:
    connection = shop.connect()
    try:
        files = {path: digest for path, digest in shop.file_checksums().items() if not path.startswith("var/cache/")}
        return files, table_checksums(connection, shop.prefix)
    finally:
        connection.close()


def test_ten_shops_are_checked_then_upgraded_and_the_one_that_fails_is_rolled_back(
        shop_factory: Callable[..., Any], release_material: dict[str, Path], tmp_path: Path) -> None:
    shops = {f"shop{number:02d}": shop_factory(FROM, folder=f"shop{number:02d}", seed=number) for number in range(1, FLEET_SIZE + 1)}
    shops[FAILING].fail_migration_at(TO)
    hosts = {name: local_host(shop) for name, shop in shops.items()}
    before = {name: fingerprint(shop) for name, shop in shops.items()}

    checked = play("check", tmp_path, hosts, release_material)
    assert checked.returncode == 0, checked.stdout[-4000:]
    assert {name: row["result"] for name, row in rows(tmp_path, "check").items()} == {name: "ready" for name in shops}
    assert {name: fingerprint(shop) for name, shop in shops.items()} == before

    upgraded = play("upgrade", tmp_path, hosts, release_material, upgrade_batch=[1, "100%"], upgrade_max_fail_percentage=50)
    assert upgraded.returncode != 0  # the failed shop fails its host
    results = {name: row["result"] for name, row in rows(tmp_path, "upgrade").items()}
    assert results.pop(FAILING) == "failed_rolled_back"
    assert set(results.values()) <= {"success", "success_with_warnings"} and len(results) == FLEET_SIZE - 1
    assert fingerprint(shops[FAILING]) == before[FAILING]
    assert "failed and were rolled back automatically" in upgraded.stdout
    markdown = (tmp_path / "reports" / "upgrade-latest.md").read_text()
    assert markdown.count("| shop") == FLEET_SIZE and "failed_rolled_back" in markdown


def test_an_unreachable_shop_stops_the_rollout(shop_factory: Callable[..., Any], release_material: dict[str, Path], tmp_path: Path) -> None:
    shops = {name: shop_factory(TO, folder=name) for name in ("first", "third", "fourth")}
    hosts = {"first": local_host(shops["first"]),
             "second": {"prestashop_root": "/nowhere", "ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 9,
                        "ansible_ssh_common_args": "-o ConnectTimeout=3"},
             "third": local_host(shops["third"]), "fourth": local_host(shops["fourth"])}

    completed = play("upgrade", tmp_path, hosts, release_material, upgrade_batch=[1, 2, 1], upgrade_max_fail_percentage=100)
    assert completed.returncode != 0
    results = {name: row["result"] for name, row in rows(tmp_path, "upgrade").items()}
    assert results == {"first": "up_to_date", "second": "unreachable", "third": "up_to_date", "fourth": "not_started"}, results
    assert "could not be reached in an earlier batch" in completed.stdout
