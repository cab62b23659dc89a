# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options of the modules that work on a shop's database. PRIVATE to the collection: not part of its public API.
    DOCUMENTATION = r"""
options:
  db_host:
    description:
      - Database server, overriding C(database_host) of C(app/config/parameters.php) (C(_DB_SERVER_) on 1.6).
      - Accepts PrestaShop's forms V(host), V(host:port) and V(host:/path/to/socket).
      - A port-less V(localhost) uses the system's server socket when one exists, as PHP does.
    type: str
  db_port:
    description:
      - Database server TCP port, overriding C(database_port).
    type: int
  db_socket:
    description:
      - Unix socket of the database server. When set, it is used instead of TCP.
    type: path
  db_name:
    description:
      - Database name, overriding C(database_name).
    type: str
  db_user:
    description:
      - Database user, overriding C(database_user).
    type: str
  db_password:
    description:
      - Database password, overriding C(database_password). It never appears in results, logs or command lines.
    type: str
  db_prefix:
    description:
      - Table prefix, overriding C(database_prefix) (C(_DB_PREFIX_) on 1.6).
    type: str
  db_connect_timeout:
    description:
      - Seconds to wait for the database server to accept a connection.
    type: int
    default: 10
requirements:
  - PyMySQL on the shop host (or wherever the module runs).
notes:
  - Every db_* value defaults to what the shop's own files say, so a shop normally needs only O(shop_root).
    The files are read as text; PHP is not run to read them.
"""
