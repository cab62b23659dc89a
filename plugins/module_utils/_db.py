# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connecting to a shop's MySQL/MariaDB database with PyMySQL.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import pymysql
    import pymysql.cursors
except ImportError:
    pymysql = None
    PYMYSQL_IMPORT_ERROR: str | None = traceback.format_exc()
    QUERY_ERRORS: tuple[type[Exception], ...] = ()
else:
    PYMYSQL_IMPORT_ERROR = None
    # What a failing statement raises; callers turn it into a one-line DbError.
    QUERY_ERRORS = (pymysql.err.MySQLError,)

# Where Debian, RHEL and macOS builds put the server socket. PHP's mysql drivers connect through it when a shop's
# host is "localhost", so a shop configured that way may have no TCP account at all.
DEFAULT_SOCKETS = ("/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock", "/var/lib/mysql/mysql.sock", "/tmp/mysql.sock")

# Client-side error codes that mean "nobody answered", as opposed to "the server said no".
_UNREACHABLE_CODES = (2002, 2003, 2005, 2006, 2013)


class DbError(Exception):
    """A database failure with a message fit for one line of output (never the password)."""


@dataclass
class DbParams:
    """Where and how to reach a shop's database. `password` never leaves this object in results or messages."""

    name: str
    user: str
    password: str
    host: str = "localhost"
    port: int | None = None
    socket: str | None = None
    prefix: str = "ps_"
    engine: str = "InnoDB"

    def describe(self) -> str:
        where = f"socket {self.socket}" if self.socket else f"{self.host}:{self.port or 3306}"
        return f"database {self.name!r} as {self.user!r} on {where}"

    def public(self) -> dict[str, Any]:
        """What a result may show about the connection."""
        return {"name": self.name, "user": self.user, "host": self.host, "port": self.port, "socket": self.socket, "prefix": self.prefix}


def split_host(server: str) -> tuple[str, int | None, str | None]:
    """Split PrestaShop's `_DB_SERVER_` the way its PDO layer does: `host:port`, `host:/path/to.sock` or `host`."""
    port_match = re.fullmatch(r"(.*):([0-9]+)", server)
    if port_match:
        return port_match.group(1), int(port_match.group(2)), None
    socket_match = re.fullmatch(r"(.*?):(/.*)", server)
    if socket_match:
        return socket_match.group(1) or "localhost", None, socket_match.group(2)
    return server, None, None


def default_socket(host: str, port: int | None, socket: str | None) -> str | None:
    """The socket PHP would use: the configured one, else the system's one for a port-less `localhost`."""
    if socket or host != "localhost" or port:
        return socket
    return next((path for path in DEFAULT_SOCKETS if os.path.exists(path)), None)


def require_pymysql(module: AnsibleModule) -> None:
    if pymysql is None:
        module.fail_json(msg=missing_required_lib("PyMySQL"), exception=PYMYSQL_IMPORT_ERROR)


def connect(params: DbParams, connect_timeout: int = 10, **kwargs: Any) -> Any:
    """An autocommit utf8mb4 connection, or DbError saying in one line what went wrong."""
    if pymysql is None:
        raise DbError(missing_required_lib("PyMySQL"))
    options: dict[str, Any] = {
        "user": params.user,
        "password": params.password,
        "database": params.name,
        "charset": "utf8mb4",
        "connect_timeout": connect_timeout,
        "read_timeout": kwargs.pop("read_timeout", None),
        "autocommit": True,
    }
    if params.socket:
        options["unix_socket"] = params.socket
    else:
        options["host"] = params.host
        options["port"] = params.port or 3306
    options.update(kwargs)
    try:
        return pymysql.connect(**options)
    except pymysql.err.MySQLError as exc:
        raise DbError(connection_error_message(exc, params)) from None


def connection_error_message(exc: Exception, params: DbParams) -> str:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    if code == 1045:
        return f"Access denied to {params.describe()}: wrong user or password"
    if code == 1044:
        return f"User {params.user!r} may not use database {params.name!r} ({params.describe()})"
    if code == 1049:
        return f"Unknown database {params.name!r} ({params.describe()})"
    if code in _UNREACHABLE_CODES:
        return f"Cannot reach the database server for {params.describe()}: is it running? ({_server_message(exc)})"
    return f"Cannot connect to {params.describe()}: {_server_message(exc)}"


def _server_message(exc: Exception) -> str:
    text = str(exc.args[1]) if len(exc.args) > 1 else str(exc)
    return text.splitlines()[0] if text else type(exc).__name__


def query_error_message(exc: Exception) -> str:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
    prefix = f"MySQL error {code}: " if code else ""
    return prefix + _server_message(exc)


def fetch_all(connection: Any, sql: str, args: Any = None) -> list[dict[str, Any]]:
    with connection.cursor(pymysql.cursors.DictCursor) as cursor:
        cursor.execute(sql, args)
        return list(cursor.fetchall())


def fetch_value(connection: Any, sql: str, args: Any = None) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        row = cursor.fetchone()
    return row[0] if row else None


def table_exists(connection: Any, table: str) -> bool:
    return bool(fetch_value(connection, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s", (table,)))


def quote_identifier(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"
