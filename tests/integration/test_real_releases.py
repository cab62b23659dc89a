# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""shop_info against real PrestaShop release trees, newest release of each branch 1.7.8, 8.0, 8.1 and 8.2.

Optional: the trees are not in the repository. Set PRESTASHOP_RELEASES to a clone (bare or not) of
librasoft-fr/prestashop-versions, or to a folder of extracted releases; PRESTASHOP_RELEASES_CACHE optionally
names where pristine extractions are kept between runs.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import run_module
from harness.real_releases import (
    DEFAULT_BRANCHES,
    available_versions,
    extract_release,
    pick_versions,
    release_tree,
    releases_source,
)
from harness.shopdb import ShopDbFacts, create_shop_schema, populate_shop_database

SKIP_REASON = ("set PRESTASHOP_RELEASES to a clone of librasoft-fr/prestashop-versions (bare or not) "
               "or to a folder of extracted release trees to run")
SOURCE = releases_source()

pytestmark = [pytest.mark.real_releases, pytest.mark.skipif(SOURCE is None, reason=SKIP_REASON)]

# Where each branch keeps its version literal; the other version files only refer to that constant.
VERSION_FILE = {
    "1.7.8": "app/AppKernel.php",
    "8.0": "app/AppKernel.php",
    "8.1": "src/Core/Version.php",
    "8.2": "src/Core/Version.php",
}
# Two branches use a prefix other than ps_, which shop_info can only learn from parameters.php.
TABLE_PREFIX = {"1.7.8": "ps_", "8.0": "shop80_", "8.1": "ps_", "8.2": "shop82_"}
# Bundled with every release from 1.7.8 to 8.2, so the database can name a module whose code really is on disk.
BUNDLED_MODULE = "ps_linklist"
VANISHED_MODULE = "shopfleet_vanished"
_CONFIG_XML_VERSION = re.compile(r"<version>\s*<!\[CDATA\[\s*([^\]\s]+)")


@dataclass
class InstalledShop:
    branch: str
    version: str
    root: Path
    admin_dir: str
    database: str
    user: str
    password: str
    prefix: str
    host: str
    port: int


# --- fixtures -------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def picked_versions() -> dict[str, str]:
    assert SOURCE is not None
    return pick_versions(SOURCE)


@pytest.fixture(scope="module", params=DEFAULT_BRANCHES)
def branch(request: pytest.FixtureRequest, picked_versions: dict[str, str]) -> str:
    if request.param not in picked_versions:
        pytest.skip(f"{SOURCE} holds no {request.param}.x release")
    return request.param


@pytest.fixture(scope="module")
def version(branch: str, picked_versions: dict[str, str]) -> str:
    return picked_versions[branch]


@pytest.fixture(scope="module")
def pristine_tree(version: str) -> Path:
    assert SOURCE is not None
    return release_tree(SOURCE, version)


@pytest.fixture(scope="module")
def installed_shop(branch: str, version: str, tmp_path_factory: pytest.TempPathFactory, mariadb: Any) -> Iterator[InstalledShop]:
    """The release made to look installed: renamed back office, no install/, parameters.php, a database at its version."""
    assert SOURCE is not None
    rng = random.Random(version)
    root = extract_release(SOURCE, version, tmp_path_factory.mktemp(f"real-{branch}") / "shop")
    admin_dir = renamed_admin_dir(rng)
    (root / "admin").rename(root / admin_dir)
    shutil.rmtree(root / "install")
    slug = branch.replace(".", "")
    shop = InstalledShop(branch=branch, version=version, root=root, admin_dir=admin_dir, database=f"real_{slug}",
                         user=f"real_{slug}", password=awkward_password(rng), prefix=TABLE_PREFIX[branch], host=mariadb.host,
                         port=int(mariadb.port))
    create_database_at_version(mariadb, shop)
    write_parameters_php(shop, rng)
    yield shop
    mariadb.drop_database(shop.database)
    mariadb.drop_user(shop.user)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def installed_info(installed_shop: InstalledShop) -> dict[str, Any]:
    result = run_module("shop_info", {"shop_root": str(installed_shop.root)})
    assert not result.get("failed"), result.get("msg")
    assert installed_shop.password not in result.output + json.dumps(result), "the database password leaked"
    return result


# --- shop_info on real trees -----------------------------------------------------------------------------------------


def test_release_tree_files_are_read_without_a_database(branch: str, version: str, pristine_tree: Path) -> None:
    result = run_module("shop_info", {"shop_root": str(pristine_tree), "gather_database": False})

    assert not result.get("failed"), result.get("msg")
    assert not (pristine_tree / "app/config/parameters.php").exists()
    assert result["version"] == version
    assert result["version_source"] == VERSION_FILE[branch]
    assert result["declared_versions"] == {VERSION_FILE[branch]: version}
    assert result["admin_dir"] == "admin"
    assert result["install_dir"] == "install"
    assert result["version_matches"] is None
    assert "db_version" not in result


def test_release_tree_without_parameters_fails_when_asked_for_its_database(pristine_tree: Path) -> None:
    result = run_module("shop_info", {"shop_root": str(pristine_tree)})

    assert result.get("failed")
    assert "parameters.php" in result["msg"]


def test_installed_shop_files(installed_shop: InstalledShop, installed_info: dict[str, Any]) -> None:
    assert installed_info["version"] == installed_shop.version
    assert installed_info["version_source"] == VERSION_FILE[installed_shop.branch]
    assert installed_info["admin_dir"] == installed_shop.admin_dir
    assert installed_info["admin_dir_candidates"] == [installed_shop.admin_dir]
    assert installed_info["install_dir"] is None
    assert installed_info["parameters_source"] == "app/config/parameters.php"


def test_installed_shop_database_is_found_through_parameters_php(installed_shop: InstalledShop, installed_info: dict[str, Any]) -> None:
    assert installed_info["table_prefix"] == installed_shop.prefix
    database = installed_info["database"]
    assert (database["name"], database["user"], database["host"], database["port"]) == (
        installed_shop.database, installed_shop.user, installed_shop.host, installed_shop.port)
    assert "password" not in database


def test_installed_shop_database_matches_its_code(installed_shop: InstalledShop, installed_info: dict[str, Any]) -> None:
    assert installed_info["db_version"] == installed_shop.version
    assert installed_info["install_version"] == installed_shop.version
    assert installed_info["version_matches"] is True
    assert installed_info["multistore"] is False
    assert [(shop["id"], shop["maintenance"]) for shop in installed_info["shops"]] == [(1, False)]


def test_installed_shop_modules_are_compared_with_the_real_module_folders(installed_shop: InstalledShop, installed_info: dict[str, Any]) -> None:
    modules = {module["name"]: module for module in installed_info["modules"]}
    bundled, vanished = modules[BUNDLED_MODULE], modules[VANISHED_MODULE]

    assert (bundled["version_db"], bundled["on_disk"], bundled["active"]) == ("1.0.0", True, True)
    assert bundled["version_disk"] == config_xml_version(installed_shop.root / "modules" / BUNDLED_MODULE)
    assert (vanished["on_disk"], vanished["version_disk"], vanished["active"]) == (False, None, False)


# --- the release helpers themselves ----------------------------------------------------------------------------------


def test_every_branch_has_a_release_in_the_source() -> None:
    assert SOURCE is not None
    versions = available_versions(SOURCE)

    assert versions == sorted(versions, key=lambda v: tuple(map(int, v.split("."))))
    assert set(pick_versions(SOURCE)) == set(DEFAULT_BRANCHES)


# --- helpers ---------------------------------------------------------------------------------------------------------


def renamed_admin_dir(rng: random.Random) -> str:
    """A back-office folder name shaped like the one PrestaShop picks on first login, e.g. admin99523gieaawvkvudula."""
    return f"admin{rng.randrange(1000):03d}" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=16))


def awkward_password(rng: random.Random) -> str:
    # A quote, a backslash and a percent sign: each needs its own escaping in parameters.php.
    return "Rr'" + "".join(rng.choices(string.ascii_letters + string.digits, k=12)) + "\\%x"


def create_database_at_version(mariadb: Any, shop: InstalledShop) -> None:
    mariadb.create_database(shop.database, shop.user, shop.password)
    facts = ShopDbFacts(ps_version_db=shop.version, install_version=shop.version,
                        modules=[(BUNDLED_MODULE, "1.0.0", True), (VANISHED_MODULE, "2.0.0", False)])
    connection = mariadb.admin_connect(database=shop.database)
    try:
        create_shop_schema(connection, shop.prefix)
        populate_shop_database(connection, shop.prefix, facts)
    finally:
        connection.close()


def write_parameters_php(shop: InstalledShop, rng: random.Random) -> None:
    """app/config/parameters.php laid out as PrestaShop's installer writes it (var_export of an array)."""
    def token(length: int) -> str:
        return "".join(rng.choices(string.ascii_letters + string.digits, k=length))

    parameters: dict[str, Any] = {
        "database_host": shop.host,
        "database_port": str(shop.port),
        "database_name": shop.database,
        "database_user": shop.user,
        # PrestaShop's bootstrap turns %% back into %, so the installer doubles every % it writes.
        "database_password": shop.password.replace("%", "%%"),
        "database_prefix": shop.prefix,
        "database_engine": "InnoDB",
        "mailer_transport": "smtp",
        "mailer_host": "127.0.0.1",
        "mailer_user": None,
        "mailer_password": None,
        "secret": token(64),
        "ps_caching": "CacheMemcache",
        "ps_cache_enable": False,
        "ps_creation_date": "2024-11-19",
        "locale": "en-US",
        "use_debug_toolbar": True,
        "cookie_key": token(64),
        "cookie_iv": token(32),
        "new_cookie_key": "def00000" + token(128),
    }
    if shop.branch not in ("1.7.8", "8.0"):
        parameters["api_public_key"] = fake_pem("PUBLIC KEY", rng)
        parameters["api_private_key"] = fake_pem("PRIVATE KEY", rng)
    lines = ["<?php return array (", "  'parameters' => ", "  array ("]
    lines += [f"    {php_literal(key)} => {php_literal(value)}," for key, value in parameters.items()]
    lines += ["  ),", ");"]
    target = shop.root / "app/config/parameters.php"
    target.write_text("\n".join(lines))
    target.chmod(0o640)


def php_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def fake_pem(kind: str, rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    chars = "".join(rng.choices(alphabet, k=6 * 64))
    body = "\n".join(chars[start:start + 64] for start in range(0, len(chars), 64))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


def config_xml_version(module_folder: Path) -> str | None:
    match = _CONFIG_XML_VERSION.search((module_folder / "config.xml").read_text(encoding="utf-8"))
    return match.group(1) if match else None
