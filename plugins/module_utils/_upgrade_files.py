# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The files step of an upgrade: an unpacked release brought onto a shop with PrestaShop's rules.

- Rules (autoupgrade's upgrade file filter): never `app/config/parameters.php|yml`, the merchant's images, `override/`,
  `install/`, anything named `.git`, `.svn` or `autoupgrade`, our release marker; `modules/<m>` of a
  `prestashop-module` package in the shop's composer.lock whose folder has a `vendor/`; `themes/classic` when the
  default theme is not to be updated.
- Plan (plain data): folders to make, files to add, update or merge (legacy PHP translations, the shop's values win),
  obsolete files and folders to delete. Content is compared (size, then md5) so unchanged files are never written.
- Apply: each file written as a temporary file in its folder then renamed over the old one, with the old file's
  owner, group and mode; new files take the owner and group of their folder and the release's mode.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import stat
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_config import PhpConfigError, _Parser
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import RELEASE_MARKER, sample_rule

EXCLUDED_NAMES = frozenset({".git", ".svn", "autoupgrade"})
NEVER_COPIED = ("install", "install-dev", "override")
DEFAULT_THEME = "themes/classic"
TEMP_SUFFIX = ".shopfleet-tmp"
_LEGACY_TRANSLATION = re.compile(
    r"^(translations/[a-z]{2}(-[a-z]{2})?/(admin|errors|fields|pdf)\.php"
    r"|modules/[^/]+/translations/[a-z]{2}(-[a-z]{2})?\.php"
    r"|themes/[^/]+/lang/[a-z]{2}(-[a-z]{2})?\.php)$")
_COPY_CHUNK = 1 << 20

Hasher = Callable[[list[str]], "dict[str, str | None]"]


class UpgradeFilesError(Exception):
    """A release or shop the files step refuses to work on (one line)."""


# --- rules ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CopyRules:
    """What the release must not bring into the shop."""

    composer_modules: frozenset = field(default_factory=frozenset)
    update_default_theme: bool = True

    def skip_reason(self, relative: str) -> str | None:
        """Why a release path (file or folder, shop naming) is not copied, or None to copy it."""
        parts = relative.split("/")
        if parts[-1] in EXCLUDED_NAMES:
            return parts[-1]
        if relative == RELEASE_MARKER:
            return "release marker"
        if parts[0] in NEVER_COPIED:
            return parts[0]
        rule = sample_rule(relative)
        if rule:
            return rule
        if parts[0] == "modules" and len(parts) >= 2 and parts[1] in self.composer_modules:
            return "module with its own composer vendor/"
        if not self.update_default_theme and (relative == DEFAULT_THEME or relative.startswith(DEFAULT_THEME + "/")):
            return "update_default_theme is false"
        return None


def composer_modules_with_vendor(shop_root: str) -> frozenset:
    """Modules PrestaShop's upgrade leaves alone: `prestashop-module` packages of the shop's composer.lock whose
    folder in the shop has a vendor/ (their autoloader must not be mixed with the release's copy)."""
    try:
        with open(os.path.join(shop_root, "composer.lock"), encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return frozenset()
    names = set()
    packages = document.get("packages") if isinstance(document, dict) else None
    for package in packages if isinstance(packages, list) else []:
        if not isinstance(package, dict) or package.get("type") != "prestashop-module":
            continue
        name = str(package.get("name", "")).rsplit("/", 1)[-1]
        if name and os.path.isdir(os.path.join(shop_root, "modules", name, "vendor")):
            names.add(name)
    return frozenset(names)


# --- legacy translation files -----------------------------------------------------------------------------------


def is_legacy_translation(relative: str) -> bool:
    """translations/<iso>/{admin,errors,fields,pdf}.php, modules/*/translations/<iso>.php, themes/*/lang/<iso>.php."""
    return bool(_LEGACY_TRANSLATION.match(relative))


def parse_translations(text: str, source: str) -> tuple[str, dict[str, Any]]:
    """(variable name, {key: value}) of a legacy translation file: `global $_X; $_X = array(); $_X['k'] = 'v';`."""
    parser = _Parser(text, source)
    variable: str | None = None
    entries: dict[str, Any] = {}
    while parser.peek()[0] != "end":
        kind, word, line = parser.take()
        if kind == "word" and word.lower() == "global":
            while not parser.at(";"):
                parser.take()
            parser.take(";")
            continue
        if not word.startswith("$") or (variable is not None and word != variable):
            raise PhpConfigError(f"{source} line {line}: {word!r} is not an assignment of the translation array")
        variable = word
        if parser.at("["):
            parser.take("[")
            key = parser.value()
            parser.take("]")
            parser.take("=")
            entries[str(key)] = parser.value()
        else:
            parser.take("=")
            value = parser.value()
            if isinstance(value, list) and not value:
                value = {}
            if not isinstance(value, dict):
                raise PhpConfigError(f"{source} line {line}: {word} is not assigned an array")
            entries.update({str(key): item for key, item in value.items()})
        parser.take(";")
    if variable is None:
        raise PhpConfigError(f"{source}: no translation array")
    return variable, entries


def php_single_quoted(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if value is None:
        return "null"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_translations(variable: str, entries: dict[str, Any]) -> bytes:
    lines = ["<?php", "", f"global {variable};", f"{variable} = array();"]
    lines.extend(f"{variable}[{php_single_quoted(key)}] = {php_single_quoted(value)};" for key, value in entries.items())
    return ("\n".join(lines) + "\n").encode("utf-8")


def merged_translation(release_bytes: bytes, shop_bytes: bytes, source: str) -> bytes:
    """The release's translation file with the shop's values winning. The release's bytes when the shop adds nothing,
    the shop's bytes when the release adds nothing (so a merged file is stable on a rerun). PhpConfigError when either
    file is not the literal PHP such files hold."""
    release_var, release_entries = parse_translations(release_bytes.decode("utf-8", "replace"), f"the release's {source}")
    shop_var, shop_entries = parse_translations(shop_bytes.decode("utf-8", "replace"), f"the shop's {source}")
    if shop_var != release_var:
        raise PhpConfigError(f"{source}: the shop's file fills {shop_var}, the release's {release_var}")
    merged = dict(release_entries)
    merged.update(shop_entries)
    if merged == release_entries:
        return release_bytes
    if merged == shop_entries:
        return shop_bytes
    return render_translations(release_var, merged)


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


# --- the release tree -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseView:
    """An unpacked release as the shop will have it: its back-office folder under the shop's name.

    A release unpacked by release_unzip already has it renamed; a folder the user unzipped (the "directory" route)
    still has `admin/`, which is read as the shop's folder without touching the user's copy.
    """

    root: str
    admin_dir: str = "admin"
    release_admin_dir: str = "admin"

    def source(self, path: str) -> str:
        """The file in the release behind a shop path."""
        if self.release_admin_dir != self.admin_dir and (path == self.admin_dir or path.startswith(self.admin_dir + "/")):
            path = self.release_admin_dir + path[len(self.admin_dir):]
        return os.path.join(self.root, path) if path else self.root

    def shop_name(self, top_level: str) -> str:
        return self.admin_dir if top_level == self.release_admin_dir else top_level


def release_view(tree: "str | ReleaseView") -> ReleaseView:
    return tree if isinstance(tree, ReleaseView) else ReleaseView(tree)


@dataclass
class TreeEntry:
    path: str
    kind: str  # "dir", "file" or "link"
    size: int = 0
    mode: int = 0o644
    target: str = ""


def walk_release(tree: str | ReleaseView, rules: CopyRules, skipped: dict[str, int]) -> list[TreeEntry]:
    """Every folder, file and link of the release the rules let through (shop paths), folders before their contents;
    `skipped` counts what each rule kept out (a pruned folder counts once)."""
    view = release_view(tree)
    entries: list[TreeEntry] = []
    stack = [""]
    while stack:
        folder = stack.pop()
        try:
            children = sorted(os.scandir(view.source(folder)), key=lambda child: child.name)
        except OSError as exc:
            raise UpgradeFilesError(f"cannot read the release folder {view.source(folder)}: {exc.strerror}") from None
        subfolders = []
        for child in children:
            relative = f"{folder}/{child.name}" if folder else view.shop_name(child.name)
            reason = rules.skip_reason(relative)
            if reason:
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            info = child.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                entries.append(TreeEntry(relative, "link", target=os.readlink(child.path)))
            elif stat.S_ISDIR(info.st_mode):
                entries.append(TreeEntry(relative, "dir", mode=stat.S_IMODE(info.st_mode)))
                subfolders.append(relative)
            elif stat.S_ISREG(info.st_mode):
                entries.append(TreeEntry(relative, "file", size=info.st_size, mode=stat.S_IMODE(info.st_mode)))
        stack.extend(reversed(subfolders))
    return entries


# --- the plan ---------------------------------------------------------------------------------------------------


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None


def plan_copy(tree: str | ReleaseView, shop_root: str, rules: CopyRules, hasher: Hasher) -> dict[str, Any]:
    """{mkdir, add, update, merge, links, unchanged, skipped, warnings}: what bringing the release tree onto the shop
    changes, by content. `merge` are legacy translation files whose merge differs from the shop's file."""
    skipped: dict[str, int] = {}
    plan: dict[str, Any] = {"mkdir": [], "add": [], "update": [], "merge": [], "links": [], "unchanged": 0, "warnings": []}
    same_size: list[str] = []
    view = release_view(tree)
    for entry in walk_release(view, rules, skipped):
        shop_info = _lstat(os.path.join(shop_root, entry.path))
        if entry.kind == "dir":
            if shop_info is None:
                plan["mkdir"].append(entry.path)
            elif not stat.S_ISDIR(shop_info.st_mode):
                raise UpgradeFilesError(f"{entry.path} is a folder in the release but not in the shop: move the shop's {entry.path} away")
            continue
        if shop_info is not None and stat.S_ISDIR(shop_info.st_mode):
            raise UpgradeFilesError(f"{entry.path} is a file in the release but a folder in the shop: move the shop's {entry.path} away")
        if entry.kind == "link":
            if shop_info is None or not stat.S_ISLNK(shop_info.st_mode) or os.readlink(os.path.join(shop_root, entry.path)) != entry.target:
                plan["links"].append({"path": entry.path, "target": entry.target})
            else:
                plan["unchanged"] += 1
            continue
        if shop_info is None or stat.S_ISLNK(shop_info.st_mode):
            plan["add" if shop_info is None else "update"].append(entry.path)
        elif is_legacy_translation(entry.path):
            _plan_merge(view, shop_root, entry.path, plan)
        elif shop_info.st_size != entry.size:
            plan["update"].append(entry.path)
        else:
            same_size.append(entry.path)
    if same_size:
        release_digests = hasher([view.source(path) for path in same_size])
        shop_digests = hasher([os.path.join(shop_root, path) for path in same_size])
        for path in same_size:
            if release_digests.get(view.source(path)) == shop_digests.get(os.path.join(shop_root, path)):
                plan["unchanged"] += 1
            else:
                plan["update"].append(path)
    plan["update"].sort()
    plan["skipped"] = dict(sorted(skipped.items()))
    return plan


def _plan_merge(view: ReleaseView, shop_root: str, path: str, plan: dict[str, Any]) -> None:
    shop_bytes = _read_bytes(os.path.join(shop_root, path))
    try:
        merged = merged_translation(_read_bytes(view.source(path)), shop_bytes, path)
    except PhpConfigError as exc:
        plan["warnings"].append(f"{exc}: the shop's file is kept as it is")
        plan["unchanged"] += 1
        return
    if merged == shop_bytes:
        plan["unchanged"] += 1
    else:
        plan["merge"].append(path)


def plan_obsolete(shop_root: str, files: Iterable[str], dirs: Iterable[str], rules: CopyRules, release_tree: str | ReleaseView) -> dict[str, Any]:
    """{delete, delete_dirs, refused}: obsolete files present in the shop and folders present, minus anything the
    copy rules protect or the release itself ships (a list made for another target must not delete its files)."""
    delete, refused = [], []
    for path in sorted(set(files)):
        normalized = check_relative(path)
        if rules.skip_reason(normalized) or os.path.lexists(release_view(release_tree).source(normalized)):
            refused.append(normalized)
        elif _is_file_or_link(os.path.join(shop_root, normalized)):
            delete.append(normalized)
    delete_dirs = []
    for path in sorted(set(dirs), key=lambda item: (-item.count("/"), item)):
        normalized = check_relative(path)
        if rules.skip_reason(normalized) or os.path.lexists(release_view(release_tree).source(normalized)):
            refused.append(normalized)
        elif os.path.isdir(os.path.join(shop_root, normalized)) and not os.path.islink(os.path.join(shop_root, normalized)):
            delete_dirs.append(normalized)
    return {"delete": delete, "delete_dirs": delete_dirs, "refused": sorted(refused)}


def _is_file_or_link(path: str) -> bool:
    info = _lstat(path)
    return info is not None and not stat.S_ISDIR(info.st_mode)


def check_relative(path: str) -> str:
    normalized = posixpath.normpath(path.strip("/"))
    if normalized in ("", ".") or normalized.startswith("../") or normalized == ".." or "/../" in f"/{normalized}/":
        raise UpgradeFilesError(f"{path!r} is not a path inside the shop")
    return normalized


def plan_counts(plan: dict[str, Any]) -> dict[str, int]:
    counts = {key: len(plan[key]) for key in ("mkdir", "add", "update", "merge", "links", "delete", "delete_dirs")}
    counts["unchanged"] = plan["unchanged"]
    return counts


def plan_is_empty(plan: dict[str, Any]) -> bool:
    return not any(count for key, count in plan_counts(plan).items() if key != "unchanged")


def render_diff(plan: dict[str, Any]) -> str:
    """One line per change, for Ansible's --diff."""
    lines = [f"+ {path}/" for path in plan["mkdir"]]
    lines += [f"+ {path}" for path in plan["add"]]
    lines += [f"~ {path}" for path in plan["update"]]
    lines += [f"~ {path} (translations merged, the shop's values kept)" for path in plan["merge"]]
    lines += [f"~ {item['path']} -> {item['target']}" for item in plan["links"]]
    lines += [f"- {path}" for path in plan["delete"]]
    lines += [f"- {path}/ (when empty)" for path in plan["delete_dirs"]]
    return "\n".join(lines) + ("\n" if lines else "")


# --- applying ---------------------------------------------------------------------------------------------------


class Applier:
    """Carries out a plan; `progress(kind, path)` is called after each change (journal, test hooks)."""

    def __init__(self, tree: str | ReleaseView, shop_root: str, progress: Callable[[str, str], None]) -> None:
        self.tree = release_view(tree)
        self.shop_root = shop_root
        self.progress = progress
        self.warnings: list[str] = []
        self.kept_dirs: list[str] = []
        self._chown_refused = False

    def apply(self, plan: dict[str, Any]) -> None:
        for path in plan["mkdir"]:
            self.make_dir(path)
        for kind in ("add", "update"):
            for path in plan[kind]:
                self.copy_file(path)
                self.progress(kind, path)
        for path in plan["merge"]:
            self.merge_file(path)
            self.progress("merge", path)
        for item in plan["links"]:
            self.replace_link(item["path"], item["target"])
            self.progress("links", item["path"])
        for path in plan["delete"]:
            try:
                os.unlink(os.path.join(self.shop_root, path))
            except FileNotFoundError:
                pass
            self.progress("delete", path)
        for path in plan["delete_dirs"]:
            try:
                os.rmdir(os.path.join(self.shop_root, path))
            except FileNotFoundError:
                pass
            except OSError:
                # Something the release diff does not know lives there (a merchant's file): keep it.
                self.kept_dirs.append(path)
                continue
            self.progress("delete_dirs", path)

    def make_dir(self, path: str) -> None:
        target = os.path.join(self.shop_root, path)
        if os.path.isdir(target):
            return
        parent = os.stat(os.path.dirname(target))
        os.mkdir(target, stat.S_IMODE(parent.st_mode))
        os.chmod(target, stat.S_IMODE(parent.st_mode))
        self._own(target, parent.st_uid, parent.st_gid)

    def copy_file(self, path: str) -> None:
        with open(self.tree.source(path), "rb") as reader:
            # As a release ships files, whatever umask unpacked this copy: a 0600 file would be unreadable by the web server.
            new_mode = 0o755 if os.fstat(reader.fileno()).st_mode & 0o111 else 0o644
            self._write(path, lambda writer: shutil.copyfileobj(reader, writer, _COPY_CHUNK), new_mode)

    def merge_file(self, path: str) -> None:
        release_bytes = _read_bytes(self.tree.source(path))
        merged = merged_translation(release_bytes, _read_bytes(os.path.join(self.shop_root, path)), path)
        self._write(path, lambda writer: writer.write(merged), 0o644)

    def replace_link(self, path: str, link_target: str) -> None:
        target = os.path.join(self.shop_root, path)
        temp = target + TEMP_SUFFIX
        if os.path.lexists(temp):
            os.unlink(temp)
        os.symlink(link_target, temp)
        os.replace(temp, target)

    def _write(self, path: str, fill: Callable[[Any], Any], new_mode: int) -> None:
        target = os.path.join(self.shop_root, path)
        folder, name = os.path.split(target)
        # A fixed name: a killed run's leftover is overwritten by the next run, never left behind as a new file.
        temp = os.path.join(folder, f".{name}{TEMP_SUFFIX}")
        old = _lstat(target)
        if old is not None and stat.S_ISREG(old.st_mode):
            mode, uid, gid = stat.S_IMODE(old.st_mode), old.st_uid, old.st_gid
        else:
            parent = os.stat(folder)
            mode, uid, gid = new_mode & 0o777, parent.st_uid, parent.st_gid
        descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as writer:
                fill(writer)
            os.chmod(temp, mode)
            self._own(temp, uid, gid)
            os.replace(temp, target)
        except BaseException:
            if os.path.lexists(temp):
                os.unlink(temp)
            raise

    def _own(self, path: str, uid: int, gid: int) -> None:
        info = os.lstat(path)
        if (info.st_uid, info.st_gid) == (uid, gid):
            return
        try:
            os.chown(path, uid, gid, follow_symlinks=False)
        except PermissionError:
            if not self._chown_refused:
                self._chown_refused = True
                self.warnings.append(f"cannot give {path} the owner {uid}:{gid} (run the module as root or as the shop's owner)")


def remove_temp_files(shop_root: str) -> list[str]:
    """Temporary files a killed run left in the shop (relative paths removed)."""
    removed = []
    for folder, _dirs, names in os.walk(shop_root):
        for name in names:
            if name.startswith(".") and name.endswith(TEMP_SUFFIX):
                path = os.path.join(folder, name)
                os.unlink(path)
                removed.append(os.path.relpath(path, shop_root))
    return sorted(removed)
