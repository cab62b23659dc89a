# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The upgrade modules chained by hand in the documented order, one synthetic shop per layout: the shop reaches the
target in its files and its database, and a second pass of every step changes nothing. A migration failing half-way
leaves PS_VERSION_DB as it was, and the fixed rerun finishes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import run_module
from harness.release import MIGRATION_VERSIONS, build_migrations, build_release, build_release_tree

# Each chain is some twenty ansible-playbook runs with PHP and MariaDB behind them.
pytestmark = pytest.mark.slow

ORDER = ("upgrade_check", "release", "remove_samples", "backup_files", "backup_db", "upgrade_files", "upgrade_db", "upgrade_modules",
         "clean_database", "upgrade_complete")
LOCALES = ("en-US", "fr-FR", "ja-JP")


def release_list(folder: Path, versions: tuple[str, ...]) -> str:
    """A local mirror of PrestaShop's release list (upgrade_check reads it; nothing is downloaded from it)."""
    path = folder / "releases.json"
    path.write_text(json.dumps([{"version": version, "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.4",
                                 "zip_download_url": f"http://127.0.0.1:1/prestashop_{version}.zip",
                                 "xml_download_url": f"http://127.0.0.1:1/{version}.xml", "zip_md5": "0" * 32} for version in versions]))
    return str(path)


def language_packs(folder: Path, target: str) -> Path:
    """The packs of the shop's languages in a local folder, named as PrestaShop caches them (sf-<locale>.zip)."""
    folder.mkdir(parents=True, exist_ok=True)
    for locale in LOCALES:
        with zipfile.ZipFile(folder / f"sf-{locale}.zip", "w") as pack:
            pack.writestr(f"{locale}/AdminActions.xlf", f'<?xml version="1.0"?>\n<xliff version="1.2"><!-- {locale} {target} --></xliff>\n')
    return folder


class Chain:
    """The arguments of every step for one shop going from `source` to `target`."""

    def __init__(self, shop: Any, tmp_path: Path, source: str, target: str, route: str) -> None:
        self.shop = shop
        self.source = source
        self.target = target
        self.route = route
        self.workspace = str(tmp_path / "ws")
        material = tmp_path / "material"
        material.mkdir()
        if route == "archive":
            self.archive: str | None = str(build_release(material, target).zip_path)
            self.release_dir: str | None = None
        else:
            self.archive = None
            # A folder given by the user is unpacked as PrestaShop's upgrade leaves it: the admin folder has the shop's name.
            tree = build_release_tree(material / "release", target)
            (tree / "admin").rename(tree / shop.admin_dir)
            self.release_dir = str(tree)
        self.migrations = str(build_migrations(material / "module", MIGRATION_VERSIONS))
        self.metadata_url = release_list(material, (source, target))
        self.packs = str(language_packs(material / "packs", target))
        self.backup = f"V{source}_chain"
        # The run's start is part of the report's name: the same run reported twice is the same report.
        self.started = "2026-11-21T10:00:00Z"

    def shop_args(self, **options: Any) -> dict[str, Any]:
        return {"shop_root": str(self.shop.root), **options}

    def step(self, name: str) -> tuple[str, dict[str, Any]]:
        """(module, arguments) of a step of ORDER; the release is unzipped (archive route) or given as a folder."""
        release = self.release_dir or f"{self.workspace}/{self.shop_slug()}/releases/{self.target}/release"
        steps: dict[str, tuple[str, dict[str, Any]]] = {
            "upgrade_check": ("upgrade_check", self.shop_args(workspace=self.workspace, target_version=self.target, metadata_url=self.metadata_url,
                                                              **({"archive": self.archive} if self.archive else {"release_dir": self.release_dir}))),
            "release": ("release_unzip", self.shop_args(archive=self.archive, workspace=self.workspace, version=self.target)),
            "remove_samples": ("remove_samples", {"release_dir": release}),
            "backup_files": ("backup_files", self.shop_args(workspace=self.workspace, name=self.backup)),
            "backup_db": ("backup_db", self.shop_args(workspace=self.workspace, name=self.backup)),
            "upgrade_files": ("upgrade_files", self.shop_args(workspace=self.workspace, release_dir=release, target_version=self.target)),
            "upgrade_db": ("upgrade_db", self.shop_args(workspace=self.workspace, migrations=self.migrations, target_version=self.target,
                                                        install_dir=f"{release}/install", language_packs_src=self.packs)),
            "upgrade_modules": ("upgrade_modules", self.shop_args(workspace=self.workspace, release_dir=release)),
            "clean_database": ("clean_database", self.shop_args()),
            "upgrade_complete": ("upgrade_complete", self.shop_args(workspace=self.workspace, version=self.target, from_version=self.source,
                                                                    backup_name=self.backup, keep_release=True, started=self.started)),
        }
        return steps[name]

    def shop_slug(self) -> str:
        from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import shop_slug

        return shop_slug(str(self.shop.root))

    def run(self, name: str) -> dict[str, Any]:
        module, arguments = self.step(name)
        result = run_module(module, arguments)
        assert not result.get("failed"), f"{module}: {result.get('msg')}"
        return result

    def steps(self) -> list[str]:
        return [name for name in ORDER if not (name == "release" and self.archive is None)]


@pytest.mark.parametrize(("source", "target", "route"), [
    ("1.7.8.5", "8.1.7", "archive"),
    ("8.0.5", "8.1.7", "release_dir"),
    ("8.1.7", "9.0.0", "archive"),
])
def test_a_shop_of_each_layout_goes_through_every_step_and_a_second_pass_changes_nothing(
        shop_factory: Any, tmp_path: Path, source: str, target: str, route: str) -> None:
    shop = shop_factory(source)
    chain = Chain(shop, tmp_path, source, target, route)

    first = {name: chain.run(name) for name in chain.steps()}
    assert first["upgrade_check"]["upgrade_needed"] is True and first["upgrade_check"]["target_version"] == target
    assert first["upgrade_db"]["ps_version_db"] == target and first["upgrade_db"]["migrations"]
    assert [pack["status"] for pack in first["upgrade_db"]["language_packs"]] == ["installed"] * len(LOCALES)
    assert first["upgrade_db"]["api_keys"] == ("generated" if source < "8.1" else "kept")
    assert first["upgrade_complete"]["status"] in ("success", "success_with_warnings")

    info = run_module("shop_info", chain.shop_args())
    assert (info["version"], info["db_version"], info["version_matches"]) == (target, target, True)

    second = {name: chain.run(name) for name in chain.steps()}
    assert {name: result["changed"] for name, result in second.items()} == {name: False for name in second}


def test_a_migration_failing_half_way_leaves_ps_version_db_and_the_fixed_rerun_finishes(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.0.5")
    chain = Chain(shop, tmp_path, "8.0.5", "8.1.7", "release_dir")
    for name in ("upgrade_files",):
        chain.run(name)
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {shop.prefix}configuration (name, value, date_add, date_upd) VALUES ('SHOPFLEET_FAIL_AT', '8.1.3', NOW(), NOW())")

    module, arguments = chain.step("upgrade_db")
    failed = run_module(module, arguments)
    assert failed.get("failed") is True and "migration 8.1.3.sql" in failed["msg"]
    assert shop.config_value("PS_VERSION_DB") == "8.0.5"
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.0,8.1.3"

    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {shop.prefix}configuration WHERE name = 'SHOPFLEET_FAIL_AT'")
    resumed = chain.run("upgrade_db")
    assert resumed["changed"] is True and shop.config_value("PS_VERSION_DB") == "8.1.7"
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.0,8.1.3,8.1.5,8.1.7,8.1.7-catchup"
    assert chain.run("upgrade_db")["changed"] is False
