# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shop trees as the files backup sees them: walking with exclusion rules, the backup's index, the tar archive.

- Rules are root-relative like PrestaShop's own (`/var/cache`): a rule without wildcards names one path and prunes
  its subtree; `*`, `?` and `[...]` never cross a `/` (fnmatch with FNM_PATHNAME), and a `**` component spans any
  number of folders (`/**/.git`). `{admin}` stands for the back-office folder.
- The walk never follows symlinks, lists sockets/fifos/devices as skipped, and yields entries in archive order.
- The archive is a PAX tar streamed through `zstd` (a subprocess on the other core), an in-process gzip that stores
  already-compressed files instead of deflating them again, or nothing. Every file is read once: the same bytes
  are hashed (sha256) and archived, so the index always describes what the archive holds.
- The index (`index.jsonl.gz`) has one JSON object per archived entry, in archive order.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import errno
import fcntl
import gzip
import hashlib
import io
import json
import os
import queue
import re
import secrets
import shutil
import signal
import stat
import subprocess
import tarfile
import tempfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass
from typing import IO, Any, Callable, Iterable, Iterator, NamedTuple

FILE, DIR, LINK = "file", "dir", "link"
ENTRY_TYPES = (FILE, DIR, LINK)
ADMIN_PLACEHOLDER = "{admin}"
# PrestaShop's own backup exclusions (the upgrade module's backup filter), plus img/tmp.
DEFAULT_EXCLUDES = (
    "/app/cache", "/cache/smarty/compile", "/cache/smarty/cache", "/cache/tcpdf", "/cache/cachefs", "/var/cache",
    "/modules/autoupgrade", "/{admin}/autoupgrade", "/img/tmp",
)
IMAGES_RULE = "/img"
# Caches a restored tree must not keep: a stale compiled container or appParameters.php breaks the shop.
CACHE_DIRS = ("var/cache", "app/cache", "cache/smarty/compile", "cache/smarty/cache")
CACHE_KEEP = ("index.php",)

COMPRESSIONS = ("zstd", "gzip", "none")
ARCHIVE_NAMES = {"zstd": "archive.tar.zst", "gzip": "archive.tar.gz", "none": "archive.tar"}
INDEX_NAME = "index.jsonl.gz"
# Files up to this size are read whole, so that one that changes while read can be read again before archiving.
SMALL_FILE = 1 << 20
CHUNK = 1 << 20
_FLUSH_AT = 1 << 18
# Formats whose content is compressed already: deflating them again costs time for nothing.
ALREADY_COMPRESSED = frozenset((
    "7z", "apk", "avif", "br", "bz2", "docx", "eot", "gif", "gz", "heic", "jar", "jpeg", "jpg", "lz4", "m4a", "mp3", "mp4",
    "ods", "odt", "ogg", "ogv", "pdf", "png", "pptx", "rar", "tbz2", "tgz", "txz", "webm", "webp", "woff", "woff2", "xlsx",
    "xz", "zip", "zst",
))
_STORE_MIN = 4096
RESTORE_MARK = ".shopfleet-restore.part-"
_MTIME_TOLERANCE_NS = 1000
_TAR_ENCODING = "utf-8"
_TAR_ERRORS = "surrogateescape"


class FileTreeError(Exception):
    """A tree, archive or index problem with a one-line reason."""


# --- rules ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One root-relative rule (`/var/cache`, `/img/*.jpg`, `/**/.git`) and where it came from."""

    pattern: str
    source: str

    def public(self) -> dict[str, str]:
        return {"rule": self.pattern, "source": self.source}


def normalize_rule(text: str, admin_dir: str | None = None) -> str:
    """`var/cache/` → `/var/cache`; `{admin}` replaced by the back-office folder; `.`/`..` components refused."""
    if not isinstance(text, str) or not text.strip():
        raise FileTreeError(f"invalid rule {text!r}: expected a path relative to the shop root such as /var/cache")
    rule = text.strip()
    if ADMIN_PLACEHOLDER in rule:
        if not admin_dir:
            raise FileTreeError(f"rule {text!r} uses {ADMIN_PLACEHOLDER} but the back-office folder is unknown: set admin_dir")
        rule = rule.replace(ADMIN_PLACEHOLDER, admin_dir)
    parts = [part for part in rule.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts):
        raise FileTreeError(f"invalid rule {text!r}: expected a path below the shop root such as /var/cache (no '.' or '..')")
    return "/" + "/".join(parts)


def _has_wildcards(text: str) -> bool:
    return any(char in text for char in "*?[")


def _component_regex(component: str) -> str:
    """One path component of a rule as a regex in which no wildcard matches '/'."""
    out, index = [], 0
    while index < len(component):
        char = component[index]
        index += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = index + 1 if index < len(component) and component[index] in "!^" else index
            end = end + 1 if end < len(component) and component[end] == "]" else end
            end = component.find("]", end)
            if end < 0:
                out.append(re.escape(char))
                continue
            body = component[index:end].replace("\\", "\\\\")
            if body[:1] in ("!", "^"):
                body = "^/" + body[1:]
            out.append(f"[{body}]")
            index = end + 1
        else:
            out.append(re.escape(char))
    return "".join(out)


def _rule_regex(pattern: str) -> re.Pattern[str]:
    parts = pattern.lstrip("/").split("/")
    out = []
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if part == "**":
            out.append(".*" if last else "(?:[^/]+/)*")
        else:
            out.append(_component_regex(part) + ("" if last else "/"))
    return re.compile("".join(out) + r"\Z", re.DOTALL)


class RuleSet:
    """Rules matched against root-relative paths (no leading slash). The first rule given for a pattern wins."""

    def __init__(self, rules: Iterable[Rule] = ()) -> None:
        self.rules: list[Rule] = []
        self._exact: dict[str, Rule] = {}
        self._patterns: list[tuple[re.Pattern[str], Rule]] = []
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> None:
        if any(known.pattern == rule.pattern for known in self.rules):
            return
        self.rules.append(rule)
        if _has_wildcards(rule.pattern):
            self._patterns.append((_rule_regex(rule.pattern), rule))
        else:
            self._exact[rule.pattern.lstrip("/")] = rule

    def match(self, path: str) -> Rule | None:
        """The rule naming this path itself (a match prunes the path and its subtree)."""
        rule = self._exact.get(path)
        if rule is not None:
            return rule
        for regex, candidate in self._patterns:
            if regex.match(path):
                return candidate
        return None

    def covers(self, path: str) -> Rule | None:
        """The rule naming this path or one of its parent folders."""
        current = path
        while current:
            rule = self.match(current)
            if rule is not None:
                return rule
            current = current.rpartition("/")[0]
        return None

    def public(self) -> list[dict[str, str]]:
        return [rule.public() for rule in self.rules]

    def __len__(self) -> int:
        return len(self.rules)


def escape_rule(path: str) -> str:
    """A literal path as a rule: its wildcard characters matched as themselves."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in path)


def rule_for_folder(root: str, folder: str, source: str) -> Rule | None:
    """An exact rule for `folder` when it sits inside the shop root (after resolving symlinks), else None."""
    real_root, real_folder = os.path.realpath(root), os.path.realpath(folder)
    if not real_folder.startswith(real_root.rstrip("/") + "/"):
        return None
    return Rule("/" + escape_rule(os.path.relpath(real_folder, real_root).replace(os.sep, "/")), source)


# --- walking ------------------------------------------------------------------------------------------------------

_SPECIAL_KINDS = ((stat.S_ISSOCK, "socket"), (stat.S_ISFIFO, "fifo"), (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


@dataclass
class Node:
    """A file, folder or symlink of the tree, with its lstat (and its target for a link, when read)."""

    path: str
    kind: str
    stat: os.stat_result
    target: str | None = None


@dataclass
class Skipped:
    """A path the walk left out: excluded by a rule, a special file, or one that vanished while walking."""

    path: str
    kind: str
    rule: str | None
    reason: str
    # Listed among the kept paths of a restore (a path the restore leaves alone for a reason the user should see).
    report: bool = False

    def public(self) -> dict[str, Any]:
        return {"path": self.path, "type": self.kind, "rule": self.rule, "reason": self.reason}


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISDIR(mode):
        return DIR
    if stat.S_ISLNK(mode):
        return LINK
    return next((name for test, name in _SPECIAL_KINDS if test(mode)), "unknown")


def walk(root: str, rules: RuleSet | None = None) -> Iterator[Node | Skipped]:
    """Every path below root in archive order (a folder, then its entries sorted by name), never following links.

    Paths a rule matches are yielded as Skipped and not descended into. A folder that cannot be listed is an error:
    leaving it out silently is what this walk exists to avoid.
    """
    rules = rules or RuleSet()
    stack: list[tuple[str, Iterator[os.DirEntry[str]]]] = [("", iter(_list_dir(root)))]
    while stack:
        parent, entries = stack[-1]
        entry = next(entries, None)
        if entry is None:
            stack.pop()
            continue
        path = f"{parent}/{entry.name}" if parent else entry.name
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            yield Skipped(path, "unknown", None, "vanished while walking the tree")
            continue
        except OSError as exc:
            raise FileTreeError(f"cannot stat {entry.path}: {exc.strerror or exc}") from None
        kind = kind_of(info.st_mode)
        rule = rules.match(path)
        if rule is not None:
            yield Skipped(path, kind, rule.pattern, rule.source)
            continue
        if kind not in ENTRY_TYPES:
            yield Skipped(path, kind, None, f"special file ({kind}): not archivable")
            continue
        yield Node(path, kind, info)
        if kind == DIR:
            stack.append((path, iter(_list_dir(entry.path))))


def _list_dir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise FileTreeError(f"cannot list {path}: {exc.strerror or exc}") from None


# --- the index ------------------------------------------------------------------------------------------------------


class IndexEntry(NamedTuple):
    """One archived entry. mtime_ns is exact to the nanosecond; uid/gid/mode are None when the backup lacks them."""

    path: str
    type: str
    size: int
    mode: int | None
    mtime_ns: int | None
    uid: int | None = None
    gid: int | None = None
    sha256: str | None = None
    target: str | None = None
    crc32: int | None = None


def index_record(entry: IndexEntry, unstable: bool = False) -> dict[str, Any]:
    """The JSON object of an entry: path, type, size, mode, mtime (float seconds; mtime_ns exact), uid, gid, sha256 | target."""
    record: dict[str, Any] = {"path": entry.path, "type": entry.type, "size": entry.size, "mode": entry.mode,
                              "mtime": entry.mtime_ns / 1e9 if entry.mtime_ns is not None else None, "mtime_ns": entry.mtime_ns,
                              "uid": entry.uid, "gid": entry.gid}
    if entry.type == FILE:
        record["sha256"] = entry.sha256
    if entry.type == LINK:
        record["target"] = entry.target
    if unstable:
        record["changed_while_reading"] = True
    return record


def safe_relative(path: Any) -> bool:
    """A root-relative path that stays inside the root: no leading '/', no '.', '..' or empty components."""
    return (isinstance(path, str) and bool(path) and not path.startswith("/") and "\x00" not in path
            and all(part not in ("", ".", "..") for part in path.split("/")))


def entry_from_record(record: Any, where: str) -> IndexEntry:
    """An index line as an IndexEntry, or FileTreeError naming the line when it is malformed."""
    if not isinstance(record, dict):
        raise FileTreeError(f"{where}: not a JSON object")
    path, kind = record.get("path"), record.get("type")
    if not safe_relative(path):
        raise FileTreeError(f"{where}: unsafe or invalid path {path!r}")
    if kind not in ENTRY_TYPES:
        raise FileTreeError(f"{where}: unknown type {kind!r}")
    ints = {}
    for key in ("size", "mode", "uid", "gid", "mtime_ns"):
        value = record.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise FileTreeError(f"{where}: invalid {key} {value!r}")
        ints[key] = value
    mtime = record.get("mtime")
    if mtime is not None and (not isinstance(mtime, (int, float)) or isinstance(mtime, bool)):
        raise FileTreeError(f"{where}: invalid mtime {mtime!r}")
    sha256, target = record.get("sha256"), record.get("target")
    if kind == FILE and (not isinstance(sha256, str) or not re.fullmatch("[0-9a-f]{64}", sha256) or ints["size"] is None):
        raise FileTreeError(f"{where}: a file needs its size and sha256")
    if kind == LINK and (not isinstance(target, str) or not target):
        raise FileTreeError(f"{where}: a link needs its target")
    mtime_ns = ints["mtime_ns"] if ints["mtime_ns"] is not None else (round(mtime * 1e9) if mtime is not None else None)
    return IndexEntry(path, kind, ints["size"] or 0, ints["mode"], mtime_ns, ints["uid"], ints["gid"], sha256 if kind == FILE else None,
                      target if kind == LINK else None)


class _HashingReader(io.RawIOBase):
    """Reads a file, hashing every byte that goes through (to check a file's sha256 while parsing it)."""

    def __init__(self, handle: IO[bytes]) -> None:
        super().__init__()
        self.handle = handle
        self.digest = hashlib.sha256()
        self.bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        size = self.handle.readinto(buffer)
        if size:
            self.digest.update(memoryview(buffer)[:size])
            self.bytes += size
        return size or 0

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


def read_index(path: str, expected_sha256: str | None = None) -> dict[str, IndexEntry]:
    """The index as {path: entry} in archive order; its sha256 is checked against `expected_sha256` when given."""
    entries: dict[str, IndexEntry] = {}
    try:
        with open(path, "rb") as raw:
            reader = _HashingReader(raw)
            with gzip.GzipFile(fileobj=io.BufferedReader(reader, CHUNK), mode="rb") as lines:
                for number, line in enumerate(lines, 1):
                    where = f"{os.path.basename(path)} line {number}"
                    try:
                        record = json.loads(line)
                    except ValueError:
                        raise FileTreeError(f"{where}: not JSON (index truncated or altered)") from None
                    entry = entry_from_record(record, where)
                    if entry.path in entries:
                        raise FileTreeError(f"{where}: {entry.path} listed twice")
                    entries[entry.path] = entry
            reader.drain()
    except FileNotFoundError:
        raise FileTreeError(f"{path} is missing") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise FileTreeError(f"{path} cannot be read (truncated or corrupt): {exc}") from None
    if expected_sha256 is not None and reader.digest.hexdigest() != expected_sha256:
        raise FileTreeError(f"{os.path.basename(path)}: sha256 differs from the manifest (index altered or corrupt)")
    return entries


class _HashingWriter:
    """Writes into a binary file, counting and hashing what goes through."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.bytes = 0

    def write(self, data: Any) -> int:
        self.digest.update(data)
        self.bytes += len(data)
        self.handle.write(data)
        return len(data)

    def flush(self) -> None:
        self.handle.flush()


class IndexWriter:
    """index.jsonl.gz, streamed: one line per archived entry, gzip with a fixed header so reruns give the same bytes."""

    def __init__(self, handle: IO[bytes]) -> None:
        self._sink = _HashingWriter(handle)
        self._gzip = gzip.GzipFile(filename="", fileobj=self._sink, mode="wb", compresslevel=6, mtime=0)  # type: ignore[arg-type]
        self.entries = 0

    def add(self, record: dict[str, Any]) -> None:
        self._gzip.write(json.dumps(record, sort_keys=True, separators=(",", ":")).encode("ascii") + b"\n")
        self.entries += 1

    def close(self) -> tuple[int, str]:
        """(bytes written, sha256 of them)."""
        self._gzip.close()
        self._sink.flush()
        return self._sink.bytes, self._sink.digest.hexdigest()


# --- archive writing ----------------------------------------------------------------------------------------------


class _Output:
    """Where the tar stream goes; write(data, compressible) may be called with already-compressed content."""

    def write(self, data: Any, compressible: bool = True) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Stop at once after a failure; never raises."""


class _PlainOutput(_Output):
    def __init__(self, sink: _HashingWriter) -> None:
        self.sink = sink

    def write(self, data: Any, compressible: bool = True) -> None:
        try:
            self.sink.write(data)
        except OSError as exc:
            raise _write_error(exc) from None

    def close(self) -> None:
        try:
            self.sink.flush()
        except OSError as exc:
            raise _write_error(exc) from None


class _ZstdOutput(_Output):
    """The tar stream piped into `zstd` on the other core; a thread copies its output into the sink (hashing it)."""

    def __init__(self, executable: str, level: int, sink: _HashingWriter) -> None:
        self.sink = sink
        self.errors = tempfile.TemporaryFile()
        # -T0: one worker per core; the checksum of each frame (on by default) makes a corrupt archive fail to decompress.
        # Popen, not run_command: the archive streams through the pipes (run_command would buffer it in memory).
        self.process = subprocess.Popen(  # pylint: disable=ansible-bad-function
            [executable, f"-{level}", "-T0", "-q", "-c"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors)
        for pipe in (self.process.stdin, self.process.stdout):
            _enlarge_pipe(pipe.fileno())  # type: ignore[union-attr]
        self.failure: BaseException | None = None
        self.pump = threading.Thread(target=self._pump, name="zstd-output", daemon=True)
        self.pump.start()

    def _pump(self) -> None:
        try:
            for chunk in iter(lambda: self.process.stdout.read(CHUNK), b""):  # type: ignore[union-attr]
                self.sink.write(chunk)
        except BaseException as exc:  # noqa: B036 - handed over to the writing thread, which raises it
            self.failure = exc
            self.process.kill()

    def write(self, data: Any, compressible: bool = True) -> None:
        try:
            self.process.stdin.write(data)  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError):
            self.close()
            raise FileTreeError("zstd stopped while compressing the archive") from None

    def close(self) -> None:
        try:
            self.process.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass
        self.pump.join()
        code = self.process.wait()
        if self.failure is not None:
            raise _write_error(self.failure)
        if code != 0:
            self.errors.seek(0)
            detail = self.errors.read(2000).decode("utf-8", "replace").strip().splitlines()
            raise FileTreeError(f"zstd failed with exit code {code}: {detail[-1] if detail else 'no message'}")
        self.sink.flush()

    def abort(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.pump.join()


def _enlarge_pipe(descriptor: int) -> None:
    # 64 KiB pipes make both sides wait on each other for every few files; 1 MiB lets them run apart. Linux only.
    try:
        fcntl.fcntl(descriptor, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass


class _GzipOutput(_Output):
    """gzip in a thread (zlib lets go of the GIL), as consecutive gzip members: deflate level N for compressible data,
    stored blocks (level 0) for files that are compressed already. Every gunzip reads the members as one stream."""

    def __init__(self, level: int, sink: _HashingWriter) -> None:
        self.level = level
        self.sink = sink
        self.queue: queue.Queue[tuple[bool, bytes] | None] = queue.Queue(maxsize=32)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._compress, name="gzip-output", daemon=True)
        self.thread.start()

    def _compress(self) -> None:
        compressor, compressing = None, True
        while True:
            item = self.queue.get()
            if item is None:
                break
            if self.failure is not None:
                continue
            try:
                wanted, data = item
                if compressor is None or wanted != compressing:
                    if compressor is not None:
                        self.sink.write(compressor.flush())
                    compressor = zlib.compressobj(self.level if wanted else 0, zlib.DEFLATED, 31)
                    compressing = wanted
                self.sink.write(compressor.compress(data))
            except BaseException as exc:  # noqa: B036 - handed over to the writing thread, which raises it
                self.failure = exc
        if compressor is not None and self.failure is None:
            try:
                self.sink.write(compressor.flush())
            except BaseException as exc:  # noqa: B036
                self.failure = exc

    def write(self, data: Any, compressible: bool = True) -> None:
        if self.failure is not None:
            self.close()
        self.queue.put((compressible, bytes(data)))

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.failure is not None:
            raise _write_error(self.failure)
        self.sink.flush()

    def abort(self) -> None:
        self.failure = self.failure or FileTreeError("aborted")
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()


def _write_error(exc: BaseException) -> FileTreeError:
    if isinstance(exc, OSError):
        return FileTreeError(f"writing the archive failed: {exc.strerror or exc}")
    return FileTreeError(f"writing the archive failed: {exc}")


def already_compressed(path: str, size: int) -> bool:
    return size >= _STORE_MIN and path.rpartition(".")[2].lower() in ALREADY_COMPRESSED


@dataclass
class Archived:
    """What archiving one entry gave: its index entry, and whether the file changed while it was read."""

    entry: IndexEntry
    unstable: bool = False


class ArchiveWriter:
    """A PAX tar stream of a tree written into `handle` through the chosen compression.

    Each file is opened, fstat'ed and read once: what is hashed is what is archived. Files up to SMALL_FILE are
    read whole, and read again once when they changed meanwhile; bigger ones are streamed, and a change during the
    read is reported (`Archived.unstable`) with the bytes as archived (a file that shrank is padded with zeros).
    """

    def __init__(self, handle: IO[bytes], compression: str, level: int = 1, zstd: str | None = None) -> None:
        self.sink = _HashingWriter(handle)
        self.compression = compression
        self.out: _Output
        if compression == "zstd":
            if not zstd:
                raise FileTreeError("compression zstd needs the zstd program on the host")
            self.out = _ZstdOutput(zstd, level, self.sink)
        elif compression == "gzip":
            self.out = _GzipOutput(level, self.sink)
        elif compression == "none":
            self.out = _PlainOutput(self.sink)
        else:
            raise FileTreeError(f"unknown compression {compression!r}: expected one of {', '.join(COMPRESSIONS)}")
        self.buffer = bytearray()
        self.totals = {"files": 0, "dirs": 0, "links": 0, "bytes": 0}

    def add(self, root: str, node: Node) -> Archived | None:
        """Archive one walked node; None when a file vanished before it could be opened."""
        info = node.stat
        if node.kind == DIR:
            self._header(node.path, tarfile.DIRTYPE, info)
            self.totals["dirs"] += 1
            return Archived(self._entry(node.path, DIR, 0, info))
        if node.kind == LINK:
            try:
                target = os.readlink(os.path.join(root, node.path))
            except FileNotFoundError:
                return None
            self._header(node.path, tarfile.SYMTYPE, info, linkname=target)
            self.totals["links"] += 1
            return Archived(self._entry(node.path, LINK, len(os.fsencode(target)), info, target=target))
        return self._add_file(os.path.join(root, node.path), node.path)

    def _add_file(self, full: str, path: str) -> Archived | None:
        descriptor = _open_file(full)
        if descriptor is None:
            return None
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                return None
            if info.st_size <= SMALL_FILE:
                archived = self._small_file(descriptor, path, info)
            else:
                archived = self._large_file(descriptor, path, info)
        except OSError as exc:
            raise FileTreeError(f"cannot read {full}: {exc.strerror or exc}") from None
        finally:
            os.close(descriptor)
        self.totals["files"] += 1
        self.totals["bytes"] += archived.entry.size
        return archived

    def _small_file(self, descriptor: int, path: str, info: os.stat_result) -> Archived:
        unstable = False
        for attempt in (1, 2):
            data = _read_all(descriptor)
            after = os.fstat(descriptor)
            unstable = len(data) != info.st_size or after.st_mtime_ns != info.st_mtime_ns or after.st_size != info.st_size
            if not unstable or attempt == 2:
                break
            info = after
            os.lseek(descriptor, 0, os.SEEK_SET)
        self._header(path, tarfile.REGTYPE, info, size=len(data))
        compressible = not already_compressed(path, len(data))
        if not compressible:
            self._flush()
            self.out.write(data, False)
        else:
            self.buffer += data
        self._pad(len(data))
        return Archived(self._entry(path, FILE, len(data), info, sha256=hashlib.sha256(data).hexdigest()), unstable)

    def _large_file(self, descriptor: int, path: str, info: os.stat_result) -> Archived:
        size = info.st_size
        self._header(path, tarfile.REGTYPE, info, size=size)
        self._flush()
        compressible = not already_compressed(path, size)
        digest = hashlib.sha256()
        left = size
        while left:
            chunk = os.read(descriptor, min(left, CHUNK))
            if not chunk:
                break
            digest.update(chunk)
            self.out.write(chunk, compressible)
            left -= len(chunk)
        unstable = left > 0
        while left:
            # The file shrank while read: the tar header promised `size` bytes.
            filler = bytes(min(left, CHUNK))
            digest.update(filler)
            self.out.write(filler, compressible)
            left -= len(filler)
        after = os.fstat(descriptor)
        unstable = unstable or after.st_size != size or after.st_mtime_ns != info.st_mtime_ns
        self._pad(size)
        return Archived(self._entry(path, FILE, size, info, sha256=digest.hexdigest()), unstable)

    def _entry(self, path: str, kind: str, size: int, info: os.stat_result, sha256: str | None = None, target: str | None = None) -> IndexEntry:
        return IndexEntry(path, kind, size, stat.S_IMODE(info.st_mode), info.st_mtime_ns, info.st_uid, info.st_gid, sha256, target)

    def _header(self, path: str, kind: bytes, info: os.stat_result, size: int = 0, linkname: str = "") -> None:
        # Whole seconds: a float would add a PAX record to every member. The index keeps the exact time.
        mode, mtime = stat.S_IMODE(info.st_mode), int(info.st_mtime)
        header = ustar_header(path + "/" if kind == tarfile.DIRTYPE else path, kind, mode, info.st_uid, info.st_gid, size, mtime, linkname)
        if header is None:
            member = tarfile.TarInfo(path)
            member.type, member.size, member.mode, member.mtime = kind, size, mode, mtime
            member.uid, member.gid, member.linkname = info.st_uid, info.st_gid, linkname
            header = member.tobuf(tarfile.PAX_FORMAT, _TAR_ENCODING, _TAR_ERRORS)
        self.buffer += header
        if len(self.buffer) >= _FLUSH_AT:
            self._flush()

    def _pad(self, size: int) -> None:
        remainder = size % tarfile.BLOCKSIZE
        if remainder:
            self.buffer += bytes(tarfile.BLOCKSIZE - remainder)
        if len(self.buffer) >= _FLUSH_AT:
            self._flush()

    def _flush(self) -> None:
        if self.buffer:
            self.out.write(self.buffer)
            self.buffer = bytearray()

    def close(self) -> tuple[int, str]:
        """End the tar stream; (archive bytes, archive sha256)."""
        self.buffer += bytes(tarfile.BLOCKSIZE * 2)
        self._flush()
        self.out.close()
        return self.sink.bytes, self.sink.digest.hexdigest()

    def abort(self) -> None:
        self.out.abort()


_USTAR_LIMITS = {"id": 8 ** 7, "size": 8 ** 11}


def ustar_header(name: str, kind: bytes, mode: int, uid: int, gid: int, size: int, mtime: int, linkname: str = "") -> bytes | None:
    """A plain ustar header, or None when the entry needs PAX records (long or non-ASCII names, huge values).

    Byte for byte what tarfile writes for such an entry, at a tenth of the cost: tarfile's header code is most of a
    small file's archiving time.
    """
    try:
        encoded, link = name.encode("ascii"), linkname.encode("ascii")
    except UnicodeEncodeError:
        return None
    if (len(encoded) > 100 or len(link) > 100 or not 0 <= size < _USTAR_LIMITS["size"] or not 0 <= mtime < _USTAR_LIMITS["size"]
            or not 0 <= uid < _USTAR_LIMITS["id"] or not 0 <= gid < _USTAR_LIMITS["id"]):
        return None
    header = b"".join((
        encoded.ljust(100, b"\0"), b"%07o\0" % mode, b"%07o\0" % uid, b"%07o\0" % gid, b"%011o\0" % size, b"%011o\0" % mtime,
        b" " * 8, kind, link.ljust(100, b"\0"), b"ustar\x0000", bytes(64 + 16 + 167),
    ))
    return header[:148] + b"%06o\0 " % sum(header) + header[156:]


def _open_file(full: str) -> int | None:
    """A descriptor on the file, or None when it is gone (or became a symlink) since the walk saw it."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    # O_NOATIME keeps the backup from touching every atime, but needs ownership of the file: then without it.
    for extra in (getattr(os, "O_NOATIME", 0), 0):
        try:
            return os.open(full, flags | extra)
        except PermissionError as exc:
            if extra:
                continue
            raise FileTreeError(f"cannot read {full}: {exc.strerror} (fix its permissions or exclude it)") from None
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return None
            raise FileTreeError(f"cannot read {full}: {exc.strerror or exc} (fix its permissions or exclude it)") from None
    return None


def _read_all(descriptor: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(descriptor, CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


# --- archive reading ------------------------------------------------------------------------------------------------


def compression_of(archive: str) -> str:
    for compression, name in ARCHIVE_NAMES.items():
        if archive.endswith(name[len("archive"):]):
            return compression
    raise FileTreeError(f"unknown archive type {archive!r}: expected one of {', '.join(ARCHIVE_NAMES.values())}")


class _MemberReader:
    """A member's content; a read that hits the end of a truncated or corrupt archive is a FileTreeError."""

    def __init__(self, reader: IO[bytes], archive: str) -> None:
        self.reader = reader
        self.archive = archive

    def read(self, size: int = -1) -> bytes:
        try:
            return self.reader.read(size)
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise FileTreeError(f"{os.path.basename(self.archive)} cannot be read (truncated or corrupt): {exc}") from None


class ArchiveReader:
    """A tar archive read as a stream (decompressed by `zstd -dc`/`gzip -dc` on the other core when possible)."""

    def __init__(self, path: str, compression: str, zstd: str | None = None, gunzip: str | None = None) -> None:
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None
        self.errors = tempfile.TemporaryFile()
        self.handle: IO[bytes]
        if compression == "zstd":
            if not zstd:
                raise FileTreeError(f"{os.path.basename(path)} is zstd-compressed and the zstd program is not on this host")
            # Popen, not run_command: the archive streams through the pipe (run_command would buffer it in memory).
            self.process = subprocess.Popen([zstd, "-dc", "-q", path], stdout=subprocess.PIPE, stderr=self.errors)  # pylint: disable=ansible-bad-function
            self.handle = self.process.stdout  # type: ignore[assignment]
        elif compression == "gzip" and gunzip:
            self.process = subprocess.Popen([gunzip, "-dc", path], stdout=subprocess.PIPE, stderr=self.errors)  # pylint: disable=ansible-bad-function
            self.handle = self.process.stdout  # type: ignore[assignment]
        elif compression == "gzip":
            self.handle = gzip.open(path, "rb")  # type: ignore[assignment]
        else:
            self.handle = open(path, "rb")
        if self.process is not None:
            _enlarge_pipe(self.handle.fileno())
        self.tar = tarfile.open(fileobj=self.handle, mode="r|", bufsize=CHUNK, encoding=_TAR_ENCODING, errors=_TAR_ERRORS)

    def members(self) -> Iterator[tarfile.TarInfo]:
        try:
            yield from self.tar
        except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
            raise FileTreeError(f"{os.path.basename(self.path)} cannot be read (truncated or corrupt): {exc}") from None

    def extract(self, member: tarfile.TarInfo) -> "_MemberReader":
        reader = self.tar.extractfile(member)
        if reader is None:
            raise FileTreeError(f"{member.name} is not a regular file in {os.path.basename(self.path)}")
        return _MemberReader(reader, self.path)

    def close(self, complete: bool) -> None:
        """Close; with `complete`, a decompressor that failed is an error (else it is stopped: we read enough)."""
        code = 0
        if self.process is not None:
            if not complete and self.process.poll() is None:
                self.process.kill()
            self.handle.close()
            code = self.process.wait()
        else:
            self.handle.close()
        if complete and code != 0:
            self.errors.seek(0)
            detail = self.errors.read(2000).decode("utf-8", "replace").strip().splitlines()
            raise FileTreeError(f"decompressing {os.path.basename(self.path)} failed (exit code {code}): {detail[-1] if detail else 'no message'}")
        self.errors.close()


# --- restoring ----------------------------------------------------------------------------------------------------


def mtime_equal(current_ns: int, wanted_ns: int | None) -> bool:
    # Indexes without mtime_ns only have float seconds: good to ~0.2 µs today.
    return wanted_ns is None or abs(current_ns - wanted_ns) <= _MTIME_TOLERANCE_NS


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def crc32_of(path: str) -> int:
    value = 0
    with open(path, "rb", buffering=0) as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            value = zlib.crc32(chunk, value)
    return value


def temp_name(folder: str) -> str:
    return os.path.join(folder, f"{RESTORE_MARK}{secrets.token_hex(6)}")


def write_restored_file(destination: str, source: IO[bytes], entry: IndexEntry, owner: tuple[int, int] | None,
                        check: Callable[[Any], Any] | None = None) -> None:
    """Write `source` to a temporary name beside `destination`, check it, set mode/owner/mtime, rename over.

    `check(digest_or_crc)` raises when the content is not what the backup says; the final name never holds a
    partial or wrong file. Restored files are not fsynced one by one (tens of thousands): the caller syncs at the end.
    """
    folder = os.path.dirname(destination)
    temporary = temp_name(folder)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        digest = hashlib.sha256() if entry.sha256 else None
        crc = 0
        written = 0
        for chunk in iter(lambda: source.read(CHUNK), b""):
            if digest is not None:
                digest.update(chunk)
            else:
                crc = zlib.crc32(chunk, crc)
            view = memoryview(chunk)
            while view:
                view = view[os.write(descriptor, view):]
            written += len(chunk)
        if written != entry.size:
            raise FileTreeError(f"{entry.path}: {written} bytes in the archive, {entry.size} in the index")
        if check is not None:
            check(digest.hexdigest() if digest is not None else crc)
        if owner is not None:
            os.fchown(descriptor, *owner)
        os.fchmod(descriptor, entry.mode if entry.mode is not None else 0o644)
    except BaseException:
        os.close(descriptor)
        _unlink_quietly(temporary)
        raise
    os.close(descriptor)
    try:
        if entry.mtime_ns is not None:
            os.utime(temporary, ns=(entry.mtime_ns, entry.mtime_ns))
        os.replace(temporary, destination)
    except BaseException:
        _unlink_quietly(temporary)
        raise


def write_restored_link(destination: str, entry: IndexEntry, owner: tuple[int, int] | None) -> None:
    """Create the link under a temporary name and rename it over whatever is there (a file or another link)."""
    temporary = temp_name(os.path.dirname(destination))
    os.symlink(entry.target or "", temporary)
    try:
        if owner is not None:
            os.lchown(temporary, *owner)
        if entry.mtime_ns is not None and os.utime in os.supports_follow_symlinks:
            os.utime(temporary, ns=(entry.mtime_ns, entry.mtime_ns), follow_symlinks=False)
        os.replace(temporary, destination)
    except BaseException:
        _unlink_quietly(temporary)
        raise


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def remove_path(path: str) -> None:
    """Remove a file, link or empty folder; a folder that is not empty is left for its entries' removal."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
    else:
        _unlink_quietly(path)


def clear_cache_dir(folder: str, protect: RuleSet, relative: str) -> list[str]:
    """Empty a cache folder, keeping its index.php, dotfiles (.htaccess) and anything protected; the paths removed."""
    removed = []
    for entry in _list_dir(folder):
        path = f"{relative}/{entry.name}"
        if entry.name in CACHE_KEEP or entry.name.startswith(".") or protect.covers(path):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            _unlink_quietly(entry.path)
        removed.append(path)
    return removed


# --- the official module's zip ------------------------------------------------------------------------------------

# What the official module leaves out of its backup (autoupgrade's backup filter), protected when restoring its zips.
OFFICIAL_EXCLUDES = DEFAULT_EXCLUDES + ("/**/.git", "/**/.svn", "/**/autoupgrade")
# Files of this size or more were never put in its zip: absent from it does not mean absent from the shop.
OFFICIAL_SIZE_LIMIT = 15 * 1024 * 1024


def zip_index(path: str) -> tuple[dict[str, IndexEntry], dict[str, str]]:
    """The official module's zip as index entries (size, crc32 and, when the zip kept them, unix mode and links),
    and the member name of each entry's path."""
    entries: dict[str, IndexEntry] = {}
    names: dict[str, str] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileTreeError(f"{os.path.basename(path)} is not a readable zip (truncated or corrupt): {exc}") from None
    for info in infos:
        name = info.filename.replace("\\", "/")
        while name.startswith("./"):
            name = name[2:]
        name = name.lstrip("/").rstrip("/")
        if not name:
            continue
        if not safe_relative(name):
            raise FileTreeError(f"{os.path.basename(path)}: member {info.filename!r} points outside the shop root")
        unix_mode = info.external_attr >> 16 if info.create_system == 3 else 0
        mode = stat.S_IMODE(unix_mode) if unix_mode else None
        mtime_ns = _zip_time_ns(info.date_time)
        if info.is_dir():
            kind = DIR
        elif stat.S_ISLNK(unix_mode):
            kind = LINK
        else:
            kind = FILE
        for parent in _parents(name):
            if parent not in entries:
                entries[parent] = IndexEntry(parent, DIR, 0, None, None)
        if name in entries and entries[name].type != DIR:
            raise FileTreeError(f"{os.path.basename(path)}: {name} is in the zip twice")
        names[name] = info.filename
        if kind == LINK:
            with zipfile.ZipFile(path) as archive:
                target = archive.read(info).decode("utf-8", "surrogateescape")
            entries[name] = IndexEntry(name, LINK, len(target), None, mtime_ns, target=target)
        else:
            entries[name] = IndexEntry(name, kind, info.file_size if kind == FILE else 0, mode if kind == FILE else None, mtime_ns,
                                       crc32=info.CRC if kind == FILE else None)
    return entries, names


def _zip_time_ns(date_time: tuple[int, ...]) -> int | None:
    # Zip times are the local time of the host that wrote it, to 2 seconds: only used to date restored files.
    try:
        return int(time.mktime(tuple(date_time) + (0, 0, -1))) * 1_000_000_000  # type: ignore[arg-type]
    except (OverflowError, ValueError):
        return None


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


# --- a test hook: kill the process at a named point -------------------------------------------------------------------

_FAULT_ENV = "SHOPFLEET_TEST_KILL_AT"
_fault_counts: dict[str, int] = {}


def fault_point(name: str) -> None:
    """Tests set SHOPFLEET_TEST_KILL_AT=<name>:<n> to SIGKILL this process the n-th time it passes `name`."""
    wanted = os.environ.get(_FAULT_ENV)
    if not wanted:
        return
    point, _sep, count = wanted.rpartition(":")
    if point != name:
        return
    _fault_counts[name] = _fault_counts.get(name, 0) + 1
    if str(_fault_counts[name]) == count:
        os.kill(os.getpid(), signal.SIGKILL)
