# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: backup_db (both engines) vs `mysqldump --single-transaction --quick | gzip -1` vs the official upgrade
module's way (LIMIT/OFFSET pages of 200 rows formatted in Python); rollback_db (jobs 1 and 2) vs `mysql < dump.sql`.

    .venv/bin/python bench/bench_db.py [--size small|full] [--runs N] [--keep]

full: ~1 GB of SQL in 304 tables (300 small lang/config-like tables and four big ones shaped like connections, guest,
search_index and log), the issue's size; small: about 2 % of it (a smoke run, under a minute). The database lives
on a private harness MariaDB under /work/bench-data/db (buffer pool 1.5 GB, redo log 512 MB), deleted at the end
unless --keep (a kept database is reused by the next run). The modules run as Ansible runs them on a host
(python module.py args.json), without ansible-playbook's start-up. Each command runs --runs times, interleaved;
the tables show median wall times, MB/s of row data (the size of mysqldump's uncompressed SQL), peak RSS (the
largest process of the tree, GNU time) and ratios against the standard tool. backup_db also computes CHECKSUM TABLE
of every table in its snapshot, syncs every part and hashes it; rollback_db also checks every part's sha256 first
and verifies rows and checksums afterwards: the standard tools do none of that. The official module's way is
time-boxed (its LIMIT/OFFSET pages get slower the further into a big table they go): its MB/s is over what it
managed in the box.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from harness.ansible import ensure_collection_link  # noqa: E402  (needs the sys.path entry above)
from harness.mariadb import MariaDB  # noqa: E402

DATA = Path("/work/bench-data/db")
DATABASE = "benchshop"
PASSWORD = "bench-Pa55word"
SIZES = {"small": 0.02, "full": 1.3}
OFFICIAL_BUDGET = {"small": 8.0, "full": 60.0}
SMALL_TABLES = 300
STATS = ("connections", "connections_page", "connections_source", "guest", "statssearch")


# --- the data -----------------------------------------------------------------------------------------------------


def generate(connection: Any, factor: float) -> None:
    """Rows made by the server itself (the sequence engine), so that a gigabyte takes a minute or two."""
    rows = {"connections": int(3_500_000 * factor), "guest": int(2_000_000 * factor), "words": max(20, int(20_000 * factor)),
            "log": int(1_400_000 * factor), "small": max(40, int(1000 * factor))}
    statements = [
        """CREATE TABLE ps_connections (id_connections int(10) unsigned NOT NULL AUTO_INCREMENT, id_shop_group int(10) unsigned NOT NULL DEFAULT 1,
  id_shop int(10) unsigned NOT NULL DEFAULT 1, id_guest int(10) unsigned NOT NULL, id_page int(10) unsigned NOT NULL, ip_address bigint(20) DEFAULT NULL,
  date_add datetime NOT NULL, http_referer varchar(255) DEFAULT NULL, PRIMARY KEY (id_connections), KEY id_guest (id_guest), KEY date_add (date_add),
  KEY id_page (id_page)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci""",
        f"""INSERT INTO ps_connections SELECT seq, 1, 1 + seq % 2, 1 + seq % 700000, 1 + seq % 5000, IF(seq % 7 = 0, NULL, 3221225985 + seq % 100000),
  '2023-01-01 00:00:00' + INTERVAL seq * 7 SECOND, ELT(1 + seq % 5, NULL, '', 'https://www.google.com/search?q=shop',
  CONCAT('https://example.org/page/', seq % 9973), 'https://duckduckgo.com/?q=caf%C3%A9') FROM seq_1_to_{rows['connections']}""",
        """CREATE TABLE ps_guest (id_guest int(10) unsigned NOT NULL AUTO_INCREMENT, id_operating_system int(10) unsigned DEFAULT NULL,
  id_web_browser int(10) unsigned DEFAULT NULL, id_customer int(10) unsigned DEFAULT NULL, javascript tinyint(1) DEFAULT 0,
  screen_resolution_x smallint(5) unsigned DEFAULT NULL, screen_resolution_y smallint(5) unsigned DEFAULT NULL, screen_color tinyint(3) unsigned DEFAULT NULL,
  sun_java tinyint(1) DEFAULT NULL, adobe_flash tinyint(1) DEFAULT NULL, adobe_director tinyint(1) DEFAULT NULL, apple_quicktime tinyint(1) DEFAULT NULL,
  real_player tinyint(1) DEFAULT NULL, windows_media tinyint(1) DEFAULT NULL, accept_language varchar(8) DEFAULT NULL,
  mobile_theme tinyint(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id_guest), KEY id_customer (id_customer)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci""",
        f"""INSERT INTO ps_guest SELECT seq, 1 + seq % 9, 1 + seq % 11, IF(seq % 5 = 0, seq DIV 5, NULL), seq % 2, 1920, 1080, 24, 0, 0, 0, 0, 0, 0,
  ELT(1 + seq % 4, 'en', 'fr', 'de-de', NULL), seq % 2 FROM seq_1_to_{rows['guest']}""",
        """CREATE TABLE ps_search_index (id_product int(10) unsigned NOT NULL, id_word int(10) unsigned NOT NULL,
  weight smallint(5) unsigned NOT NULL DEFAULT 1,
  PRIMARY KEY (id_word, id_product), KEY id_product (id_product, weight)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci""",
        f"""INSERT INTO ps_search_index SELECT p.seq, w.seq, 1 + (p.seq * w.seq) % 12 FROM seq_1_to_{rows['words']} w JOIN seq_1_to_400 p""",
        """CREATE TABLE ps_log (id_log int(10) unsigned NOT NULL AUTO_INCREMENT, severity tinyint(1) NOT NULL, error_code int(11) DEFAULT NULL,
  message text NOT NULL, object_type varchar(32) DEFAULT NULL, object_id int(10) unsigned DEFAULT NULL, id_shop int(10) unsigned DEFAULT NULL,
  id_shop_group int(10) unsigned DEFAULT NULL, id_lang int(10) unsigned DEFAULT NULL, in_all_shops tinyint(1) unsigned NOT NULL DEFAULT 0,
  id_employee int(10) unsigned DEFAULT NULL, date_add datetime NOT NULL, date_upd datetime NOT NULL, PRIMARY KEY (id_log))
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci""",
        f"""INSERT INTO ps_log SELECT seq, 1 + seq % 4, IF(seq % 3 = 0, NULL, seq % 500),
  CONCAT(ELT(1 + seq % 4, 'Back office connection from ', 'Module mymodule: cannot write C:\\\\shop\\\\var\\\\logs ', 'Order ''#',
  'Frontcontroller: \U0001F6D2 cart '), seq, ' — détails: ', MD5(seq)), ELT(1 + seq % 5, NULL, '', 'Cart', 'Order', 'Customer'),
  IF(seq % 5 < 2, NULL, seq % 3000), 1, 1, 1, 0, IF(seq % 2, 1, NULL), '2023-01-01 00:00:00' + INTERVAL seq * 13 SECOND,
  '2023-01-01 00:00:00' + INTERVAL seq * 13 SECOND FROM seq_1_to_{rows['log']}""",
    ]
    for index in range(SMALL_TABLES):
        statements.append(f"""CREATE TABLE ps_small_{index:03d} (id_{index} int(10) unsigned NOT NULL AUTO_INCREMENT, id_lang int(10) unsigned NOT NULL,
  name varchar(128) NOT NULL, value text DEFAULT NULL, active tinyint(1) NOT NULL DEFAULT 1, date_add datetime NOT NULL, PRIMARY KEY (id_{index}),
  KEY id_lang (id_lang)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci""")
        statements.append(f"""INSERT INTO ps_small_{index:03d} SELECT seq, 1 + seq % 3, CONCAT('Nom n°', seq, ' «', {index}, '»'),
  IF(seq % 4 = 0, NULL, REPEAT(CONCAT('Valeur ', seq, ' it''s "quoted"; '), 1 + seq % 5)), seq % 2, '2023-01-01 00:00:00' + INTERVAL seq HOUR
  FROM seq_1_to_{rows['small']}""")
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'")
        for statement in statements:
            cursor.execute(statement)


def prepare(size: str) -> tuple[MariaDB, Path]:
    """The server (started, tuned), the database (generated unless a kept one of this size is there) and a shop tree."""
    server = MariaDB(DATA / "mariadb")
    server.start()
    with server.admin_connect() as connection, connection.cursor() as cursor:
        cursor.execute("SET GLOBAL innodb_buffer_pool_size = 1536 * 1024 * 1024")
        cursor.execute("SET GLOBAL innodb_log_file_size = 512 * 1024 * 1024")
    marker = DATA / "generated.json"
    if not marker.exists() or json.loads(marker.read_text()).get("size") != size:
        print(f"generating the {size} database...", flush=True)
        started = time.perf_counter()
        server.create_database(DATABASE, DATABASE, PASSWORD)
        with server.admin_connect(database=DATABASE) as connection:
            generate(connection, SIZES[size])
        marker.write_text(json.dumps({"size": size}))
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    shop = DATA / "shop"
    (shop / "src/Core").mkdir(parents=True, exist_ok=True)
    (shop / "src/Core/Version.php").write_text("<?php\nfinal class Version\n{\n    public const VERSION = '8.1.5';\n")
    (shop / "app/config").mkdir(parents=True, exist_ok=True)
    (shop / "app/config/parameters.php").write_text(
        f"<?php return ['parameters' => ['database_host' => '127.0.0.1', 'database_port' => '{server.port}', 'database_name' => '{DATABASE}', "
        f"'database_user' => '{DATABASE}', 'database_password' => '{PASSWORD}', 'database_prefix' => 'ps_']];\n")
    defaults = DATA / "client.cnf"
    defaults.write_text(f"[client]\nuser={DATABASE}\npassword=\"{PASSWORD}\"\nhost=127.0.0.1\nport={server.port}\nprotocol=TCP\n")
    defaults.chmod(0o600)
    return server, shop


# --- the commands ---------------------------------------------------------------------------------------------------


def timed(argv: list[str], shell: bool = False, stdin: Path | None = None) -> tuple[float, int, str]:
    """Wall seconds, peak RSS (kB, the largest process of the tree, GNU time) and stdout."""
    with tempfile.NamedTemporaryFile() as rss_file:
        command = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + (["bash", "-o", "pipefail", "-c", argv[0]] if shell else argv)
        start = time.perf_counter()
        with open(stdin, "rb") if stdin else open(os.devnull, "rb") as source:
            completed = subprocess.run(command, stdin=source, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        if completed.returncode != 0:
            raise SystemExit(f"{argv[:3]} failed: {(completed.stderr or completed.stdout).strip()[-2000:]}")
        rss = int(Path(rss_file.name).read_text().strip().splitlines()[-1])
    return wall, rss, completed.stdout


def module(name: str, arguments: dict[str, Any]) -> list[str]:
    args_file = DATA / f"{name}-args.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": arguments}))
    args_file.chmod(0o600)
    return [sys.executable, "-m", f"ansible_collections.shopfleet.prestashop.plugins.modules.{name}", str(args_file)]


def module_result(stdout: str) -> dict[str, Any]:
    result = json.loads(stdout)
    if result.get("failed"):
        raise SystemExit(f"module failed: {result.get('msg')}")
    return result


def official_dump(port: int, folder: Path, budget: float) -> dict[str, Any]:
    """The official module's way, in Python: SHOW TABLES, then per table SELECT * LIMIT offset, 200 pages, every value
    formatted client-side, into gzip parts; stops after `budget` seconds."""
    import pymysql

    connection = pymysql.connect(host="127.0.0.1", port=port, user=DATABASE, password=PASSWORD, database=DATABASE, charset="utf8mb4")
    started = time.perf_counter()
    written = rows = 0
    folder.mkdir(parents=True, exist_ok=True)
    with connection.cursor() as cursor, gzip.open(folder / "auto-backupdb_000001.sql.gz", "wb") as out:
        cursor.execute("SHOW TABLES LIKE 'ps\\_%'")
        tables = [row[0] for row in cursor.fetchall() if row[0][3:] not in STATS]
        done = 0
        for table in tables:
            cursor.execute(f"SHOW CREATE TABLE `{table}`")
            text = f"DROP TABLE IF EXISTS `{table}`;\n{cursor.fetchone()[1]};\n".encode()
            offset = 0
            while time.perf_counter() - started < budget:
                cursor.execute(f"SELECT * FROM `{table}` LIMIT {offset}, 200")
                page = cursor.fetchall()
                if not page:
                    break
                values = ",".join("(" + ",".join(connection.escape(value) for value in row) + ")" for row in page)
                text += f"INSERT INTO `{table}` VALUES {values};\n".encode("utf-8", "surrogateescape")
                out.write(text)
                written += len(text)
                rows += len(page)
                text = b""
                offset += 200
            else:
                break
            done += 1
    return {"bytes": written, "rows": rows, "seconds": time.perf_counter() - started, "tables": f"{done}/{len(tables)}"}


# --- the runs -------------------------------------------------------------------------------------------------------


def backups(server: MariaDB, shop: Path, size: str, runs: int) -> tuple[dict[str, list[tuple[float, int]]], dict[str, Any]]:
    workspace = DATA / "workspace"
    dump_file = DATA / "mysqldump.sql.gz"
    facts: dict[str, Any] = {}
    times: dict[str, list[tuple[float, int]]] = {}
    commands = {
        "mysqldump --single-transaction --quick | gzip -1": lambda: timed(
            [f"mariadb-dump --defaults-extra-file={DATA / 'client.cnf'} --single-transaction --quick --hex-blob --no-tablespaces "
             f"{DATABASE} | gzip -1 > {dump_file}"], shell=True),
        "mysqldump --single-transaction --quick | zstd -1": lambda: timed(
            [f"mariadb-dump --defaults-extra-file={DATA / 'client.cnf'} --single-transaction --quick --hex-blob --no-tablespaces "
             f"{DATABASE} | zstd -1 -q > {DATA / 'mysqldump.sql.zst'}"], shell=True),
        "backup_db engine=mariadb-dump": lambda: backup_run("mariadb-dump", shop, workspace, facts),
        "backup_db engine=pymysql": lambda: backup_run("pymysql", shop, workspace, facts),
    }
    for run in range(runs):
        for label, command in commands.items():
            wall, rss, _out = command()
            times.setdefault(label, []).append((wall, rss))
            print(f"  run {run + 1}: {label}: {wall:.1f} s", flush=True)
    facts["sql_bytes"] = int(subprocess.run(f"gunzip -c {dump_file} | tee {DATA / 'dump.sql'} | wc -c", shell=True, capture_output=True,
                                            text=True, check=True).stdout)
    facts["mysqldump_gz_bytes"] = dump_file.stat().st_size
    official = [sys.executable, __file__, "--official-worker", str(server.port), str(OFFICIAL_BUDGET[size])]
    wall, rss, out = timed(official)
    facts["official"] = json.loads(out)
    times["official module's way (LIMIT/OFFSET 200, Python)"] = [(facts["official"]["seconds"], rss)]
    return times, facts


def backup_run(engine: str, shop: Path, workspace: Path, facts: dict[str, Any]) -> tuple[float, int, str]:
    shutil.rmtree(workspace / "backups" / engine, ignore_errors=True)
    wall, rss, out = timed(module("backup_db", {"shop_root": str(shop), "workspace": str(workspace), "backup_dir": str(workspace / "backups"),
                                                "name": engine, "engine": engine}))
    result = module_result(out)
    facts[engine] = {"bytes": result["totals"]["bytes"], "sql_bytes": result["totals"]["sql_bytes"], "parts": result["totals"]["parts"]}
    return wall, rss, out


def restores(shop: Path, runs: int) -> dict[str, list[tuple[float, int]]]:
    workspace = DATA / "workspace"
    times: dict[str, list[tuple[float, int]]] = {}

    def rollback(jobs: int) -> tuple[float, int, str]:
        wall, rss, out = timed(module("rollback_db", {"shop_root": str(shop), "workspace": str(workspace), "backup_dir": str(workspace / "backups"),
                                                      "name": "mariadb-dump", "force": True, "jobs": jobs}))
        result = module_result(out)
        if result["verified"] is not True:
            raise SystemExit(f"rollback_db did not verify: {result['mismatches'][:3]}")
        return wall, rss, out

    commands = {
        "mysql < dump.sql": lambda: timed(["mariadb", f"--defaults-extra-file={DATA / 'client.cnf'}", DATABASE], stdin=DATA / "dump.sql"),
        "rollback_db jobs=1": lambda: rollback(1),
        "rollback_db jobs=2": lambda: rollback(2),
    }
    for run in range(runs):
        for label, command in commands.items():
            wall, rss, _out = command()
            times.setdefault(label, []).append((wall, rss))
            print(f"  run {run + 1}: {label}: {wall:.1f} s", flush=True)
    return times


def table(title: str, times: dict[str, list[tuple[float, int]]], reference: str, mb: dict[str, float]) -> str:
    """Median wall, MB/s, time per MB as a multiple of the reference's (the official module's run is time-boxed, so
    per MB is the only fair ratio), and peak RSS."""
    base = statistics.median(wall for wall, _rss in times[reference]) / mb[reference]
    lines = [title, f"| {'command':<50} | {'wall s':>7} | {'MB/s':>7} | {'time/MB vs ' + reference.split()[0]:>20} | {'peak RSS MB':>11} |",
             f"|{'-' * 52}|{'-' * 9}|{'-' * 9}|{'-' * 22}|{'-' * 13}|"]
    for label, samples in times.items():
        wall = statistics.median(sample[0] for sample in samples)
        rss = max(sample[1] for sample in samples) / 1024
        lines.append(f"| {label:<50} | {wall:7.1f} | {mb[label] / wall:7.1f} | {wall / mb[label] / base:19.2f}x | {rss:11.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the server and its database (the next run reuses them)")
    parser.add_argument("--official-worker", nargs=2, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.official_worker:
        port, budget = options.official_worker
        print(json.dumps(official_dump(int(port), DATA / "official", float(budget))))
        return
    ensure_collection_link()
    os.environ["PYTHONPATH"] = str(REPO / ".build" / "collections")
    DATA.mkdir(parents=True, exist_ok=True)
    server, shop = prepare(options.size)
    try:
        print("backups...", flush=True)
        backup_times, facts = backups(server, shop, options.size, options.runs)
        print("restores...", flush=True)
        restore_times = restores(shop, options.runs)
    finally:
        if not options.keep:
            server.stop()
    sql_mb = facts["sql_bytes"] / 1e6
    official = facts["official"]
    row_data = {label: sql_mb for label in backup_times}
    row_data["official module's way (LIMIT/OFFSET 200, Python)"] = official["bytes"] / 1e6
    print()
    print(f"Database: {sql_mb:.0f} MB of row data (mysqldump's SQL), {SMALL_TABLES + 4} tables; "
          f"mysqldump|gzip -1 writes {facts['mysqldump_gz_bytes'] / 1e6:.0f} MB, "
          f"backup_db {facts['mariadb-dump']['bytes'] / 1e6:.0f} MB (mariadb-dump engine, {facts['mariadb-dump']['parts']} parts) and "
          f"{facts['pymysql']['bytes'] / 1e6:.0f} MB (pymysql engine)")
    print(table("Backups (median of %d)" % options.runs, backup_times, "mysqldump --single-transaction --quick | gzip -1", row_data))
    print(f"The official module's way dumped {official['bytes'] / 1e6:.1f} MB ({official['rows']} rows, tables {official['tables']}) "
          f"in its {OFFICIAL_BUDGET[options.size]:.0f} s box.")
    print()
    print(table("Restores (median of %d)" % options.runs, restore_times, "mysql < dump.sql", {label: sql_mb for label in restore_times}))
    if not options.keep:
        shutil.rmtree(DATA, ignore_errors=True)


if __name__ == "__main__":
    main()
