"""The harness's private MariaDB server and synthetic shop database behave the way the other tests rely on."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from harness.mariadb import MariaDB
from harness.shopdb import (SPECIAL_BLOB, TABLE_NAMES, TRICKY_TEXTS, VIEW_NAME, ShopDbFacts, configuration_value, create_shop_schema,
                            populate_shop_database, table_checksums)

TESTS_DIR = Path(__file__).resolve().parents[1]
SHOP_DB = "hdb_shops"
SINGLE_SHOP = ShopDbFacts(ps_version_db="8.1.7", install_version="8.1.3", seed=11)
MULTISTORE = ShopDbFacts(ps_version_db="8.1.5", install_version="1.7.8.11", shop_names=["Main shop", "Boutique « Été »", "東京店"],
                         shops_in_maintenance=[2], maintenance_ips="127.0.0.1,192.0.2.10", domain="shop.example", base_uri="/store/",
                         seed=12)


def alive(pid: int) -> bool:
    """A zombie is dead enough: it holds no port, socket or file any more."""
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def rows(connection: pymysql.connections.Connection, sql: str, *args: object) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, args or None)
        return list(cursor.fetchall())


def shop_user_connection(server: MariaDB, database: str) -> pymysql.connections.Connection:
    """A new database with its own user, connected as that user over TCP, as a shop's installer would be."""
    password = f"pw-{database}"
    server.create_database(database, database, password)
    return pymysql.connect(host=server.host, port=server.port, user=database, password=password, database=database, charset="utf8mb4",
                           autocommit=True)


def build_shop(server: MariaDB, database: str, prefix: str, facts: ShopDbFacts) -> pymysql.connections.Connection:
    connection = shop_user_connection(server, database)
    create_shop_schema(connection, prefix)
    populate_shop_database(connection, prefix, facts)
    return connection


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    with MariaDB(tmp_path_factory.mktemp("mariadb")) as running:
        yield running


@pytest.fixture(scope="module")
def shop_db(server: MariaDB) -> Iterator[tuple[pymysql.connections.Connection, float]]:
    """One database holding two shops' tables, ps_ (single shop) and shop2_ (multistore), and the seconds ps_'s data took."""
    connection = shop_user_connection(server, SHOP_DB)
    create_shop_schema(connection, "ps_")
    started = time.monotonic()
    populate_shop_database(connection, "ps_", SINGLE_SHOP)
    elapsed = time.monotonic() - started
    create_shop_schema(connection, "shop2_")
    populate_shop_database(connection, "shop2_", MULTISTORE)
    yield connection, elapsed
    connection.close()


@pytest.fixture()
def shops(shop_db: tuple[pymysql.connections.Connection, float]) -> pymysql.connections.Connection:
    return shop_db[0]


def test_server_listens_only_on_its_own_socket_and_loopback_port(server: MariaDB) -> None:
    with server.admin_connect() as connection:
        [(bind_address, port, socket, datadir)] = rows(connection, "SELECT @@bind_address, @@port, @@socket, @@datadir")
    assert (bind_address, port, socket) == ("127.0.0.1", server.port, str(server.socket))
    assert Path(datadir).resolve() == server.datadir
    assert "MariaDB" in server.version


def test_root_logs_in_over_tcp_with_a_password_that_never_reaches_a_command_line(server: MariaDB) -> None:
    with pymysql.connect(host=server.host, port=server.port, user="root", password=server.root_password) as connection:
        assert rows(connection, "SELECT CURRENT_USER()") == [("root@127.0.0.1",)]
    assert server.pid is not None
    assert server.root_password.encode() not in Path(f"/proc/{server.pid}/cmdline").read_bytes()
    for private in (server.state_file, server.defaults_file):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert json.loads(server.state_file.read_text(encoding="utf-8"))["root_password"] == server.root_password


def test_starting_a_running_server_again_changes_nothing(server: MariaDB) -> None:
    pid, port = server.pid, server.port
    server.start()
    assert (server.pid, server.port) == (pid, port)


def test_a_shop_user_reaches_its_database_over_tcp_and_socket_and_nothing_else(server: MariaDB) -> None:
    password = "it's a \\ pass%word"
    server.create_database("hdb_app", "hdb_app", password)
    server.create_database("hdbXapp", "hdb_other", "other")
    try:
        for route in ({"host": server.host, "port": server.port}, {"unix_socket": str(server.socket)}):
            with pymysql.connect(user="hdb_app", password=password, database="hdb_app", **route) as connection:
                assert rows(connection, "SELECT DATABASE()") == [("hdb_app",)]
            with pytest.raises(pymysql.err.OperationalError) as refused:
                pymysql.connect(user="hdb_app", password=password, database="hdbXapp", **route)
            assert refused.value.args[0] == 1044
    finally:
        server.drop_database("hdbXapp")
        server.drop_user("hdb_other")
    server.drop_database("hdb_app")
    server.drop_user("hdb_app")
    with pytest.raises(pymysql.err.OperationalError) as gone:
        pymysql.connect(host=server.host, port=server.port, user="hdb_app", password=password)
    assert gone.value.args[0] == 1045


@pytest.mark.parametrize("prefix", ["ps_", "shop2_"])
def test_schema_and_data_build_for_any_prefix(shops: pymysql.connections.Connection, prefix: str) -> None:
    listed = dict(rows(shops, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
                              "AND TABLE_NAME LIKE %s", SHOP_DB, prefix.replace("_", "\\_") + "%"))
    assert listed == {**{prefix + name: "BASE TABLE" for name in TABLE_NAMES}, prefix + VIEW_NAME: "VIEW"}
    total = sum(rows(shops, f"SELECT COUNT(*) FROM `{prefix}{name}`")[0][0] for name in TABLE_NAMES)
    assert 2000 <= total <= 20000
    assert rows(shops, f"SHOW TRIGGERS LIKE '{prefix}orders'")


def test_scale_one_data_loads_well_under_two_seconds(shop_db: tuple[pymysql.connections.Connection, float]) -> None:
    # Typically 0.2 s; inserting row by row instead of in batches would take several seconds.
    assert shop_db[1] < 1.5


def test_ps_version_db_and_install_version_are_global_rows(shops: pymysql.connections.Connection) -> None:
    for prefix, facts in (("ps_", SINGLE_SHOP), ("shop2_", MULTISTORE)):
        found = rows(shops, f"SELECT name, value FROM `{prefix}configuration` WHERE name IN ('PS_VERSION_DB', 'PS_INSTALL_VERSION') "
                            "AND id_shop IS NULL AND id_shop_group IS NULL ORDER BY name")
        assert found == [("PS_INSTALL_VERSION", facts.install_version), ("PS_VERSION_DB", facts.ps_version_db)]


def test_a_single_shop_keeps_maintenance_in_the_global_row(server: MariaDB) -> None:
    facts = ShopDbFacts(ps_version_db="8.1.7", install_version="8.1.7", shops_in_maintenance=[1], maintenance_ips="10.0.0.1")
    with build_shop(server, "hdb_solo", "ps_", facts) as connection:
        assert rows(connection, "SELECT id_shop_group, id_shop, value FROM ps_configuration WHERE name = 'PS_SHOP_ENABLE'") == [(None, None, "0")]
        assert configuration_value(connection, "ps_", "PS_MAINTENANCE_IP", 1) == "10.0.0.1"
        assert configuration_value(connection, "ps_", "PS_MULTISHOP_FEATURE_ACTIVE") == "0"
    server.drop_database("hdb_solo")
    server.drop_user("hdb_solo")


def test_multistore_maintenance_follows_prestashop_precedence(shops: pymysql.connections.Connection) -> None:
    assert rows(shops, "SELECT id_shop_group, id_shop, value FROM shop2_configuration WHERE name = 'PS_SHOP_ENABLE' ORDER BY id_configuration") == [
        (None, None, "1"), (1, None, "1"), (1, 2, "0")]
    assert [configuration_value(shops, "shop2_", "PS_SHOP_ENABLE", shop) for shop in (1, 2, 3)] == ["1", "0", "1"]
    assert configuration_value(shops, "shop2_", "PS_SHOP_NAME", 3) == "東京店"
    assert configuration_value(shops, "shop2_", "PS_MAINTENANCE_IP", 2) == "127.0.0.1,192.0.2.10"
    assert configuration_value(shops, "shop2_", "PS_MULTISHOP_FEATURE_ACTIVE") == "1"
    assert rows(shops, "SELECT id_shop, domain, domain_ssl, physical_uri, virtual_uri, main FROM shop2_shop_url ORDER BY id_shop") == [
        (1, "shop.example", "shop.example", "/store/", "", 1),
        (2, "shop.example", "shop.example", "/store/", "boutique-ete/", 1),
        (3, "shop.example", "shop.example", "/store/", "shop3/", 1)]


def test_shop_rows_count_only_while_the_multistore_feature_is_on(shops: pymysql.connections.Connection) -> None:
    shops.begin()
    try:
        rows(shops, "UPDATE shop2_configuration SET value = '0' WHERE name = 'PS_MULTISHOP_FEATURE_ACTIVE'")
        assert configuration_value(shops, "shop2_", "PS_SHOP_ENABLE", 2) == "1"
    finally:
        shops.rollback()
    assert configuration_value(shops, "shop2_", "PS_SHOP_ENABLE", 2) == "0"


def test_binary_text_null_and_zero_date_values_come_back_intact(shops: pymysql.connections.Connection) -> None:
    blobs = rows(shops, "SELECT id_mymodule_blob, payload, payload_sha1 FROM ps_mymodule_blob ORDER BY id_mymodule_blob")
    assert blobs[0][1] == SPECIAL_BLOB
    assert all(hashlib.sha1(payload).hexdigest() == digest for _id, payload, digest in blobs)
    assert all(b"\x00" in payload and b"'" in payload and b"\\" in payload for _id, payload, _digest in blobs[2:])
    notes = rows(shops, "SELECT note FROM ps_customer WHERE id_customer <= %s ORDER BY id_customer", len(TRICKY_TEXTS))
    assert [note for (note,) in notes] == list(TRICKY_TEXTS)
    [(nulls, empties)] = rows(shops, "SELECT SUM(company IS NULL), SUM(company = '') FROM ps_address")
    assert nulls > 0 and empties > 0
    assert rows(shops, "SELECT value FROM ps_configuration WHERE name IN ('PS_SHOP_DETAILS', 'PS_SHOP_PHONE') ORDER BY name") == [("",), (None,)]
    [(zero_dates,)] = rows(shops, "SELECT COUNT(*) FROM ps_mymodule_blob WHERE CAST(checked_at AS CHAR) = '0000-00-00 00:00:00'")
    assert zero_dates > 0
    assert rows(shops, "SELECT COUNT(*) FROM ps_orders WHERE CAST(invoice_date AS CHAR) = '0000-00-00 00:00:00'")[0][0] > 0


def test_the_trigger_logged_every_order_and_the_view_sums_them(shops: pymysql.connections.Connection) -> None:
    [(orders, logged)] = rows(shops, "SELECT (SELECT COUNT(*) FROM ps_orders), (SELECT COUNT(*) FROM ps_mymodule_order_log)")
    assert orders == logged > 0
    [(customers,)] = rows(shops, "SELECT COUNT(DISTINCT id_customer) FROM ps_orders WHERE valid = 1")
    assert rows(shops, f"SELECT COUNT(*) FROM ps_{VIEW_NAME}") == [(customers,)]


def test_table_checksums_are_stable_and_follow_the_data(shops: pymysql.connections.Connection) -> None:
    before = table_checksums(shops, "ps_")
    assert before == table_checksums(shops, "ps_")
    assert set(before) == {f"ps_{name}" for name in TABLE_NAMES} | {f"ps_{VIEW_NAME}"}
    assert before[f"ps_{VIEW_NAME}"] is None
    assert all(isinstance(before[f"ps_{name}"], int) for name in TABLE_NAMES)
    shops.begin()
    try:
        rows(shops, "UPDATE ps_customer SET note = 'changed' WHERE id_customer = 1")
        assert table_checksums(shops, "ps_")["ps_customer"] != before["ps_customer"]
    finally:
        shops.rollback()
    assert table_checksums(shops, "ps_") == before


def test_the_same_seed_builds_the_same_tables(server: MariaDB, shops: pymysql.connections.Connection) -> None:
    with build_shop(server, "hdb_twin", "ps_", SINGLE_SHOP) as twin:
        assert table_checksums(twin, "ps_") == table_checksums(shops, "ps_")
        create_shop_schema(twin, "ps_")
        populate_shop_database(twin, "ps_", ShopDbFacts(ps_version_db="8.1.7", install_version="8.1.3", seed=99))
        assert table_checksums(twin, "ps_")["ps_customer"] != table_checksums(shops, "ps_")["ps_customer"]
    server.drop_database("hdb_twin")
    server.drop_user("hdb_twin")


def test_two_servers_run_at_once_and_stop_leaves_no_process(server: MariaDB, tmp_path_factory: pytest.TempPathFactory) -> None:
    second = MariaDB(tmp_path_factory.mktemp("mariadb2"))
    second.start()
    pid = second.pid
    assert pid is not None and pid != server.pid
    assert (second.port, second.socket) != (server.port, server.socket)
    for running in (server, second):
        with running.admin_connect() as connection:
            assert rows(connection, "SELECT 1") == [(1,)]
    second.stop()
    assert not alive(pid)
    assert not second.socket.exists()
    second.stop()
    with server.admin_connect() as connection:
        assert rows(connection, "SELECT 1") == [(1,)]


def test_the_command_line_keeps_a_server_running_between_commands(tmp_path_factory: pytest.TempPathFactory) -> None:
    workdir = tmp_path_factory.mktemp("cli")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), os.environ.get("PYTHONPATH", "")])}

    def command(action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "harness.mariadb", action, str(workdir)], capture_output=True, text=True,
                              env=environment, timeout=60, check=False)

    started = command("start")
    assert started.returncode == 0, started.stderr
    state = json.loads((workdir / "server.json").read_text(encoding="utf-8"))
    assert stat.S_IMODE((workdir / "server.json").stat().st_mode) == 0o600
    assert state["root_password"] not in started.stdout + started.stderr
    assert json.loads(started.stdout)["port"] == state["port"]
    try:
        with pymysql.connect(host=state["host"], port=state["port"], user="root", password=state["root_password"]) as connection:
            assert rows(connection, "SELECT 1") == [(1,)]
        if shutil.which("mariadb"):
            client = subprocess.run(["mariadb", f"--defaults-extra-file={state['defaults_file']}", "-N", "-e", "SELECT CURRENT_USER()"],
                                    capture_output=True, text=True, timeout=30, check=False)
            assert client.stdout.strip() == "root@localhost", client.stderr
        assert command("status").returncode == 0
    finally:
        stopped = command("stop")
    assert stopped.returncode == 0, stopped.stderr
    assert command("status").returncode == 3
    assert not alive(state["pid"])
