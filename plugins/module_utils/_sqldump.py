# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SQL dumps of a shop's tables as compressed parts, and reading them back: what backup_db and rollback_db share.

Parts are standalone SQL scripts (session settings, DROP, CREATE, multi-row INSERTs), written by `Dumper` with one
of two engines:

- mariadb-dump/mysqldump: its data stream is split at the `-- Dumping data for table` markers (`dump_events`), so
  one process and one snapshot serve every table; our own CREATE statements head each part.
- PyMySQL (`TableReader`): rows formatted by the server (QUOTE, HEX) and batched with GROUP_CONCAT over ranges of
  the leading integer key, streamed one batch at a time.

Both keep a promise the restore relies on: no string literal holds a raw newline, so ';' followed by a newline
occurs only where a statement ends and `iter_line_statements` can split a table's part at C speed. Anything else
(views, triggers, the official upgrade module's dumps) goes through `iter_sql_statements`, which understands quotes,
backslash escapes, comments and DELIMITER like the mysql client. Every CHECKSUM TABLE comes from the snapshot the
rows were read in (see `Dumper`).

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import bz2
import contextlib
import fnmatch
import gzip
import hashlib
import os
import queue
import re
import subprocess
import tempfile
import threading
import zlib
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterator

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import (
    QUERY_ERRORS,
    DbParams,
    fetch_all,
    fetch_value,
    query_error_message,
    quote_identifier,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import PARTIAL_MARK, PRIVATE_FILE_MODE, sha256_file

try:
    import pymysql.cursors
except ImportError:  # reported by _db.require_pymysql
    pass

# Tables the official upgrade module never saves (autoupgrade.md §6.6); we save them unless told not to.
STATS_TABLES = ("connections", "connections_page", "connections_source", "guest", "statssearch")

# The session every part sets: no strict mode (zero dates, values for generated columns are ignored with a
# warning), NO_AUTO_VALUE_ON_ZERO so a row whose AUTO_INCREMENT id is 0 keeps it, timestamps in UTC.
RESTORE_SQL_MODE = "NO_AUTO_VALUE_ON_ZERO"
SESSION_SETTINGS = ("SET NAMES utf8mb4", "SET time_zone = '+00:00'", f"SET sql_mode = '{RESTORE_SQL_MODE}'",
                    "SET foreign_key_checks = 0", "SET unique_checks = 0")

CHECKSUM_ALGORITHM = "checksum-table"
DEFINITION_ALGORITHM = "definition-sha256"
# A part under this size is compressed in-process with gzip: starting a zstd process costs more than it saves.
SMALL_PART_BYTES = 1 << 20
BATCH_BYTES = 1 << 20
DEFAULT_CHUNK_BYTES = 256 << 20
READ_BLOCK = 1 << 20
PIPE_BYTES = 1 << 20
# Connections reading rows at once with the PyMySQL engine (plus one for the checksums): the server formats the rows,
# on one core per connection.
READERS = 2
STATEMENT_PREVIEW = 200

SPLIT_LINES = "lines"
SPLIT_SQL = "sql"

_INTEGER_TYPES = frozenset(("tinyint", "smallint", "mediumint", "int", "integer", "bigint"))
_NUMERIC_TYPES = _INTEGER_TYPES | frozenset(("decimal", "numeric", "float", "double", "real", "year"))
_BINARY_TYPES = frozenset(("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "geometry", "point",
                           "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection"))
# Character sets whose bytes already are UTF-8; any other is converted by the server before quoting.
_UTF8_CHARSETS = frozenset(("utf8mb4", "utf8mb3", "utf8", "ascii"))
_DEFINER = re.compile(r"\s*DEFINER\s*=\s*(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*'|[^\s@]+)(?:\s*@\s*(?:`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*'|\S+))?",
                      re.IGNORECASE)


class DumpError(Exception):
    """A dump that cannot be made, with a one-line reason."""


class PartError(Exception):
    """A part that cannot be read or restored, with a one-line reason (part, statement and position when known)."""


# --------------------------------------------------------------------------------------------------------------------
# What to dump
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class Column:
    name: str
    data_type: str
    charset: str | None = None
    collation: str | None = None
    generated: bool = False
    nullable: bool = True


@dataclass
class DbObject:
    """A table or view with the shop's prefix, as information_schema describes it."""

    name: str
    kind: str  # "table" | "view"
    engine: str | None = None
    transactional: bool = True
    rows_estimate: int = 0
    bytes_estimate: int = 0
    columns: list[Column] = field(default_factory=list)
    definition: str = ""
    key: str | None = None  # the leading integer key rows are read by, when there is one


def like_prefix(prefix: str) -> str:
    """A LIKE pattern for names starting with prefix ('_' and '%' are wildcards in LIKE)."""
    return prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"


def list_objects(connection: Any, prefix: str) -> list[DbObject]:
    """Every table and view of the current database whose name starts with prefix, by name."""
    rows = fetch_all(connection, "SELECT t.TABLE_NAME AS name, t.TABLE_TYPE AS type, t.ENGINE AS engine, t.TABLE_ROWS AS table_rows, "
                     "t.DATA_LENGTH AS data_length, e.TRANSACTIONS AS transactions FROM information_schema.TABLES t "
                     "LEFT JOIN information_schema.ENGINES e ON e.ENGINE = t.ENGINE "
                     "WHERE t.TABLE_SCHEMA = DATABASE() AND t.TABLE_NAME LIKE %s ORDER BY t.TABLE_NAME", (like_prefix(prefix),))
    objects = []
    for row in rows:
        if not row["name"].startswith(prefix):
            continue  # LIKE is case-insensitive on some servers
        kind = "view" if row["type"] == "VIEW" else "table" if row["type"] in ("BASE TABLE", "SYSTEM VERSIONED") else row["type"].lower()
        objects.append(DbObject(name=row["name"], kind=kind, engine=row["engine"], transactional=(row["transactions"] == "YES"),
                                rows_estimate=int(row["table_rows"] or 0), bytes_estimate=int(row["data_length"] or 0)))
    return objects


def exclusion_rule(name: str, prefix: str, include_stats_tables: bool, exclude: list[str]) -> str | None:
    """Why a table is left out of a backup (the rule as the user reads it), or None when it is dumped.

    exclude holds table names or shell patterns, with or without the prefix ("guest", "ps_guest", "*_tmp").
    """
    short = name[len(prefix):] if name.startswith(prefix) else name
    if not include_stats_tables and short in STATS_TABLES:
        return "include_stats_tables=false"
    for pattern in exclude:
        if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(short, pattern):
            return f"exclude_tables: {pattern}"
    return None


def select_objects(objects: list[DbObject], prefix: str, include_stats_tables: bool, exclude: list[str]) -> tuple[list[DbObject], list[dict[str, str]]]:
    """(objects to dump, [{name, rule}] left out); sequences and other kinds are left out with a rule saying so."""
    selected, excluded = [], []
    for item in objects:
        rule = exclusion_rule(item.name, prefix, include_stats_tables, exclude)
        if rule is None and item.kind not in ("table", "view"):
            rule = f"unsupported object type {item.kind}"
        if rule is None:
            selected.append(item)
        else:
            excluded.append({"name": item.name, "rule": rule})
    return selected, excluded


def table_columns(connection: Any, table: str) -> list[Column]:
    rows = fetch_all(connection, "SELECT COLUMN_NAME AS name, DATA_TYPE AS data_type, CHARACTER_SET_NAME AS charset, COLLATION_NAME AS coll, "
                     "EXTRA AS extra, IS_NULLABLE AS nullable FROM information_schema.COLUMNS "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION", (table,))
    return [Column(name=row["name"], data_type=row["data_type"].lower(), charset=row["charset"], collation=row["coll"],
                   generated=("GENERATED" in (row["extra"] or "").upper() or "PERSISTENT" in (row["extra"] or "").upper()
                              or "VIRTUAL" in (row["extra"] or "").upper()),
                   nullable=row["nullable"] == "YES") for row in rows]


def leading_integer_key(connection: Any, table: str, columns: list[Column]) -> str | None:
    """The first column of the primary key (or of a unique key on NOT NULL columns) when it is an integer.

    Rows are read in ranges of that column's values: the clustered index makes each range a short scan, where
    LIMIT/OFFSET pages rescan everything before them.
    """
    rows = fetch_all(connection, "SELECT INDEX_NAME AS index_name, COLUMN_NAME AS column_name, SEQ_IN_INDEX AS seq, NON_UNIQUE AS non_unique "
                     "FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
                     "ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX", (table,))
    by_name = {column.name: column for column in columns}
    indexes: dict[str, list[str]] = {}
    for row in rows:
        if int(row["non_unique"]) == 0:
            indexes.setdefault(row["index_name"], []).append(row["column_name"])
    for index_columns in indexes.values():
        known = [by_name.get(name) for name in index_columns]
        if any(column is None or column.nullable for column in known):
            continue
        first = known[0]
        return first.name if first is not None and first.data_type in _INTEGER_TYPES else None
    return None


def strip_definer(sql: str) -> str:
    """A view or trigger definition without its DEFINER clause, so that whoever restores it becomes its definer."""
    return _DEFINER.sub("", sql, count=1)


def definition_sha256(sql: str) -> str:
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


def show_create_table(connection: Any, table: str) -> str:
    return str(fetch_all(connection, f"SHOW CREATE TABLE {quote_identifier(table)}")[0]["Create Table"])


def show_create_view(connection: Any, view: str) -> str:
    return strip_definer(str(fetch_all(connection, f"SHOW CREATE VIEW {quote_identifier(view)}")[0]["Create View"]))


def list_triggers(connection: Any, tables: list[str]) -> list[dict[str, Any]]:
    """Triggers on the given tables: name, table and the statement that recreates them (definer removed)."""
    if not tables:
        return []
    rows = fetch_all(connection, "SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM information_schema.TRIGGERS "
                     "WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER")
    wanted = set(tables)
    triggers = []
    for row in rows:
        if row["tbl"] not in wanted:
            continue
        shown = fetch_all(connection, f"SHOW CREATE TRIGGER {quote_identifier(row['name'])}")[0]
        statement = strip_definer(str(shown["SQL Original Statement"]))
        triggers.append({"name": row["name"], "table": row["tbl"], "sql_mode": str(shown["sql_mode"]), "statement": statement,
                         "definition_sha256": definition_sha256(str(shown["sql_mode"]) + "\n" + statement)})
    return triggers


# --------------------------------------------------------------------------------------------------------------------
# Checksums: CHECKSUM TABLE, computed in the same snapshot as the dumped rows
# --------------------------------------------------------------------------------------------------------------------


def checksum_table(connection: Any, table: str) -> int | None:
    """CHECKSUM TABLE of one table. Inside a REPEATABLE READ transaction InnoDB computes it on the transaction's snapshot."""
    with connection.cursor() as cursor:
        cursor.execute(f"CHECKSUM TABLE {quote_identifier(table)}")
        row = cursor.fetchone()
    return None if row is None or row[1] is None else int(row[1])


def count_rows(connection: Any, table: str) -> int:
    return int(fetch_value(connection, f"SELECT COUNT(*) FROM {quote_identifier(table)}"))


def table_state(connection: Any, table: str) -> dict[str, Any]:
    """What rollback_db compares with the manifest: rows, checksum and definition of a table as it is now."""
    definition = show_create_table(connection, table)
    return {"rows": count_rows(connection, table), "checksum": checksum_table(connection, table),
            "definition_sha256": definition_sha256(definition)}


def open_snapshot(connection: Any) -> None:
    """Start the consistent, read-only snapshot every dumped row and checksum is read from."""
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")


def prepare_reading_session(connection: Any) -> int:
    """Settings for reading rows as SQL text: UTC timestamps, plain sql_mode, room for a batch. Returns the batch limit."""
    packet = int(fetch_value(connection, "SELECT @@max_allowed_packet"))
    limit = max(64 << 10, min(packet, 64 << 20) - 4096)
    with connection.cursor() as cursor:
        # NO_BACKSLASH_ESCAPES or PAD_CHAR_TO_FULL_LENGTH in the server's sql_mode would change what QUOTE()
        # and CHAR columns return.
        cursor.execute("SET SESSION sql_mode = ''")
        cursor.execute("SET SESSION time_zone = '+00:00'")
        cursor.execute(f"SET SESSION group_concat_max_len = {limit}")
    return limit


# --------------------------------------------------------------------------------------------------------------------
# Reading rows as SQL with PyMySQL
# --------------------------------------------------------------------------------------------------------------------


def literal_expression(column: Column) -> str:
    """SQL giving the column's value as a binary string that is a MySQL literal: numbers as they are, NULL as NULL,
    binary data in hex (exact whatever the bytes), text quoted by the server in UTF-8."""
    name = quote_identifier(column.name)
    if column.data_type == "float":
        # The server prints a FLOAT with 6 digits (1.2345678 comes out as 1.23457): as a double it prints every digit
        # of the float's exact value, which a FLOAT column turns back into the very same float.
        return f"IFNULL({name} + 0e0, 'NULL')"
    if column.data_type in _NUMERIC_TYPES:
        return f"IFNULL({name}, 'NULL')"
    if column.data_type == "bit":
        return f"IFNULL(CONCAT('b''', BIN({name}), ''''), 'NULL')"
    if column.data_type in _BINARY_TYPES:
        return f"IFNULL(CONCAT('X''', HEX({name}), ''''), 'NULL')"
    value = name if (column.charset or "utf8mb4") in _UTF8_CHARSETS else f"CONVERT({name} USING utf8mb4)"
    # Binary, so that columns of different collations can be concatenated ("Illegal mix of collations" otherwise).
    return f"CAST(QUOTE({value}) AS BINARY)"


def stored_columns(columns: list[Column]) -> list[Column]:
    """The columns a restore inserts: generated columns are computed again by the server."""
    return [column for column in columns if not column.generated]


def row_expression(columns: list[Column]) -> str:
    # _binary makes the whole row a binary string, which PyMySQL hands over as bytes without decoding it.
    return "CONCAT(_binary'(', " + ", ',', ".join(literal_expression(column) for column in stored_columns(columns)) + ", ')')"


def insert_prefix(table: str, columns: list[Column]) -> bytes:
    names = ",".join(quote_identifier(column.name) for column in stored_columns(columns))
    return f"INSERT INTO {quote_identifier(table)} ({names}) VALUES ".encode("utf-8")


class TableReader:
    """A table's rows as batches of SQL tuples `(..),(..)` of about batch_bytes each, with their row count.

    Tables with an integer leading key are read in ranges of that key with GROUP_CONCAT (one round trip per
    batch, the server doing the formatting); others are streamed row by row with an unbuffered cursor.
    """

    def __init__(self, connection: Any, table: str, columns: list[Column], key: str | None, group_concat_limit: int,
                 batch_bytes: int = BATCH_BYTES) -> None:
        self.connection = connection
        self.table = quote_identifier(table)
        self.row_sql = row_expression(columns)
        self.key = quote_identifier(key) if key else None
        self.limit = group_concat_limit
        self.batch_bytes = min(batch_bytes, max(1024, group_concat_limit // 4))

    def batches(self) -> Iterator[tuple[bytes, int]]:
        if self.key is None:
            yield from self._streamed(f"SELECT {self.row_sql} FROM {self.table}")
        else:
            yield from self._ranges()

    def _ranges(self) -> Iterator[tuple[bytes, int]]:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT MIN({self.key}), MAX({self.key}) FROM {self.table}")
            low, high = cursor.fetchone()
        if low is None:
            return
        position, step = int(low) - 1, 1024
        while position < int(high):
            upper = min(position + step, int(high))
            rows, data = self._range(position, upper)
            if data is not None and len(data) >= self.limit:
                if step == 1:
                    # One key value holds more than GROUP_CONCAT may return: stream its rows instead.
                    yield from self._streamed(f"SELECT {self.row_sql} FROM {self.table} WHERE {self.key} = {upper}")
                    position = upper
                else:
                    step = max(1, step // 8)
                continue
            if rows:
                yield data, rows
                step = max(1, min(step * 4, int(step * self.batch_bytes / max(len(data), 1))))
            else:
                step *= 4  # a gap in the key values
            position = upper

    def _range(self, low: int, high: int) -> tuple[int, bytes | None]:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*), GROUP_CONCAT({self.row_sql} SEPARATOR ',') FROM {self.table} "
                           f"WHERE {self.key} > {low} AND {self.key} <= {high}")
            rows, data = cursor.fetchone()
        return int(rows), data

    def _streamed(self, sql: str) -> Iterator[tuple[bytes, int]]:
        cursor = self.connection.cursor(pymysql.cursors.SSCursor)
        try:
            cursor.execute(sql)
            pending: list[bytes] = []
            size = 0
            while True:
                rows = cursor.fetchmany(1000)
                if not rows:
                    break
                for (value,) in rows:
                    pending.append(value)
                    size += len(value) + 1
                    if size >= self.batch_bytes:
                        yield b",".join(pending), len(pending)
                        pending, size = [], 0
            if pending:
                yield b",".join(pending), len(pending)
        finally:
            cursor.close()


def insert_statement(prefix: bytes, values: bytes) -> bytes:
    """One INSERT on one line: a raw newline can only be inside a quoted string, where `\\n` means the same."""
    if b"\n" in values:
        values = values.replace(b"\n", b"\\n")
    return prefix + values + b";\n"


# --------------------------------------------------------------------------------------------------------------------
# Part files
# --------------------------------------------------------------------------------------------------------------------


def part_stem(index: int, name: str, chunk: int = 0) -> str:
    """`NNNN-<name>[.<chunk>]` with the name reduced to characters that are safe in any file system."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:100] or "object"
    return f"{index:04d}-{safe}" + (f".{chunk}" if chunk else "")


def part_header(description: str) -> bytes:
    label = re.sub(r"[\x00-\x1f;]", " ", description)
    return (f"-- shopfleet.prestashop backup_db: {label}\n" + "".join(statement + ";\n" for statement in SESSION_SETTINGS) + "\n").encode("utf-8")


def table_ddl(table: str, create: str, transactional: bool) -> bytes:
    name = quote_identifier(table)
    text = f"DROP VIEW IF EXISTS {name};\nDROP TABLE IF EXISTS {name};\n{create};\n"
    if not transactional:
        text += f"ALTER TABLE {name} DISABLE KEYS;\n"
    return text.encode("utf-8")


def table_footer(table: str, transactional: bool) -> bytes:
    return b"" if transactional else f"ALTER TABLE {quote_identifier(table)} ENABLE KEYS;\n".encode("utf-8")


def view_part_sql(view: str, create: str) -> bytes:
    name = quote_identifier(view)
    return f"DROP VIEW IF EXISTS {name};\nDROP TABLE IF EXISTS {name};\n{create};\n".encode("utf-8")


def trigger_part_sql(trigger: dict[str, Any]) -> bytes:
    delimiter = next(candidate for candidate in (";;", "$$", "//", "@@@@") if candidate not in trigger["statement"])
    mode = trigger["sql_mode"].replace("\\", "\\\\").replace("'", "\\'")
    return (f"DROP TRIGGER IF EXISTS {quote_identifier(trigger['name'])};\nSET sql_mode = '{mode}';\nDELIMITER {delimiter}\n"
            f"{trigger['statement']}{delimiter}\nDELIMITER ;\nSET sql_mode = '{RESTORE_SQL_MODE}';\n").encode("utf-8")


def line_safe(definition: str) -> bool:
    """Whether a definition keeps iter_line_statements right: no ';' followed by a newline inside it."""
    return ";\n" not in definition


class PartWriter:
    """One part file, compressed while written, appearing under its final name only when closed.

    compression "zstd" pipes into a `zstd -1` process writing the file (it runs on the other core); "gzip" deflates
    in-process. A part that stays under small_bytes is gzipped in-process whatever the compression: starting
    zstd for a tiny table costs more than it saves. Like _workspace.AtomicFile, a part is written under a `.part-`
    name, synced and renamed; the folder itself is synced once, by whoever writes the manifest after the parts
    (`sync_folder`), rather than once per part.
    """

    def __init__(self, folder: str, stem: str, compression: str, zstd: str | None, small_bytes: int = SMALL_PART_BYTES) -> None:
        if compression == "zstd" and not zstd:
            raise DumpError("compression zstd needs the zstd command, which is not installed")
        self.folder = folder
        self.stem = stem
        self.compression = compression
        self.zstd = zstd
        self.small_bytes = small_bytes
        self.sql_bytes = 0
        self.rows = 0
        self.split = SPLIT_LINES
        self.file: str | None = None
        self._pending: list[bytes] | None = []
        self._temporary: str | None = None
        self._handle: Any = None
        self._process: Any = None
        self._deflate: Any = None

    def write(self, data: bytes, rows: int = 0) -> None:
        self.sql_bytes += len(data)
        self.rows += rows
        if self._pending is not None:
            self._pending.append(data)
            if self.sql_bytes > self.small_bytes:
                self._start(self.compression, level=1)
            return
        self._emit(data)

    def close(self) -> dict[str, Any]:
        """Finish the file: {file, bytes, sha256, rows, sql_bytes, statements}."""
        if self._pending is not None:
            self._start("gzip", level=6)
        try:
            if self._process is not None:
                self._process.stdin.close()
                errors = self._process.stderr.read().decode("utf-8", "replace") if self._process.stderr else ""
                if self._process.wait() != 0:
                    raise DumpError(f"zstd failed writing {self.file} (exit {self._process.returncode}): {errors.strip()[:300]}")
            elif self._deflate is not None:
                self._handle.write(self._deflate.flush())
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            path = os.path.join(self.folder, str(self.file))
            os.replace(str(self._temporary), path)
        except BaseException as exc:
            self.abort(exc)
            raise
        self._temporary = None
        return {"file": self.file, "bytes": os.path.getsize(path), "sha256": sha256_file(path), "rows": self.rows,
                "sql_bytes": self.sql_bytes, "statements": self.split}

    def abort(self, exc: BaseException | None = None) -> None:
        """Throw the part away (its temporary file is removed; nothing appears under the final name)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._handle is not None and not self._handle.closed:
            self._handle.close()
        if self._temporary is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._temporary)
            self._temporary = None

    def _start(self, compression: str, level: int) -> None:
        self.file = self.stem + (".sql.zst" if compression == "zstd" else ".sql.gz")
        self._temporary = os.path.join(self.folder, f"{self.file}{PARTIAL_MARK}{os.urandom(4).hex()}")
        self._handle = os.fdopen(os.open(self._temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE), "wb")
        if compression == "zstd":
            # Popen, not run_command: the part streams through the pipe (run_command would buffer it in memory).
            self._process = subprocess.Popen([str(self.zstd), "-q", f"-{level}", "-c"], stdin=subprocess.PIPE,  # pylint: disable=ansible-bad-function
                                             stdout=self._handle, stderr=subprocess.PIPE)
            widen_pipe(self._process.stdin)
        else:
            self._deflate = zlib.compressobj(level, zlib.DEFLATED, 31)
        pending, self._pending = self._pending or [], None
        for data in pending:
            self._emit(data)

    def _emit(self, data: bytes) -> None:
        if self._process is not None:
            try:
                self._process.stdin.write(data)
            except BrokenPipeError:
                raise DumpError(f"zstd stopped while writing {self.file}") from None
        else:
            self._handle.write(self._deflate.compress(data))


def widen_pipe(stream: Any) -> None:
    """Ask Linux for a 1 MiB pipe (64 KiB by default): a gigabyte goes through in far fewer context switches."""
    try:
        import fcntl

        fcntl.fcntl(stream.fileno(), 1031, PIPE_BYTES)  # F_SETPIPE_SZ
    except (ImportError, OSError, ValueError):
        pass  # another OS, or a limit below 1 MiB: the default pipe works, a little slower


def sync_folder(folder: str) -> None:
    """Make the renames of every part durable at once, before the manifest that vouches for them is written."""
    descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def compression_of(path: str) -> str:
    for suffix, name in ((".zst", "zstd"), (".gz", "gzip"), (".bz2", "bzip2")):
        if path.endswith(suffix):
            return name
    return "none"


@contextlib.contextmanager
def open_part(path: str, zstd: str | None = None) -> Iterator[IO[bytes]]:
    """The decompressed bytes of a part, streamed. A decompression failure raises PartError when the stream ends."""
    kind = compression_of(path)
    name = os.path.basename(path)
    if kind == "zstd":
        if not zstd:
            raise PartError(f"{name} is zstd-compressed and the zstd command is not installed")
        # Popen, not run_command: the part streams through the pipe (run_command would buffer it in memory).
        process: Any = subprocess.Popen([zstd, "-d", "-q", "-c", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # pylint: disable=ansible-bad-function
        finished = False
        try:
            yield process.stdout
            finished = True
        finally:
            if not finished and process.poll() is None:
                process.kill()
            process.stdout.close()
            errors = process.stderr.read().decode("utf-8", "replace").strip()
            process.stderr.close()
            if process.wait() != 0 and finished:
                raise PartError(f"{name} cannot be decompressed: {errors[:300] or 'zstd exited with ' + str(process.returncode)}")
        return
    opener: Callable[..., Any] = {"gzip": gzip.open, "bzip2": bz2.open}.get(kind, open)
    try:
        with opener(path, "rb") as stream:
            yield stream
    except (OSError, EOFError, zlib.error) as exc:
        raise PartError(f"{name} cannot be decompressed: {exc}") from None


def read_through(path: str, zstd: str | None = None) -> int:
    """Decompress a whole part without keeping it (an integrity check); returns its decompressed size."""
    size = 0
    with open_part(path, zstd) as stream:
        for block in iter(lambda: stream.read(READ_BLOCK), b""):
            size += len(block)
    return size


# --------------------------------------------------------------------------------------------------------------------
# mariadb-dump / mysqldump
# --------------------------------------------------------------------------------------------------------------------

_MARKER = b"-- Dumping data for table `"
_DATA_END = re.compile(rb"\n(?=[^(I])")
_QUOTED_STRING = re.compile(rb"'[^'\\]*(?:\\.[^'\\]*)*'")


def write_defaults_file(folder: str, params: DbParams) -> str:
    """A 0600 client option file with the credentials, so that they never appear on a command line."""
    def value(text: str) -> str:
        # Inside double quotes the client library reads \\ \" \n \t \r back, and '#' is not a comment.
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
        return '"' + escaped + '"'

    lines = ["[client]", f"user={value(params.user)}", f"password={value(params.password)}"]
    if params.socket:
        lines.append(f"socket={value(params.socket)}")
    else:
        lines += [f"host={value(params.host)}", f"port={params.port or 3306}", "protocol=TCP"]
    path = os.path.join(folder, "shopfleet-client.cnf")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def dump_tool_version(binary: str) -> str:
    completed = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False, timeout=30)  # pylint: disable=ansible-bad-function
    return (completed.stdout or completed.stderr).strip().splitlines()[0] if (completed.stdout or completed.stderr) else ""


def mariadb_dump_argv(binary: str, defaults_file: str, database: str, tables: list[str], version: str) -> list[str]:
    """The dump command: data only (we write the CREATE statements), one consistent snapshot, binary data in hex."""
    argv = [binary, f"--defaults-extra-file={defaults_file}", "--single-transaction", "--quick", "--hex-blob", "--no-create-info",
            "--skip-triggers", "--skip-add-locks", "--skip-disable-keys", "--skip-lock-tables", "--no-tablespaces", "--skip-routines",
            "--skip-events", "--tz-utc", "--default-character-set=utf8mb4", "--net-buffer-length=1048576"]
    if "mariadb" not in version.lower():
        argv.append("--set-gtid-purged=OFF")
    return argv + [database] + tables


def rows_in(data: bytes) -> int:
    """Rows of the INSERT statements in a run of whole lines of mariadb-dump output.

    MariaDB's dump puts each row on its own line after `INSERT ... VALUES` (no raw newline can be inside a value:
    the dump escapes them), so counting is counting lines. Other dumps put a whole statement on one line, where
    rows are counted once the strings are taken out.
    """
    rows = data.count(b"\n(") + data.startswith(b"(")
    inserts = data.count(b"\nINSERT INTO ") + data.startswith(b"INSERT INTO ")
    if inserts and data.count(b" VALUES\n") != inserts:
        for line in data.split(b"\n"):
            if line.startswith(b"INSERT INTO ") and not line.endswith(b" VALUES"):
                rows += _QUOTED_STRING.sub(b"''", line).count(b"),(") + 1
    return rows


@dataclass
class DumpEvent:
    kind: str  # "table" (a new table starts: name), "data" (whole lines of INSERTs, with their rows), "end" (the dump finished)
    name: str = ""
    data: bytes = b""
    rows: int = 0


def dump_events(stream: IO[bytes], block_size: int = READ_BLOCK) -> Iterator[DumpEvent]:
    """Split mariadb-dump's output into tables and their INSERT lines, checking the `-- Dump completed` footer.

    Rows are counted on the way: MariaDB's dump puts each row on a line of its own after `INSERT ... VALUES`, the
    first INSERT tells whether this dump does, and then counting rows is counting lines that start with "(".
    """
    pending = b""
    in_data = False
    started = False
    completed = False
    one_row_per_line: bool | None = None
    while True:
        block = stream.read1(block_size) if hasattr(stream, "read1") else stream.read(block_size)
        if not block:
            break
        text = pending + block
        cut = text.rfind(b"\n") + 1
        pending, text = text[cut:], text[:cut]
        position = 0
        while position < len(text):
            if in_data:
                # Rows go on while lines start with "(" or "INSERT"; a line starting otherwise ends them.
                if text[position:position + 1] not in (b"(", b"I"):
                    end_at = position
                else:
                    end = _DATA_END.search(text, position)
                    end_at = len(text) if end is None else end.start() + 1
                if end_at > position:
                    data = text[position:end_at]
                    yield DumpEvent("data", data=data, rows=rows_in(data) if not one_row_per_line else data.count(b"\n(") + (data[:1] == b"("))
                    position = end_at
                if position < len(text):
                    in_data = False
                continue
            line_end = text.find(b"\n", position) + 1
            line = text[position:line_end]
            if line.startswith(b"INSERT INTO "):
                if not started:
                    raise DumpError("the dump's data starts before any table marker")
                if one_row_per_line is None:
                    one_row_per_line = line.endswith(b" VALUES\n")
                in_data = True
                continue
            position = line_end
            if line.startswith(_MARKER):
                started = True
                yield DumpEvent("table", name=_marker_name(line))
            elif line.startswith(b"-- Dump completed"):
                completed = True
    if pending.strip():
        raise DumpError("the dump was cut short in the middle of a line")
    if not completed:
        raise DumpError("the dump ends without its '-- Dump completed' line: it was cut short")
    yield DumpEvent("end")


def _marker_name(line: bytes) -> str:
    quoted = line[len(_MARKER) - 1:].rstrip(b"\r\n")
    if not (quoted.startswith(b"`") and quoted.endswith(b"`")):
        raise DumpError(f"unexpected table marker in the dump: {line[:200]!r}")
    return quoted[1:-1].replace(b"``", b"`").decode("utf-8", "replace")


# --------------------------------------------------------------------------------------------------------------------
# Splitting a part into statements
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class Statement:
    number: int  # 1-based, in the part
    offset: int  # byte offset of its first byte in the decompressed part
    sql: bytes


def _without_leading_comments(sql: bytes) -> bytes:
    while True:
        sql = sql.lstrip()
        if sql.startswith(b"-- ") or sql.startswith(b"#") or sql == b"--" or sql.startswith(b"--\n") or sql.startswith(b"--\t"):
            newline = sql.find(b"\n")
            sql = b"" if newline < 0 else sql[newline + 1:]
            continue
        return sql


def iter_line_statements(stream: IO[bytes], block_size: int = READ_BLOCK) -> Iterator[Statement]:
    """Statements of a part whose statements all end with ';' at the end of a line, and only there (what backup_db
    writes for tables: one INSERT per line, no raw newline in strings). Comment lines between statements are dropped."""
    pending = b""
    base = 0
    number = 0
    while True:
        block = stream.read(block_size)
        if not block:
            break
        text = pending + block
        start = 0
        while True:
            end = text.find(b";\n", start)
            if end < 0:
                break
            sql = _without_leading_comments(text[start:end])
            if sql:
                number += 1
                yield Statement(number, base + start, sql)
            start = end + 2
        pending = text[start:]
        base += start
    if _without_leading_comments(pending).strip():
        raise PartError(f"the part ends in the middle of a statement (offset {base})")


_SINGLE_QUOTED = re.compile(rb"'[^'\\]*(?:(?:\\.|'')[^'\\]*)*'", re.S)
_DOUBLE_QUOTED = re.compile(rb'"[^"\\]*(?:(?:\\.|"")[^"\\]*)*"', re.S)
_BACKTICKED = re.compile(rb"`[^`]*(?:``[^`]*)*`")
_BLOCK_COMMENT = re.compile(rb"/\*.*?\*/", re.S)
_DELIMITER_COMMAND = re.compile(rb"delimiter[ \t]+(\S+)[^\n]*(?:\n|$)", re.I)
_WHITESPACE = re.compile(rb"\s*")


def iter_sql_statements(stream: IO[bytes], block_size: int = READ_BLOCK) -> Iterator[Statement]:
    """Statements of any SQL script as the mysql client splits it: quotes ('', "", ``) with backslash escapes and
    doubled quotes, comments (--, #, /* */; /*! */ is kept, the server runs it), and DELIMITER lines."""
    return _SqlSplitter(stream, block_size).statements()


class _SqlSplitter:
    """A scanner over a growing buffer: `start` is where the current statement begins, `position` how far it is read."""

    def __init__(self, stream: IO[bytes], block_size: int) -> None:
        self.stream = stream
        self.block_size = block_size
        self.buffer = b""
        self.base = 0
        self.start = 0
        self.position = 0
        self.eof = False
        self.delimiter = b";"
        self.special = self._special_pattern()

    def _special_pattern(self) -> re.Pattern[bytes]:
        return re.compile(rb"['\"`#]|/\*|--|" + re.escape(self.delimiter))

    def _refill(self) -> None:
        block = self.stream.read(self.block_size)
        if not block:
            self.eof = True
            return
        keep = self.start
        self.buffer = self.buffer[keep:] + block
        self.base += keep
        self.start -= keep
        self.position -= keep

    def statements(self) -> Iterator[Statement]:
        number = 0
        has_code = False
        while True:
            if not has_code and not self._at_code():
                if self.eof and self.position >= len(self.buffer):
                    return
                continue
            found = self.special.search(self.buffer, self.position)
            if found is None:
                if self.buffer[self.position:].strip():
                    has_code = True
                if self.eof:
                    break
                # A token may straddle the end of the buffer: look at the last bytes again once more are read.
                self.position = max(self.position, len(self.buffer) - max(2, len(self.delimiter)) + 1)
                self._refill()
                continue
            token = found.group(0)
            if self.buffer[self.position:found.start()].strip():
                has_code = True
            end = self._token_end(token, found.start())
            if end is None:
                if self.eof:
                    raise PartError(f"the part ends inside a quoted string or comment (offset {self.base + found.start()})")
                self.position = found.start()
                self._refill()
                continue
            self.position = end
            if token == self.delimiter:
                if has_code:
                    number += 1
                    yield Statement(number, self.base + self.start, _without_leading_comments(self.buffer[self.start:found.start()]))
                self.start = end
                has_code = False
            elif token in (b"'", b'"', b"`") or self.buffer.startswith(b"/*!", found.start()) or (token == b"--" and end == found.start() + 2):
                has_code = True
        if has_code:
            raise PartError(f"the part ends in the middle of a statement (offset {self.base + self.start})")

    def _at_code(self) -> bool:
        """Between statements: skip whitespace and obey DELIMITER lines. False when it had to read more first."""
        self.position = _WHITESPACE.match(self.buffer, self.position).end()
        if self.buffer.find(b"\n", self.position) < 0 and not self.eof:
            self._refill()  # the whole line is needed to tell a DELIMITER command
            return False
        if self.position >= len(self.buffer):
            return False
        command = _DELIMITER_COMMAND.match(self.buffer, self.position)
        if command is None:
            return True
        self.delimiter = command.group(1)
        self.special = self._special_pattern()
        self.start = self.position = command.end()
        return False

    def _token_end(self, token: bytes, at: int) -> int | None:
        """Where the token starting at `at` ends, or None when the buffer ends first (or more bytes could change it)."""
        buffer = self.buffer
        if token == self.delimiter:
            end = at + len(token)
            return end if end < len(buffer) or self.eof or len(token) == 1 else None
        if token in (b"'", b'"', b"`"):
            pattern = {b"'": _SINGLE_QUOTED, b'"': _DOUBLE_QUOTED, b"`": _BACKTICKED}[token]
            match = pattern.match(buffer, at)
            if match is None or (match.end() == len(buffer) and not self.eof):
                return None
            return match.end()
        if token == b"/*":
            match = _BLOCK_COMMENT.match(buffer, at)
            return match.end() if match else None
        if token == b"--":
            following = buffer[at + 2:at + 3]
            if not following and not self.eof:
                return None
            if following not in (b"", b" ", b"\t", b"\n", b"\r"):
                return at + 2  # "--1" is minus minus one, not a comment
        newline = buffer.find(b"\n", at)
        if newline < 0:
            return len(buffer) if self.eof else None
        return newline + 1


def statement_preview(sql: bytes) -> str:
    text = sql.decode("utf-8", "replace").replace("\n", " ")
    return text if len(text) <= STATEMENT_PREVIEW else text[:STATEMENT_PREVIEW] + "..."


# --------------------------------------------------------------------------------------------------------------------
# Running a part on a connection
# --------------------------------------------------------------------------------------------------------------------


def restore_session(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in SESSION_SETTINGS:
            cursor.execute(statement)


def run_part(connection: Any, path: str, split: str, zstd: str | None = None, stop: threading.Event | None = None,
             rewrite: Callable[[bytes], bytes] | None = None, skip: int = 0, before: Callable[[int, bytes], None] | None = None) -> int:
    """Execute every statement of a part; returns how many ran. PartError names the part, statement and offset.

    skip statements are passed over (a resumed official dump); stop, when set by another worker, ends the part early;
    before(number, sql) is called ahead of each statement (to journal restart points).
    """
    splitter = iter_line_statements if split == SPLIT_LINES else iter_sql_statements
    name = os.path.basename(path)
    ran = 0
    with open_part(path, zstd) as stream:
        for statement in splitter(stream):
            if statement.number <= skip:
                continue
            if stop is not None and stop.is_set():
                raise PartError(f"{name}: stopped after statement {statement.number - 1} because another job failed")
            sql = rewrite(statement.sql) if rewrite else statement.sql
            if before is not None:
                before(statement.number, sql)
            try:
                connection.query(sql)
            except QUERY_ERRORS as exc:
                raise PartError(f"{name}, statement {statement.number} at offset {statement.offset}: {query_error_message(exc)}: "
                                f"{statement_preview(sql)}") from None
            ran += 1
    return ran


# --------------------------------------------------------------------------------------------------------------------
# Making a dump
# --------------------------------------------------------------------------------------------------------------------


@dataclass
class DumpTool:
    """mariadb-dump or mysqldump, and how to call it: the credentials are in defaults_file, never on its command line."""

    binary: str
    defaults_file: str
    database: str
    version: str = ""

    def argv(self, tables: list[str]) -> list[str]:
        return mariadb_dump_argv(self.binary, self.defaults_file, self.database, tables, self.version)


class SnapshotLockError(DumpError):
    """The tables could not be locked for the instant that lines up mariadb-dump's snapshot with ours."""


@dataclass
class DumpSettings:
    folder: str
    compression: str  # "zstd" | "gzip"
    zstd: str | None
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    small_bytes: int = SMALL_PART_BYTES


class TableParts:
    """The parts of one table. The first carries DROP and CREATE; a new part starts at a statement end once
    chunk_bytes of SQL are written (a restore redoes a table from its first part, so later parts need no DDL)."""

    def __init__(self, settings: DumpSettings, index: int, table: DbObject) -> None:
        self.settings = settings
        self.index = index
        self.table = table
        self.parts: list[dict[str, Any]] = []
        self.chunk = 0
        self.writer = self._open()
        if not line_safe(table.definition):
            self.writer.split = SPLIT_SQL
        self.writer.write(table_ddl(table.name, table.definition, table.transactional))

    @property
    def rows(self) -> int:
        return sum(part["rows"] for part in self.parts) + self.writer.rows

    def add_statement(self, sql: bytes, rows: int) -> None:
        self.writer.write(sql, rows)
        if self.writer.sql_bytes >= self.settings.chunk_bytes:
            self._rotate()

    def add_dump_lines(self, data: bytes, rows: int) -> None:
        """Whole lines of mariadb-dump INSERTs holding `rows` rows; a part may only end where a statement does."""
        if self.writer.sql_bytes + len(data) > self.settings.chunk_bytes:
            cut = data.rfind(b";\n") + 2
            if cut > 1:
                head_rows = rows_in(data[:cut])
                self.writer.write(data[:cut], head_rows)
                self._rotate()
                data, rows = data[cut:], rows - head_rows
        if data:
            self.writer.write(data, rows)

    def close(self) -> list[dict[str, Any]]:
        self.writer.write(table_footer(self.table.name, self.table.transactional))
        self.parts.append(self.writer.close())
        return self.parts

    def abort(self, exc: BaseException | None = None) -> None:
        self.writer.abort(exc)

    def _open(self) -> PartWriter:
        self.chunk += 1
        writer = PartWriter(self.settings.folder, part_stem(self.index, self.table.name, self.chunk if self.chunk > 1 else 0),
                            self.settings.compression, self.settings.zstd, self.settings.small_bytes)
        writer.write(part_header(f"table {self.table.name}" + (f", part {self.chunk}" if self.chunk > 1 else "")))
        return writer

    def _rotate(self) -> None:
        self.parts.append(self.writer.close())
        self.writer = self._open()


def lock_tables(connection: Any, tables: list[str], timeout: int) -> None:
    """READ locks on every table at once: writers finish their transactions first and new ones wait."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SET SESSION lock_wait_timeout = {int(timeout)}")
            cursor.execute("LOCK TABLES " + ", ".join(f"{quote_identifier(name)} READ" for name in tables))
    except QUERY_ERRORS as exc:
        raise SnapshotLockError(f"cannot lock the shop's tables to line up the snapshots: {query_error_message(exc)}") from None


class _Checksums(threading.Thread):
    """CHECKSUM TABLE of each table on the snapshot connection, while the main thread writes the dump's parts."""

    def __init__(self, connection: Any, tables: list[str]) -> None:
        super().__init__(name="shopfleet-checksums", daemon=True)
        self.connection = connection
        self.tables = tables
        self.values: dict[str, int | None] = {}
        self.error: str | None = None

    def run(self) -> None:
        try:
            for table in self.tables:
                self.values[table] = checksum_table(self.connection, table)
        except QUERY_ERRORS as exc:
            self.error = f"CHECKSUM TABLE failed: {query_error_message(exc)}"


class Dumper:
    """Writes the parts of the selected tables, views and triggers and returns what the manifest says about them.

    Every transactional table is read from one consistent snapshot, and its CHECKSUM TABLE is computed in that
    same snapshot. With mariadb-dump, the tool's snapshot and our checksum connection's snapshot are opened while
    READ locks hold every table still, so both see the same committed rows; the locks are released as soon as
    the tool has started its first table. Tables without transactions (MyISAM, Aria) are read and checksummed
    under their own READ lock, one at a time: consistent with themselves, not with the others (a warning says so).
    """

    def __init__(self, connect: Callable[[], Any], settings: DumpSettings, objects: list[DbObject]) -> None:
        self.connect = connect
        self.settings = settings
        self.tables = [item for item in objects if item.kind == "table"]
        self.views = [item for item in objects if item.kind == "view"]
        self.indexes = {item.name: number for number, item in enumerate(self.tables + self.views, start=1)}
        self.entries: dict[str, dict[str, Any]] = {}
        self.triggers: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self._definitions_read = False
        self._open_parts: TableParts | None = None  # the table mariadb-dump's stream is filling
        self._reading: set[TableParts] = set()  # tables PyMySQL readers are filling

    # -- the whole dump -------------------------------------------------------------------------------------------

    def run(self, engine: str, tool: DumpTool | None = None, lock_timeout: int = 10) -> dict[str, Any]:
        """Dump everything; returns {tables: [...], triggers: [...], warnings: [...]}. engine: mariadb-dump | pymysql."""
        transactional = [table for table in self.tables if table.transactional]
        by_tool = [] if engine != "mariadb-dump" or tool is None else self._tool_tables(transactional)
        self._read_columns([table for table in self.tables if table not in by_tool])
        try:
            if by_tool and tool is not None:
                self._dump_with_tool(transactional, by_tool, tool, lock_timeout)
            elif transactional:
                self._dump_with_pymysql(transactional, lock_timeout)
            self._dump_locked([table for table in self.tables if not table.transactional])
            self._dump_views_and_triggers()
        except BaseException as exc:
            for parts in [self._open_parts, *self._reading]:
                if parts is not None:
                    parts.abort(exc)
            raise
        ordered = [self.entries[item.name] for item in self.tables + self.views]
        return {"tables": ordered, "triggers": self.triggers, "warnings": self.warnings}

    def _tool_tables(self, tables: list[DbObject]) -> list[DbObject]:
        """The tables mariadb-dump can dump exactly: not those with a FLOAT column, which it prints with 6 digits."""
        connection = self.connect()
        try:
            floats = {row["name"] for row in fetch_all(connection, "SELECT DISTINCT TABLE_NAME AS name FROM information_schema.COLUMNS "
                                                       "WHERE TABLE_SCHEMA = DATABASE() AND DATA_TYPE = 'float'")}
        finally:
            connection.close()
        return [table for table in tables if table.name not in floats]

    def _read_columns(self, tables: list[DbObject]) -> None:
        """Columns and keys of the tables PyMySQL reads (mariadb-dump needs none of them)."""
        if not tables:
            return
        connection = self.connect()
        try:
            for table in tables:
                table.columns = table_columns(connection, table.name)
                table.key = leading_integer_key(connection, table.name, table.columns)
        finally:
            connection.close()

    def _read_definitions(self, connection: Any) -> None:
        """CREATE statements, read once the snapshot is open: an AUTO_INCREMENT read later is never below a dumped id."""
        if self._definitions_read:
            return
        for table in self.tables:
            table.definition = show_create_table(connection, table.name)
        for view in self.views:
            view.definition = show_create_view(connection, view.name)
        self.triggers = list_triggers(connection, [table.name for table in self.tables])
        self._definitions_read = True

    # -- engines --------------------------------------------------------------------------------------------------

    def _dump_with_pymysql(self, tables: list[DbObject], lock_timeout: int) -> None:
        """Rows on READERS connections (different tables at once: the server formats rows on one core per connection)
        and checksums on another, all with snapshots opened at the same instant under READ locks; when the tables
        cannot be locked, one connection does it all, table by table, in its one snapshot."""
        connections = [self.connect() for _count in range(READERS + 1)]
        try:
            limit = min(prepare_reading_session(connection) for connection in connections)
            aligned = self._open_aligned_snapshots(connections, [table.name for table in tables], lock_timeout)
            readers = connections[:READERS] if aligned else connections[:1]
            self._read_definitions(readers[0])
            checksums = _Checksums(connections[-1], [table.name for table in tables]) if aligned else None
            if checksums:
                checksums.start()
            try:
                self._read_tables(readers, sorted(tables, key=lambda table: -table.bytes_estimate), limit, inline_checksums=not aligned)
            finally:
                if checksums:
                    checksums.join()
            if checksums:
                if checksums.error:
                    raise DumpError(checksums.error)
                for table in tables:
                    self.entries[table.name]["checksum"]["value"] = checksums.values.get(table.name)
        finally:
            for connection in connections:
                connection.close()

    def _open_aligned_snapshots(self, connections: list[Any], tables: list[str], lock_timeout: int) -> bool:
        """Snapshots on every connection at the same instant (True), or on the first one only when the tables cannot
        be locked (False)."""
        locker = self.connect()
        try:
            try:
                lock_tables(locker, tables, lock_timeout)
            except SnapshotLockError:
                open_snapshot(connections[0])
                return False
            for connection in connections:
                open_snapshot(connection)
            return True
        finally:
            _unlock(locker)
            locker.close()

    def _read_tables(self, readers: list[Any], tables: list[DbObject], limit: int, inline_checksums: bool) -> None:
        """Each reader takes the next table (biggest first) until none is left; the first error stops them all."""
        work: queue.Queue = queue.Queue()
        for table in tables:
            work.put(table)
        errors: list[BaseException] = []

        def read(connection: Any) -> None:
            while not errors:
                try:
                    table = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    checksum = checksum_table(connection, table.name) if inline_checksums else None
                    self._record(table, self._dump_rows(connection, table, limit), checksum, "snapshot")
                except BaseException as exc:  # re-raised in the calling thread
                    errors.append(exc)

        threads = [threading.Thread(target=read, args=(connection,), name="shopfleet-reader", daemon=True) for connection in readers[1:]]
        for thread in threads:
            thread.start()
        read(readers[0])
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def _dump_with_tool(self, tables: list[DbObject], by_tool: list[DbObject], tool: DumpTool, lock_timeout: int) -> None:
        """`by_tool` through mariadb-dump, the other tables through PyMySQL on the checksum connection afterwards: all
        of them read in snapshots opened at the same instant, under READ locks on every table."""
        snapshot = self.connect()
        locker = self.connect()
        process: Any = None
        argv = tool.argv([table.name for table in by_tool])
        try:
            limit = prepare_reading_session(snapshot)
            lock_tables(locker, [table.name for table in tables], lock_timeout)
            open_snapshot(snapshot)
            with tempfile.TemporaryFile() as errors:
                # Popen, not run_command: the dump streams through the pipe (run_command would buffer it in memory).
                process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors)  # pylint: disable=ansible-bad-function
                widen_pipe(process.stdout)
                try:
                    checksums = self._read_tool_output(process, tables, by_tool, snapshot, locker, lock_timeout)
                except DumpError as exc:
                    # Stop the tool first: waiting for it while it blocks on a full pipe would never end.
                    exited = process.poll()
                    process.stdout.close()
                    process.kill()
                    raise DumpError(_tool_error(process, errors, argv[0], str(exc), exited)) from None
                if process.wait() != 0:
                    raise DumpError(_tool_error(process, errors, argv[0], "", process.returncode))
            for table in tables:
                if table not in by_tool:
                    self._record(table, self._dump_rows(snapshot, table, limit), None, "snapshot")
                self.entries[table.name]["checksum"]["value"] = checksums.get(table.name)
        finally:
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
            _unlock(locker)
            locker.close()
            snapshot.close()

    def _read_tool_output(self, process: Any, tables: list[DbObject], by_tool: list[DbObject], snapshot: Any, locker: Any,
                          lock_timeout: int) -> dict[str, int | None]:
        """Parts from the tool's stream; the locks go as soon as its first table shows (its snapshot is open by then)."""
        # Should the tool hang before its first table, the shop's writes must not wait behind our locks.
        watchdog = threading.Timer(max(lock_timeout, 5), process.kill)
        watchdog.start()
        events = dump_events(process.stdout)
        try:
            first = next(events)
        finally:
            watchdog.cancel()
            _unlock(locker)
        self._read_definitions(snapshot)
        checksums = _Checksums(snapshot, [table.name for table in tables])
        checksums.start()
        try:
            seen = self._write_tool_tables(by_tool, first, events)
        finally:
            checksums.join()
        if checksums.error:
            raise DumpError(checksums.error)
        missing = [table.name for table in by_tool if table.name not in seen]
        if missing:
            raise DumpError(f"the dump has no data section for {', '.join(missing[:5])}")
        return checksums.values

    def _write_tool_tables(self, tables: list[DbObject], first: DumpEvent, events: Iterator[DumpEvent]) -> set[str]:
        expected = iter(tables)
        seen: set[str] = set()
        event: DumpEvent | None = first
        while event is not None:
            if event.kind == "table":
                self._finish_tool_table()
                table = next(expected, None)
                if table is None or table.name != event.name:
                    raise DumpError(f"the dump holds table {event.name!r} where {table.name if table else 'nothing'!r} was expected")
                seen.add(table.name)
                self._open_parts = TableParts(self.settings, self.indexes[table.name], table)
            elif event.kind == "data":
                if self._open_parts is None:
                    raise DumpError("the dump holds rows outside any table")
                self._open_parts.add_dump_lines(event.data, event.rows)
            else:
                self._finish_tool_table()
            event = next(events, None)
        return seen

    def _finish_tool_table(self) -> None:
        if self._open_parts is None:
            return
        parts, self._open_parts = self._open_parts, None
        self._record(parts.table, parts.close(), None, "snapshot")

    def _dump_locked(self, tables: list[DbObject]) -> None:
        if not tables and self._definitions_read:
            return
        connection = self.connect()
        try:
            limit = prepare_reading_session(connection)
            self._read_definitions(connection)
            for table in tables:
                locked = self._lock_one(connection, table)
                try:
                    checksum = checksum_table(connection, table.name)
                    parts = self._dump_rows(connection, table, limit)
                finally:
                    if locked:
                        _unlock(connection)
                self._record(table, parts, checksum, "table-lock" if locked else "none")
        finally:
            connection.close()

    def _lock_one(self, connection: Any, table: DbObject) -> bool:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLES {quote_identifier(table.name)} READ")
        except QUERY_ERRORS as exc:
            self.warnings.append(f"{table.name} ({table.engine}) has no transactions and could not be locked ({query_error_message(exc)}): "
                                 "rows written during the backup may make its checksum disagree with its rows")
            return False
        self.warnings.append(f"{table.name} ({table.engine}) has no transactions: it was dumped under its own READ lock, "
                             "consistent with itself but not with the snapshot of the other tables")
        return True

    def _dump_rows(self, connection: Any, table: DbObject, limit: int) -> list[dict[str, Any]]:
        parts = TableParts(self.settings, self.indexes[table.name], table)
        self._reading.add(parts)
        prefix = insert_prefix(table.name, table.columns)
        reader = TableReader(connection, table.name, table.columns, table.key, limit)
        for values, rows in reader.batches():
            parts.add_statement(insert_statement(prefix, values), rows)
        self._reading.discard(parts)
        return parts.close()

    def _dump_views_and_triggers(self) -> None:
        for view in self.views:
            writer = PartWriter(self.settings.folder, part_stem(self.indexes[view.name], view.name), self.settings.compression,
                                self.settings.zstd, self.settings.small_bytes)
            writer.split = SPLIT_SQL
            writer.write(part_header(f"view {view.name}") + view_part_sql(view.name, view.definition))
            self.entries[view.name] = {"name": view.name, "kind": "view", "rows": None,
                                       "checksum": {"algorithm": DEFINITION_ALGORITHM, "value": definition_sha256(view.definition)},
                                       "definition_sha256": definition_sha256(view.definition), "parts": [writer.close()]}
        first = len(self.tables) + len(self.views) + 1
        for number, trigger in enumerate(self.triggers, start=first):
            writer = PartWriter(self.settings.folder, part_stem(number, trigger["name"]) + ".trigger", self.settings.compression,
                                self.settings.zstd, self.settings.small_bytes)
            writer.split = SPLIT_SQL
            writer.write(part_header(f"trigger {trigger['name']} on {trigger['table']}") + trigger_part_sql(trigger))
            trigger["parts"] = [writer.close()]
            del trigger["statement"]

    def _record(self, table: DbObject, parts: list[dict[str, Any]], checksum: int | None, consistency: str) -> None:
        self.entries[table.name] = {
            "name": table.name, "kind": "table", "engine": table.engine, "transactional": table.transactional,
            "consistency": consistency, "rows": sum(part["rows"] for part in parts),
            "checksum": {"algorithm": CHECKSUM_ALGORITHM, "value": checksum},
            "definition_sha256": definition_sha256(table.definition), "parts": parts,
        }


def _unlock(connection: Any) -> None:
    with contextlib.suppress(*QUERY_ERRORS):
        with connection.cursor() as cursor:
            cursor.execute("UNLOCK TABLES")


def _tool_error(process: subprocess.Popen, errors: IO[bytes], tool: str, ours: str, code: int | None) -> str:
    """One line on a failed dump: the tool's exit code and last error when it failed on its own, else what we found
    wrong with its output (its exit code is always checked: never hidden behind a pipe)."""
    process.wait()
    errors.seek(0)
    lines = [line.strip() for line in errors.read(8000).decode("utf-8", "replace").splitlines() if line.strip() and "warning" not in line.lower()]
    said = lines[-1][:300] if lines else ""
    name = os.path.basename(tool)
    if code not in (None, 0):
        return f"{name} failed (exit {code})" + (f": {said}" if said else "")
    return (ours or f"{name} failed") + (f" ({name} said: {said})" if said else "")
