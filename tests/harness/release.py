"""Synthetic PrestaShop releases: file trees, nested zips, md5 checksum lists and upgrade migrations.

Everything here is written by us and only shaped like PrestaShop: the version literals sit where each
PrestaShop line keeps them, the zip nests an inner prestashop.zip, the checksum list uses the
<checksum_list>/<ps_root_dir>/<dir>/<md5file> format, and migrations follow the naming, placeholders and
callback syntax of the official upgrade module. A release depends only on its version, so building the same
version twice gives byte-identical files.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import random
import re
import shutil
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

PHP_TEMPLATES = Path(__file__).resolve().parent / "php"
SHOP_TEMPLATES = PHP_TEMPLATES / "shop"
CALLBACK_TEMPLATES = PHP_TEMPLATES / "upgrade"

SYNTHETIC_NOTICE = "Synthetic stand-in written by the shopfleet test harness; not PrestaShop code."
PHP_HEADER = "<?php\n/**\n * " + SYNTHETIC_NOTICE + "\n */\n"

# Fixed so that zips of the same tree are byte-identical.
ZIP_DATE_TIME = (2024, 1, 1, 0, 0, 0)
EXECUTABLES = frozenset({"bin/console"})

LAYOUTS = ("1.6", "1.7", "8.0", "8.1", "9.0")
VERSION_FILES = {
    "1.6": "config/settings.inc.php",
    "1.7": "app/AppKernel.php",
    "8.0": "app/AppKernel.php",
    "8.1": "src/Core/Version.php",
    "9.0": "src/Core/Version.php",
}
# install/install_version.php: (minimum PHP, minimum id, maximum PHP, maximum id) of each line.
PHP_RANGES = {
    "1.6": ("5.2", 50200, "7.1", 70199),
    "1.7": ("7.1.3", 70103, "7.4", 70499),
    "8.0": ("7.2.5", 70205, "8.1", 81099),
    "8.1": ("7.2.5", 70205, "8.1", 81099),
    "9.0": ("8.1", 80100, "8.4", 80499),
}

MIGRATION_VERSIONS = (
    "1.7.8.0", "1.7.8.1", "1.7.8.5", "8.0.0", "8.0.1", "8.1.0", "8.1.3", "8.1.5", "8.1.7", "8.1.7-catchup", "8.2.0", "9.0.0",
)
CALLBACKS = ("add_column", "drop_column_if_exists", "shopfleet_record_migration", "shopfleet_fail_when_asked")

_VERSION_PATTERN = re.compile(r"^\d+(\.\d+){2,3}$")
_MIGRATION_PATTERN = re.compile(r"^(?P<version>\d+(\.\d+){2,3})(?P<suffix>-catchup)?$")


@dataclass(frozen=True)
class ModuleSpec:
    """A module on disk; db_version is what <prefix>module records (None: same as the files)."""

    name: str
    version: str
    db_version: str | None = None
    active: bool = True
    native: bool = True
    upgrades: tuple[str, ...] | None = None
    display_name: str = ""
    author: str = "PrestaShop"

    @property
    def installed_version(self) -> str:
        return self.db_version or self.version

    @property
    def upgrade_versions(self) -> tuple[str, ...]:
        """Versions with an upgrade/upgrade-X.php script: by default the major's first release and the current one."""
        if self.upgrades is not None:
            return self.upgrades
        first_of_major = self.version.split(".")[0] + ".0.0"
        return (self.version,) if first_of_major == self.version else (first_of_major, self.version)

    def db_row(self) -> tuple[str, str, bool]:
        """The (name, version, active) tuple harness.shopdb.ShopDbFacts takes."""
        return (self.name, self.installed_version, self.active)


NATIVE_MODULES = {
    "1.6": (("blockcart", "1.6.2"), ("blocklayered", "2.2.1"), ("homeslider", "1.6.1"), ("blocknewsletter", "2.3.0"), ("statsdata", "1.6.1")),
    "1.7": (("contactform", "4.3.0"), ("ps_linklist", "5.0.5"), ("ps_facetedsearch", "3.7.1"), ("blockwishlist", "2.1.0"),
            ("productcomments", "5.0.1"), ("ps_emailsubscription", "2.7.0"), ("ps_mainmenu", "2.3.1")),
    "8.0": (("contactform", "4.4.0"), ("ps_linklist", "5.0.5"), ("ps_facetedsearch", "3.11.1"), ("blockwishlist", "2.1.1"),
            ("productcomments", "5.0.3"), ("ps_emailsubscription", "2.7.1"), ("ps_mainmenu", "2.3.2"), ("ps_distributionapiclient", "1.0.0")),
    "8.1": (("contactform", "4.4.1"), ("ps_linklist", "6.0.7"), ("ps_facetedsearch", "3.16.0"), ("blockwishlist", "3.0.1"),
            ("productcomments", "7.0.0"), ("ps_emailsubscription", "2.8.2"), ("ps_mainmenu", "2.3.4"), ("ps_distributionapiclient", "1.1.1")),
    "9.0": (("contactform", "4.4.3"), ("ps_linklist", "6.1.0"), ("ps_facetedsearch", "4.0.1"), ("blockwishlist", "3.0.2"),
            ("productcomments", "7.0.1"), ("ps_emailsubscription", "2.9.0"), ("ps_mainmenu", "3.0.0"), ("ps_distributionapiclient", "2.0.0")),
}
# Bundled modules that carry their own vendor/ (the official upgrade leaves those alone).
MODULES_WITH_VENDOR = frozenset({"ps_facetedsearch"})


@dataclass
class Release:
    """A synthetic release: its tree, the nested zip PrestaShop publishes and the md5 checksum list."""

    version: str
    zip_path: Path
    tree: Path
    checksum_xml: Path


# --- versions -------------------------------------------------------------------------------------------------


def version_parts(version: str) -> tuple[int, ...]:
    if not _VERSION_PATTERN.match(version):
        raise ValueError(f"not a PrestaShop version: {version!r}")
    parts = tuple(int(part) for part in version.split("."))
    if parts[0] == 1 and len(parts) != 4:
        raise ValueError(f"1.x versions have four parts: {version!r}")
    if parts[0] >= 8 and len(parts) != 3:
        raise ValueError(f"8.x and later versions have three parts: {version!r}")
    return parts


def layout_of(version: str) -> str:
    """The file layout of a version: 1.6, 1.7 (incl. 1.7.8), 8.0, 8.1 (incl. 8.2) or 9.0 (9.x)."""
    parts = version_parts(version)
    if parts[0] == 1 and parts[1] <= 6:
        return "1.6"
    if parts[0] == 1 and parts[1] == 7:
        return "1.7"
    if parts[0] == 8:
        return "8.0" if parts[1] == 0 else "8.1"
    if parts[0] >= 9:
        return "9.0"
    raise ValueError(f"unsupported PrestaShop version: {version!r}")


def version_file(version: str) -> str:
    """Relative path of the file holding the version literal, where PrestaShop keeps it for that line."""
    return VERSION_FILES[layout_of(version)]


# --- small content helpers ------------------------------------------------------------------------------------


def _rng(*labels: object) -> random.Random:
    return random.Random(":".join(str(label) for label in labels))


def _revision(path: str, version: str) -> str:
    """The release a file last changed in: about a quarter of the files change with every version."""
    digest = hashlib.sha256(f"{path}@{version}".encode()).digest()
    return version if digest[0] % 4 == 0 else layout_of(version)


def php_string(value: str) -> str:
    """A PHP single-quoted string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def png_bytes(rng: random.Random, width: int = 4, height: int = 4) -> bytes:
    """A small valid RGB PNG with random pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + rng.randbytes(width * 3) for _row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def jpeg_bytes(rng: random.Random, size: int = 600) -> bytes:
    """JPEG-shaped bytes (markers and JFIF header around random data): enough for file-level tests."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + rng.randbytes(size) + b"\xff\xd9"


GIF_PIXEL = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b")


def _ico_bytes(rng: random.Random) -> bytes:
    image = png_bytes(rng, 16, 16)
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(image), 22) + image


def _php_class(path: str, version: str, name: str, parent: str | None = None, namespace: str | None = None, core: bool = True) -> bytes:
    declaration = f"class {name}{'Core' if core else ''}" + (f" extends {parent}" if parent else "")
    lines = [PHP_HEADER.rstrip("\n")]
    if namespace:
        lines += ["", f"namespace {namespace};"]
    lines += [
        "",
        declaration,
        "{",
        f"    // Stand-in body; last changed in {_revision(path, version)}.",
        f"    public const SHOPFLEET_FILE = {php_string(path)};",
        "}",
        "",
    ]
    return "\n".join(lines).encode()


_COMMENT_STYLES = (
    ((".yml", ".dist", ".txt", ".htaccess", "LICENSES", "LICENSE"), "# ", ""),
    ((".css", ".js"), "/* ", " */"),
    ((".tpl",), "{* ", " *}"),
    ((".twig",), "{# ", " #}"),
    ((".sql",), "-- ", ""),
)


def _text_file(path: str, version: str, body: str) -> bytes:
    """A non-PHP text file ending with a comment naming the release it last changed in."""
    opening, closing = "<!-- ", " -->"
    for endings, style_opening, style_closing in _COMMENT_STYLES:
        if path.endswith(endings):
            opening, closing = style_opening, style_closing
            break
    return f"{body.rstrip()}\n{opening}shopfleet synthetic file, last changed in {_revision(path, version)}{closing}\n".encode()


def _index_php() -> bytes:
    # PrestaShop drops one of these in nearly every folder to stop directory listings.
    return (PHP_HEADER + "header('Expires: Mon, 26 Jul 1997 05:00:00 GMT');\nheader('Location: ../');\nexit;\n").encode()


def _template(relative: str) -> bytes:
    return (SHOP_TEMPLATES / relative).read_bytes()


def _class_name(module: str) -> str:
    return "_".join(part.capitalize() for part in module.split("_"))


# --- the parts of a release tree ------------------------------------------------------------------------------

CLASSES = (
    ("Address", "ObjectModel"), ("Carrier", "ObjectModel"), ("Cart", "ObjectModel"), ("Category", "ObjectModel"), ("Cookie", None),
    ("Country", "ObjectModel"), ("Currency", "ObjectModel"), ("Customer", "ObjectModel"), ("Dispatcher", None), ("Employee", "ObjectModel"),
    ("Hook", "ObjectModel"), ("Image", "ObjectModel"), ("Link", None), ("Manufacturer", "ObjectModel"), ("Meta", "ObjectModel"),
    ("Product", "ObjectModel"), ("Validate", None),
    ("order/Order", "ObjectModel"), ("order/OrderDetail", "ObjectModel"), ("order/OrderState", "ObjectModel"), ("cache/Cache", None),
    ("cache/CacheMemcache", "Cache"), ("controller/Controller", None), ("controller/FrontController", "Controller"),
    ("controller/AdminController", "Controller"), ("controller/ModuleFrontController", "FrontController"), ("helper/HelperForm", None),
    ("helper/HelperList", None), ("pdf/PDF", None), ("stock/StockAvailable", "ObjectModel"), ("tax/Tax", "ObjectModel"), ("tab/Tab", "ObjectModel"),
    ("webservice/WebserviceRequest", None),
)
RUNTIME_CLASSES = (
    "classes/PrestaShopAutoload.php", "classes/ObjectModel.php", "classes/Configuration.php", "classes/Context.php", "classes/Language.php",
    "classes/Tools.php", "classes/db/Db.php", "classes/shop/Shop.php", "classes/module/Module.php", "classes/exception/PrestaShopException.php",
    "classes/exception/PrestaShopDatabaseException.php",
)
FRONT_CONTROLLERS = ("Index", "Cart", "Product", "Category", "Order", "Auth", "Contact")
ADMIN_CONTROLLERS = ("AdminLogin", "AdminModules", "AdminCarriers", "AdminSearch", "AdminDashboard")
SRC_CLASSES = (
    "Adapter/Configuration", "Adapter/LegacyContext", "Adapter/Module/ModuleDataProvider", "Adapter/Shop/Context",
    "Core/Addon/Module/ModuleManager", "Core/Domain/Shop/ValueObject/ShopConstraint",
    "PrestaShopBundle/PrestaShopBundle", "PrestaShopBundle/Command/UpdateSchemaCommand", "PrestaShopBundle/Controller/Admin/CommonController",
    "PrestaShopBundle/Install/Install", "PrestaShopBundle/Install/Upgrade", "PrestaShopBundle/Kernel/ModuleRepository",
)
VENDOR_CLASSES = (
    ("vendor/smarty/smarty/libs/Smarty.class.php", None, "Smarty"),
    ("vendor/guzzlehttp/guzzle/src/Client.php", "GuzzleHttp", "Client"),
    ("vendor/doctrine/dbal/src/Connection.php", "Doctrine\\DBAL", "Connection"),
    ("vendor/prestashop/decimal/src/DecimalNumber.php", "PrestaShop\\Decimal", "DecimalNumber"),
)
MAIL_TEMPLATES = ("account", "contact", "order_conf", "password_query", "payment", "shipped")
XLF_DOMAINS = ("AdminActions", "AdminGlobal", "ShopNotificationsSuccess", "ShopThemeCatalog", "ModulesLinklistShop")
PARAMETERS_YML_DIST = """parameters:
  database_host: 127.0.0.1
  database_port: ~
  database_name: prestashop
  database_user: root
  database_password: ~
  database_prefix: ps_
  database_engine: InnoDB"""
DB_STRUCTURE_SQL = """CREATE TABLE `PREFIX_configuration` (
  `id_configuration` INT(10) UNSIGNED NOT NULL AUTO_INCREMENT,
  `name` VARCHAR(254) NOT NULL,
  `value` TEXT,
  PRIMARY KEY (`id_configuration`)
) ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8mb4 COLLATION;"""
THEME_YML = """name: classic
display_name: Classic
version: @VERSION@
author:
  name: "PrestaShop"
meta:
  compatibility:
      from: 1.7.0.0
      to: ~
global_settings:
  image_types:
    home_default:
      width: 250
      height: 250"""
CLASSIC_TEMPLATES = (
    "index.tpl", "page.tpl", "layouts/layout-both-columns.tpl", "layouts/layout-full-width.tpl", "_partials/head.tpl", "_partials/header.tpl",
    "_partials/footer.tpl", "_partials/notifications.tpl", "catalog/product.tpl", "catalog/listing/product-list.tpl",
    "catalog/_partials/miniatures/product.tpl", "checkout/cart.tpl", "checkout/checkout.tpl", "customer/authentication.tpl",
    "errors/maintenance.tpl", "errors/404.tpl",
)


def _root_files(version: str, layout: str) -> dict[str, bytes]:
    files = {
        "index.php": _template("index.php"),
        "init.php": (PHP_HEADER + "// Front-office initialisation is not simulated.\n").encode(),
        "images.inc.php": (PHP_HEADER + "// Image helpers are not simulated.\n").encode(),
        "error500.html": _text_file("error500.html", version, "<!DOCTYPE html><html><body><h1>Oops, something went wrong.</h1></body></html>"),
        "LICENSES": _text_file("LICENSES", version, "Synthetic release used by the shopfleet tests. The real LICENSES file lists OSL-3.0 and AFL-3.0."),
        "INSTALL.txt": _text_file("INSTALL.txt", version, "Open the shop's URL in a browser to start the installer."),
    }
    if layout != "1.6":
        packages = [{"name": "prestashop/" + name, "version": "v" + module_version, "type": "prestashop-module"}
                    for name, module_version in NATIVE_MODULES[layout]]
        packages.append({"name": "symfony/symfony", "version": {"1.7": "v3.4.47", "8.0": "v4.4.44", "8.1": "v4.4.49", "9.0": "v6.4.8"}[layout],
                         "type": "library"})
        files["composer.lock"] = (json.dumps({"_readme": [SYNTHETIC_NOTICE], "packages": packages, "platform-overrides": {
            "php": PHP_RANGES[layout][0]}}, indent=4) + "\n").encode()
    return files


def _autoload_php(layout: str) -> bytes:
    lines = [PHP_HEADER.rstrip("\n")]
    if layout in ("8.1", "9.0"):
        lines += ["", "use PrestaShop\\PrestaShop\\Core\\Version;"]
    lines.append("")
    if layout != "1.6":
        lines.append("require_once __DIR__ . '/../vendor/autoload.php';")
    lines += [
        "require_once _PS_CONFIG_DIR_ . 'alias.php';",
        "require_once _PS_CLASS_DIR_ . 'PrestaShopAutoload.php';",
        "spl_autoload_register([PrestaShopAutoload::getInstance(), 'load']);",
    ]
    if layout in ("1.7", "8.0"):
        lines += ["", "define('_PS_VERSION_', AppKernel::VERSION);"]
    elif layout in ("8.1", "9.0"):
        lines += ["", "define('_PS_VERSION_', Version::VERSION);"]
    return ("\n".join(lines) + "\n").encode()


def _config_files(version: str, layout: str) -> dict[str, bytes]:
    files = {
        "config/index.php": _index_php(),
        "config/defines.inc.php": _template("config/defines.inc.php"),
        "config/alias.php": _template("config/alias.php"),
        "config/config.inc.php": _template("config/config.inc.php"),
        "config/autoload.php": _autoload_php(layout),
        "config/defines_uri.inc.php": (PHP_HEADER + "// URI constants are not simulated.\n").encode(),
        "config/smarty.config.inc.php": (PHP_HEADER + "// Smarty is not simulated.\n").encode(),
        "config/smartyfront.config.inc.php": (PHP_HEADER + "// Smarty is not simulated.\n").encode(),
        "config/smartyadmin.config.inc.php": (PHP_HEADER + "// Smarty is not simulated.\n").encode(),
        "config/db_slave_server.inc.php": (PHP_HEADER + "return [];\n").encode(),
        "config/xml/index.php": _index_php(),
    }
    if layout != "1.6":
        files["config/bootstrap.php"] = _template("config/bootstrap.php")
        files["config/services/front/services.yml"] = _text_file("config/services/front/services.yml", version, "services:\n  _defaults:\n    public: true")
        files["config/services/admin/services.yml"] = _text_file("config/services/admin/services.yml", version, "services:\n  _defaults:\n    public: true")
    return files


def _class_files(version: str) -> dict[str, bytes]:
    files = {relative: _template(relative) for relative in RUNTIME_CLASSES}
    for name, parent in CLASSES:
        path = f"classes/{name}.php"
        files[path] = _php_class(path, version, name.rsplit("/", 1)[-1], parent)
    for directory in {Path(path).parent.as_posix() for path in files}:
        files[f"{directory}/index.php"] = _index_php()
    for name in FRONT_CONTROLLERS:
        path = f"controllers/front/{name}Controller.php"
        files[path] = _php_class(path, version, f"{name}Controller", "FrontController")
    for name in ADMIN_CONTROLLERS:
        path = f"controllers/admin/{name}Controller.php"
        files[path] = _php_class(path, version, f"{name}Controller", "AdminController")
    files.update({"controllers/index.php": _index_php(), "controllers/front/index.php": _index_php(), "controllers/admin/index.php": _index_php()})
    return files


def _version_numbers(version: str) -> tuple[str, int, int, int]:
    parts = version_parts(version)
    if parts[0] == 1:
        return (f"{parts[0]}.{parts[1]}", parts[0] * 10 + parts[1], parts[2], parts[3])
    return (str(parts[0]), parts[0], parts[1], parts[2])


def _version_php(version: str) -> bytes:
    major_string, major, minor, release = _version_numbers(version)
    return (PHP_HEADER + "\nnamespace PrestaShop\\PrestaShop\\Core;\n\nfinal class Version\n{\n"
            f"    public const VERSION = '{version}';\n"
            f"    public const MAJOR_VERSION_STRING = '{major_string}';\n"
            f"    public const MAJOR_VERSION = {major};\n"
            f"    public const MINOR_VERSION = {minor};\n"
            f"    public const RELEASE_VERSION = {release};\n"
            "}\n").encode()


def _app_kernel(version: str, layout: str) -> bytes:
    if layout in ("1.7", "8.0"):
        major_string, major, minor, release = _version_numbers(version)
        uses = "use Symfony\\Component\\HttpKernel\\Kernel;\n"
        declaration = "class AppKernel extends Kernel"
        constants = (f"    const VERSION = '{version}';\n"
                     f"    const MAJOR_VERSION_STRING = '{major_string}';\n"
                     f"    const MAJOR_VERSION = {major};\n"
                     f"    const MINOR_VERSION = {minor};\n"
                     f"    const RELEASE_VERSION = {release};\n")
    else:
        uses = "use PrestaShop\\PrestaShop\\Core\\Version;\nuse Symfony\\Component\\HttpKernel\\Kernel;\n"
        declaration = ("abstract class AppKernel extends Kernel" if layout == "9.0" else "class AppKernel extends Kernel")
        constants = "".join(f"    public const {name} = Version::{name};\n"
                            for name in ("VERSION", "MAJOR_VERSION_STRING", "MAJOR_VERSION", "MINOR_VERSION", "RELEASE_VERSION"))
    body = ("\n    public function registerBundles()\n    {\n        return [];\n    }\n"
            "\n    public function getCacheDir()\n    {\n        return dirname(__DIR__) . '/var/cache/' . $this->getEnvironment();\n    }\n"
            "\n    public function getLogDir()\n    {\n        return dirname(__DIR__) . '/var/logs';\n    }\n")
    return (PHP_HEADER + "\n" + uses + "\n" + declaration + "\n{\n" + constants + body + "}\n").encode()


def _app_files(version: str, layout: str) -> dict[str, bytes]:
    files = {
        "app/AppKernel.php": _app_kernel(version, layout),
        "app/autoload.php": (PHP_HEADER + "\nreturn require __DIR__ . '/../vendor/autoload.php';\n").encode(),
        "app/config/config.yml": _text_file("app/config/config.yml", version, "imports:\n  - { resource: parameters.php }\nframework:\n  secret: '%secret%'"),
        "app/config/config_prod.yml": _text_file("app/config/config_prod.yml", version, "imports:\n  - { resource: config.yml }"),
        "app/config/routing.yml": _text_file("app/config/routing.yml", version, "admin:\n  prefix: /"),
        "app/config/services.yml": _text_file("app/config/services.yml", version, "services:\n  _defaults:\n    public: false"),
        "app/config/parameters.yml.dist": _text_file("app/config/parameters.yml.dist", version, PARAMETERS_YML_DIST),
        "bin/console": ("#!/usr/bin/env php\n" + PHP_HEADER.split("\n", 1)[1]
                        + "require __DIR__ . '/../config/config.inc.php';\n"
                        + "fwrite(STDOUT, 'Synthetic PrestaShop console ' . _PS_VERSION_ . PHP_EOL);\n").encode(),
    }
    if layout == "9.0":
        for kernel, app_id in (("AdminKernel", "admin"), ("FrontKernel", "front"), ("AdminAPIKernel", "admin-api")):
            files[f"app/{kernel}.php"] = (PHP_HEADER + f"\nclass {kernel} extends AppKernel\n{{\n    public const APP_ID = '{app_id}';\n}}\n").encode()
    return files


def _src_files(version: str, layout: str) -> dict[str, bytes]:
    files = {}
    for name in SRC_CLASSES:
        namespace_path, _slash, class_name = name.rpartition("/")
        if namespace_path.startswith("PrestaShopBundle"):
            namespace = namespace_path.replace("/", "\\")
        else:
            namespace = "PrestaShop\\PrestaShop\\" + namespace_path.replace("/", "\\")
        path = f"src/{name}.php"
        files[path] = _php_class(path, version, class_name, namespace=namespace, core=False)
    twig = "src/PrestaShopBundle/Resources/views/Admin/layout.html.twig"
    files[twig] = _text_file(twig, version, "<!DOCTYPE html>\n<html>{% block content %}{% endblock %}</html>")
    routing = "src/PrestaShopBundle/Resources/config/routing/admin.yml"
    files[routing] = _text_file(routing, version, "admin_common:\n  resource: 'admin/common.yml'")
    if layout in ("1.7", "8.0"):
        # Dropped in 8.1; the official 8.0 upgrader deletes it before booting the new kernel.
        news = "src/PrestaShopBundle/Resources/config/services/adapter/news.yml"
        files[news] = _text_file(news, version, "services:\n  prestashop.adapter.news.provider:\n    public: true")
    if layout in ("8.1", "9.0"):
        files["src/Core/Version.php"] = _version_php(version)
    return files


def _vendor_files(version: str, layout: str) -> dict[str, bytes]:
    packages = [{"name": "/".join(path.split("/")[1:3]), "version": _revision(path, version)} for path, _namespace, _name in VENDOR_CLASSES]
    files = {
        "vendor/autoload.php": _template("vendor/autoload.php"),
        "vendor/symfony/http-kernel/Kernel.php": _template("vendor/symfony/http-kernel/Kernel.php"),
        "vendor/symfony/http-kernel/LICENSE": _text_file("vendor/symfony/http-kernel/LICENSE", version, "Synthetic licence file."),
        "vendor/composer/installed.json": (json.dumps({"packages": packages}, indent=4) + "\n").encode(),
    }
    for path, namespace, name in VENDOR_CLASSES:
        files[path] = _php_class(path, version, name, namespace=namespace, core=False)
    return files


def _admin_files(version: str, layout: str) -> dict[str, bytes]:
    files = {
        "admin/index.php": _template("admin/index.php"),
        "admin/get-file-admin.php": (PHP_HEADER + "// Serves files from the admin folder; not simulated.\n").encode(),
        "admin/functions.php": (PHP_HEADER + "// Back-office helper functions; not simulated.\n").encode(),
        "admin/init.php": (PHP_HEADER + "// Back-office initialisation; not simulated.\n").encode(),
        "admin/header.inc.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/footer.inc.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/ajax.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/ajax-tab.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/ajax_products_list.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/backup.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/displayImage.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/robots.txt": b"User-agent: *\nDisallow: /\n",
        "admin/favicon.ico": _ico_bytes(_rng("admin/favicon.ico")),
        "admin/.htaccess": _text_file("admin/.htaccess", version, "<IfModule mod_rewrite.c>\n  RewriteEngine on\n</IfModule>"),
        "admin/filemanager/dialog.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "admin/filemanager/config/config.php": (PHP_HEADER + "return [];\n").encode(),
        "admin/themes/default/template/content.tpl": _text_file("admin/themes/default/template/content.tpl", version, "{$content}"),
        "admin/themes/default/template/header.tpl": _text_file("admin/themes/default/template/header.tpl", version, "<header></header>"),
        "admin/themes/default/css/admin-theme.css": _text_file("admin/themes/default/css/admin-theme.css", version, "body { margin: 0; }"),
        "admin/import/index.php": _index_php(),
        "admin/backups/index.php": _index_php(),
        "admin/export/index.php": _index_php(),
    }
    if layout != "1.6":
        files.update({
            "admin/themes/new-theme/index.php": _index_php(),
            "admin/themes/new-theme/public/main.bundle.js": _text_file("admin/themes/new-theme/public/main.bundle.js", version, "(function () {})();"),
            "admin/themes/new-theme/public/theme.css": _text_file("admin/themes/new-theme/public/theme.css", version, ".main-header { display: flex; }"),
            "admin/themes/new-theme/template/layout.tpl": _text_file("admin/themes/new-theme/template/layout.tpl", version, "<main>{$page}</main>"),
        })
    return files


def _install_files(version: str, layout: str) -> dict[str, bytes]:
    minimum, minimum_id, maximum, maximum_id = PHP_RANGES[layout]
    files = {
        "install/install_version.php": (PHP_HEADER + f"\ndefine('_PS_INSTALL_VERSION_', '{version}');\n"
                                        f"define('_PS_INSTALL_MINIMUM_PHP_VERSION_ID_', {minimum_id});\n"
                                        f"define('_PS_INSTALL_MAXIMUM_PHP_VERSION_ID_', {maximum_id});\n"
                                        f"define('_PS_INSTALL_MINIMUM_PHP_VERSION_', '{minimum}');\n"
                                        f"define('_PS_INSTALL_MAXIMUM_PHP_VERSION_', '{maximum}');\n").encode(),
        "install/index.php": (PHP_HEADER + "require_once __DIR__ . '/install_version.php';\necho 'Synthetic installer ' . _PS_INSTALL_VERSION_;\n").encode(),
        "install/index_cli.php": (PHP_HEADER + "require_once __DIR__ . '/install_version.php';\n"
                                  "fwrite(STDERR, 'The synthetic installer installs nothing.' . PHP_EOL);\nexit(1);\n").encode(),
        "install/init.php": (PHP_HEADER + "// Not simulated.\n").encode(),
        "install/classes/controllerHttp.php": _php_class("install/classes/controllerHttp.php", version, "InstallControllerHttp", core=False),
        "install/controllers/http/welcome.php": _php_class("install/controllers/http/welcome.php", version, "InstallControllerHttpWelcome", core=False),
        "install/models/install.php": _php_class("install/models/install.php", version, "InstallModelInstall", core=False),
        "install/data/db_structure.sql": _text_file("install/data/db_structure.sql", version, DB_STRUCTURE_SQL),
        "install/data/db_data.sql": b"",
        "install/data/xml/configuration.xml": _text_file("install/data/xml/configuration.xml", version,
                                                         '<?xml version="1.0"?>\n<entity_configuration>\n  <entities>\n'
                                                         '    <configuration id="PS_SHOP_ENABLE" name="PS_SHOP_ENABLE"><value>1</value></configuration>\n'
                                                         '  </entities>\n</entity_configuration>'),
        "install/data/xml/tab.xml": _text_file("install/data/xml/tab.xml", version, '<?xml version="1.0"?>\n<entity_tab>\n  <entities/>\n</entity_tab>'),
        "install/langs/en/install.php": (PHP_HEADER + "return ['informations' => []];\n").encode(),
        "install/fixtures/fashion/data/product.xml": _text_file("install/fixtures/fashion/data/product.xml", version,
                                                                '<?xml version="1.0"?>\n<entity_product>\n  <entities/>\n</entity_product>'),
        "install/theme/views/welcome.php": (PHP_HEADER + "echo 'Welcome';\n").encode(),
    }
    if layout == "1.7":
        # Up to 1.7.8 the release carries its own upgrade scripts; from 8.0 they live in the upgrade module only.
        files["install/upgrade/upgrade.php"] = (PHP_HEADER + "// Entry point of the 1.7 upgrade scripts; not simulated.\n").encode()
        for migration in MIGRATION_VERSIONS:
            base = migration.split("-", maxsplit=1)[0]
            if layout_of(base) == "1.7" and version_parts(base) <= version_parts(version):
                files[f"install/upgrade/sql/{migration}.sql"] = migration_sql(migration).encode()
        for callback in CALLBACKS:
            files[f"install/upgrade/php/{callback}.php"] = (CALLBACK_TEMPLATES / f"{callback}.php").read_bytes()
    return files


def module_files(module: ModuleSpec) -> dict[str, bytes]:
    """The files of modules/<name>/: config.xml, the main class with its version, upgrade scripts and a few assets."""
    base = f"modules/{module.name}"
    display_name = module.display_name or module.name.replace("_", " ").title()
    files = {
        f"{base}/index.php": _index_php(),
        f"{base}/config.xml": (
            '<?xml version="1.0" encoding="UTF-8" ?>\n<module>\n'
            f"    <name>{module.name}</name>\n"
            f"    <displayName><![CDATA[{display_name}]]></displayName>\n"
            f"    <version><![CDATA[{module.version}]]></version>\n"
            "    <description><![CDATA[Synthetic module written by the shopfleet test harness.]]></description>\n"
            f"    <author><![CDATA[{module.author}]]></author>\n"
            "    <tab><![CDATA[front_office_features]]></tab>\n"
            "    <is_configurable>0</is_configurable>\n"
            "    <need_instance>0</need_instance>\n"
            "</module>\n").encode(),
        f"{base}/{module.name}.php": (
            PHP_HEADER + "\nif (!defined('_PS_VERSION_')) {\n    exit;\n}\n\n"
            f"class {_class_name(module.name)} extends Module\n{{\n"
            "    public function __construct()\n    {\n"
            f"        $this->name = {php_string(module.name)};\n"
            "        $this->tab = 'front_office_features';\n"
            f"        $this->version = {php_string(module.version)};\n"
            f"        $this->author = {php_string(module.author)};\n"
            "        $this->need_instance = 0;\n"
            "        $this->bootstrap = true;\n\n"
            "        parent::__construct();\n\n"
            f"        $this->displayName = {php_string(display_name)};\n"
            "        $this->description = 'Synthetic module written by the shopfleet test harness.';\n"
            "        $this->ps_versions_compliancy = ['min' => '1.7.0.0', 'max' => _PS_VERSION_];\n"
            "    }\n}\n").encode(),
        f"{base}/logo.png": png_bytes(_rng("logo", module.name, module.version), 8, 8),
        f"{base}/views/templates/hook/{module.name}.tpl": f"<div class=\"{module.name}\">{{$content nofilter}}</div>\n".encode(),
        f"{base}/views/css/{module.name}.css": f".{module.name} {{ display: block; }}\n".encode(),
    }
    for upgrade in module.upgrade_versions:
        key = f"SHOPFLEET_MODULE_{module.name.upper()}_{upgrade.replace('.', '_')}"
        files[f"{base}/upgrade/upgrade-{upgrade}.php"] = (
            PHP_HEADER + "\nif (!defined('_PS_VERSION_')) {\n    exit;\n}\n\n"
            f"/**\n * Leaves {key} behind so tests can tell the script ran.\n *\n * @param Module $module\n *\n * @return bool\n */\n"
            f"function upgrade_module_{upgrade.replace('.', '_')}($module)\n{{\n"
            f"    return Configuration::updateValue({php_string(key)}, $module->name);\n}}\n").encode()
    if module.name in MODULES_WITH_VENDOR:
        files[f"{base}/vendor/autoload.php"] = (PHP_HEADER + "return true;\n").encode()
    return files


def native_modules(version: str) -> list[ModuleSpec]:
    """The modules a release of this version bundles, at the versions it bundles."""
    return [ModuleSpec(name, module_version) for name, module_version in NATIVE_MODULES[layout_of(version)]]


def _module_files(version: str) -> dict[str, bytes]:
    files = {"modules/index.php": _index_php()}
    for module in native_modules(version):
        files.update(module_files(module))
    return files


def _theme_files(version: str, layout: str) -> dict[str, bytes]:
    if layout == "1.6":
        theme = "themes/default-bootstrap"
        files = {f"{theme}/{name}": _text_file(f"{theme}/{name}", version, "{* default-bootstrap *}")
                 for name in ("index.tpl", "header.tpl", "footer.tpl", "product.tpl", "category.tpl", "maintenance.tpl")}
        files[f"{theme}/config.xml"] = _text_file(f"{theme}/config.xml", version, '<?xml version="1.0"?>\n<theme name="default-bootstrap"/>')
        files[f"{theme}/css/global.css"] = _text_file(f"{theme}/css/global.css", version, "body { color: #333; }")
        files[f"{theme}/js/global.js"] = _text_file(f"{theme}/js/global.js", version, "var theme = {};")
        files[f"{theme}/preview.jpg"] = jpeg_bytes(_rng(theme, "preview"))
        files["themes/index.php"] = _index_php()
        return files
    theme = "themes/classic"
    theme_version = {"1.7": "2.0.6", "8.0": "2.1.2", "8.1": "2.1.3", "9.0": "3.0.0"}[layout]
    files = {f"{theme}/templates/{name}": _text_file(f"{theme}/templates/{name}", version, "{block name='content'}{/block}")
             for name in CLASSIC_TEMPLATES}
    files.update({
        f"{theme}/config/theme.yml": _text_file(f"{theme}/config/theme.yml", version, THEME_YML.replace("@VERSION@", theme_version)),
        f"{theme}/preview.png": png_bytes(_rng(theme, "preview"), 16, 12),
        f"{theme}/assets/css/theme.css": _text_file(f"{theme}/assets/css/theme.css", version, "body { font-family: sans-serif; }"),
        f"{theme}/assets/css/custom.css": b"/* Shop-specific styles go here. */\n",
        f"{theme}/assets/js/theme.js": _text_file(f"{theme}/assets/js/theme.js", version, "window.prestashop = window.prestashop || {};"),
        f"{theme}/assets/js/custom.js": b"/* Shop-specific scripts go here. */\n",
        f"{theme}/assets/img/logo.png": png_bytes(_rng(theme, "logo"), 8, 4),
        f"{theme}/modules/ps_linklist/views/templates/hook/linkblock.tpl": _text_file(
            f"{theme}/modules/ps_linklist/views/templates/hook/linkblock.tpl", version, "<ul class=\"links\"></ul>"),
        "themes/core.js": _text_file("themes/core.js", version, "(function () {})();"),
        "themes/index.php": _index_php(),
    })
    return files


def _image_files() -> dict[str, bytes]:
    files = {"img/index.php": _index_php(), "img/404.gif": GIF_PIXEL, "img/favicon.ico": _ico_bytes(_rng("img/favicon.ico")),
             "img/logo.jpg": jpeg_bytes(_rng("img/logo.jpg")), "img/l/none.jpg": jpeg_bytes(_rng("img/l/none.jpg"), 200)}
    for folder in ("p", "c", "cms", "tmp", "l", "m", "su", "st", "s", "os", "genders", "admin"):
        files[f"img/{folder}/index.php"] = _index_php()
    for state in range(1, 4):
        files[f"img/os/{state}.gif"] = GIF_PIXEL
    for icon in ("add", "delete", "edit"):
        files[f"img/admin/{icon}.gif"] = GIF_PIXEL
    return files


def _misc_files(version: str, layout: str) -> dict[str, bytes]:
    files = {
        "js/index.php": _index_php(),
        "js/jquery/index.php": _index_php(),
        "js/jquery/jquery-1.11.0.min.js": _text_file("js/jquery/jquery-1.11.0.min.js", version, "/* jQuery stand-in */ window.jQuery = {};"),
        "js/tools.js": _text_file("js/tools.js", version, "function ps_round(value) { return Math.round(value); }"),
        "js/admin.js": _text_file("js/admin.js", version, "var admin = {};"),
        "js/validate.js": _text_file("js/validate.js", version, "function validate_isName() { return true; }"),
        "pdf/index.php": _index_php(),
        "webservice/index.php": _index_php(),
        "webservice/dispatcher.php": (PHP_HEADER + "// The webservice is not simulated.\n").encode(),
        "localization/index.php": _index_php(),
        "localization/us.xml": _text_file("localization/us.xml", version, '<?xml version="1.0"?>\n<localizationPack name="United States"/>'),
        "localization/fr.xml": _text_file("localization/fr.xml", version, '<?xml version="1.0"?>\n<localizationPack name="France"/>'),
        "upload/index.php": _index_php(),
        "upload/.htaccess": b"<IfModule mod_authz_core.c>\n  Require all denied\n</IfModule>\n",
        "download/index.php": _index_php(),
        "download/.htaccess": b"<IfModule mod_authz_core.c>\n  Require all denied\n</IfModule>\n",
        "cache/index.php": _index_php(),
        "cache/cachefs/index.php": _index_php(),
        "cache/tcpdf/index.php": _index_php(),
        "translations/index.php": _index_php(),
    }
    for template in ("invoice", "delivery-slip", "header", "footer"):
        files[f"pdf/{template}.tpl"] = _text_file(f"pdf/{template}.tpl", version, "<table>{$content}</table>")
    for folder in ("", "classes/", "controllers/", "controllers/front/", "controllers/admin/", "modules/"):
        files[f"override/{folder}index.php"] = _index_php()
    if layout in ("1.7", "8.0"):
        # Removed in 8.1: an obsolete core file the upgrade has to delete.
        files["js/jquery/plugins/jquery.legacytabs.js"] = _text_file("js/jquery/plugins/jquery.legacytabs.js", version, "/* legacy tabs */")
    if layout == "1.6":
        for template in MAIL_TEMPLATES:
            files[f"mails/en/{template}.html"] = _text_file(f"mails/en/{template}.html", version, f"<html><body>{template} {{shop_name}}</body></html>")
            files[f"mails/en/{template}.txt"] = _text_file(f"mails/en/{template}.txt", version, f"{template} {{shop_name}}")
        files["translations/export/index.php"] = _index_php()
        return files
    for theme in ("modern", "classic"):
        for template in MAIL_TEMPLATES[:4]:
            path = f"mails/themes/{theme}/core/{template}.html.twig"
            files[path] = _text_file(path, version, "{% extends '@MailThemes/" + theme + "/components/layout.html.twig' %}")
    for domain in XLF_DOMAINS:
        path = f"translations/default/{domain}.xlf"
        files[path] = _text_file(path, version, _xliff(domain, "en-US", version))
    files["var/.htaccess"] = b"<IfModule mod_authz_core.c>\n  Require all denied\n</IfModule>\n"
    files["var/cache/index.php"] = _index_php()
    return files


def _xliff(domain: str, language: str, note: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2">\n'
            f'  <file original="{domain}" source-language="en-US" target-language="{language}" datatype="plaintext">\n'
            f'    <body>\n      <trans-unit id="{domain}-save">\n        <source>Save</source>\n        <target>Save</target>\n'
            f'        <note>{note}</note>\n      </trans-unit>\n    </body>\n  </file>\n</xliff>')


def release_files(version: str) -> dict[str, bytes]:
    """Every file of the release tree of a version (relative path -> content), as the inner prestashop.zip holds them."""
    layout = layout_of(version)
    files: dict[str, bytes] = {}
    files.update(_root_files(version, layout))
    files.update(_config_files(version, layout))
    files.update(_class_files(version))
    files.update(_admin_files(version, layout))
    files.update(_install_files(version, layout))
    files.update(_module_files(version))
    files.update(_theme_files(version, layout))
    files.update(_image_files())
    files.update(_misc_files(version, layout))
    if layout != "1.6":
        files.update(_app_files(version, layout))
        files.update(_src_files(version, layout))
        files.update(_vendor_files(version, layout))
    return files


def write_files(root: Path, files: dict[str, bytes], mtimes: dict[str, float] | None = None) -> None:
    """Writes files under root; bin/console gets the executable bit; mtimes (epoch seconds) are applied last."""
    made: set[Path] = set()
    for relative in sorted(files):
        target = root / relative
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(files[relative])
        if relative in EXECUTABLES:
            target.chmod(0o755)
    for relative, mtime in (mtimes or {}).items():
        os.utime(root / relative, (mtime, mtime))


# --- releases -------------------------------------------------------------------------------------------------


def build_release_tree(dest: Path, version: str) -> Path:
    """Writes the tree a release ships (admin/ not renamed, install/, vendor/, modules/, var/; no parameters.php) into dest."""
    dest.mkdir(parents=True, exist_ok=True)
    write_files(dest, release_files(version))
    return dest


def _walk(tree: Path) -> tuple[list[str], list[str]]:
    """Sorted relative directory and file paths under tree."""
    directories, files = [], []
    for current, subdirectories, names in os.walk(tree):
        subdirectories.sort()
        relative = Path(current).relative_to(tree).as_posix()
        prefix = "" if relative == "." else relative + "/"
        directories.extend(prefix + name for name in subdirectories)
        files.extend(prefix + name for name in sorted(names))
    return sorted(directories), sorted(files)


def _zip_entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, ZIP_DATE_TIME)
    info.external_attr = (mode & 0xFFFF) << 16
    info.create_system = 3  # Unix, so that unzip honours the mode bits
    if name.endswith("/"):
        info.external_attr |= 0x10
    else:
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def build_release_zip(tree: Path, zip_path: Path) -> Path:
    """Zips a tree the way PrestaShop publishes releases: an outer zip holding index.php, Install_PrestaShop.html and prestashop.zip."""
    directories, files = _walk(tree)
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for directory in directories:
            archive.writestr(_zip_entry(directory + "/", 0o40755), b"")
        for relative in files:
            mode = (tree / relative).stat().st_mode
            archive.writestr(_zip_entry(relative, 0o100000 | (mode & 0o777)), (tree / relative).read_bytes())
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    unpacker = (PHP_HEADER + "// Unpacks prestashop.zip next to this file, then sends the browser to the installer.\n"
                "$archive = new ZipArchive();\nif ($archive->open(__DIR__ . '/prestashop.zip') === true) {\n"
                "    $archive->extractTo(__DIR__);\n    $archive->close();\n    unlink(__DIR__ . '/prestashop.zip');\n}\n"
                "header('Location: install/');\n")
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr(_zip_entry("index.php", 0o100644), unpacker.encode())
        archive.writestr(_zip_entry("Install_PrestaShop.html", 0o100644),
                         b"<!DOCTYPE html>\n<html><body><p>Upload this archive's content to your server, then open index.php.</p></body></html>\n")
        archive.writestr(_zip_entry("prestashop.zip", 0o100644), inner.getvalue())
    return zip_path


def build_checksum_xml(tree: Path, version: str, xml_path: Path) -> Path:
    """Writes PrestaShop's md5 list of a tree: <checksum_list><ps_root_dir version="X"> with nested <dir name> and <md5file name>md5</md5file>."""
    root = ET.Element("checksum_list")
    top = ET.SubElement(root, "ps_root_dir", version=version)
    files = _walk(tree)[1]
    elements: dict[str, ET.Element] = {"": top}

    def element_for(directory: str) -> ET.Element:
        if directory not in elements:
            parent, _slash, name = directory.rpartition("/")
            elements[directory] = ET.SubElement(element_for(parent), "dir", name=name)
        return elements[directory]

    for relative in files:
        directory, _slash, name = relative.rpartition("/")
        ET.SubElement(element_for(directory), "md5file", name=name).text = hashlib.md5((tree / relative).read_bytes()).hexdigest()
    # Subfolders first, then files, each in name order: the order of the lists PrestaShop publishes.
    _move_files_after_directories(top)
    ET.indent(root, space="\t")
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    xml_path.write_text('<?xml version="1.0" encoding="UTF-8" ?>\n' + ET.tostring(root, encoding="unicode") + "\n", encoding="utf-8")
    return xml_path


def _move_files_after_directories(element: ET.Element) -> None:
    children = list(element)
    ordered = (sorted((child for child in children if child.tag == "dir"), key=lambda child: child.attrib["name"])
               + sorted((child for child in children if child.tag == "md5file"), key=lambda child: child.attrib["name"]))
    for child in children:
        element.remove(child)
    element.extend(ordered)
    for child in ordered:
        if child.tag == "dir":
            _move_files_after_directories(child)


def read_checksum_xml(xml_path: Path) -> tuple[str, dict[str, str]]:
    """Parses a checksum list: (ps_root_dir version, {relative path: md5})."""
    top = ET.parse(xml_path).getroot().find("ps_root_dir")
    if top is None:
        raise ValueError(f"{xml_path} has no ps_root_dir element")
    checksums: dict[str, str] = {}

    def visit(element: ET.Element, prefix: str) -> None:
        for child in element:
            if child.tag == "dir":
                visit(child, prefix + child.attrib["name"] + "/")
            elif child.tag == "md5file":
                checksums[prefix + child.attrib["name"]] = (child.text or "").strip()

    visit(top, "")
    return top.attrib.get("version", ""), checksums


def build_release(dest_dir: Path, version: str) -> Release:
    """Builds prestashop_<version>/ (the tree), prestashop_<version>.zip and prestashop_<version>.xml in dest_dir."""
    tree = dest_dir / f"prestashop_{version}"
    if tree.exists():
        shutil.rmtree(tree)
    build_release_tree(tree, version)
    zip_path = build_release_zip(tree, dest_dir / f"prestashop_{version}.zip")
    checksum_xml = build_checksum_xml(tree, version, dest_dir / f"prestashop_{version}.xml")
    return Release(version=version, zip_path=zip_path, tree=tree, checksum_xml=checksum_xml)


# --- migrations -----------------------------------------------------------------------------------------------


def migration_slug(name: str) -> str:
    """8.1.7-catchup -> 8_1_7_catchup: the suffix of the tables, columns and keys a migration leaves behind."""
    return re.sub(r"[^0-9a-zA-Z]+", "_", name).lower()


def _check_migration_name(name: str) -> None:
    match = _MIGRATION_PATTERN.match(name)
    if not match:
        raise ValueError(f"not a migration name: {name!r} (expected e.g. 1.7.8.5, 8.1.7 or 8.1.7-catchup)")
    version_parts(match.group("version"))


def migration_sql(name: str) -> str:
    """The SQL of one synthetic migration, with PrestaShop's placeholders, headers and callback comments.

    Traces it leaves (all harmless to re-run): configuration key SHOPFLEET_SQL_<SLUG> (value "<name> columns=<n>"),
    table PREFIX_shopfleet_<slug> with one row per run, column PREFIX_orders.shopfleet_<slug> (through the
    add_column callback) and, through shopfleet_record_migration, SHOPFLEET_PHP_<SLUG> plus SHOPFLEET_MIGRATIONS_RUN.
    """
    _check_migration_name(name)
    slug = migration_slug(name)
    key = "SHOPFLEET_SQL_" + slug.upper()
    statements = [
        "SET SESSION sql_mode = '';",
        "SET NAMES 'utf8mb4';",
        "",
        f"/* Synthetic migration {name}, written by the shopfleet test harness. */",
        "",
        "INSERT INTO `PREFIX_configuration` (`name`, `value`, `date_add`, `date_upd`)",
        f"  SELECT '{key}', '{name}', NOW(), NOW() FROM DUAL",
        f"  WHERE NOT EXISTS (SELECT 1 FROM `PREFIX_configuration` WHERE `name` = '{key}');",
        "",
        f"CREATE TABLE IF NOT EXISTS `PREFIX_shopfleet_{slug}` (",
        "  `id_entry` INT(10) UNSIGNED NOT NULL AUTO_INCREMENT,",
        "  `note` VARCHAR(255) NOT NULL,",
        "  `date_add` DATETIME NOT NULL,",
        "  PRIMARY KEY (`id_entry`)",
        ") ENGINE=ENGINE_TYPE DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;",
        "",
        f"INSERT INTO `PREFIX_shopfleet_{slug}` (`note`, `date_add`)",
        f"  VALUES ('ran {name}; a semicolon inside a string does not end the statement', NOW());",
        "",
        f"/* PHP:add_column('orders', 'shopfleet_{slug}', 'VARCHAR(32) NULL DEFAULT NULL'); */;",
        "",
        f"UPDATE `PREFIX_orders` SET `shopfleet_{slug}` = '{name}' WHERE `shopfleet_{slug}` IS NULL;",
        "",
        f"UPDATE `PREFIX_configuration` SET `value` = CONCAT('{name} columns=', (",
        "    SELECT COUNT(*) FROM information_schema.COLUMNS",
        "    WHERE `TABLE_SCHEMA` = 'DB_NAME' AND `TABLE_NAME` = 'PREFIX_orders' AND `COLUMN_NAME` LIKE 'shopfleet\\_%'",
        f"  )) WHERE `name` = '{key}' AND `id_shop` IS NULL AND `id_shop_group` IS NULL;",
        "",
        f"/* PHP:shopfleet_record_migration('{name}', 1); */;",
        f"/* PHP:shopfleet_fail_when_asked('{name}'); */;",
    ]
    if name.endswith("-catchup"):
        statements += ["/* PHP:drop_column_if_exists('orders', 'shopfleet_never_added'); */;"]
    return "\n".join(statements) + "\n"


def build_migrations(dest: Path, versions: Iterable[str] = MIGRATION_VERSIONS) -> Path:
    """Writes dest/upgrade/sql/<name>.sql for each name and the callbacks in dest/upgrade/php/; returns dest/upgrade."""
    upgrade = dest / "upgrade"
    (upgrade / "sql").mkdir(parents=True, exist_ok=True)
    (upgrade / "php").mkdir(parents=True, exist_ok=True)
    for name in versions:
        (upgrade / "sql" / f"{name}.sql").write_text(migration_sql(name), encoding="utf-8")
    for callback in CALLBACKS:
        shutil.copyfile(CALLBACK_TEMPLATES / f"{callback}.php", upgrade / "php" / f"{callback}.php")
    return upgrade
