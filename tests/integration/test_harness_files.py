"""The synthetic shop files of the test harness: layouts, settings, the PHP runtime, releases, checksums and migrations."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from harness.mariadb import MariaDB
from harness.release import (
    CALLBACKS, MIGRATION_VERSIONS, build_migrations, build_release, build_release_tree, migration_sql, read_checksum_xml, version_file,
)
from harness.shops import Shop, build_shop
from harness.shoptree import STALE_MTIME, effective_parameters, find_admin_dirs, shop_files, write_shop_tree

LAYOUTS = {
    "1.6.1.24": "config/settings.inc.php",
    "1.7.8.11": "app/AppKernel.php",
    "8.0.5": "app/AppKernel.php",
    "8.1.5": "src/Core/Version.php",
    "8.2.1": "src/Core/Version.php",
    "9.0.1": "src/Core/Version.php",
}

# How the official upgrade module finds the version of a shop's files: first match in this order.
DETECTION_ORDER = ("config/settings.inc.php", "config/autoload.php", "app/AppKernel.php", "src/Core/Version.php")
DEFINE_VERSION = re.compile(r"""define\(["']_PS_VERSION_["'], ["'](?P<version>[0-9.]+)["']\)""")
CONST_VERSION = re.compile(r"""const VERSION = ["'](?P<version>[0-9.]+)["'];""")

# How PrestaShop splits migration files into statements, and how it spots a PHP callback.
STATEMENT_END = re.compile(r";\s*[\r\n]+")
CALLBACK = re.compile(r"^/\* PHP:(?P<function>\w+)\((?P<arguments>.*)\); \*/$", re.S)


def detect_version(root: Path) -> tuple[str, str] | None:
    for relative in DETECTION_ORDER:
        path = root / relative
        if path.is_file():
            text = path.read_text()
            match = DEFINE_VERSION.search(text) or CONST_VERSION.search(text)
            if match:
                return match.group("version"), relative
    return None


def run_php(root: Path, code: str) -> str:
    php = shutil.which("php")
    assert php, "php-cli is required (make deps installs it)"
    completed = subprocess.run([php, "-r", code], cwd=root, capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr or completed.stdout
    return completed.stdout


def tree_files(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


@pytest.fixture(scope="module")
def server(mariadb: MariaDB) -> MariaDB:
    """The session's MariaDB (tests/conftest.py)."""
    return mariadb


# --- shop trees -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", sorted(LAYOUTS))
def test_each_layout_keeps_the_version_literal_where_prestashop_does(tmp_path: Path, version: str) -> None:
    tree = write_shop_tree(tmp_path / "shop", version, admin_dir="admin042qwertyuiopasdfgh")

    assert detect_version(tree.root) == (version, LAYOUTS[version])
    assert tree.version_file == version_file(version) == LAYOUTS[version]
    assert 200 <= sum(1 for path in tree.root.rglob("*") if path.is_file()) <= 400


def test_the_kernel_files_follow_each_line() -> None:
    def read(version: str, relative: str) -> str:
        return shop_files(version)[relative].decode()

    assert "const VERSION = '8.0.5';" in read("8.0.5", "app/AppKernel.php")
    assert "const MAJOR_VERSION_STRING = '1.7';" in read("1.7.8.11", "app/AppKernel.php")
    assert "define('_PS_VERSION_', AppKernel::VERSION);" in read("8.0.5", "config/autoload.php")
    assert "src/Core/Version.php" not in shop_files("8.0.5")

    assert "final class Version" in read("8.1.5", "src/Core/Version.php")
    assert "namespace PrestaShop\\PrestaShop\\Core;" in read("8.1.5", "src/Core/Version.php")
    assert "public const VERSION = Version::VERSION;" in read("8.1.5", "app/AppKernel.php")
    assert "define('_PS_VERSION_', Version::VERSION);" in read("8.1.5", "config/autoload.php")
    assert "\nclass AppKernel extends Kernel" in read("8.1.5", "app/AppKernel.php")

    assert "abstract class AppKernel extends Kernel" in read("9.0.1", "app/AppKernel.php")
    assert "class AdminKernel extends AppKernel" in read("9.0.1", "app/AdminKernel.php")
    assert "class FrontKernel extends AppKernel" in read("9.0.1", "app/FrontKernel.php")

    assert "define('_DB_NAME_', 'prestashop');" in read("1.6.1.24", "config/settings.inc.php")
    assert not any(path.startswith("app/") for path in shop_files("1.6.1.24"))


def test_a_shop_tree_is_written_in_well_under_a_second(tmp_path: Path) -> None:
    started = time.perf_counter()
    write_shop_tree(tmp_path / "shop", "8.1.5")
    # About 0.2 s on a quiet 2-core machine; the bound leaves room for a busy CI host.
    assert time.perf_counter() - started < 1.5


def test_trees_are_deterministic_for_a_version_and_seed(tmp_path: Path) -> None:
    written = tree_files(write_shop_tree(tmp_path / "shop", "8.1.5", seed=7).root)
    again = shop_files("8.1.5", seed=7)
    other_seed = shop_files("8.1.5", seed=8)

    assert written == again
    assert again != other_seed
    # The seed only changes the shop's own files, never what came from the release.
    from_release = ("classes/", "src/", "modules/ps_", "app/AppKernel.php")
    assert {path: content for path, content in again.items() if path.startswith(from_release)} == \
        {path: content for path, content in other_seed.items() if path.startswith(from_release)}


def test_the_admin_folder_is_renamed_and_recognisable(tmp_path: Path) -> None:
    tree = write_shop_tree(tmp_path / "shop", "8.1.5", admin_dir="admin123abcdefghijklmnop")

    assert find_admin_dirs(tree.root) == ["admin123abcdefghijklmnop"]
    assert not (tree.root / "admin").exists()
    assert not (tree.root / "install").exists()


def test_install_is_kept_only_when_asked(tmp_path: Path) -> None:
    tree = write_shop_tree(tmp_path / "shop", "8.1.5", install_dir=True)

    assert "define('_PS_INSTALL_VERSION_', '8.1.5');" in (tree.root / "install/install_version.php").read_text()
    assert run_php(tree.root, 'require "install/install_version.php"; echo _PS_INSTALL_VERSION_;') == "8.1.5"


def test_modules_carry_their_version_and_upgrade_scripts(tmp_path: Path) -> None:
    tree = write_shop_tree(tmp_path / "shop", "8.1.5")
    modules = {module.name: module for module in tree.modules}

    assert "<version><![CDATA[6.0.7]]></version>" in (tree.root / "modules/ps_linklist/config.xml").read_text()
    assert "$this->version = '6.0.7';" in (tree.root / "modules/ps_linklist/ps_linklist.php").read_text()
    assert modules["mymodule"].version == "1.5.0" and modules["mymodule"].installed_version == "1.4.2"
    assert "function upgrade_module_1_5_0($module)" in (tree.root / "modules/mymodule/upgrade/upgrade-1.5.0.php").read_text()
    assert (tree.root / "modules/ps_facetedsearch/vendor/autoload.php").is_file()


def test_a_shop_has_user_files_and_stale_caches(tmp_path: Path) -> None:
    root = write_shop_tree(tmp_path / "shop", "8.1.5").root

    assert list(root.glob("img/p/1/1.jpg")) and list(root.glob("img/c/*.jpg")) and list(root.glob("img/cms/*.png"))
    assert list(root.glob("img/tmp/*.jpg"))
    assert (root / "img/cms/banner-1.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (root / "var/cache/prod/appParameters.php").stat().st_mtime == STALE_MTIME
    assert list(root.glob("var/logs/*.log"))
    assert list(root.glob("mails/en/*.html")) and (root / "themes/classic/config/theme.yml").is_file()
    assert (root / "vendor/autoload.php").is_file()
    assert os.access(root / "bin/console", os.X_OK)


# --- settings and the PHP runtime -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.7.8.11", "8.1.5", "9.0.1"])
def test_parameters_php_parses_with_php_to_what_was_written(tmp_path: Path, version: str) -> None:
    db = {"host": "127.0.0.1", "port": 3306, "name": "shopdb", "user": "shopuser", "password": "s3cr3t", "prefix": "ps_"}
    tree = write_shop_tree(tmp_path / "shop", version, db=db)

    parsed = json.loads(run_php(tree.root, 'echo json_encode((require "app/config/parameters.php")["parameters"]);'))

    assert parsed == tree.parameters
    assert parsed["database_port"] == "3306" and parsed["database_prefix"] == "ps_"
    assert "'" in parsed["mailer_user"] and "%%" in parsed["mailer_password"]
    assert (tree.root / "app/config/parameters.php").read_text().startswith("<?php return array (\n  'parameters' => \n  array (\n")
    if version != "1.7.8.11":
        assert parsed["api_private_key"].startswith("-----BEGIN PRIVATE KEY-----\n") and parsed["api_private_key"].count("\n") > 10


@pytest.mark.parametrize("version", ["1.6.1.24", "8.1.5"])
def test_the_bootstrap_unescapes_settings_like_prestashop(tmp_path: Path, version: str) -> None:
    awkward_password = "it's 100% \\ sure"
    tree = write_shop_tree(tmp_path / "shop", version, db={"password": awkward_password, "port": 3307})

    code = 'require "config/config.inc.php"; echo json_encode([_DB_SERVER_, _DB_PASSWD_, _DB_PREFIX_, _MYSQL_ENGINE_, _PS_VERSION_, _PS_ROOT_DIR_]);'
    defined = json.loads(run_php(tree.root, code))

    assert defined == ["127.0.0.1:3307", awkward_password, "ps_", "InnoDB", version, str(tree.root.resolve())]
    assert effective_parameters(tree.parameters)["database_password"] == awkward_password
    if version != "1.6.1.24":
        # The stale cached copy was older than parameters.php: PrestaShop's bootstrap rewrites it.
        assert (tree.root / "var/cache/prod/appParameters.php").stat().st_mtime > STALE_MTIME


@pytest.mark.parametrize("version", ["1.6.1.24", "1.7.8.11", "8.1.5", "9.0.1"])
def test_the_php_bootstrap_reads_the_shop_database(server: MariaDB, tmp_path: Path, version: str) -> None:
    shop = build_shop(tmp_path / "shop", server, version, name=f"boot{version.replace('.', '')}", ps_version_db="7.7.7")

    output = run_php(shop.root, 'require "config/config.inc.php"; echo Configuration::get("PS_VERSION_DB");')

    assert output == "7.7.7" == shop.config_value("PS_VERSION_DB")


PHP_RUNTIME_PROBE = r"""
require "config/config.inc.php";
$db = Db::getInstance();
$out = [];
$out['insert'] = $db->insert('configuration', ['name' => 'SHOPFLEET_PROBE', 'value' => pSQL("it's"), 'date_add' => date('Y-m-d H:i:s'),
    'date_upd' => date('Y-m-d H:i:s')]);
$out['insert_id'] = $db->Insert_ID();
$out['row'] = $db->getRow('SELECT `name`, `value` FROM `' . _DB_PREFIX_ . 'configuration` WHERE `id_configuration` = ' . (int) $out['insert_id']);
$out['value'] = $db->getValue('SELECT COUNT(*) FROM `' . _DB_PREFIX_ . 'lang`');
$out['rows'] = count($db->executeS('SELECT * FROM `' . _DB_PREFIX_ . 'shop`'));
$out['bad_sql'] = $db->execute('SELECT * FROM `' . _DB_PREFIX_ . 'no_such_table`');
$out['error'] = $db->getMsgError();
$out['errno'] = $db->getNumberError();
$out['update'] = Configuration::updateValue('SHOPFLEET_RUNTIME', 'first');
$out['update_again'] = Configuration::updateValue('SHOPFLEET_RUNTIME', 'second');
$out['get'] = Configuration::get('SHOPFLEET_RUNTIME');
$out['missing'] = Configuration::get('SHOPFLEET_NOPE', null, null, null, 'default');
$out['lang_value'] = Configuration::updateValue('SHOPFLEET_TRANSLATED', [1 => 'one', 2 => 'deux']) ? Configuration::get('SHOPFLEET_TRANSLATED', 2) : false;
$out['deleted'] = Configuration::deleteByName('SHOPFLEET_TRANSLATED') && !Configuration::hasKey('SHOPFLEET_TRANSLATED');
$context = Context::getContext();
$out['shop'] = (int) $context->shop->id;
$out['language'] = (int) $context->language->id;
$out['languages'] = count(Language::getLanguages(false));
$out['multistore'] = Shop::isFeatureActive();
$out['escaped'] = pSQL("O'Reilly \\ <b>bold</b>");
$out['upper'] = Tools::strtoupper('éa');
$module = Module::getInstanceByName('mymodule');
$out['module'] = [$module->version, $module->database_version, $module->installed];
require _PS_MODULE_DIR_ . 'mymodule/upgrade/upgrade-1.5.0.php';
$out['module_upgrade'] = upgrade_module_1_5_0($module) && Module::upgradeModuleVersion('mymodule', '1.5.0');
echo json_encode($out);
"""


def test_the_php_runtime_offers_what_upgrade_callbacks_use(server: MariaDB, tmp_path: Path) -> None:
    shop = build_shop(tmp_path / "shop", server, "8.1.5", name="runtime")

    out = json.loads(run_php(shop.root, PHP_RUNTIME_PROBE))

    assert out["insert"] is True and out["insert_id"] > 0
    assert out["row"] == {"name": "SHOPFLEET_PROBE", "value": "it's"}
    assert int(out["value"]) >= 1 and out["rows"] == 1
    assert out["bad_sql"] is False and "no_such_table" in out["error"] and out["errno"] == 1146
    assert out["update"] and out["update_again"] and out["get"] == "second" and out["missing"] == "default"
    assert out["lang_value"] == "deux" and out["deleted"] is True
    assert out["shop"] == 1 and out["language"] >= 1 and out["languages"] >= 1 and out["multistore"] is False
    assert out["escaped"] == "O\\'Reilly \\\\ bold" and out["upper"] == "ÉA"
    assert out["module"] == ["1.5.0", "1.4.2", True] and out["module_upgrade"] is True
    assert shop.config_value("SHOPFLEET_RUNTIME") == "second"
    assert shop.config_value("SHOPFLEET_MODULE_MYMODULE_1_5_0") == "mymodule"
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {shop.prefix}module WHERE name = 'mymodule'")
        assert cursor.fetchone() == ("1.5.0",)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_front_and_back_office_pages_answer_like_a_shop(server: MariaDB, tmp_path: Path) -> None:
    shop = build_shop(tmp_path / "shop", server, "8.1.5", name="pages", install_dir=True)
    port = _free_port()
    php_server = subprocess.Popen(["php", "-S", f"127.0.0.1:{port}", "-t", str(shop.root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        status, page = _get(f"http://127.0.0.1:{port}/")
        assert status == 200 and 'data-ps-version="8.1.5"' in page and 'data-ps-version-db="8.1.5"' in page

        status, page = _get(f"http://127.0.0.1:{port}/{shop.admin_dir}/index.php")
        assert status == 200 and "wrong_install_name" in page

        with shop.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"UPDATE {shop.prefix}configuration SET value = '0' WHERE name = 'PS_SHOP_ENABLE'")
            cursor.execute(f"UPDATE {shop.prefix}configuration SET value = '10.9.9.9' WHERE name = 'PS_MAINTENANCE_IP'")
        assert _get(f"http://127.0.0.1:{port}/")[0] == 503
    finally:
        php_server.terminate()
        php_server.wait(timeout=10)


def test_build_shop_is_quick_and_describes_itself(server: MariaDB, tmp_path: Path) -> None:
    started = time.perf_counter()
    shop = build_shop(tmp_path / "My Shop-1", server, "8.1.5", shop_names=["Main shop", "Outlet"], shops_in_maintenance=[2], seed=3)
    elapsed = time.perf_counter() - started

    # Under 1 s on a quiet 2-core machine (the target is 2 s); the bound leaves room for a busy CI host.
    assert elapsed < 4.0
    assert isinstance(shop, Shop) and shop.db["name"] == shop.db["user"] == "my_shop_1"
    assert re.fullmatch(r"admin\d{3}[a-z]{16}", shop.admin_dir) and (shop.root / shop.admin_dir / "get-file-admin.php").is_file()
    assert shop.config_value("PS_SHOP_ENABLE", id_shop=1) == "1" and shop.config_value("PS_SHOP_ENABLE", id_shop=2) == "0"
    assert shop.config_value("PS_NO_SUCH_KEY") is None
    checksums = shop.file_checksums()
    assert checksums["app/config/parameters.php"] == hashlib.sha256((shop.root / "app/config/parameters.php").read_bytes()).hexdigest()
    assert checksums == shop.file_checksums()
    assert json.loads(shop.run_php("echo json_encode(Shop::isFeatureActive());")) is True


# --- releases and checksums -----------------------------------------------------------------------------------


def test_a_release_zip_nests_prestashop_zip_like_the_real_ones(tmp_path: Path) -> None:
    release = build_release(tmp_path / "dist", "8.1.5")

    with zipfile.ZipFile(release.zip_path) as outer:
        assert outer.namelist() == ["index.php", "Install_PrestaShop.html", "prestashop.zip"]
        outer.extractall(tmp_path / "outer")
    with zipfile.ZipFile(tmp_path / "outer" / "prestashop.zip") as inner:
        names = set(inner.namelist())
    assert {"admin/get-file-admin.php", "install/install_version.php", "vendor/autoload.php", "modules/ps_linklist/config.xml",
            "src/Core/Version.php", "var/"} <= names
    assert "app/config/parameters.php" not in names and not any(name.startswith("install/upgrade/") for name in names)

    unzip = shutil.which("unzip")
    extracted = tmp_path / "extracted"
    if unzip:
        subprocess.run([unzip, "-q", str(tmp_path / "outer" / "prestashop.zip"), "-d", str(extracted)], check=True)
    else:
        with zipfile.ZipFile(tmp_path / "outer" / "prestashop.zip") as inner:
            inner.extractall(extracted)
    assert tree_files(extracted) == tree_files(release.tree)
    if unzip:
        assert os.access(extracted / "bin/console", os.X_OK)


def test_release_zips_are_reproducible(tmp_path: Path) -> None:
    first = build_release(tmp_path / "one", "8.0.5")
    second = build_release(tmp_path / "two", "8.0.5")

    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    assert first.checksum_xml.read_bytes() == second.checksum_xml.read_bytes()


def test_only_1_7_releases_ship_their_upgrade_scripts(tmp_path: Path) -> None:
    old = build_release_tree(tmp_path / "1.7", "1.7.8.11")
    new = build_release_tree(tmp_path / "8.1", "8.1.5")

    assert sorted(path.name for path in (old / "install/upgrade/sql").iterdir()) == ["1.7.8.0.sql", "1.7.8.1.sql", "1.7.8.5.sql"]
    assert (old / "install/upgrade/php/add_column.php").is_file()
    assert not (new / "install/upgrade").exists() and (new / "install/install_version.php").is_file()
    for tree in (old, new):
        assert (tree / "admin/index.php").is_file() and not (tree / "app/config/parameters.php").exists()


def test_the_checksum_xml_lists_every_file_with_its_md5(tmp_path: Path) -> None:
    release = build_release(tmp_path, "8.1.5")
    document = ET.parse(release.checksum_xml).getroot()

    assert release.checksum_xml.read_text().startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<checksum_list>\n\t<ps_root_dir version="8.1.5">')
    assert document.tag == "checksum_list" and [child.tag for child in document] == ["ps_root_dir"]
    for element in document.iter("dir"):
        assert "/" not in element.attrib["name"]
        tags = [child.tag for child in element]
        assert tags == sorted(tags), "subfolders come before files"
    version, checksums = read_checksum_xml(release.checksum_xml)
    assert version == "8.1.5"
    expected = {path: hashlib.md5(content).hexdigest() for path, content in tree_files(release.tree).items()}
    assert checksums == expected


def test_a_fresh_shop_matches_its_release_checksums(tmp_path: Path) -> None:
    release = build_release(tmp_path / "dist", "8.1.5")
    tree = write_shop_tree(tmp_path / "shop", "8.1.5", admin_dir="admin777zzzzzzzzzzzzzzzz")
    checksums = read_checksum_xml(release.checksum_xml)[1]

    for path, md5 in checksums.items():
        if path.startswith("install/"):
            continue
        on_disk = tree.root / (tree.admin_dir + path[len("admin"):] if path.startswith("admin/") else path)
        assert hashlib.md5(on_disk.read_bytes()).hexdigest() == md5, path


def test_releases_differ_like_real_ones(tmp_path: Path) -> None:
    v805 = read_checksum_xml(build_release(tmp_path, "8.0.5").checksum_xml)[1]
    v815 = read_checksum_xml(build_release(tmp_path, "8.1.5").checksum_xml)[1]
    v817 = read_checksum_xml(build_release(tmp_path, "8.1.7").checksum_xml)[1]

    changed = [path for path in v815 if path in v817 and v815[path] != v817[path]]
    assert 0 < len(changed) < len(v815) // 2
    assert "src/Core/Version.php" in changed and "classes/db/Db.php" not in changed
    deleted_by_8_1 = set(v805) - set(v815)
    assert {"src/PrestaShopBundle/Resources/config/services/adapter/news.yml", "js/jquery/plugins/jquery.legacytabs.js"} <= deleted_by_8_1


# --- migrations -----------------------------------------------------------------------------------------------


def test_migrations_have_prestashop_names_placeholders_and_callbacks(tmp_path: Path) -> None:
    upgrade = build_migrations(tmp_path, MIGRATION_VERSIONS)

    assert upgrade == tmp_path / "upgrade"
    names = sorted(path.name for path in (upgrade / "sql").iterdir())
    assert names == sorted(f"{name}.sql" for name in MIGRATION_VERSIONS)
    assert {"1.7.8.5.sql", "8.1.7.sql", "8.1.7-catchup.sql", "9.0.0.sql"} <= set(names)
    assert sorted(path.name for path in (upgrade / "php").iterdir()) == sorted(f"{name}.php" for name in CALLBACKS)

    for name in names:
        text = (upgrade / "sql" / name).read_text()
        assert text.startswith("SET SESSION sql_mode = '';\nSET NAMES 'utf8mb4';\n")
        assert "`PREFIX_configuration`" in text and "ENGINE=ENGINE_TYPE" in text and "'DB_NAME'" in text
        statements = [statement.strip() for statement in STATEMENT_END.split(text) if statement.strip()]
        assert any("; a semicolon inside a string" in statement for statement in statements)
        assert any(statement.count("\n") >= 5 for statement in statements), "a multi-line statement"
        for statement in statements:
            callback = CALLBACK.match(statement)
            if callback:
                assert callback.group("function") in CALLBACKS
    for path in (upgrade / "php").iterdir():
        assert subprocess.run(["php", "-l", str(path)], capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize("name", ["8.1.7.0", "1.7.8", "8.1", "8.1.7-hotfix", "v8.1.7"])
def test_migration_names_must_look_like_prestashops(name: str) -> None:
    with pytest.raises(ValueError):
        migration_sql(name)


def _run_migrations(shop: Shop, upgrade: Path, names: list[str]) -> list[Any]:
    """A minimal runner, only for this test: placeholders, PrestaShop's split, SQL on the shop's connection, callbacks in PHP."""
    callback_results = []
    with shop.connect() as connection, connection.cursor() as cursor:
        for name in names:
            text = (upgrade / "sql" / f"{name}.sql").read_text()
            text = text.replace("PREFIX_", shop.prefix).replace("ENGINE_TYPE", "InnoDB").replace("DB_NAME", shop.db["name"])
            for statement in (part.strip() for part in STATEMENT_END.split(text)):
                callback = CALLBACK.match(statement)
                if callback:
                    function, arguments = callback.group("function"), callback.group("arguments")
                    code = f'require "{upgrade}/php/{function}.php"; echo json_encode({function}({arguments}));'
                    callback_results.append(json.loads(shop.run_php(code)))
                elif statement:
                    cursor.execute(statement)
    return callback_results


def test_migrations_run_against_a_shop_and_can_run_again(server: MariaDB, tmp_path: Path) -> None:
    shop = build_shop(tmp_path / "shop", server, "8.1.3", name="migrations")
    upgrade = build_migrations(tmp_path / "module", MIGRATION_VERSIONS)
    chain = ["8.1.5", "8.1.7", "8.1.7-catchup"]

    assert set(_run_migrations(shop, upgrade, chain)) == {True}

    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.5,8.1.7,8.1.7-catchup"
    assert shop.config_value("SHOPFLEET_SQL_8_1_7_CATCHUP") == "8.1.7-catchup columns=3"
    assert re.fullmatch(r"8\.1\.5 step 1 shop 1 lang 1 of \d+", shop.config_value("SHOPFLEET_PHP_8_1_5") or "")
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT note FROM {shop.prefix}shopfleet_8_1_7")
        assert cursor.fetchall() == (("ran 8.1.7; a semicolon inside a string does not end the statement",),)
        cursor.execute(f"SHOW COLUMNS FROM {shop.prefix}orders LIKE 'shopfleet%'")
        assert [row[0] for row in cursor.fetchall()] == ["shopfleet_8_1_5", "shopfleet_8_1_7", "shopfleet_8_1_7_catchup"]

    shop.run_php('Configuration::updateValue("SHOPFLEET_FAIL_AT", "8.1.7");')
    results = _run_migrations(shop, upgrade, chain)

    assert {"error": "Synthetic failure requested for 8.1.7"} in results
    assert shop.config_value("SHOPFLEET_MIGRATIONS_RUN") == "8.1.5,8.1.7,8.1.7-catchup,8.1.5,8.1.7,8.1.7-catchup"
    with shop.connect() as connection, connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {shop.prefix}configuration WHERE name LIKE 'SHOPFLEET\\_SQL\\_%'")
        assert cursor.fetchone() == (3,)
        cursor.execute(f"SELECT COUNT(*) FROM {shop.prefix}shopfleet_8_1_7")
        assert cursor.fetchone() == (2,)
