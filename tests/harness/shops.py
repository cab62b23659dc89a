"""Complete synthetic shops: the file tree of harness.shoptree plus a database of harness.shopdb on a harness MariaDB."""
from __future__ import annotations

import hashlib
import os
import random
import re
import secrets
import shutil
import string
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import pymysql

from harness.mariadb import HarnessError, MariaDB
from harness.release import ModuleSpec
from harness.shopdb import ShopDbFacts, configuration_value, create_shop_schema, populate_shop_database
from harness.shoptree import write_shop_tree


@dataclass
class Shop:
    """A synthetic shop: files under root, tables in db['name'] reachable as db['user'] over TCP or the socket."""

    root: Path
    version: str
    admin_dir: str
    prefix: str
    db: dict[str, Any]  # host, port, socket, name, user, password, prefix
    name: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    modules: list[ModuleSpec] = field(default_factory=list)

    def connect(self) -> pymysql.connections.Connection:
        """A connection as the shop's database user over TCP, utf8mb4, autocommit."""
        return pymysql.connect(host=self.db["host"], port=int(self.db["port"]), user=self.db["user"], password=self.db["password"],
                               database=self.db["name"], charset="utf8mb4", autocommit=True)

    def config_value(self, name: str, id_shop: int | None = None) -> str | None:
        """A configuration value as PrestaShop resolves it (global row; with id_shop, shop > group > global in multistore)."""
        with self.connect() as connection:
            return configuration_value(connection, self.prefix, name, id_shop)

    def fail_migration_at(self, migration: str | None) -> None:
        """The harness migrations' failure switch (SHOPFLEET_FAIL_AT): the callback of `migration` fails; None clears it."""
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.prefix}configuration WHERE name = 'SHOPFLEET_FAIL_AT'")
            if migration:
                cursor.execute(f"INSERT INTO {self.prefix}configuration (name, value, date_add, date_upd) "
                               "VALUES ('SHOPFLEET_FAIL_AT', %s, NOW(), NOW())", (migration,))

    def file_checksums(self) -> dict[str, str]:
        """Relative path -> sha256 of every file under root (symlinks: of their target path), for "nothing changed" asserts."""
        checksums: dict[str, str] = {}
        for current, directories, names in os.walk(self.root):
            directories.sort()
            for name in names:
                path = Path(current, name)
                relative = path.relative_to(self.root).as_posix()
                if path.is_symlink():
                    checksums[relative] = hashlib.sha256(b"symlink:" + os.readlink(path).encode()).hexdigest()
                else:
                    checksums[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
        return dict(sorted(checksums.items()))

    def run_php(self, code: str, timeout: float = 60.0) -> str:
        """Runs PHP code in the shop root after requiring config/config.inc.php; returns stdout, HarnessError on failure.

        The code goes on php's command line: never put secrets in it.
        """
        php = shutil.which("php")
        if php is None:
            raise HarnessError("php is not installed (Debian package php-cli)")
        completed = subprocess.run([php, "-r", 'require "config/config.inc.php";\n' + code], cwd=self.root, capture_output=True,
                                   text=True, timeout=timeout, check=False)
        if completed.returncode != 0:
            raise HarnessError(f"php exited with {completed.returncode}: {(completed.stderr or completed.stdout).strip()[-2000:]}")
        return completed.stdout


def database_identifier(name: str) -> str:
    """A database and user name derived from a shop name: lowercase letters, digits and underscores, at most 32 characters."""
    identifier = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    return (identifier or "shop")[:32]


def random_admin_dir(seed: int = 0, name: str = "") -> str:
    """An admin folder name shaped like the ones PrestaShop picks when it renames admin/ (admin + 3 digits + 16 letters)."""
    rng = random.Random(f"admin:{name}:{seed}")
    return f"admin{rng.randrange(1000):03d}" + "".join(rng.choice(string.ascii_lowercase) for _letter in range(16))


def build_shop(root: Path, server: MariaDB, version: str, *, name: str | None = None, admin_dir: str | None = None, prefix: str = "ps_",
               ps_version_db: str | None = None, shop_names: list[str] | None = None, shops_in_maintenance: list[int] | None = None,
               install_dir: bool = False, scale: int = 1, seed: int = 0, extra_modules: Iterable[ModuleSpec] = ()) -> Shop:
    """Creates a shop of `version`: its database and user on server (dropped first if they exist) and its files under root.

    The database and user are named after `name` (default: root's folder name); the password is random.
    PS_VERSION_DB is `ps_version_db` (default: version), so a shop whose files and database disagree is one argument away.
    """
    name = name or root.name
    identifier = database_identifier(name)
    db = {"host": server.host, "port": server.port, "socket": str(server.socket), "name": identifier, "user": identifier,
          "password": secrets.token_urlsafe(18), "prefix": prefix}
    admin_dir = admin_dir or random_admin_dir(seed, name)

    server.create_database(identifier, identifier, db["password"])
    tree = write_shop_tree(root, version, admin_dir=admin_dir, db=db, install_dir=install_dir, extra_modules=extra_modules, seed=seed)
    facts = ShopDbFacts(ps_version_db=ps_version_db or version, install_version=version, shop_names=list(shop_names or ["Main shop"]),
                        shops_in_maintenance=list(shops_in_maintenance or []), modules=[module.db_row() for module in tree.modules],
                        scale=scale, seed=seed)
    with server.admin_connect(database=identifier) as connection:
        create_shop_schema(connection, prefix)
        populate_shop_database(connection, prefix, facts)
    return Shop(root=root, version=version, admin_dir=admin_dir, prefix=prefix, db=db, name=name, parameters=tree.parameters,
                modules=tree.modules)
