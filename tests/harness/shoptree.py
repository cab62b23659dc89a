"""The file tree of an installed synthetic PrestaShop shop.

An installed shop is its release (harness.release) after the installer and some life: the admin folder renamed,
install/ removed (unless asked), app/config/parameters.php (1.6: config/settings.inc.php) written the way the
installer writes it, custom modules, user images, generated mails and translations, stale caches and logs.
The release part depends on the version only; the shop's own files on the seed; the settings on `db`.
"""
from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from harness.release import (
    MAIL_TEMPLATES, PHP_HEADER, ModuleSpec, jpeg_bytes, layout_of, module_files, native_modules, php_string, png_bytes, release_files,
    version_file, write_files,
)

__all__ = [
    "CUSTOM_MODULES", "DEFAULT_DB", "ModuleSpec", "ShopTree", "effective_parameters", "find_admin_dirs", "php_export", "shop_modules",
    "shop_files", "shop_parameters", "version_file", "write_shop_tree",
]

DEFAULT_DB = {"host": "127.0.0.1", "port": 3306, "name": "prestashop", "user": "prestashop", "password": "", "prefix": "ps_", "engine": "InnoDB"}

# Shop-specific modules, absent from every release. mymodule's files are newer than its database row, so it has an
# upgrade script pending (upgrade-1.5.0.php); legacyblock is installed but disabled.
CUSTOM_MODULES = (
    ModuleSpec("mymodule", "1.5.0", db_version="1.4.2", native=False, upgrades=("1.4.0", "1.4.2", "1.5.0"), display_name="My module",
               author="Web agency"),
    ModuleSpec("legacyblock", "0.9.1", active=False, native=False, upgrades=(), display_name="Legacy block", author="Web agency"),
)

# Older than anything a test writes, so PrestaShop's "refresh when parameters.php is newer" logic ignores these caches.
STALE_MTIME = 1704067200.0  # 2024-01-01T00:00:00Z

# A few values the installer would never pick, to exercise PHP quoting and Symfony's %% escaping.
AWKWARD_MAILER_USER = "o'brien@example.com"
AWKWARD_MAILER_PASSWORD = "50%%-off \\ sale"


@dataclass
class ShopTree:
    """What write_shop_tree wrote: where the version is, the admin folder, the settings and the modules.

    parameters is the array of app/config/parameters.php as stored ("%" escaped); 1.6 shops get the same values as
    define() calls in config/settings.inc.php instead.
    """

    root: Path
    version: str
    admin_dir: str
    version_file: str
    parameters: dict[str, Any]
    modules: list[ModuleSpec] = field(default_factory=list)


# --- settings -------------------------------------------------------------------------------------------------


def _escape_percent(value: str) -> str:
    return value.replace("%", "%%")


def effective_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    """Values as PrestaShop uses them: bootstrap.php turns the escaped "%%" of parameters.php back into "%"."""
    return {key: value.replace("%%", "%") if isinstance(value, str) else value for key, value in parameters.items()}


def _random_text(rng: random.Random, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _character in range(length))


def _pem(kind: str, der_size: int, rng: random.Random) -> str:
    body = base64.b64encode(rng.randbytes(der_size)).decode()
    lines = [body[start:start + 64] for start in range(0, len(body), 64)]
    return f"-----BEGIN {kind}-----\n" + "\n".join(lines) + f"\n-----END {kind}-----\n"


def shop_parameters(version: str, db: dict[str, Any] | None = None, seed: int = 0) -> dict[str, Any]:
    """The 'parameters' array of app/config/parameters.php, as stored in the file ("%" escaped as "%%").

    Keys and order follow what the 1.7/8.x installer writes; 8.1+ adds the API key pair (multi-line PEM).
    Secrets are random but deterministic for (version, seed).
    """
    settings = {**DEFAULT_DB, **(db or {})}
    rng = random.Random(f"parameters:{version}:{seed}")
    port = settings.get("port")
    parameters: dict[str, Any] = {
        "database_host": str(settings["host"]),
        "database_port": "" if port in (None, "") else str(port),
        "database_name": str(settings["name"]),
        "database_user": str(settings["user"]),
        "database_password": _escape_percent(str(settings["password"])),
        "database_prefix": str(settings["prefix"]),
        "database_engine": str(settings.get("engine") or "InnoDB"),
        "mailer_transport": "smtp",
        "mailer_host": "127.0.0.1",
        "mailer_user": AWKWARD_MAILER_USER,
        "mailer_password": AWKWARD_MAILER_PASSWORD,
        "secret": _random_text(rng, 56),
        "ps_caching": "CacheMemcache",
        "ps_cache_enable": False,
        "ps_creation_date": f"20{rng.randrange(19, 24)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "locale": "en-US",
        "use_debug_toolbar": True,
        "cookie_key": _random_text(rng, 64),
        "cookie_iv": _random_text(rng, 32),
        "new_cookie_key": "def00000" + rng.randbytes(68).hex(),
    }
    if layout_of(version) in ("8.1", "9.0"):
        parameters["api_public_key"] = _pem("PUBLIC KEY", 294, rng)
        parameters["api_private_key"] = _pem("PRIVATE KEY", 1218, rng)
    return parameters


def php_export(value: Any, indent: int = 0) -> str:
    """PHP source for a value, laid out like var_export() (which PrestaShop's installer uses for parameters.php)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return php_string(value)
    if isinstance(value, dict):
        pad = " " * indent
        lines = ["array ("]
        for key, item in value.items():
            rendered = php_export(item, indent + 2)
            if isinstance(item, dict):
                lines.append(f"{pad}  {php_export(key)} => \n{pad}  {rendered},")
            else:
                lines.append(f"{pad}  {php_export(key)} => {rendered},")
        lines.append(f"{pad})")
        return "\n".join(lines)
    raise TypeError(f"cannot export {type(value).__name__} to PHP")


def _parameters_php(parameters: dict[str, Any]) -> bytes:
    return f"<?php return {php_export({'parameters': parameters})};\n".encode()


def _settings_inc_php(version: str, parameters: dict[str, Any]) -> bytes:
    """config/settings.inc.php of a 1.6 shop: the database settings and _PS_VERSION_ as define() calls."""
    values = effective_parameters(parameters)
    port = values["database_port"]
    defines = [
        ("_DB_SERVER_", values["database_host"] + (f":{port}" if port else "")),
        ("_DB_NAME_", values["database_name"]),
        ("_DB_USER_", values["database_user"]),
        ("_DB_PASSWD_", values["database_password"]),
        ("_DB_PREFIX_", values["database_prefix"]),
        ("_MYSQL_ENGINE_", values["database_engine"]),
        ("_PS_CACHING_SYSTEM_", values["ps_caching"]),
        ("_PS_CACHE_ENABLED_", "0"),
        ("_COOKIE_KEY_", values["cookie_key"]),
        ("_COOKIE_IV_", values["cookie_iv"]),
        ("_PS_CREATION_DATE_", values["ps_creation_date"]),
    ]
    lines = ["<?php"] + [f"define({php_string(name)}, {php_string(value)});" for name, value in defines]
    lines += ["if (!defined('_PS_VERSION_'))", f"\tdefine('_PS_VERSION_', {php_string(version)});"]
    return ("\n".join(lines) + "\n").encode()


# --- the shop's own files -------------------------------------------------------------------------------------


def _product_image_dir(id_image: int) -> str:
    # PrestaShop splits image ids into one folder per digit: image 12 lives in img/p/1/2/.
    return "img/p/" + "/".join(str(id_image)) + "/"


def _user_images(rng: random.Random) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for id_image in range(1, 5 + rng.randrange(3)):
        folder = _product_image_dir(id_image)
        files[f"{folder}{id_image}.jpg"] = jpeg_bytes(rng, 900)
        for size in ("home_default", "small_default"):
            files[f"{folder}{id_image}-{size}.jpg"] = jpeg_bytes(rng, 300)
        files[f"{folder}index.php"] = PHP_HEADER.encode()
        if id_image <= 4:
            files[f"img/tmp/product_mini_{id_image}_1.jpg"] = jpeg_bytes(rng, 120)
    for id_category in range(3, 6):
        files[f"img/c/{id_category}.jpg"] = jpeg_bytes(rng, 700)
        files[f"img/c/{id_category}-category_default.jpg"] = jpeg_bytes(rng, 250)
    for banner in range(1, 4):
        files[f"img/cms/banner-{banner}.png"] = png_bytes(rng, 12, 6)
    files["img/l/1.jpg"] = jpeg_bytes(rng, 150)
    files[f"img/my-shop-logo-{1700000000 + rng.randrange(10 ** 7)}.jpg"] = jpeg_bytes(rng, 500)
    return files


def _runtime_files(layout: str, parameters: dict[str, Any], rng: random.Random) -> tuple[dict[str, bytes], dict[str, float]]:
    """Caches and logs a running shop accumulates, plus the mtimes that make the caches stale."""
    if layout == "1.6":
        files = {
            "cache/class_index.php": (PHP_HEADER + "return [];\n").encode(),
            "cache/smarty/compile/index.php": PHP_HEADER.encode(),
            f"cache/smarty/compile/{rng.randbytes(20).hex()}.file.header.tpl.php": (PHP_HEADER + "// compiled template\n").encode(),
            "log/20240501_exception.log": b"*ERROR* 2024/05/01 - 10:00:00: synthetic log line\n",
        }
        return files, {"cache/class_index.php": STALE_MTIME}
    compiled = rng.randbytes(20).hex()
    files = {
        # Holds the same values as parameters.php but is older: PrestaShop refreshes it on the next request.
        "var/cache/prod/appParameters.php": f"<?php return {php_export({'parameters': parameters})};\n".encode(),
        "var/cache/prod/class_index.php": (PHP_HEADER + "return [];\n").encode(),
        "var/cache/prod/appAppKernelProdContainer.php": (PHP_HEADER + "// A stale compiled container.\nreturn 'stale';\n").encode(),
        f"var/cache/prod/smarty/compile/classiclayouts_layout_full_width_tpl/{compiled[:2]}/{compiled[2:4]}/{compiled}"
        ".file.layout-full-width.tpl.php": (PHP_HEADER + "// compiled template\n").encode(),
        "var/cache/prod/translations/catalogue.en-US.php": (PHP_HEADER + "return [];\n").encode(),
        "var/logs/prod-2024-05-01.log": b"[2024-05-01T10:00:00+00:00] app.INFO: synthetic log line [] []\n",
        "var/logs/prod-2024-05-02.log": b"[2024-05-02T09:30:00+00:00] php.WARNING: synthetic warning [] []\n",
    }
    return files, {path: STALE_MTIME for path in files if path.startswith("var/cache/")}


def _generated_files(layout: str, rng: random.Random) -> dict[str, bytes]:
    """Files the installer and the back office generate: .htaccess, robots.txt, mails and translations of the shop's language."""
    files = {
        ".htaccess": b"# ~~start~~ Generated by the shop; rules outside the start/end markers are kept when it regenerates\n"
                     b"<IfModule mod_rewrite.c>\nRewriteEngine on\nRewriteRule ^([0-9]+)-([a-z0-9-]+)\\.html$ index.php?id_product=$1 [QSA,L]\n"
                     b"</IfModule>\n# ~~end~~ Generated by the shop\n",
        "robots.txt": b"User-agent: *\nDisallow: /*?order=\nDisallow: /*?tag=\n",
        "override/classes/Cart.php": (PHP_HEADER + "\nclass Cart extends CartCore\n{\n    // A shop customisation the upgrade must keep.\n}\n").encode(),
    }
    if layout == "1.6":
        files["themes/default-bootstrap/lang/en.php"] = (PHP_HEADER + "global $_LANG;\n$_LANG = [];\n").encode()
        return files
    for template in MAIL_TEMPLATES[:4]:
        files[f"mails/en/{template}.html"] = f"<html><body>{template}: {{shop_name}}</body></html>\n".encode()
        files[f"mails/en/{template}.txt"] = f"{template}: {{shop_name}}\n".encode()
    for domain in ("AdminActions", "ShopThemeCatalog", "ModulesLinklistShop"):
        files[f"translations/en-US/{domain}.en-US.xlf"] = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<xliff version="1.2"><file original="{domain}" source-language="en-US" '
            f'target-language="en-US"><body><trans-unit id="{rng.randbytes(4).hex()}"><source>Save</source><target>Save</target>'
            "</trans-unit></body></file></xliff>\n").encode()
    return files


# --- the tree -------------------------------------------------------------------------------------------------


def shop_modules(version: str, extra_modules: Iterable[ModuleSpec] = ()) -> list[ModuleSpec]:
    """The modules of a shop: the release's, then the custom ones, then extra_modules (same name: the later wins)."""
    modules: dict[str, ModuleSpec] = {}
    for module in [*native_modules(version), *CUSTOM_MODULES, *extra_modules]:
        modules[module.name] = module
    return list(modules.values())


def find_admin_dirs(root: Path) -> list[str]:
    """Folders of root that look like PrestaShop's admin folder: get-file-admin.php, functions.php and themes/new-theme/."""
    return sorted(entry.name for entry in root.iterdir()
                  if entry.is_dir() and (entry / "get-file-admin.php").is_file() and (entry / "functions.php").is_file()
                  and (entry / "themes" / "new-theme").is_dir())


def _plan(version: str, admin_dir: str, db: dict[str, Any] | None, install_dir: bool, extra_modules: Iterable[ModuleSpec],
          seed: int) -> tuple[dict[str, bytes], dict[str, float], dict[str, Any], list[ModuleSpec]]:
    """Files, stale mtimes, settings and modules of a shop, before anything is written."""
    if not admin_dir or "/" in admin_dir or admin_dir in (".", ".."):
        raise ValueError(f"not a folder name: {admin_dir!r}")
    layout = layout_of(version)
    rng = random.Random(f"shop:{version}:{seed}")
    modules = shop_modules(version, extra_modules)
    parameters = shop_parameters(version, db, seed)

    files: dict[str, bytes] = {}
    for relative, content in release_files(version).items():
        if relative.startswith("install/") and not install_dir:
            continue
        if relative.startswith("admin/"):
            relative = admin_dir + relative[len("admin"):]
        files[relative] = content
    for module in modules:
        files.update(module_files(module))
    files.update(_user_images(rng))
    files.update(_generated_files(layout, rng))
    runtime, mtimes = _runtime_files(layout, parameters, rng)
    files.update(runtime)
    if layout == "1.6":
        files["config/settings.inc.php"] = _settings_inc_php(version, parameters)
    else:
        files["app/config/parameters.php"] = _parameters_php(parameters)
    return files, mtimes, parameters, modules


def shop_files(version: str, *, admin_dir: str = "admin", db: dict[str, Any] | None = None, install_dir: bool = False,
               extra_modules: Iterable[ModuleSpec] = (), seed: int = 0) -> dict[str, bytes]:
    """Every file write_shop_tree would write with the same arguments (relative path -> content), without touching the disk."""
    return _plan(version, admin_dir, db, install_dir, extra_modules, seed)[0]


def write_shop_tree(root: Path, version: str, *, admin_dir: str = "admin", db: dict[str, Any] | None = None, install_dir: bool = False,
                    extra_modules: Iterable[ModuleSpec] = (), seed: int = 0) -> ShopTree:
    """Writes the tree of an installed shop of `version` into root (~300-400 files).

    db: host, port, name, user, password, prefix (and engine) for the settings file; defaults to DEFAULT_DB.
    install_dir keeps install/ (with install_version.php) as a shop whose installer was never removed.
    Files are deterministic for (version, seed, db, admin_dir, extra_modules).
    """
    files, mtimes, parameters, modules = _plan(version, admin_dir, db, install_dir, extra_modules, seed)
    root.mkdir(parents=True, exist_ok=True)
    write_files(root, files, mtimes)
    return ShopTree(root=root, version=version, admin_dir=admin_dir, version_file=version_file(version), parameters=parameters, modules=modules)
