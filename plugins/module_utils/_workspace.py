# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The per-shop workspace on a shop host (backups, journals, logs, reports) and how we write into it.

Everything here holds customer data: folders are 0700, files 0600, and a file only appears under its final name
once it is complete (temporary name, fsync, rename, fsync of the folder).

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
from dataclasses import dataclass
from typing import IO, Any

DEFAULT_ROOT_FOR_ROOT = "/var/lib/shopfleet"
DEFAULT_ROOT_FOR_USERS = "~/.local/share/shopfleet"
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
PARTIAL_MARK = ".part-"
# The upgrade role's record of a run under way (upgrade_config writes it, upgrade_check reads it, upgrade_complete
# removes it): while it exists, a rerun to the same target resumes with the same backup.
UPGRADE_RUN_FILE = "upgrade-run.json"

# Our default backup names, as PrestaShop's upgrade module names its own: V<version>_<YYYYmmdd-HHMMSS>-<hex>.
BACKUP_NAME_PATTERN = re.compile(r"^V(?P<version>[0-9][0-9A-Za-z.\-]*)_(?P<date>[0-9]{8}-[0-9]{6})-(?P<hex>[0-9a-f]{1,8})$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$")


class WorkspaceError(Exception):
    """A workspace problem with a one-line reason."""


@dataclass(frozen=True)
class Workspace:
    """Where one shop's upgrade material lives. Never inside the shop's web root unless the user says so."""

    root: str
    backups: str
    journals: str
    logs: str
    reports: str

    @classmethod
    def for_shop(cls, shop_root: str, workspace: str | None = None, backup_dir: str | None = None) -> "Workspace":
        base = os.path.abspath(os.path.expanduser(workspace or default_workspace_root()))
        root = os.path.join(base, shop_slug(shop_root))
        backups = os.path.abspath(os.path.expanduser(backup_dir)) if backup_dir else os.path.join(root, "backups")
        return cls(root=root, backups=backups, journals=os.path.join(root, "journals"), logs=os.path.join(root, "logs"),
                   reports=os.path.join(root, "reports"))

    def backup_path(self, name: str) -> str:
        return os.path.join(self.backups, check_name(name))


def default_workspace_root() -> str:
    return DEFAULT_ROOT_FOR_ROOT if os.geteuid() == 0 else os.path.expanduser(DEFAULT_ROOT_FOR_USERS)


def shop_slug(shop_root: str) -> str:
    """A folder name for a shop: readable (its path) and unique (a hash of the absolute path)."""
    absolute = os.path.abspath(shop_root).rstrip("/") or "/"
    readable = re.sub(r"[^A-Za-z0-9]+", "-", absolute).strip("-")[-48:] or "root"
    return f"{readable}-{hashlib.sha256(absolute.encode()).hexdigest()[:8]}"


def check_name(name: str) -> str:
    """A backup or report name that is safe as one path component."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise WorkspaceError(f"invalid name {name!r}: use letters, digits, '.', '_' and '-' (at most 128), starting with a letter or digit")
    return name


def new_backup_name(version: str, now: datetime.datetime | None = None) -> str:
    stamp = (now or datetime.datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"V{version}_{stamp}-{secrets.token_hex(4)}"


def is_inside(path: str, folder: str) -> bool:
    """Whether `path` is `folder` or below it, after resolving symlinks of both."""
    path, folder = os.path.realpath(path), os.path.realpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def ensure_private_dir(path: str) -> bool:
    """Create the folder (and missing parents) as 0700; return whether anything was created."""
    if os.path.isdir(path):
        return False
    parent = os.path.dirname(path.rstrip("/"))
    if parent and not os.path.isdir(parent):
        ensure_private_dir(parent)
    try:
        os.mkdir(path, PRIVATE_DIR_MODE)
    except FileExistsError:
        return False
    os.chmod(path, PRIVATE_DIR_MODE)
    return True


def fsync_dir(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class AtomicFile:
    """A file that appears under `path` only when the `with` block ends without an exception.

    Written as `<path>.part-<random>` (0600) in the same folder, synced, then renamed; an exception or a kill leaves
    at worst a `.part-` file, which `remove_partials` clears and nothing ever takes for a finished file.
    """

    def __init__(self, path: str, mode: int = PRIVATE_FILE_MODE) -> None:
        self.path = path
        self.mode = mode
        self.temp = f"{path}{PARTIAL_MARK}{secrets.token_hex(4)}"
        self.handle: IO[bytes] | None = None

    def __enter__(self) -> IO[bytes]:
        descriptor = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, self.mode)
        self.handle = os.fdopen(descriptor, "wb")
        return self.handle

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if self.handle is None:
            return
        try:
            if exc_type is None:
                self.handle.flush()
                os.fsync(self.handle.fileno())
        finally:
            self.handle.close()
        if exc_type is not None:
            _unlink_quietly(self.temp)
            return
        os.chmod(self.temp, self.mode)
        os.replace(self.temp, self.path)
        fsync_dir(os.path.dirname(os.path.abspath(self.path)))


def atomic_write(path: str, data: bytes, mode: int = PRIVATE_FILE_MODE) -> None:
    with AtomicFile(path, mode) as handle:
        handle.write(data)


def write_json(path: str, document: Any) -> None:
    """Write a manifest or report atomically, 0600, stable key order so that reruns produce the same bytes."""
    atomic_write(path, (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))


def read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise WorkspaceError(f"{path} is not valid JSON: {exc}") from None


def remove_partials(folder: str) -> list[str]:
    """Delete what interrupted writes left in a folder (files and folders whose name holds `.part-`)."""
    removed = []
    if not os.path.isdir(folder):
        return removed
    for entry in sorted(os.listdir(folder)):
        if PARTIAL_MARK not in entry:
            continue
        path = os.path.join(folder, entry)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            _unlink_quietly(path)
        removed.append(path)
    return removed


def sha256_file(path: str, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def workspace_argument_spec() -> dict[str, Any]:
    """Options of the `shopfleet.prestashop._workspace` documentation fragment."""
    return {"workspace": {"type": "path"}, "backup_dir": {"type": "path"}}
