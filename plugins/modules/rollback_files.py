#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_files
short_description: Restore a PrestaShop shop's files from a backup, changing only what differs
version_added: 0.1.0
description:
  - The documented RollbackFiles step. Brings the shop's tree back to what a backup of
    M(shopfleet.prestashop.backup_files) holds, or what a zip of the official upgrade module
    (C(<admin>/autoupgrade/backup/auto-backupfiles_<name>.zip)) holds.
  - The backup is checked before anything changes - its manifest, sizes and the sha256 of its index, and the sha256 of
    the archive whenever files must be extracted from it - so a corrupt, truncated or altered backup fails with one
    line and leaves the shop as it was.
  - The tree is then compared with the backup's index (type, size, mode, mtime, owner, symlink target; the sha256 of
    a file only when its size matches and its mtime does not). Only what differs is touched - files rewritten
    (each written beside its final name, checked against the index, then renamed over it), files absent from the
    backup deleted, folders created, modes, owners, mtimes and symlinks set - in one streaming pass through the
    archive. Rewriting a whole tree is 2.5 to 8 times slower on these hosts than changing the few hundred files an
    upgrade touched.
  - Never touched (neither deleted nor restored) are the protected paths; the backup storage and the workspace,
    every path the backup left out (its exclusion rules and the special files it listed, with their subtrees),
    C(/modules/autoupgrade) and C(<admin>/autoupgrade), and the paths in O(protect).
  - C(app/config/parameters.php) is in the backup and is restored like any other file, because a rollback brings
    back the code AND the configuration that code was running with (an upgrade may rewrite it). The official module
    does the same. Put it in O(protect) when the database credentials changed since the backup.
  - Then the caches (C(var/cache), C(app/cache), C(cache/smarty/compile), C(cache/smarty/cache)) are emptied,
    keeping their C(index.php) and dotfiles; a stale C(appParameters.php) or compiled container breaks a restored
    shop.
  - Progress is kept in a journal in the workspace (C(journals/rollback_files.json)); a run that was killed is
    completed by the next one, which reaches the same end state, and a run on a restored tree changes nothing.
  - The official module's zips keep no owners, mtimes or symlinks reliably and skip every file of 15 MiB or more;
    when restoring one, contents are compared by CRC-32, files absent from the zip of 15 MiB or more are kept (they
    may never have been saved), folders are never deleted, and restored files get their folder's owner.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._workspace
  - shopfleet.prestashop._attributes
options:
  name:
    description:
      - Name of the backup to restore; one of ours in O(backup_dir) first, else the official module's
        C(auto-backupfiles_<name>.zip).
      - M(shopfleet.prestashop.backup_info) selects it (by name or the latest complete one).
    type: str
  backup_path:
    description:
      - Path of the backup instead of O(name); a backup folder (holding C(files/)), its C(files/) folder, or an
        official C(auto-backupfiles_<name>.zip).
    type: path
  protect:
    description:
      - More paths never deleted nor restored, relative to O(shop_root), with the rule syntax of
        M(shopfleet.prestashop.backup_files)'s O(shopfleet.prestashop.backup_files#module:exclude) (V(*), V(**), V({admin})).
      - For example V(/var/logs) keeps the logs of the failed upgrade for its post-mortem.
    type: list
    elements: str
    default: []
  delete_extra:
    description:
      - Whether to delete files and folders absent from the backup. With V(false) they are kept and listed in RV(kept).
    type: bool
    default: true
  clear_cache:
    description:
      - Whether to empty the caches after restoring something (or completing an interrupted run).
    type: bool
    default: true
  report_limit:
    description:
      - At most this many paths in each list of the result and in the diff; the counts are always complete.
    type: int
    default: 1000
attributes:
  check_mode:
    support: full
    details:
      - Validates the backup, compares the tree and returns the counts and lists of what would be restored, deleted
        and updated. Nothing is written, not even the journal.
  diff_mode:
    support: full
    details:
      - The paths that would change, as they are (before) and as the backup has them (after).
notes:
  - Files are not synced one by one; the module syncs the filesystem once at the end.
seealso:
  - module: shopfleet.prestashop.backup_files
  - module: shopfleet.prestashop.backup_info
  - module: shopfleet.prestashop.rollback_db
"""

EXAMPLES = r"""
- name: Find the backup to roll back to (the documented Rollback / NoRollbackFound steps)
  shopfleet.prestashop.backup_info:
    shop_root: /var/www/shop
    kinds: [files, db]
  register: backups

- name: Restore the shop's files from it
  shopfleet.prestashop.rollback_files:
    shop_root: /var/www/shop
    name: "{{ backups.selected.name }}"
    protect:
      - /var/logs
  when: backups.rollback_found

- name: What would a rollback change?
  shopfleet.prestashop.rollback_files:
    shop_root: /var/www/shop
    name: V8.1.5_20240501-101500-3a526a86
  check_mode: true
  diff: true

- name: Restore a backup made by the official upgrade module
  shopfleet.prestashop.rollback_files:
    shop_root: /var/www/shop
    backup_path: /var/www/shop/admin123/autoupgrade/backup/auto-backupfiles_V8.1.5_20240501-101500-3a526a86.zip
"""

RETURN = r"""
backup:
  description: The backup restored.
  returned: always
  type: dict
  contains:
    name:
      description: Backup name.
      type: str
    source:
      description: V(shopfleet) (ours) or V(autoupgrade) (the official module's zip).
      type: str
    path:
      description: Backup folder, or the zip.
      type: str
    version:
      description: PrestaShop version the backup was taken from, when known.
      type: str
    created:
      description: When the backup was taken (UTC), when known.
      type: str
  sample: {"name": "V8.1.5_20240501-101500-3a526a86", "source": "shopfleet", "path": "/var/lib/shopfleet/x/backups/V8.1.5_...",
           "version": "8.1.5", "created": "2024-05-01T08:15:00Z"}
verified:
  description:
    - What was checked before changing anything; V(archive) (manifest, index and archive sha256), V(index) (nothing
      to extract, so the archive was not read), V(zip) (the CRC of every member to extract).
  returned: always
  type: str
  sample: archive
counts:
  description: How many entries were (or would be) restored, deleted and updated.
  returned: always
  type: dict
  contains:
    files:
      description: Files written (changed or missing).
      type: int
    links:
      description: Symbolic links created or replaced.
      type: int
    dirs:
      description: Folders created.
      type: int
    deleted:
      description: Files, links and folders deleted (every entry, folders' contents included).
      type: int
    metadata:
      description: Entries whose content was right but mode, owner or mtime was not.
      type: int
    kept:
      description: Entries absent from the backup that were kept (see RV(kept)).
      type: int
    checked:
      description: Entries of the backup compared with the tree.
      type: int
  sample: {"files": 412, "links": 0, "dirs": 3, "deleted": 57, "metadata": 2, "kept": 0, "checked": 46210}
restored:
  description: Files, links and folders written or created (at most O(report_limit)).
  returned: always
  type: list
  elements: str
  sample: ["classes/Cart.php", "src/Core/Version.php"]
deleted:
  description: Paths deleted; a deleted folder is listed once for its whole subtree (at most O(report_limit)).
  returned: always
  type: list
  elements: str
  sample: ["modules/ps_newmodule"]
metadata:
  description: Paths whose mode, owner or mtime was set (at most O(report_limit)).
  returned: always
  type: list
  elements: str
  sample: ["config/defines.inc.php"]
kept:
  description: Paths absent from the backup that were not deleted, and why (at most O(report_limit)).
  returned: always
  type: list
  elements: dict
  sample: [{"path": "var", "reason": "holds protected paths"}]
protected:
  description: Rules of the paths never touched, with where each comes from.
  returned: always
  type: list
  elements: dict
  sample: [{"rule": "/var/cache", "source": "excluded by the backup"}, {"rule": "/var/logs", "source": "protect"}]
cache_cleared:
  description: Cache entries removed (or that would be).
  returned: always
  type: list
  elements: str
  sample: ["var/cache/prod"]
resumed:
  description: Whether an interrupted rollback was found in the journal and completed by this run.
  returned: always
  type: bool
  sample: false
duration_s:
  description: Seconds the run took.
  returned: always
  type: float
  sample: 3.2
"""

import os
import stat
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import (
    OFFICIAL_FILES_ZIP,
    BackupError,
    official_backup_dir,
    official_zip_path,
    official_zip_problems,
    describe_problems,
    require_complete,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._filetree import (
    CACHE_DIRS,
    CACHE_KEEP,
    DIR,
    FILE,
    LINK,
    OFFICIAL_EXCLUDES,
    OFFICIAL_SIZE_LIMIT,
    ArchiveReader,
    FileTreeError,
    IndexEntry,
    Node,
    Rule,
    RuleSet,
    Skipped,
    clear_cache_dir,
    compression_of,
    crc32_of,
    escape_rule,
    fault_point,
    mtime_equal,
    normalize_rule,
    read_index,
    remove_path,
    rule_for_folder,
    safe_relative,
    sha256_of,
    walk,
    write_restored_file,
    write_restored_link,
    zip_index,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, find_admin_dirs, shop_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    read_json,
    sha256_file,
    utc_now,
    workspace_argument_spec,
    write_json,
)

SHOPFLEET = "shopfleet"
AUTOUPGRADE = "autoupgrade"
JOURNAL = "rollback_files.json"
# Journal progress is saved at most this often during the extraction (a killed run is redone from the tree anyway).
_JOURNAL_EVERY_S = 2.0


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec(database=False)
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        name={"type": "str"},
        backup_path={"type": "path"},
        protect={"type": "list", "elements": "str", "default": []},
        delete_extra={"type": "bool", "default": True},
        clear_cache={"type": "bool", "default": True},
        report_limit={"type": "int", "default": 1000},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, required_one_of=[("name", "backup_path")],
                         mutually_exclusive=[("name", "backup_path")])


# --- the backup ------------------------------------------------------------------------------------------------------


@dataclass
class Backup:
    """The backup to restore, validated: its index and what restoring it needs."""

    name: str
    source: str
    path: str
    index: dict[str, IndexEntry]
    archive: str
    compression: str | None
    archive_sha256: str | None
    protect: list[Rule]
    version: str | None = None
    created: str | None = None
    shop_root: str | None = None
    admin_dir: str | None = None
    zip_names: dict[str, str] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "path": self.path, "version": self.version, "created": self.created}


def admin_dir_of(root: str, wanted: str | None, manifest: dict[str, Any] | None = None) -> str | None:
    """The back-office folder: the option, else the backup's, else the one folder that looks like a back office."""
    if wanted:
        return wanted
    if manifest and isinstance(manifest.get("admin_dir"), str) and os.path.isdir(os.path.join(root, manifest["admin_dir"])):
        return manifest["admin_dir"]
    candidates = find_admin_dirs(root)
    return candidates[0] if len(candidates) == 1 else None


def locate_backup(params: dict[str, Any], root: str, workspace: Workspace) -> tuple[str, str]:
    """(source, path): our backup folder or an official zip, from `backup_path` or `name`."""
    given = params["backup_path"]
    if given:
        given = os.path.abspath(given)
        if os.path.isfile(given) and given.endswith(".zip"):
            return AUTOUPGRADE, given
        if os.path.basename(given.rstrip("/")) == "files" and os.path.isfile(os.path.join(given, "manifest.json")):
            return SHOPFLEET, os.path.dirname(given.rstrip("/"))
        if os.path.isdir(given):
            return SHOPFLEET, given
        raise BackupError(f"backup {given} does not exist")
    name = params["name"]
    ours = workspace.backup_path(name)
    if os.path.isdir(os.path.join(ours, "files")):
        return SHOPFLEET, ours
    admin_dir = admin_dir_of(root, params["admin_dir"])
    official = official_zip_path(official_backup_dir(root, admin_dir), name) if admin_dir else None
    if official and os.path.isfile(official):
        return AUTOUPGRADE, official
    places = ours + "/files" + (f" nor {official}" if official else "")
    raise BackupError(f"no files backup named {name!r}: neither {places} exists")


def load_backup(source: str, path: str, root: str, admin_dir: str | None) -> Backup:
    return load_official_zip(path, root, admin_dir) if source == AUTOUPGRADE else load_shopfleet_backup(path)


def load_shopfleet_backup(path: str) -> Backup:
    component = require_complete(path, "files")
    manifest = component.manifest or {}
    archive, index = manifest.get("archive") or {}, manifest.get("index") or {}
    compression = compression_of(str(archive.get("file")))
    if archive.get("compression") not in (None, compression):
        raise BackupError(f"backup {component.backup_name!r}: manifest says {archive.get('compression')} for {archive.get('file')}")
    entries = read_index(os.path.join(component.path, str(index.get("file"))), index.get("sha256"))
    if isinstance(index.get("entries"), int) and index["entries"] != len(entries):
        raise BackupError(f"backup {component.backup_name!r}: the index holds {len(entries)} entries, the manifest says {index['entries']}")
    excluded = manifest.get("excluded") or {}
    protect = []
    for item in excluded.get("rules") or []:
        if isinstance(item, dict) and isinstance(item.get("rule"), str):
            protect.append(Rule(normalize_rule(item["rule"]), "excluded by the backup"))
    for item in excluded.get("paths") or []:
        if isinstance(item, dict) and safe_relative(item.get("path")):
            protect.append(Rule("/" + escape_rule(item["path"]), "left out by the backup"))
    return Backup(name=component.backup_name, source=SHOPFLEET, path=path, index=entries, archive=os.path.join(component.path, str(archive["file"])),
                  compression=compression, archive_sha256=archive.get("sha256"), protect=protect, version=manifest.get("version"),
                  created=manifest.get("created"), shop_root=manifest.get("shop_root"), admin_dir=manifest.get("admin_dir"))


def load_official_zip(path: str, root: str, admin_dir: str | None) -> Backup:
    match = OFFICIAL_FILES_ZIP.match(os.path.basename(path))
    name = match.group("name") if match else os.path.basename(path)
    problems = official_zip_problems(path)
    if problems:
        raise BackupError(f"official backup {name!r} is not usable: {describe_problems(problems)}")
    entries, names = zip_index(path)
    protect = [Rule(normalize_rule(pattern, admin_dir), "left out by the official backup") for pattern in OFFICIAL_EXCLUDES
               if admin_dir or "{admin}" not in pattern]
    if not any(entry_path == "img" or entry_path.startswith("img/") for entry_path in entries):
        # Made with KEEP_IMAGES=0: its images were never saved.
        protect.append(Rule("/img", "left out by the official backup (no images in it)"))
    version = name[1:].split("_", 1)[0] if name.startswith("V") and "_" in name else None
    return Backup(name=name, source=AUTOUPGRADE, path=path, index=entries, archive=path, compression=None, archive_sha256=None,
                  protect=protect, version=version, zip_names=names)


def protection_rules(root: str, admin_dir: str | None, backup: Backup, params: dict[str, Any], workspace: Workspace) -> RuleSet:
    rules = RuleSet()
    for folder, source in ((workspace.root, "workspace"), (workspace.backups, "backup storage"), (backup.path, "backup storage")):
        rule = rule_for_folder(root, folder, source)
        if rule is not None and rules.covers(rule.pattern.lstrip("/")) is None:
            rules.add(rule)
    rules.add(Rule("/modules/autoupgrade", "official upgrade module"))
    if admin_dir:
        rules.add(Rule(f"/{admin_dir}/autoupgrade", "official upgrade module's workspace"))
    for rule in backup.protect:
        rules.add(rule)
    for rule in user_rules(params, admin_dir).rules:
        rules.add(rule)
    return rules


def user_rules(params: dict[str, Any], admin_dir: str | None) -> RuleSet:
    return RuleSet(Rule(normalize_rule(pattern, admin_dir), "protect") for pattern in params["protect"])


# --- the plan ----------------------------------------------------------------------------------------------------


@dataclass
class RestorePlan:
    """What differs between the tree and the backup, in the order it is applied. Plain data, no disk access."""

    delete: list[tuple[str, str]] = field(default_factory=list)
    mkdir: list[IndexEntry] = field(default_factory=list)
    write: list[IndexEntry] = field(default_factory=list)
    link: list[IndexEntry] = field(default_factory=list)
    fix: list[tuple[IndexEntry, list[str]]] = field(default_factory=list)
    dirs: list[IndexEntry] = field(default_factory=list)
    dir_fix: dict[str, list[str]] = field(default_factory=dict)
    kept: list[dict[str, str]] = field(default_factory=list)
    before: dict[str, str] = field(default_factory=dict)
    checked: int = 0

    def changes(self) -> bool:
        return bool(self.delete or self.mkdir or self.write or self.link or self.fix or self.dir_fix)

    def counts(self) -> dict[str, int]:
        return {"files": len(self.write), "links": len(self.link), "dirs": len(self.mkdir), "deleted": len(self.delete),
                "metadata": len(self.fix) + len(self.dir_fix), "kept": len(self.kept), "checked": self.checked}

    def top_deleted(self) -> list[str]:
        """Deleted paths without those inside a deleted folder."""
        folders = {path for path, kind in self.delete if kind == DIR}
        return sorted(path for path, _kind in self.delete if not any(parent in folders for parent in _parents(path)))


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[:depth]) for depth in range(1, len(parts) + 1)]


def describe_node(node: Node) -> str:
    info = node.stat
    if node.kind == FILE:
        return f"file {info.st_size} bytes mode {stat.S_IMODE(info.st_mode):04o}"
    if node.kind == DIR:
        return f"folder mode {stat.S_IMODE(info.st_mode):04o}"
    return "link"


def describe_entry(entry: IndexEntry) -> str:
    mode = f" mode {entry.mode:04o}" if entry.mode is not None else ""
    if entry.type == FILE:
        return f"file {entry.size} bytes{mode}"
    if entry.type == DIR:
        return f"folder{mode}"
    return f"link -> {entry.target}"


def metadata_differences(node: Node, entry: IndexEntry, owners: bool, compare_mtime: bool) -> list[str]:
    info = node.stat
    differences = []
    if entry.mode is not None and node.kind != LINK and stat.S_IMODE(info.st_mode) != entry.mode:
        differences.append("mode")
    if owners and entry.uid is not None and (info.st_uid, info.st_gid) != (entry.uid, entry.gid):
        differences.append("owner")
    if compare_mtime and node.kind != LINK and not mtime_equal(info.st_mtime_ns, entry.mtime_ns):
        differences.append("mtime")
    return differences


def plan_restore(index: dict[str, IndexEntry], current: Iterable[Node | Skipped], *, protect: RuleSet,
                 same_content: Callable[[str, IndexEntry], bool], owners: bool, compare_mtime: bool = True,
                 delete_extra: bool = True, keep_extra: Callable[[Node], str | None] | None = None, delete_dirs: bool = True) -> RestorePlan:
    """Compare the walked tree (protected paths come as Skipped) with the index.

    same_content(path, entry) is asked only when stat cannot tell (same size; mtime differs or is not compared).
    keep_extra(node) may give a reason to keep a path absent from the backup (the official zips' size limit).
    """
    plan = RestorePlan(checked=len(index))
    seen: set[str] = set()
    holds_protected: set[str] = set()
    extras: list[Node] = []
    in_the_way: list[Node] = []
    dirs_to_fix: set[str] = set()
    specials: list[Skipped] = []
    for item in current:
        if isinstance(item, Skipped):
            entry = index.get(item.path)
            if item.rule is None and entry is not None:
                # A socket or fifo where the backup has an entry: it goes, the entry comes back.
                plan.delete.append((item.path, item.kind))
                plan.before[item.path] = item.kind
                continue
            seen.add(item.path)
            holds_protected.update(_parents(item.path))
            if item.report or (item.rule is None and item.kind != "unknown"):
                specials.append(item)
            continue
        seen.add(item.path)
        entry = index.get(item.path)
        if entry is None:
            extras.append(item)
            continue
        if entry.type != item.kind:
            seen.discard(item.path)
            plan.before[item.path] = describe_node(item)
            if item.kind == DIR or entry.type == DIR:
                # Files and links are replaced by a rename; a folder, or anything where a folder must be, goes first.
                in_the_way.append(item)
            continue
        if entry.type == FILE:
            differences = metadata_differences(item, entry, owners, compare_mtime)
            if item.stat.st_size != entry.size or ((not compare_mtime or "mtime" in differences) and not same_content(item.path, entry)):
                plan.write.append(entry)
                plan.before[item.path] = describe_node(item)
            elif differences:
                plan.fix.append((entry, differences))
                plan.before[item.path] = describe_node(item)
        elif entry.type == LINK:
            if item.target != entry.target:
                plan.link.append(entry)
                plan.before[item.path] = describe_node(item)
            else:
                differences = metadata_differences(item, entry, owners, False)
                if differences:
                    plan.fix.append((entry, differences))
                    plan.before[item.path] = describe_node(item)
        else:
            differences = metadata_differences(item, entry, owners, compare_mtime)
            if differences:
                dirs_to_fix.add(item.path)
                plan.dir_fix[item.path] = differences
                plan.before[item.path] = describe_node(item)
    for path, entry in index.items():
        if path not in seen and protect.covers(path) is None:
            _restore_missing(plan, entry)
    _plan_deletions(plan, extras, in_the_way, holds_protected, delete_extra, keep_extra, delete_dirs)
    plan.kept += [{"path": item.path, "reason": item.reason if item.report else f"special file ({item.kind}): never deleted"} for item in specials]
    touched = [path for path, _kind in plan.delete] + [entry.path for entry in plan.mkdir + plan.write + plan.link]
    for path in touched:
        parent = path.rpartition("/")[0]
        if parent:
            dirs_to_fix.add(parent)
    dirs_to_fix.update(entry.path for entry in plan.mkdir)
    plan.dirs = [index[path] for path in reversed(index) if path in dirs_to_fix and index[path].type == DIR]
    return plan


def _restore_missing(plan: RestorePlan, entry: IndexEntry) -> None:
    {DIR: plan.mkdir, FILE: plan.write, LINK: plan.link}[entry.type].append(entry)


def _plan_deletions(plan: RestorePlan, extras: list[Node], in_the_way: list[Node], holds_protected: set[str], delete_extra: bool,
                    keep_extra: Callable[[Node], str | None] | None, delete_dirs: bool) -> None:
    kept: dict[str, str] = {}
    for node in extras:
        reason = None
        if not delete_extra:
            reason = "absent from the backup (delete_extra=false)"
        elif keep_extra is not None:
            reason = keep_extra(node)
        if reason is None and node.kind == DIR and not delete_dirs:
            reason = "folder absent from the backup (folders are not deleted for this kind of backup)"
        if reason:
            kept[node.path] = reason
            holds_protected.update(_parents(node.path))
    for node in in_the_way:
        if node.path in holds_protected:
            raise FileTreeError(f"cannot restore {node.path}: the {node.kind} in its place holds protected or kept paths")
    for node in sorted(extras + in_the_way, key=lambda node: node.path):
        if node.path in kept:
            continue
        if node.path in holds_protected:
            kept[node.path] = "holds protected paths"
            continue
        plan.delete.append((node.path, node.kind))
        plan.before.setdefault(node.path, describe_node(node))
    # Children before their folder.
    plan.delete.sort(key=lambda item: item[0].count("/"), reverse=True)
    plan.kept = [{"path": path, "reason": reason} for path, reason in sorted(kept.items())]


def current_tree(root: str, protect: RuleSet, keep_links: str | None = None) -> Iterable[Node | Skipped]:
    """The walk of the shop with protected paths skipped and symlink targets read.

    With `keep_links` (a reason), symlinks are protected as they are found: neither deleted, nor replaced, nor
    written through, since the backup does not record them.
    """
    for item in walk(root, protect):
        if isinstance(item, Node) and item.kind == LINK and keep_links:
            rule = Rule("/" + escape_rule(item.path), keep_links)
            protect.add(rule)
            yield Skipped(item.path, LINK, rule.pattern, keep_links, report=True)
        elif isinstance(item, Node) and item.kind == LINK:
            try:
                item.target = os.readlink(os.path.join(root, item.path))
            except FileNotFoundError:
                continue
            yield item
        else:
            yield item


def build_restore_plan(root: str, backup: Backup, protect: RuleSet, delete_extra: bool) -> RestorePlan:
    owners = os.geteuid() == 0
    if backup.source == AUTOUPGRADE:
        def same(path: str, entry: IndexEntry) -> bool:
            return crc32_of(os.path.join(root, path)) == entry.crc32

        def keep_big(node: Node) -> str | None:
            if node.kind == FILE and node.stat.st_size >= OFFICIAL_SIZE_LIMIT:
                return "absent from the official zip, which never holds files of 15 MiB or more"
            return None
        return plan_restore(backup.index, current_tree(root, protect, "symlink (the official zip does not record links)"), protect=protect,
                            same_content=same, owners=False,
                            compare_mtime=False, delete_extra=delete_extra, keep_extra=keep_big, delete_dirs=False)

    def same_sha(path: str, entry: IndexEntry) -> bool:
        return sha256_of(os.path.join(root, path)) == entry.sha256
    return plan_restore(backup.index, current_tree(root, protect), protect=protect, same_content=same_sha, owners=owners,
                        delete_extra=delete_extra)


# --- applying ------------------------------------------------------------------------------------------------------


class Journal:
    """<workspace>/journals/rollback_files.json: present while a rollback is under way, removed when it ends."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        self.path = os.path.join(folder, JOURNAL)
        self.document: dict[str, Any] = {}
        self.saved_at = 0.0

    def pending(self) -> dict[str, Any] | None:
        try:
            document = read_json(self.path)
        except WorkspaceError:
            return {"backup": None, "state": "unreadable"}
        return document if isinstance(document, dict) else None

    def start(self, backup: Backup, plan: RestorePlan) -> None:
        ensure_private_dir(self.folder)
        self.document = {"backup": backup.name, "backup_path": backup.path, "started": utc_now(), "pid": os.getpid(),
                         "phase": "start", "planned": plan.counts(), "done": {}}
        self.save()

    def progress(self, phase: str, done: int, force: bool = False) -> None:
        self.document["phase"] = phase
        self.document["done"][phase] = done
        if force or time.monotonic() - self.saved_at >= _JOURNAL_EVERY_S:
            self.save()

    def save(self) -> None:
        write_json(self.path, self.document)
        self.saved_at = time.monotonic()

    def finish(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class Restorer:
    """Applies a RestorePlan under root, never through a symlink."""

    def __init__(self, root: str, backup: Backup, journal: Journal, zstd: str | None, gunzip: str | None) -> None:
        self.root = os.path.realpath(root)
        self.backup = backup
        self.journal = journal
        self.zstd, self.gunzip = zstd, gunzip
        self.owners = os.geteuid() == 0
        self.safe_dirs: set[str] = {""}

    def full(self, path: str) -> str:
        return os.path.join(self.root, path)

    def check_parent(self, path: str) -> None:
        parent = path.rpartition("/")[0]
        if parent in self.safe_dirs:
            return
        if os.path.realpath(self.full(parent)) != self.full(parent) or not os.path.isdir(self.full(parent)):
            raise FileTreeError(f"refusing to write {path}: {parent} is not a real folder of the shop (symlink or missing)")
        self.safe_dirs.add(parent)

    def apply(self, plan: RestorePlan) -> None:
        self.delete(plan.delete)
        self.make_dirs(plan.mkdir)
        if plan.write:
            if self.backup.source == AUTOUPGRADE:
                self.write_from_zip(plan.write)
            else:
                self.write_from_archive(plan.write)
        self.links(plan.link)
        self.fix(plan.fix)
        self.fix_dirs(plan.dirs)

    def delete(self, items: list[tuple[str, str]]) -> None:
        for done, (path, _kind) in enumerate(items, 1):
            fault_point("restore-delete")
            remove_path(self.full(path))
            self.journal.progress("delete", done)

    def make_dirs(self, entries: list[IndexEntry]) -> None:
        for done, entry in enumerate(entries, 1):
            self.check_parent(entry.path)
            path = self.full(entry.path)
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                if not os.path.isdir(path) or os.path.islink(path):
                    raise FileTreeError(f"cannot create folder {entry.path}: something else appeared in its place") from None
            owner = self.owner_for(entry)
            if owner is not None:
                os.chown(path, *owner)
            os.chmod(path, entry.mode if entry.mode is not None else 0o755)
            self.journal.progress("mkdir", done)

    def owner_for(self, entry: IndexEntry) -> tuple[int, int] | None:
        if not self.owners:
            return None
        if entry.uid is not None and entry.gid is not None:
            return entry.uid, entry.gid
        parent = os.stat(self.full(entry.path.rpartition("/")[0]))
        return parent.st_uid, parent.st_gid

    def _mode_for(self, entry: IndexEntry) -> IndexEntry:
        if entry.mode is not None:
            return entry
        try:
            return entry._replace(mode=stat.S_IMODE(os.lstat(self.full(entry.path)).st_mode))
        except FileNotFoundError:
            return entry._replace(mode=0o644)

    def write_from_archive(self, entries: list[IndexEntry]) -> None:
        wanted = {entry.path: entry for entry in entries}
        reader = ArchiveReader(self.backup.archive, self.backup.compression or "none", self.zstd, self.gunzip)
        complete = False
        try:
            done = 0
            for member in reader.members():
                entry = wanted.pop(member.name, None)
                if entry is None:
                    continue
                if not member.isreg():
                    raise FileTreeError(f"{member.name} is not a regular file in the archive, but the index says it is")
                self.write_one(entry, reader.extract(member), _sha256_check(entry))
                done += 1
                self.journal.progress("files", done)
                if not wanted:
                    break
            else:
                complete = True
        finally:
            reader.close(complete)
        if wanted:
            raise FileTreeError(f"the archive lacks {len(wanted)} file(s) its index lists, e.g. {sorted(wanted)[0]}")

    def write_from_zip(self, entries: list[IndexEntry]) -> None:
        with zipfile.ZipFile(self.backup.archive) as archive:
            for done, entry in enumerate(entries, 1):
                with archive.open(self.backup.zip_names[entry.path]) as source:
                    self.write_one(entry, source, _crc_check(entry))
                self.journal.progress("files", done)

    def write_one(self, entry: IndexEntry, source: Any, check: Callable[[Any], None]) -> None:
        fault_point("restore-file")
        self.check_parent(entry.path)
        write_restored_file(self.full(entry.path), source, self._mode_for(entry), self.owner_for(entry), check)

    def links(self, entries: list[IndexEntry]) -> None:
        for done, entry in enumerate(entries, 1):
            self.check_parent(entry.path)
            write_restored_link(self.full(entry.path), entry, self.owner_for(entry))
            self.journal.progress("links", done)

    def fix(self, items: list[tuple[IndexEntry, list[str]]]) -> None:
        for entry, differences in items:
            self.check_parent(entry.path)
            self.set_metadata(entry, differences)

    def set_metadata(self, entry: IndexEntry, differences: list[str]) -> None:
        path = self.full(entry.path)
        link = entry.type == LINK
        if "owner" in differences and entry.uid is not None and self.owners:
            os.chown(path, entry.uid, entry.gid if entry.gid is not None else -1, follow_symlinks=not link)
        if "mode" in differences and entry.mode is not None and not link:
            os.chmod(path, entry.mode)
        if "mtime" in differences and entry.mtime_ns is not None and not link:
            os.utime(path, ns=(entry.mtime_ns, entry.mtime_ns))

    def fix_dirs(self, entries: list[IndexEntry]) -> None:
        for entry in entries:
            path = self.full(entry.path)
            info = os.lstat(path)
            node = Node(entry.path, DIR, info)
            differences = metadata_differences(node, entry, self.owners, entry.mtime_ns is not None)
            if differences:
                self.set_metadata(entry, differences)


def _sha256_check(entry: IndexEntry) -> Callable[[Any], None]:
    def check(digest: Any) -> None:
        if digest != entry.sha256:
            raise FileTreeError(f"{entry.path}: the archived content does not match the index sha256 (backup corrupt)")
    return check


def _crc_check(entry: IndexEntry) -> Callable[[Any], None]:
    def check(crc: Any) -> None:
        if crc != entry.crc32:
            raise FileTreeError(f"{entry.path}: CRC-32 mismatch in the zip (backup corrupt)")
    return check


def verify_before_changes(backup: Backup, plan: RestorePlan, zstd: str | None) -> str:
    """Read what the restore will need, so that a bad backup fails before the shop is touched."""
    if backup.source == AUTOUPGRADE:
        with zipfile.ZipFile(backup.archive) as archive:
            for entry in plan.write:
                try:
                    with archive.open(backup.zip_names[entry.path]) as member:
                        while member.read(1 << 20):
                            pass
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
                    raise BackupError(f"official backup {backup.name!r}: {entry.path} cannot be read from the zip ({exc})") from None
        return "zip"
    if not plan.write:
        return "index"
    if backup.compression == "zstd" and not zstd:
        raise FileTreeError(f"{os.path.basename(backup.archive)} is zstd-compressed and the zstd program is not on this host: install zstd")
    if sha256_file(backup.archive) != backup.archive_sha256:
        raise BackupError(f"backup {backup.name!r}: {os.path.basename(backup.archive)} sha256 differs from the manifest (archive corrupt or altered)")
    return "archive"


def cache_folders(root: str, backup: Backup) -> list[str]:
    """The cache folders to empty: those the backup left out (a cache it holds was restored with the code it matches)."""
    left_out = RuleSet(backup.protect)
    return [relative for relative in CACHE_DIRS if left_out.covers(relative) is not None
            and os.path.isdir(os.path.join(root, relative)) and not os.path.islink(os.path.join(root, relative))]


def clear_caches(root: str, backup: Backup, keep: RuleSet) -> list[str]:
    removed = []
    for relative in cache_folders(root, backup):
        removed += clear_cache_dir(os.path.join(root, relative), keep, relative)
    return removed


def cache_entries(root: str, backup: Backup, keep: RuleSet) -> list[str]:
    """What clear_caches would remove (check mode)."""
    found = []
    for relative in cache_folders(root, backup):
        found += [f"{relative}/{name}" for name in sorted(os.listdir(os.path.join(root, relative)))
                  if name not in CACHE_KEEP and not name.startswith(".") and keep.covers(f"{relative}/{name}") is None]
    return found


# --- results --------------------------------------------------------------------------------------------------------


def capped(items: list[Any], limit: int) -> list[Any]:
    return items[:max(limit, 0)]


def restore_diff(plan: RestorePlan, backup: Backup, limit: int) -> dict[str, str]:
    before, after = [], []
    deleted = set(plan.top_deleted())
    changed = {entry.path: describe_entry(entry) for entry in plan.mkdir + plan.write + plan.link}
    changed.update({entry.path: describe_entry(entry) + " (" + ", ".join(differences) + ")" for entry, differences in plan.fix})
    changed.update({path: describe_entry(backup.index[path]) + " (" + ", ".join(differences) + ")" for path, differences in plan.dir_fix.items()})
    paths = sorted(deleted | set(changed))
    for path in paths[:max(limit, 0)]:
        if path in plan.before:
            before.append(f"{path}: {plan.before[path]}")
        if path in changed:
            after.append(f"{path}: {changed[path]}")
    if len(paths) > limit:
        before.append(f"... and {len(paths) - limit} more paths")
        after.append(f"... and {len(paths) - limit} more paths")
    return {"before_header": "shop tree", "after_header": f"backup {backup.name}", "before": "".join(line + "\n" for line in before),
            "after": "".join(line + "\n" for line in after)}


def run(module: AnsibleModule) -> dict[str, Any]:
    started = time.monotonic()
    params = module.params
    root = os.path.abspath(params["shop_root"])
    if not os.path.isdir(root):
        raise ShopError(f"{root} does not exist or is not a directory")
    workspace = Workspace.for_shop(root, params["workspace"], params["backup_dir"])
    source, path = locate_backup(params, root, workspace)
    backup = load_backup(source, path, root, admin_dir_of(root, params["admin_dir"]))
    admin_dir = admin_dir_of(root, params["admin_dir"], {"admin_dir": backup.admin_dir})
    if backup.shop_root and os.path.realpath(backup.shop_root) != os.path.realpath(root):
        module.warn(f"backup {backup.name!r} was taken from {backup.shop_root}; restoring it into {root}")
    protect = protection_rules(root, admin_dir, backup, params, workspace)
    plan = build_restore_plan(root, backup, protect, params["delete_extra"])
    journal = Journal(workspace.journals)
    pending = journal.pending()
    if pending:
        module.warn(f"an interrupted rollback (backup {pending.get('backup')!r}, started {pending.get('started')}) is completed by this run")
    clear = params["clear_cache"] and (plan.changes() or bool(pending))
    limit = params["report_limit"]
    result: dict[str, Any] = {
        "backup": backup.public(), "counts": plan.counts(), "resumed": bool(pending),
        "restored": capped(sorted(entry.path for entry in plan.mkdir + plan.write + plan.link), limit),
        "deleted": capped(plan.top_deleted(), limit),
        "metadata": capped(sorted({entry.path for entry, _differences in plan.fix} | set(plan.dir_fix)), limit),
        "kept": capped(plan.kept, limit), "protected": protect.public(),
    }
    if module._diff:
        result["diff"] = restore_diff(plan, backup, limit)
    if module.check_mode:
        result["verified"] = verify_before_changes(backup, plan, module.get_bin_path("zstd")) if plan.write else "index"
        result["cache_cleared"] = capped(cache_entries(root, backup, user_rules(params, admin_dir)), limit) if clear else []
        result.update(changed=plan.changes() or bool(pending), duration_s=round(time.monotonic() - started, 3))
        return result
    zstd = module.get_bin_path("zstd")
    result["verified"] = verify_before_changes(backup, plan, zstd)
    if plan.changes() or pending:
        journal.start(backup, plan)
        Restorer(root, backup, journal, zstd, module.get_bin_path("gzip")).apply(plan)
        journal.progress("cache", 0, force=True)
        result["cache_cleared"] = capped(clear_caches(root, backup, user_rules(params, admin_dir)), limit) if clear else []
        os.sync()
        journal.finish()
    else:
        result["cache_cleared"] = []
    result.update(changed=plan.changes() or bool(pending), duration_s=round(time.monotonic() - started, 3))
    return result


def main() -> None:
    module = create_module()
    try:
        result = run(module)
    except (ShopError, WorkspaceError, FileTreeError, BackupError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        module.fail_json(msg=f"rollback failed: {exc.strerror or exc}{where}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
