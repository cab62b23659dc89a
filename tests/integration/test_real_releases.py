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
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.real_releases import (
    DEFAULT_BRANCHES,
    ReleaseError,
    available_versions,
    extract_release,
    pick_versions,
    release_tree,
    releases_source,
)

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
                         user=f"real_{slug}", password=awkward_password(rng), prefix="ps_" if branch in ("1.7.8", "8.1") else f"shop{slug}_",
                         host=mariadb.host, port=int(mariadb.port))
    create_database_at_version(mariadb, shop)
    write_parameters_php(shop, rng)
    yield shop
    mariadb.drop_database(shop.database)
    mariadb.drop_user(shop.user)
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def installed_info(installed_shop: InstalledShop) -> dict[str, Any]:
    from harness.ansible import run_module

    result = run_module("shop_info", {"shop_root": str(installed_shop.root)})
    assert not result.get("failed"), result.get("msg")
    assert installed_shop.password not in result.output + json.dumps(result), "the database password leaked"
    return result


# --- shop_info on real trees -----------------------------------------------------------------------------------------


def test_release_tree_files_are_read_without_a_database(branch: str, version: str, pristine_tree: Path) -> None:
    from harness.ansible import run_module

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
    from harness.ansible import run_module

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


def test_installed_shop_modules_are_compared_with_the_real_module_folders(installed_shop: InstalledShop,
                                                                         installed_info: dict[str, Any]) -> None:
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


def test_pick_versions_takes_the_numerically_newest_of_each_branch(tmp_path: Path) -> None:
    source = git_source_with_tags(tmp_path / "clone", ["v8.1.9", "v8.1.10", "v1.7.8.9", "v1.7.8.11", "8.0.5", "v9.0.0", "nightly"])

    assert available_versions(source) == ["1.7.8.9", "1.7.8.11", "8.0.5", "8.1.9", "8.1.10", "9.0.0"]
    assert pick_versions(source) == {"1.7.8": "1.7.8.11", "8.0": "8.0.5", "8.1": "8.1.10"}


def test_extracted_release_folders_are_recognised_by_name(tmp_path: Path) -> None:
    for name in ("8.1.7", "v8.0.5", "prestashop_1.7.8.11", "notes", "8.2"):
        (tmp_path / name).mkdir()
    (tmp_path / "8.2.1").write_text("a file, not a release")

    assert available_versions(tmp_path) == ["1.7.8.11", "8.0.5", "8.1.7"]
    assert release_tree(tmp_path, "8.0.5") == tmp_path / "v8.0.5"


def test_extract_release_gives_a_private_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESTASHOP_RELEASES_CACHE", str(tmp_path / "cache"))
    source = git_source_with_tags(tmp_path / "clone", ["v8.1.7"], bare=True)

    copy = extract_release(source, "8.1.7", tmp_path / "shop")
    (copy / "src/Core/Version.php").write_text("changed")
    pristine = release_tree(source, "8.1.7")

    assert "'8.1.7'" in (pristine / "src/Core/Version.php").read_text()
    assert release_tree(source, "8.1.7") == pristine
    assert pristine.parent == tmp_path / "cache"
    with pytest.raises(ReleaseError, match="not empty"):
        extract_release(source, "8.1.7", copy)
    with pytest.raises(ReleaseError, match="no tag for PrestaShop 8.1.8"):
        extract_release(source, "8.1.8", tmp_path / "other")


# --- helpers ---------------------------------------------------------------------------------------------------------


def renamed_admin_dir(rng: random.Random) -> str:
    """A back-office folder name shaped like the one PrestaShop picks on first login: admin, 3 digits, 16 letters."""
    return f"admin{rng.randrange(1000):03d}" + "".join(rng.choice(string.ascii_lowercase) for _ in range(16))


def awkward_password(rng: random.Random) -> str:
    # A quote, a backslash and a percent sign: each needs its own escaping in parameters.php.
    return "Rr'" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(12)) + "\\%x"


def create_database_at_version(mariadb: Any, shop: InstalledShop) -> None:
    from harness.shopdb import ShopDbFacts, create_shop_schema, populate_shop_database

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
        return "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(length))

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
    body = "\n".join("".join(rng.choice(alphabet) for _ in range(64)) for _ in range(6))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


def config_xml_version(module_folder: Path) -> str | None:
    match = _CONFIG_XML_VERSION.search((module_folder / "config.xml").read_text(encoding="utf-8"))
    return match.group(1) if match else None


def git_source_with_tags(path: Path, tags: list[str], bare: bool = False) -> Path:
    """A tiny git clone with one commit per tag, each holding a Version.php of that tag's version."""
    work = path if not bare else path.with_name(path.name + "-work")
    work.mkdir(parents=True)
    git = ["git", "-C", str(work), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run(git[:3] + ["init", "--quiet"], check=True)
    for tag in tags:
        version_file = work / "src/Core/Version.php"
        version_file.parent.mkdir(parents=True, exist_ok=True)
        version_file.write_text(f"<?php\nfinal class Version\n{{\n    public const VERSION = '{tag.lstrip('v')}';\n}}\n")
        subprocess.run(git + ["add", "--all"], check=True)
        subprocess.run(git + ["commit", "--quiet", "--allow-empty", "-m", tag], check=True)
        subprocess.run(git + ["tag", tag], check=True)
    if not bare:
        return work
    subprocess.run(["git", "clone", "--quiet", "--bare", str(work), str(path)], check=True)
    return path
