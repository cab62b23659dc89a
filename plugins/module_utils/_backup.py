# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backups on disk: the component manifests every backup module writes and every rollback module trusts.

A backup is `<backups>/<name>/` with one folder per component (`files/`, `db/`). A component is complete only when
its `manifest.json` exists, parses, has the component's `format`, names the backup it sits in, and every data file
of the folder is listed in `contents` with its exact size (and, on a deep verify, its sha256). Leftovers of an
interrupted write (`.part-` names) make it incomplete: a killed backup is never taken for a good one.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import bz2
import datetime
import gzip
import os
import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import find_admin_dirs
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    BACKUP_NAME_PATTERN,
    PARTIAL_MARK,
    WorkspaceError,
    read_json,
    sha256_file,
    utc_now,
    write_json,
)

FILES_FORMAT = "shopfleet.backup.files/1"
DB_FORMAT = "shopfleet.backup.db/1"
COMPONENTS = ("files", "db")
FORMATS = {"files": FILES_FORMAT, "db": DB_FORMAT}
MANIFEST = "manifest.json"
# A backup being deleted is renamed first, so that a killed prune never leaves something that looks like a backup.
DELETING_MARK = ".deleting-"

# The official autoupgrade module's backups: <shop>/<admin>/autoupgrade/backup/auto-backupfiles_<name>.zip and
# <shop>/<admin>/autoupgrade/backup/<name>/auto-backupdb_NNNNNN_<name>.sql[.gz|.bz2] (its BackupFinder's rules).
OFFICIAL_FILES_ZIP = re.compile(r"^auto-backupfiles_(?P<name>.*-[0-9a-f]{1,8})\.zip$")
OFFICIAL_PART = re.compile(r"^auto-backupdb_(?P<number>[0-9]{6})_(?P<name>.+?)\.sql(?:\.(?P<compression>gz|bz2|bz))?$")
_MAGIC = {"gz": b"\x1f\x8b", "bz2": b"BZh", "bz": b"BZh"}
_CHUNK = 1 << 20
_BZ2_STREAM_END = 0x177245385090
_BZ2_TAIL_BYTES = 11  # the end marker (48 bits), the CRC (32) and up to 7 padding bits


class BackupError(Exception):
    """A backup problem with a one-line reason."""


@dataclass
class Component:
    """One component of a backup as found on disk, with everything that keeps it from being usable."""

    kind: str
    path: str
    manifest: dict[str, Any] | None
    complete: bool
    problems: list[str] = field(default_factory=list)

    @property
    def backup_name(self) -> str:
        return os.path.basename(os.path.dirname(os.path.abspath(self.path)))

    @property
    def contents(self) -> list[dict[str, Any]]:
        """The manifest's `contents` entries that are well formed (the others are reported as problems)."""
        entries = (self.manifest or {}).get("contents")
        return [entry for entry in entries if _is_content_entry(entry)] if isinstance(entries, list) else []

    @property
    def bytes(self) -> int:
        return sum(entry["bytes"] for entry in self.contents)


def component_path(backup_path: str, kind: str) -> str:
    if kind not in FORMATS:
        raise BackupError(f"unknown backup component {kind!r}: expected one of {', '.join(COMPONENTS)}")
    return os.path.join(backup_path, kind)


def read_component(backup_path: str, kind: str) -> Component:
    """The shallow check: manifest, format, name, every listed file present with its size, nothing unlisted or partial."""
    path = component_path(backup_path, kind)
    if not os.path.isdir(path):
        return Component(kind, path, None, False, [f"no {kind} component ({path} is missing)"])
    problems = [f"unfinished write left {name}" for name in _partial_leftovers(path)]
    manifest, manifest_problem = _load_manifest(path)
    if manifest_problem:
        return Component(kind, path, manifest, False, problems + [manifest_problem])
    problems += _manifest_problems(manifest, kind, os.path.basename(os.path.abspath(backup_path)))
    problems += _contents_problems(path, manifest.get("contents"))
    problems += _reference_problems(manifest, kind)
    return Component(kind, path, manifest, not problems, problems)


def verify_component(component: Component) -> list[str]:
    """The deep check: re-read every listed file (streamed) and compare its sha256 with the manifest.

    Files already found missing or of the wrong size by `read_component` are skipped (their problem is known).
    """
    problems = []
    for entry in component.contents:
        path = os.path.join(component.path, entry["file"])
        try:
            if not os.path.isfile(path) or os.path.getsize(path) != entry["bytes"]:
                continue
            if sha256_file(path) != entry["sha256"]:
                problems.append(f"{entry['file']}: sha256 differs from the manifest (file altered or corrupt)")
        except OSError as exc:
            problems.append(f"{entry['file']}: cannot be read ({exc.strerror or exc})")
    return problems


def check_component(backup_path: str, kind: str, deep: bool = False) -> Component:
    """`read_component`, plus the sha256 of every file when `deep`; the problems of both are in the result."""
    component = read_component(backup_path, kind)
    if deep and component.manifest is not None:
        deep_problems = verify_component(component)
        if deep_problems:
            component.problems.extend(deep_problems)
            component.complete = False
    return component


def require_complete(backup_path: str, kind: str, deep: bool = False) -> Component:
    """The component, or BackupError (one line) saying why no rollback may use it."""
    component = check_component(backup_path, kind, deep=deep)
    if not component.complete:
        raise BackupError(f"backup {os.path.basename(os.path.abspath(backup_path))!r}: {kind} component is not usable: {describe_problems(component.problems)}")
    return component


def describe_problems(problems: list[str], limit: int = 5) -> str:
    """Problems on one line; a long list is cut with a count of what was left out."""
    shown = "; ".join(problems[:limit])
    return shown + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


def write_component_manifest(component_path: str, manifest: dict[str, Any]) -> None:
    """Fill `contents` and write `manifest.json` LAST: from this moment on the component is complete.

    `manifest["contents"]` may list the data files (relative names, or `{file, sha256}` dicts when the writer already
    hashed the file while streaming it, which saves a second read); when absent, every file of the folder is listed.
    The sizes are always taken from disk. `name` defaults to the backup folder's name, `completed` to now (UTC).
    """
    kind = _kind_of(manifest.get("format"))
    if kind is None:
        raise BackupError(f"cannot write a manifest with format {manifest.get('format')!r}: expected {FILES_FORMAT} or {DB_FORMAT}")
    leftovers = _partial_leftovers(component_path)
    if leftovers:
        raise BackupError(f"{component_path} still holds unfinished files ({', '.join(leftovers[:3])}): finish or remove them first")
    backup_name = os.path.basename(os.path.dirname(os.path.abspath(component_path)))
    document = dict(manifest)
    document.setdefault("name", backup_name)
    document.setdefault("completed", utc_now())
    listed = document.get("contents")
    wanted = _data_files(component_path) if listed is None else listed
    document["contents"] = [_content_entry(component_path, item) for item in wanted]
    problems = _manifest_problems(document, kind, backup_name) + _contents_problems(component_path, document["contents"])
    problems += _reference_problems(document, kind)
    if problems:
        raise BackupError(f"refusing to write an invalid manifest in {component_path}: {describe_problems(problems)}")
    write_json(os.path.join(component_path, MANIFEST), document)


def _content_entry(folder: str, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        item = {"file": item}
    if not isinstance(item, dict) or not isinstance(item.get("file"), str):
        raise BackupError(f"invalid contents entry {item!r}: expected a file name or a {{file, sha256}} mapping")
    name = item["file"]
    if not _is_safe_relative(name):
        raise BackupError(f"invalid contents entry {name!r}: expected a path relative to {folder}")
    path = os.path.join(folder, name)
    try:
        size = os.path.getsize(path)
        digest = item.get("sha256") or sha256_file(path)
    except OSError as exc:
        raise BackupError(f"cannot list {path} in the manifest: {exc.strerror or exc}") from None
    return {"file": name, "bytes": size, "sha256": digest}


def _kind_of(format_name: Any) -> str | None:
    for kind, known in FORMATS.items():
        if format_name == known:
            return kind
    return None


def _load_manifest(path: str) -> tuple[dict[str, Any] | None, str | None]:
    manifest_path = os.path.join(path, MANIFEST)
    try:
        manifest = read_json(manifest_path)
    except WorkspaceError:
        return None, f"{MANIFEST} does not parse (truncated or altered)"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{MANIFEST} cannot be read ({getattr(exc, 'strerror', None) or exc})"
    if manifest is None:
        return None, f"no {MANIFEST} (the backup did not finish)"
    if not isinstance(manifest, dict):
        return None, f"{MANIFEST} is not a JSON object"
    return manifest, None


def _manifest_problems(manifest: dict[str, Any], kind: str, backup_name: str) -> list[str]:
    problems = []
    if manifest.get("format") != FORMATS[kind]:
        problems.append(f"{MANIFEST} has format {manifest.get('format')!r}, expected {FORMATS[kind]!r}")
    if manifest.get("name") != backup_name:
        problems.append(f"{MANIFEST} names backup {manifest.get('name')!r} but sits in {backup_name!r} (renamed or copied)")
    return problems


def _contents_problems(folder: str, entries: Any) -> list[str]:
    if not isinstance(entries, list):
        return [f"{MANIFEST} has no contents list"]
    problems = []
    listed = set()
    for entry in entries:
        if not _is_content_entry(entry):
            problems.append(f"{MANIFEST} has an invalid contents entry {entry!r}")
            continue
        name = entry["file"]
        if name in listed:
            problems.append(f"{name}: listed twice")
            continue
        listed.add(name)
        problems.extend(_file_problem(folder, name, entry["bytes"]))
    problems += [f"{name}: not listed in {MANIFEST}" for name in _data_files(folder) if name not in listed]
    return problems


def _file_problem(folder: str, name: str, expected: int) -> list[str]:
    path = os.path.join(folder, name)
    if os.path.islink(path) or not os.path.isfile(path):
        return [f"{name}: missing"]
    size = os.path.getsize(path)
    if size != expected:
        return [f"{name}: {size} bytes on disk, {expected} in the manifest ({'truncated' if size < expected else 'grown'})"]
    return []


def _reference_problems(manifest: dict[str, Any], kind: str) -> list[str]:
    """Files the kind-specific sections name (archive, index, parts) must be among the checked `contents`."""
    contents = {entry["file"]: entry for entry in manifest.get("contents") or [] if _is_content_entry(entry)}
    referenced = []
    if kind == "files":
        for section in ("archive", "index"):
            value = manifest.get(section)
            if not isinstance(value, dict) or not isinstance(value.get("file"), str):
                referenced.append((f"{section}.file", None, None))
            else:
                referenced.append((value["file"], value.get("sha256"), value.get("bytes")))
    else:
        tables = manifest.get("tables")
        if not isinstance(tables, list):
            return [f"{MANIFEST} has no tables list"]
        for table in tables:
            parts = table.get("parts") if isinstance(table, dict) else None
            if not isinstance(parts, list):
                return [f"{MANIFEST} has a table entry without parts: {table!r}"[:200]]
            referenced += [(part.get("file"), part.get("sha256"), part.get("bytes")) if isinstance(part, dict) else (None, None, None) for part in parts]
    problems = []
    for name, digest, size in referenced:
        entry = contents.get(name) if isinstance(name, str) else None
        if entry is None:
            problems.append(f"{name or 'a part'}: named by {MANIFEST} but not in its contents")
        elif (digest is not None and digest != entry["sha256"]) or (size is not None and size != entry["bytes"]):
            problems.append(f"{name}: {MANIFEST} gives two different sizes or checksums for it")
    return problems


def _is_content_entry(entry: Any) -> bool:
    return (isinstance(entry, dict) and isinstance(entry.get("file"), str) and _is_safe_relative(entry["file"])
            and isinstance(entry.get("bytes"), int) and not isinstance(entry.get("bytes"), bool) and entry["bytes"] >= 0
            and isinstance(entry.get("sha256"), str) and len(entry["sha256"]) == 64)


def _is_safe_relative(name: str) -> bool:
    return bool(name) and not name.startswith("/") and os.path.normpath(name) == name and not name.startswith("..") and name != MANIFEST


def _data_files(folder: str) -> list[str]:
    """Every file below the folder, relative, sorted, but the manifest itself and unfinished (`.part-`) ones."""
    found = []
    for current, dirs, files in os.walk(folder):
        # Unfinished writes are reported as such, not as unlisted data.
        dirs[:] = sorted(name for name in dirs if PARTIAL_MARK not in name)
        relative = os.path.relpath(current, folder)
        for name in sorted(files):
            path = name if relative == "." else os.path.join(relative, name)
            if path != MANIFEST and PARTIAL_MARK not in name:
                found.append(path)
    return found


def _partial_leftovers(folder: str) -> list[str]:
    leftovers = []
    for current, dirs, files in os.walk(folder):
        relative = os.path.relpath(current, folder)
        for name in sorted(dirs + files):
            if PARTIAL_MARK in name:
                leftovers.append(name if relative == "." else os.path.join(relative, name))
    return sorted(leftovers)


# --- the official module's backups -----------------------------------------------------------------------------


@dataclass
class OfficialBackup:
    """One backup of the official autoupgrade module: its files zip and its numbered database parts."""

    name: str
    folder: str
    zip_path: str | None
    parts: list[str]
    complete: bool
    problems: list[str] = field(default_factory=list)

    @property
    def bytes(self) -> int:
        paths = ([self.zip_path] if self.zip_path else []) + self.parts
        return sum(os.path.getsize(path) for path in paths if os.path.isfile(path))


def official_backup_dir(shop_root: str, admin_dir: str) -> str:
    return os.path.join(shop_root, admin_dir, "autoupgrade", "backup")


def official_zip_path(folder: str, name: str) -> str:
    return os.path.join(folder, f"auto-backupfiles_{name}.zip")


def list_official_backups(folder: str) -> list[str]:
    """Names found in the official backup folder: a zip or a `V...` folder of parts, even when the other half is missing."""
    if not os.path.isdir(folder):
        return []
    names = set()
    for entry in os.listdir(folder):
        match = OFFICIAL_FILES_ZIP.match(entry)
        if match and os.path.isfile(os.path.join(folder, entry)):
            names.add(match.group("name"))
        elif entry.startswith("V") and DELETING_MARK not in entry and os.path.isdir(os.path.join(folder, entry)):
            names.add(entry)
    return sorted(names)


def deletion_leftovers(folder: str) -> list[str]:
    """Folders an interrupted prune renamed for deletion and did not finish removing (absolute paths)."""
    if not os.path.isdir(folder):
        return []
    return [os.path.join(folder, entry) for entry in sorted(os.listdir(folder))
            if DELETING_MARK in entry and os.path.isdir(os.path.join(folder, entry)) and not os.path.islink(os.path.join(folder, entry))]


def official_parts(folder: str, name: str) -> list[str]:
    """The database parts of backup `name`, by number (absolute paths)."""
    part_folder = os.path.join(folder, name)
    if not os.path.isdir(part_folder):
        return []
    found = []
    for entry in os.listdir(part_folder):
        match = OFFICIAL_PART.match(entry)
        if match and match.group("name") == name:
            found.append((match.group("number"), entry))
    return [os.path.join(part_folder, entry) for _number, entry in sorted(found)]


def read_official_backup(folder: str, name: str) -> OfficialBackup:
    """The shallow check: the zip's central directory reads, parts numbered 000001..N without gaps, right magic bytes."""
    zip_path = official_zip_path(folder, name)
    parts = official_parts(folder, name)
    problems = official_zip_problems(zip_path) + official_parts_problems(folder, name, parts)
    return OfficialBackup(name, folder, zip_path if os.path.isfile(zip_path) else None, parts, not problems, problems)


def official_zip_problems(zip_path: str, deep: bool = False) -> list[str]:
    if not os.path.isfile(zip_path):
        return [f"no {os.path.basename(zip_path)} (files backup missing)"]
    problems = _zip_problems(zip_path)
    if deep and not problems:
        try:
            with zipfile.ZipFile(zip_path) as archive:
                bad = archive.testzip()
            if bad is not None:
                problems.append(f"{os.path.basename(zip_path)}: member {bad} fails its CRC check")
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            problems.append(f"{os.path.basename(zip_path)}: cannot be read to the end ({exc})")
    return problems


def official_parts_problems(folder: str, name: str, parts: list[str], deep: bool = False) -> list[str]:
    if not parts:
        return [f"no auto-backupdb_NNNNNN_{name}.sql[.gz|.bz2] part in {os.path.join(folder, name)} (database backup missing)"]
    problems = _part_sequence_problems(parts)
    for part in parts:
        shape = _part_shape_problem(part)
        problem = shape or (_decompress_problem(part) if deep else None)
        if problem:
            problems.append(problem)
    return problems


def verify_official_backup(backup: OfficialBackup) -> list[str]:
    """The deep check: every zip member's CRC, every compressed part decompressed to its end (streamed)."""
    problems = []
    if backup.zip_path:
        problems.extend(problem for problem in official_zip_problems(backup.zip_path, deep=True) if problem not in backup.problems)
    problems.extend(problem for problem in map(_decompress_problem, backup.parts) if problem and problem not in backup.problems)
    return problems


def check_official_backup(folder: str, name: str, deep: bool = False) -> OfficialBackup:
    backup = read_official_backup(folder, name)
    if deep:
        deep_problems = verify_official_backup(backup)
        if deep_problems:
            backup.problems.extend(deep_problems)
            backup.complete = False
    return backup


def require_official_backup(folder: str, name: str, deep: bool = False) -> OfficialBackup:
    """The official backup, or BackupError (one line) saying why no rollback may use it."""
    backup = check_official_backup(folder, name, deep=deep)
    if not backup.complete:
        raise BackupError(f"official backup {name!r} is not usable: {describe_problems(backup.problems)}")
    return backup


def _zip_problems(path: str) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            if not archive.infolist():
                return [f"{os.path.basename(path)} is empty"]
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{os.path.basename(path)} is not a readable zip, truncated or corrupt ({exc})"]
    return []


def _part_sequence_problems(parts: list[str]) -> list[str]:
    numbers = [int(OFFICIAL_PART.match(os.path.basename(part)).group("number")) for part in parts]
    problems = [f"part {number:06d} exists twice (with two extensions)" for number in sorted(set(numbers)) if numbers.count(number) > 1]
    missing = sorted(set(range(1, max(numbers) + 1)) - set(numbers)) if numbers else []
    if missing:
        problems.append(f"database part(s) {', '.join(f'{number:06d}' for number in missing[:5])} missing")
    return problems


def _part_shape_problem(part: str) -> str | None:
    """What can be told without decompressing: empty, wrong magic bytes, or a bzip2 stream cut before its end marker."""
    compression = OFFICIAL_PART.match(os.path.basename(part)).group("compression")
    try:
        with open(part, "rb") as handle:
            head = handle.read(3)
            handle.seek(max(os.fstat(handle.fileno()).st_size - _BZ2_TAIL_BYTES, 0))
            tail = handle.read()
    except OSError as exc:
        return f"{os.path.basename(part)}: cannot be read ({exc.strerror or exc})"
    if not head:
        return f"{os.path.basename(part)}: empty"
    if compression and not head.startswith(_MAGIC[compression]):
        return f"{os.path.basename(part)}: not a {compression} file"
    if compression in ("bz2", "bz") and not _ends_with_bz2_stream_end(tail):
        return f"{os.path.basename(part)}: truncated (no bzip2 end-of-stream marker)"
    return None


def _ends_with_bz2_stream_end(tail: bytes) -> bool:
    """A bzip2 file ends with a 48-bit end-of-stream magic, a 32-bit CRC and 0-7 padding bits (not byte aligned)."""
    value = int.from_bytes(tail, "big")
    return any((value >> (padding + 32)) & 0xFFFFFFFFFFFF == _BZ2_STREAM_END for padding in range(8))


def _decompress_problem(part: str) -> str | None:
    compression = OFFICIAL_PART.match(os.path.basename(part)).group("compression")
    opener = {"gz": gzip.open, "bz2": bz2.open, "bz": bz2.open}.get(compression or "", open)
    try:
        with opener(part, "rb") as handle:
            while handle.read(_CHUNK):
                pass
    except (EOFError, OSError, ValueError, zlib.error) as exc:
        return f"{os.path.basename(part)}: truncated or corrupt ({exc})"
    return None


# --- the catalogue: every backup of a shop, ours and the official module's --------------------------------------

SHOPFLEET = "shopfleet"
AUTOUPGRADE = "autoupgrade"


@dataclass
class CatalogEntry:
    """One backup as the catalogue sees it. `components` maps kind -> {present, complete, bytes, problems, verified, path}."""

    name: str
    source: str
    path: str
    version: str | None
    created: float | None
    last_write: float
    bytes: int
    components: dict[str, dict[str, Any]]
    shop_root: str | None = None

    def usable(self, kinds: list[str] | tuple[str, ...]) -> bool:
        """Whether a rollback of `kinds` may use it: each of them present and complete (and not failing a verify)."""
        return all(self.components[kind]["complete"] for kind in kinds)

    def state(self, kinds: list[str] | tuple[str, ...]) -> str:
        """complete (usable for `kinds`), partial (what is there is whole, but a kind is absent) or incomplete."""
        if self.usable(kinds):
            return "complete"
        present = [component for component in self.components.values() if component["present"]]
        if present and all(component["complete"] for component in present):
            return "partial"
        return "incomplete"

    def problems(self) -> list[str]:
        return [f"{kind}: {problem}" for kind, component in self.components.items() if component["present"] for problem in component["problems"]]

    def verified(self) -> bool | None:
        results = [component["verified"] for component in self.components.values() if component["verified"] is not None]
        return all(results) if results else None

    def public(self, kinds: list[str] | tuple[str, ...]) -> dict[str, Any]:
        missing = [f"{kind}: absent" for kind in kinds if not self.components[kind]["present"]]
        return {
            "name": self.name,
            "source": self.source,
            "path": self.path,
            "version": self.version,
            "created": iso_utc(self.created),
            "size_bytes": self.bytes,
            "complete": self.usable(kinds),
            "state": self.state(kinds),
            "problems": missing + self.problems(),
            "verified": self.verified(),
            "components": {kind: dict(component) for kind, component in self.components.items()},
        }


def iso_utc(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> float | None:
    """Epoch seconds of an ISO 8601 time (a trailing Z or an offset; naive = UTC), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def name_time(name: str) -> float | None:
    """The time a `V<version>_<YYYYmmdd-HHMMSS>-<hex>` name carries (the host's local time, as both tools write it)."""
    match = BACKUP_NAME_PATTERN.match(name)
    if not match:
        return None
    try:
        return time.mktime(time.strptime(match.group("date"), "%Y%m%d-%H%M%S"))
    except (ValueError, OverflowError):
        return None


def name_version(name: str) -> str | None:
    match = BACKUP_NAME_PATTERN.match(name)
    return match.group("version") if match else None


def list_backup_folders(backups_dir: str) -> tuple[list[str], list[str]]:
    """(names of the backup folders, absolute paths of leftovers of interrupted deletions) in our backup folder."""
    if not os.path.isdir(backups_dir):
        return [], []
    names = [entry for entry in sorted(os.listdir(backups_dir)) if PARTIAL_MARK not in entry and DELETING_MARK not in entry
             and os.path.isdir(os.path.join(backups_dir, entry)) and not os.path.islink(os.path.join(backups_dir, entry))]
    return names, deletion_leftovers(backups_dir)


def read_backup(backup_path: str, deep: bool = False) -> CatalogEntry:
    """One of our backups: each component checked (deeply when asked), with its version, date and size."""
    components: dict[str, dict[str, Any]] = {}
    manifests = []
    for kind in COMPONENTS:
        component = read_component(backup_path, kind)
        present = os.path.isdir(component.path)
        verified = None
        if deep and component.manifest is not None and present:
            deep_problems = verify_component(component)
            verified = not deep_problems and component.complete
            component.problems.extend(deep_problems)
            component.complete = component.complete and not deep_problems
        if component.manifest is not None:
            manifests.append(component.manifest)
        components[kind] = {"present": present, "complete": component.complete, "bytes": component.bytes if component.manifest else 0,
                            "problems": component.problems if present else [], "verified": verified, "path": component.path,
                            "format": FORMATS[kind]}
    name = os.path.basename(os.path.abspath(backup_path))
    created = [moment for moment in (parse_time(manifest.get("created")) for manifest in manifests) if moment is not None]
    size, last_write = _tree_size_and_last_write(backup_path)
    return CatalogEntry(
        name=name, source=SHOPFLEET, path=backup_path,
        version=next((str(manifest["version"]) for manifest in manifests if manifest.get("version")), None) or name_version(name),
        created=min(created) if created else (name_time(name) or os.stat(backup_path).st_mtime),
        last_write=last_write, bytes=size, components=components,
        shop_root=next((str(manifest["shop_root"]) for manifest in manifests if manifest.get("shop_root")), None),
    )


def read_official_entry(folder: str, name: str, deep: bool = False) -> CatalogEntry:
    """One backup of the official module, described like ours (files = the zip, db = the parts)."""
    zip_path = official_zip_path(folder, name)
    part_folder = os.path.join(folder, name)
    parts = official_parts(folder, name)
    zip_present, db_present = os.path.isfile(zip_path), os.path.isdir(part_folder)
    zip_problems = official_zip_problems(zip_path, deep=deep) if zip_present else []
    db_problems = official_parts_problems(folder, name, parts, deep=deep) if db_present else []
    stats = [os.stat(path) for path in ([zip_path] if zip_present else []) + parts]
    if not stats and db_present:
        stats.append(os.stat(part_folder))
    components = {
        "files": {"present": zip_present, "complete": zip_present and not zip_problems, "problems": zip_problems,
                  "bytes": os.path.getsize(zip_path) if zip_present else 0, "verified": (not zip_problems) if deep and zip_present else None,
                  "path": zip_path, "format": "autoupgrade.zip"},
        "db": {"present": db_present, "complete": db_present and not db_problems, "problems": db_problems,
               "bytes": sum(os.path.getsize(part) for part in parts), "verified": (not db_problems) if deep and db_present else None,
               "path": part_folder, "format": "autoupgrade.sql"},
    }
    return CatalogEntry(
        name=name, source=AUTOUPGRADE, path=folder, version=name_version(name),
        created=name_time(name) or (min(stat.st_mtime for stat in stats) if stats else None),
        last_write=max((stat.st_mtime for stat in stats), default=0.0),
        bytes=sum(component["bytes"] for component in components.values()), components=components,
    )


def _tree_size_and_last_write(folder: str) -> tuple[int, float]:
    size, last_write = 0, os.stat(folder).st_mtime
    for current, _dirs, files in os.walk(folder):
        last_write = max(last_write, os.stat(current).st_mtime)
        for name in files:
            try:
                stat = os.lstat(os.path.join(current, name))
            except FileNotFoundError:
                continue
            size += stat.st_size
            last_write = max(last_write, stat.st_mtime)
    return size, last_write


def same_shop(recorded: str | None, shop_root: str) -> bool:
    """Whether a backup's recorded shop root is this shop (unknown counts as this shop: the folder is the shop's)."""
    if not recorded:
        return True
    return os.path.abspath(recorded).rstrip("/") == os.path.abspath(shop_root).rstrip("/") or os.path.realpath(recorded) == os.path.realpath(shop_root)


def official_folders(shop_root: str, admin_dir: str | None) -> list[str]:
    """Where the official module keeps backups: in the given back office, or in every folder that looks like one."""
    if admin_dir:
        return [official_backup_dir(shop_root, admin_dir)]
    if not os.path.isdir(shop_root):
        return []
    return [official_backup_dir(shop_root, admin) for admin in find_admin_dirs(shop_root) if os.path.isdir(official_backup_dir(shop_root, admin))]


def find_backup(name: str, backups_dir: str, official_dirs: list[str], deep: bool = False) -> CatalogEntry | None:
    """The backup called `name`: ours first, then the official module's; None when neither exists."""
    ours = os.path.join(backups_dir, name)
    if os.path.isdir(ours) and DELETING_MARK not in name and PARTIAL_MARK not in name:
        return read_backup(ours, deep=deep)
    for folder in official_dirs:
        if name in list_official_backups(folder):
            return read_official_entry(folder, name, deep=deep)
    return None
