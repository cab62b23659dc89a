# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of _sqldump: splitting SQL, reading mariadb-dump's stream, naming, formatting, part files."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils import _sqldump as sqldump
from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import DbParams

ZSTD = shutil.which("zstd")
BLOCK_SIZES = (1, 2, 3, 7, 64, 1 << 20)


def sql_statements(text: bytes, block_size: int = 1 << 20) -> list[bytes]:
    return [statement.sql for statement in sqldump.iter_sql_statements(io.BytesIO(text), block_size)]


def line_statements(text: bytes, block_size: int = 1 << 20) -> list[bytes]:
    return [statement.sql for statement in sqldump.iter_line_statements(io.BytesIO(text), block_size)]


# --- the general splitter ---------------------------------------------------------------------------------------

TRICKY_SCRIPT = b"""-- a header comment; with a semicolon
SET NAMES utf8mb4;
INSERT INTO `t;1` VALUES ('a;b', 'it''s', 'back\\\\slash\\';', "dq;\\"", `x`), ('--not a comment', '#nor this', '/* nor */');
/* a comment; */ SELECT 1; # trailing comment;
SELECT 2 --1;
/*!40101 SET @x = 1 */;
DELIMITER ;;
CREATE TRIGGER `t` AFTER INSERT ON `o` FOR EACH ROW BEGIN SET @a = ';'; SET @b = 2; END;;
DELIMITER ;
SELECT 'multi
line;
string';
-- the end
"""

EXPECTED = [
    b"SET NAMES utf8mb4",
    b"INSERT INTO `t;1` VALUES ('a;b', 'it''s', 'back\\\\slash\\';', \"dq;\\\"\", `x`), ('--not a comment', '#nor this', '/* nor */')",
    b"/* a comment; */ SELECT 1",
    b"SELECT 2 --1",
    b"/*!40101 SET @x = 1 */",
    b"CREATE TRIGGER `t` AFTER INSERT ON `o` FOR EACH ROW BEGIN SET @a = ';'; SET @b = 2; END",
    b"SELECT 'multi\nline;\nstring'",
]


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_the_sql_splitter_understands_quotes_escapes_comments_and_delimiter_whatever_the_block_size(block_size: int) -> None:
    assert sql_statements(TRICKY_SCRIPT, block_size) == EXPECTED


def test_statement_numbers_and_offsets_point_into_the_part() -> None:
    found = list(sqldump.iter_sql_statements(io.BytesIO(TRICKY_SCRIPT), 5))
    assert [statement.number for statement in found] == list(range(1, len(EXPECTED) + 1))
    for statement in found:
        assert TRICKY_SCRIPT[statement.offset:].lstrip().startswith(statement.sql[:10]) or b"--" in TRICKY_SCRIPT[statement.offset:statement.offset + 60]


def test_a_multi_character_delimiter_split_across_blocks_is_still_found() -> None:
    script = b"DELIMITER $$\nSELECT 1$$SELECT 2$$\nDELIMITER ;\nSELECT 3;\n"
    for block_size in BLOCK_SIZES:
        assert sql_statements(script, block_size) == [b"SELECT 1", b"SELECT 2", b"SELECT 3"]


def test_windows_line_endings_and_blank_statements_are_harmless() -> None:
    assert sql_statements(b"SELECT 1;\r\n;\r\n  ;\r\nSELECT 'a\r\nb';\r\n") == [b"SELECT 1", b"SELECT 'a\r\nb'"]


@pytest.mark.parametrize("text", [b"INSERT INTO t VALUES ('unterminated);\n", b"SELECT 1;\nSELECT 2\n", b"/* never closed; \n"])
def test_a_part_cut_in_the_middle_of_a_statement_is_an_error_not_a_shorter_restore(text: bytes) -> None:
    with pytest.raises(sqldump.PartError, match="ends"):
        sql_statements(text, 4)


# --- the line splitter (our parts) ------------------------------------------------------------------------------


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_the_line_splitter_cuts_at_semicolon_newline_and_drops_comment_lines(block_size: int) -> None:
    part = sqldump.part_header("table t") + b"DROP TABLE IF EXISTS `t`;\nINSERT INTO `t` VALUES (1,'a;b','c\\nd'),(2,NULL,'');\n"
    statements = line_statements(part, block_size)
    assert statements[:len(sqldump.SESSION_SETTINGS)] == [setting.encode() for setting in sqldump.SESSION_SETTINGS]
    assert statements[-2:] == [b"DROP TABLE IF EXISTS `t`", b"INSERT INTO `t` VALUES (1,'a;b','c\\nd'),(2,NULL,'')"]


def test_the_line_splitter_refuses_a_truncated_part() -> None:
    with pytest.raises(sqldump.PartError, match="middle of a statement"):
        line_statements(b"SET NAMES utf8mb4;\nINSERT INTO `t` VALUES (1),(2")


def test_an_insert_never_holds_a_raw_newline() -> None:
    statement = sqldump.insert_statement(b"INSERT INTO `t` VALUES ", b"(1,'a\nb;\nc')")
    assert statement == b"INSERT INTO `t` VALUES (1,'a\\nb;\\nc');\n"
    assert line_statements(statement) == [statement[:-2]]


def test_our_trigger_parts_restore_through_the_general_splitter() -> None:
    trigger = {"name": "ps_t", "table": "ps_orders", "sql_mode": "STRICT_ALL_TABLES",
               "statement": "CREATE TRIGGER `ps_t` AFTER INSERT ON `ps_orders` FOR EACH ROW BEGIN SET @a = 1; SET @b = ';;'; END"}
    statements = sql_statements(sqldump.part_header("trigger") + sqldump.trigger_part_sql(trigger))
    assert statements[-4:] == [b"DROP TRIGGER IF EXISTS `ps_t`", b"SET sql_mode = 'STRICT_ALL_TABLES'", trigger["statement"].encode(),
                               b"SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO'"]


# --- mariadb-dump's stream --------------------------------------------------------------------------------------

DUMP = b"""/*M!999999\\- enable the sandbox mode */
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET TIME_ZONE='+00:00' */;

--
-- Dumping data for table `ps_a`
--

INSERT INTO `ps_a` VALUES
(1,'x),(y','\\n-- no'),
(2,NULL,'');
INSERT INTO `ps_a` VALUES
(3,'I','(');

--
-- Dumping data for table `ps_empty`
--


--
-- Dumping data for table `ps_we``ird`
--

INSERT INTO `ps_we``ird` VALUES
(7,0x00FF);
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

-- Dump completed on 2024-05-21 10:15:00
"""


def dump_events(text: bytes, block_size: int) -> list[tuple[str, str, bytes, int]]:
    events = sqldump.dump_events(io.BufferedReader(io.BytesIO(text), buffer_size=max(block_size, 1)), block_size)
    merged: list[tuple[str, str, bytes, int]] = []
    for event in events:
        if event.kind == "data" and merged and merged[-1][0] == "data":
            merged[-1] = ("data", "", merged[-1][2] + event.data, merged[-1][3] + event.rows)
        else:
            merged.append((event.kind, event.name, event.data, event.rows))
    return merged


@pytest.mark.parametrize("block_size", BLOCK_SIZES)
def test_the_dump_stream_is_split_into_tables_and_their_inserts(block_size: int) -> None:
    assert dump_events(DUMP, block_size) == [
        ("table", "ps_a", b"", 0),
        ("data", "", b"INSERT INTO `ps_a` VALUES\n(1,'x),(y','\\n-- no'),\n(2,NULL,'');\nINSERT INTO `ps_a` VALUES\n(3,'I','(');\n", 3),
        ("table", "ps_empty", b"", 0),
        ("table", "ps_we`ird", b"", 0),
        ("data", "", b"INSERT INTO `ps_we``ird` VALUES\n(7,0x00FF);\n", 1),
        ("end", "", b"", 0),
    ]


def test_rows_of_a_dump_with_one_statement_per_line_are_counted_too() -> None:
    single = DUMP.replace(b"VALUES\n(1,'x),(y','\\n-- no'),\n(2,NULL,'');", b"VALUES (1,'x),(y','\\n-- no'),(2,NULL,'');")
    single = single.replace(b"VALUES\n(3", b"VALUES (3").replace(b"VALUES\n(7", b"VALUES (7")
    assert [event[3] for event in dump_events(single, 5) if event[0] == "data"] == [3, 1]


def test_a_dump_without_its_completed_footer_was_cut_short() -> None:
    with pytest.raises(sqldump.DumpError, match="Dump completed"):
        dump_events(DUMP.replace(b"-- Dump completed", b"-- Dump interrupted"), 64)


def test_rows_are_counted_in_every_insert_layout() -> None:
    assert sqldump.rows_in(b"INSERT INTO `t` VALUES\n(1,'x),(y'),\n(2,'');\n") == 2
    assert sqldump.rows_in(b"(3,'a'),\n(4,'b');\n") == 2  # the rest of a statement begun in an earlier block
    assert sqldump.rows_in(b"INSERT INTO `t` VALUES (1,'x),(y'),(2,'it\\'s),('),(3,NULL);\n") == 3  # one statement per line
    assert sqldump.rows_in(b"INSERT INTO `t` (`a`) VALUES (1),\n(2);\n") == 2  # first row on the INSERT line


# --- what is dumped -----------------------------------------------------------------------------------------------


def test_statistics_tables_and_user_patterns_are_left_out_with_their_rule() -> None:
    objects = [sqldump.DbObject(name, "table") for name in ("ps_guest", "ps_orders", "ps_log", "ps_tmp_import", "ps_connections_page")]
    objects.append(sqldump.DbObject("ps_seq", "sequence"))
    selected, excluded = sqldump.select_objects(objects, "ps_", False, ["log", "ps_tmp_*"])
    assert [item.name for item in selected] == ["ps_orders"]
    assert excluded == [{"name": "ps_guest", "rule": "include_stats_tables=false"}, {"name": "ps_log", "rule": "exclude_tables: log"},
                        {"name": "ps_tmp_import", "rule": "exclude_tables: ps_tmp_*"},
                        {"name": "ps_connections_page", "rule": "include_stats_tables=false"},
                        {"name": "ps_seq", "rule": "unsupported object type sequence"}]
    assert sqldump.exclusion_rule("ps_guest", "ps_", True, []) is None


def test_the_prefix_pattern_escapes_like_wildcards() -> None:
    assert sqldump.like_prefix("ps_") == "ps\\_%"
    assert sqldump.like_prefix("a%b_") == "a\\%b\\_%"


@pytest.mark.parametrize("original, stripped", [
    ("CREATE ALGORITHM=UNDEFINED DEFINER=`root`@`localhost` SQL SECURITY DEFINER VIEW `v` AS select 1",
     "CREATE ALGORITHM=UNDEFINED SQL SECURITY DEFINER VIEW `v` AS select 1"),
    ("CREATE DEFINER=`we``ird`@`%` TRIGGER `t` BEFORE INSERT ON `x` FOR EACH ROW SET @a = 1",
     "CREATE TRIGGER `t` BEFORE INSERT ON `x` FOR EACH ROW SET @a = 1"),
    ("CREATE DEFINER=CURRENT_USER TRIGGER t", "CREATE TRIGGER t"),
    ("CREATE DEFINER='u'@'h' VIEW v AS select 'DEFINER=x'", "CREATE VIEW v AS select 'DEFINER=x'"),
])
def test_the_definer_is_removed_so_the_shop_user_can_restore(original: str, stripped: str) -> None:
    assert sqldump.strip_definer(original) == stripped


def test_values_are_formatted_by_type_and_generated_columns_are_left_to_the_server() -> None:
    columns = [sqldump.Column("id", "int"), sqldump.Column("data", "blob"), sqldump.Column("note", "text", "utf8mb4"),
               sqldump.Column("old", "varchar", "latin1"), sqldump.Column("flags", "bit"), sqldump.Column("sha", "char", "utf8mb4", generated=True)]
    expressions = [sqldump.literal_expression(column) for column in columns]
    assert expressions[:5] == ["IFNULL(`id`, 'NULL')", "IFNULL(CONCAT('X''', HEX(`data`), ''''), 'NULL')", "CAST(QUOTE(`note`) AS BINARY)",
                               "CAST(QUOTE(CONVERT(`old` USING utf8mb4)) AS BINARY)", "IFNULL(CONCAT('b''', BIN(`flags`), ''''), 'NULL')"]
    assert sqldump.literal_expression(sqldump.Column("ratio", "float")) == "IFNULL(`ratio` + 0e0, 'NULL')"
    assert "`sha`" not in sqldump.row_expression(columns)
    assert sqldump.row_expression(columns).startswith("CONCAT(_binary'(', ")
    assert sqldump.insert_prefix("ps_t", columns) == b"INSERT INTO `ps_t` (`id`,`data`,`note`,`old`,`flags`) VALUES "


def test_part_names_are_numbered_and_safe_for_any_file_system() -> None:
    assert sqldump.part_stem(7, "ps_orders") == "0007-ps_orders"
    assert sqldump.part_stem(12, "ps_orders", 3) == "0012-ps_orders.3"
    assert sqldump.part_stem(1, "../we ird/é") == "0001-___we_ird__"


# --- part files ---------------------------------------------------------------------------------------------------


def read_part(path: Path) -> bytes:
    with sqldump.open_part(str(path), ZSTD) as stream:
        return stream.read()


def test_a_small_part_is_gzipped_in_process_and_appears_only_when_closed(tmp_path: Path) -> None:
    writer = sqldump.PartWriter(str(tmp_path), "0001-ps_a", "zstd" if ZSTD else "gzip", ZSTD)
    writer.write(b"SELECT 1;\n", rows=0)
    assert not [name for name in os.listdir(tmp_path) if ".part-" not in name]
    described = writer.close()
    assert described["file"] == "0001-ps_a.sql.gz"
    path = tmp_path / described["file"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_part(path) == b"SELECT 1;\n"
    assert described["bytes"] == path.stat().st_size and described["sql_bytes"] == 10 and described["statements"] == "lines"
    assert os.listdir(tmp_path) == [described["file"]]


@pytest.mark.skipif(ZSTD is None, reason="the zstd program is not installed")
def test_a_big_part_streams_through_zstd(tmp_path: Path) -> None:
    writer = sqldump.PartWriter(str(tmp_path), "0002-ps_b", "zstd", ZSTD, small_bytes=100)
    payload = b"".join(b"INSERT INTO `b` VALUES (%d);\n" % number for number in range(5000))
    for offset in range(0, len(payload), 999):
        writer.write(payload[offset:offset + 999])
    described = writer.close()
    assert described["file"] == "0002-ps_b.sql.zst"
    assert read_part(tmp_path / described["file"]) == payload


def test_an_aborted_part_leaves_nothing_behind(tmp_path: Path) -> None:
    writer = sqldump.PartWriter(str(tmp_path), "0003-ps_c", "gzip", None, small_bytes=10)
    writer.write(b"x" * 100)
    writer.abort()
    assert os.listdir(tmp_path) == []


def test_zstd_without_the_program_is_refused() -> None:
    with pytest.raises(sqldump.DumpError, match="zstd"):
        sqldump.PartWriter("/nonexistent", "x", "zstd", None)


def test_a_table_is_cut_into_parts_at_statement_ends(tmp_path: Path) -> None:
    table = sqldump.DbObject("ps_big", "table", definition="CREATE TABLE `ps_big` (`a` int)")
    parts = sqldump.TableParts(sqldump.DumpSettings(str(tmp_path), "gzip", None, chunk_bytes=400), 5, table)
    for number in range(40):
        parts.add_statement(b"INSERT INTO `ps_big` VALUES (%d),(%d);\n" % (number, -number), rows=2)
    described = parts.close()
    assert len(described) > 2 and parts.rows == 80 and sum(part["rows"] for part in described) == 80
    assert [part["file"] for part in described[:2]] == ["0005-ps_big.sql.gz", "0005-ps_big.2.sql.gz"]
    first, second = (read_part(tmp_path / part["file"]) for part in described[:2])
    assert b"CREATE TABLE `ps_big`" in first and b"CREATE TABLE" not in second
    assert all(statement.startswith((b"SET ", b"DROP ", b"CREATE ", b"INSERT ")) for statement in line_statements(second))


def test_a_corrupt_compressed_part_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "0001-ps_a.sql.gz"
    path.write_bytes(gzip.compress(b"SELECT 1;\n" * 1000)[:-20])
    with pytest.raises(sqldump.PartError, match="cannot be decompressed"):
        sqldump.read_through(str(path))


@pytest.mark.skipif(ZSTD is None, reason="the zstd program is not installed")
def test_a_corrupt_zstd_part_is_reported_as_such(tmp_path: Path) -> None:
    path = tmp_path / "0001-ps_a.sql.zst"
    path.write_bytes(subprocess.run([ZSTD, "-q", "-c"], input=os.urandom(5000), capture_output=True, check=True).stdout[:-30])
    with pytest.raises(sqldump.PartError, match="cannot be decompressed"):
        sqldump.read_through(str(path), ZSTD)


# --- mariadb-dump's command line ----------------------------------------------------------------------------------

NASTY_PASSWORD = 'p"a\\s s#w;o\'r`d\t$(id)'


def test_credentials_go_to_a_private_option_file_never_to_the_command_line(tmp_path: Path) -> None:
    params = DbParams(name="shop", user="shop_user", password=NASTY_PASSWORD, host="127.0.0.1", port=3307)
    path = sqldump.write_defaults_file(str(tmp_path), params)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    argv = sqldump.mariadb_dump_argv("/usr/bin/mariadb-dump", path, "shop", ["ps_a", "ps_b"], "mariadb-dump Ver 10.19 Distrib 10.11.19-MariaDB")
    assert argv[1] == f"--defaults-extra-file={path}"
    assert argv[-3:] == ["shop", "ps_a", "ps_b"]
    assert not any(NASTY_PASSWORD in argument or "password" in argument for argument in argv)
    assert "--single-transaction" in argv and "--hex-blob" in argv and "--set-gtid-purged=OFF" not in argv


@pytest.mark.skipif(shutil.which("my_print_defaults") is None and shutil.which("mariadb") is None, reason="no MariaDB client tools")
def test_the_option_file_gives_the_password_back_exactly(tmp_path: Path) -> None:
    params = DbParams(name="shop", user="shop_user", password=NASTY_PASSWORD, socket="/run/my sql/mysqld.sock")
    path = sqldump.write_defaults_file(str(tmp_path), params)
    tool = shutil.which("my_print_defaults") or shutil.which("mariadb")
    argv = [tool, f"--defaults-file={path}", "client"] if tool.endswith("my_print_defaults") else [tool, f"--defaults-file={path}", "--print-defaults"]
    printed = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert f"--password={NASTY_PASSWORD}" in printed and "--socket=/run/my sql/mysqld.sock" in printed


def test_mysqldump_of_mysql_is_told_not_to_write_gtid_statements() -> None:
    argv = sqldump.mariadb_dump_argv("/usr/bin/mysqldump", "/tmp/x.cnf", "shop", ["ps_a"], "mysqldump  Ver 8.0.36 for Linux on x86_64")
    assert "--set-gtid-purged=OFF" in argv
