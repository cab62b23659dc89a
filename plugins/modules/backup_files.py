#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_files
short_description: Back up a PrestaShop shop's files into one verifiable archive
version_added: 0.1.0
description:
  - The documented BackupFiles step. Streams the shop's tree into C(<backup>/files/archive.tar.zst) (or C(.tar.gz),
    C(.tar)) with an index of every entry (C(index.jsonl.gz)) and a C(manifest.json) written last, which marks the
    backup complete. M(shopfleet.prestashop.rollback_files) restores it; M(shopfleet.prestashop.backup_info) lists it.
  - Every regular file is archived whatever its size; a path is left out only by a rule listed in RV(rules) and is then
    listed in RV(excluded) with that rule (a left-out folder once, not each of its files).
  - The index records for every file, folder and symlink its path, type, size, mode, mtime, owner and the sha256 of
    the archived bytes; symlinks are archived as links, never followed. Sockets, fifos and devices cannot be archived;
    they are listed in RV(excluded).
  - Each file is read once; what is hashed is what is archived. A small file that changes while it is read is read
    again; one that keeps changing, or a big one that changed, is archived as read and listed in RV(unstable).
  - A kill at any moment leaves at worst C(.part-) files and no manifest, which no rollback accepts; the next run
    with the same O(name) clears them and starts again.
  - Files are created 0600 and folders 0700 (the archive holds customer data and the shop's secrets).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._workspace
  - shopfleet.prestashop._attributes
options:
  name:
    description:
      - Name of the backup, the folder under O(backup_dir). A complete backup files component of this name means
        there is nothing to do (C(changed=false)).
      - Defaults to a new C(V<version>_<YYYYmmdd-HHMMSS>-<hex>) name, as the official upgrade module names its
        backups, so each run without O(name) makes a new backup.
    type: str
  exclude:
    description:
      - More paths to leave out, relative to O(shop_root) (a leading V(/) is implied).
      - A path without wildcards leaves out that file or folder with everything below it.
      - V(*), V(?) and V([...]) match within one path component (like fnmatch with FNM_PATHNAME), and a V(**)
        component matches any number of folders, for example V(/**/.git) or V(/img/p/**/*-small_default.jpg).
      - V({admin}) stands for the back-office folder.
    type: list
    elements: str
    default: []
  default_excludes:
    description:
      - Whether to leave out what PrestaShop's own backup leaves out, caches that are rebuilt on demand and the
        upgrade module's working folders; V(/app/cache), V(/cache/smarty/compile), V(/cache/smarty/cache),
        V(/cache/tcpdf), V(/cache/cachefs), V(/var/cache), V(/modules/autoupgrade), V(/{admin}/autoupgrade) and
        V(/img/tmp).
      - The workspace and the backup folder are always left out when they sit inside the shop.
    type: bool
    default: true
  keep_images:
    description:
      - With V(false) the whole V(/img) folder is left out, as the official module's C(KEEP_IMAGES=0) does; the
        rule shows in RV(rules) and V(img) in RV(excluded).
    type: bool
    default: true
  compression:
    description:
      - V(zstd) pipes the archive through the C(zstd) program (level 1, all cores); it passes already-compressed
        images through cheaply. On a 2-core host it writes a 2 GB shop in about the time C(tar -c | zstd -1) takes.
      - V(gzip) compresses in-process with zlib in a second thread, storing already-compressed formats (jpg, png,
        webp, gif, zip, gz, woff2, ...) instead of deflating them again; any gunzip reads the result.
      - V(none) writes a plain tar.
      - V(auto) is V(zstd) when the C(zstd) program is on the host, else V(gzip). Restoring a V(zstd) archive
        needs the C(zstd) program too.
    type: str
    choices: [auto, zstd, gzip, none]
    default: auto
  compression_level:
    description:
      - Compression level, 1 (fastest, the default) to 19 for V(zstd), 1 to 9 for V(gzip).
    type: int
attributes:
  check_mode:
    support: full
    details:
      - Walks the tree reading metadata only and returns the files, folders and bytes the archive would hold and what
        would be left out. Nothing is written, not even the workspace folder.
  diff_mode:
    support: none
    details:
      - A backup does not change the shop; RV(excluded) and RV(totals) describe what it holds.
notes:
  - Keep O(backup_dir) outside the web root; a backup folder inside the shop is left out of the archive and the
    module warns, since the web server might serve it.
  - No file is ever skipped for its size (the official module skips every file of 15 MiB or more).
seealso:
  - module: shopfleet.prestashop.rollback_files
  - module: shopfleet.prestashop.backup_info
  - module: shopfleet.prestashop.backup_db
"""

EXAMPLES = r"""
- name: Back up the shop's files before an upgrade, under a name the later steps reuse
  shopfleet.prestashop.backup_files:
    shop_root: /var/www/shop
    name: "before-upgrade-{{ ansible_date_time.date }}"
  register: files_backup

- name: Leave git checkouts and generated thumbnails out, and keep backups on a bigger disk
  shopfleet.prestashop.backup_files:
    shop_root: /var/www/shop
    backup_dir: /srv/backups/shop
    exclude:
      - /**/.git
      - /img/p/**/*-small_default.jpg

- name: How big would the backup be, and what would be left out?
  shopfleet.prestashop.backup_files:
    shop_root: /var/www/shop
  check_mode: true
  register: estimate
"""

RETURN = r"""
name:
  description: Name of the backup.
  returned: always
  type: str
  sample: V8.1.5_20240501-101500-3a526a86
path:
  description: Folder of the backup (the files component is its C(files/) sub-folder).
  returned: always
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240501-101500-3a526a86
component_path:
  description: Folder of the files component.
  returned: always
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240501-101500-3a526a86/files
compression:
  description: Compression used (or that would be used).
  returned: always
  type: str
  sample: zstd
archive:
  description: The archive written (or found), V(null) in check mode when none exists yet.
  returned: always
  type: dict
  contains:
    file:
      description: File name in the component folder.
      type: str
    bytes:
      description: Size of the archive.
      type: int
    sha256:
      description: sha256 of the archive.
      type: str
  sample: {"file": "archive.tar.zst", "bytes": 1314521088, "sha256": "5f7c...e1"}
totals:
  description: What the archive holds (in check mode, what it would hold).
  returned: always
  type: dict
  contains:
    files:
      description: Regular files.
      type: int
    dirs:
      description: Folders.
      type: int
    links:
      description: Symbolic links.
      type: int
    bytes:
      description: Bytes of the regular files.
      type: int
  sample: {"files": 41012, "dirs": 5123, "links": 2, "bytes": 512000000}
rules:
  description: Exclusion rules in force, with where each comes from.
  returned: always
  type: list
  elements: dict
  sample: [{"rule": "/var/cache", "source": "default"}, {"rule": "/img", "source": "keep_images=false"}]
excluded:
  description:
    - Every path left out, with the rule that did it (V(null) for special files and paths that vanished while walking)
      and why. A folder is listed once for its whole subtree.
  returned: always
  type: list
  elements: dict
  sample: [{"path": "var/cache", "type": "dir", "rule": "/var/cache", "reason": "default"},
           {"path": "var/run/php.sock", "type": "socket", "rule": null, "reason": "special file (socket): not archivable"}]
unstable:
  description: Files that changed while they were read, archived as read (their index sha256 matches the archive).
  returned: always
  type: list
  elements: str
  sample: ["var/logs/prod-2024-05-01.log"]
estimated:
  description: Whether RV(totals) is an estimate from a check-mode walk.
  returned: always
  type: bool
  sample: false
duration_s:
  description: Seconds the backup took (V(null) when nothing was written).
  returned: always
  type: float
  sample: 9.4
"""

import fcntl
import os
import shutil
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import (
    FILES_FORMAT,
    BackupError,
    read_component,
    write_component_manifest,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._filetree import (
    ARCHIVE_NAMES,
    DEFAULT_EXCLUDES,
    IMAGES_RULE,
    INDEX_NAME,
    ArchiveWriter,
    FileTreeError,
    IndexWriter,
    Rule,
    RuleSet,
    Skipped,
    fault_point,
    index_record,
    normalize_rule,
    rule_for_folder,
    walk,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, inspect_files, shop_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    AtomicFile,
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    is_inside,
    new_backup_name,
    utc_now,
    workspace_argument_spec,
)

LEVELS = {"zstd": (1, 19), "gzip": (1, 9), "none": (0, 0)}


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec(database=False)
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        name={"type": "str"},
        exclude={"type": "list", "elements": "str", "default": []},
        default_excludes={"type": "bool", "default": True},
        keep_images={"type": "bool", "default": True},
        compression={"type": "str", "default": "auto", "choices": ["auto", "zstd", "gzip", "none"]},
        compression_level={"type": "int"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


# --- the plan ---------------------------------------------------------------------------------------------------


def exclusion_rules(root: str, admin_dir: str | None, params: dict[str, Any], workspace: Workspace, backup_path: str) -> RuleSet:
    """Every rule that leaves a path out, in the order they are reported."""
    rules = RuleSet()
    if params["default_excludes"]:
        for pattern in DEFAULT_EXCLUDES:
            # Without a known back-office folder, its autoupgrade folder is whichever top-level folder holds one.
            rules.add(Rule(normalize_rule(pattern, admin_dir) if admin_dir or "{admin}" not in pattern else "/*/autoupgrade", "default"))
    if not params["keep_images"]:
        rules.add(Rule(IMAGES_RULE, "keep_images=false"))
    for pattern in params["exclude"]:
        rules.add(Rule(normalize_rule(pattern, admin_dir), "exclude"))
    for folder, source in ((workspace.root, "workspace inside the shop"), (workspace.backups, "backup folder inside the shop"),
                           (backup_path, "backup folder inside the shop")):
        rule = rule_for_folder(root, folder, source)
        if rule is not None and rules.covers(rule.pattern.lstrip("/")) is None:
            rules.add(rule)
    return rules


def choose_compression(requested: str, level: int | None, zstd: str | None) -> tuple[str, int]:
    compression = requested
    if requested == "auto":
        compression = "zstd" if zstd else "gzip"
    if compression == "zstd" and not zstd:
        raise FileTreeError("compression=zstd but the zstd program is not on this host: install zstd or use compression=gzip")
    low, high = LEVELS[compression]
    if level is None:
        return compression, low
    if compression != "none" and not low <= level <= high:
        raise FileTreeError(f"compression_level {level} is out of range for {compression}: {low} to {high}")
    return compression, level


def build_plan(module: AnsibleModule) -> dict[str, Any]:
    """Everything decided before touching the disk: names, paths, rules, compression, and what is there already."""
    params = module.params
    shop = inspect_files(params["shop_root"], params["admin_dir"])
    if shop.admin_dir is None and shop.admin_dir_candidates:
        module.warn(f"several folders look like the back office ({', '.join(shop.admin_dir_candidates)}): set admin_dir; "
                    "the autoupgrade folder of each is left out")
    workspace = Workspace.for_shop(shop.root, params["workspace"], params["backup_dir"])
    name = params["name"] or new_backup_name(shop.version or "unknown")
    backup_path = workspace.backup_path(name)
    if is_inside(shop.root, backup_path):
        raise WorkspaceError(f"the backup folder {backup_path} holds the shop itself: choose a backup_dir outside {shop.root}")
    compression, level = choose_compression(params["compression"], params["compression_level"], module.get_bin_path("zstd"))
    rules = exclusion_rules(shop.root, shop.admin_dir, params, workspace, backup_path)
    if is_inside(backup_path, shop.root):
        module.warn(f"the backup {backup_path} is inside the shop's web root: it holds the shop's secrets and the web server "
                    f"may serve it; set backup_dir outside {shop.root}")
    component = read_component(backup_path, "files")
    state = "complete" if component.complete else ("incomplete" if os.path.lexists(component.path) else "absent")
    if state == "complete" and os.path.realpath(str(component.manifest.get("shop_root"))) != os.path.realpath(shop.root):  # type: ignore[union-attr]
        raise BackupError(f"backup {name!r} in {workspace.backups} was taken from {component.manifest.get('shop_root')}, "  # type: ignore[union-attr]
                          f"not {shop.root}: choose another name")
    return {
        "root": shop.root, "version": shop.version, "admin_dir": shop.admin_dir, "name": name, "path": backup_path,
        "component_path": component.path, "state": state, "manifest": component.manifest, "problems": component.problems,
        "compression": compression, "level": level, "rules": rules, "zstd": module.get_bin_path("zstd"),
    }


# --- check mode ---------------------------------------------------------------------------------------------------


def estimate(root: str, rules: RuleSet) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """What the archive would hold, from a walk reading metadata only."""
    totals = {"files": 0, "dirs": 0, "links": 0, "bytes": 0}
    excluded = []
    for item in walk(root, rules):
        if isinstance(item, Skipped):
            excluded.append(item.public())
        else:
            totals[{"file": "files", "dir": "dirs", "link": "links"}[item.kind]] += 1
            if item.kind == "file":
                totals["bytes"] += item.stat.st_size
    return totals, excluded


# --- writing ------------------------------------------------------------------------------------------------------


class BackupLock:
    """An exclusive lock on the backup folder, so that two runs never write the same backup."""

    def __init__(self, folder: str) -> None:
        self.descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self.descriptor)
            raise WorkspaceError(f"another run is writing the backup in {folder}") from None

    def release(self) -> None:
        os.close(self.descriptor)


def write_archive(plan: dict[str, Any], component: str) -> dict[str, Any]:
    """Archive and index, each written under a temporary name and renamed when complete (the manifest comes after)."""
    archive_name = ARCHIVE_NAMES[plan["compression"]]
    excluded: list[dict[str, Any]] = []
    unstable: list[str] = []
    with AtomicFile(os.path.join(component, archive_name)) as archive_handle, AtomicFile(os.path.join(component, INDEX_NAME)) as index_handle:
        writer = ArchiveWriter(archive_handle, plan["compression"], plan["level"], plan["zstd"])
        index = IndexWriter(index_handle)
        try:
            for item in walk(plan["root"], plan["rules"]):
                if isinstance(item, Skipped):
                    excluded.append(item.public())
                    continue
                archived = writer.add(plan["root"], item)
                if archived is None:
                    excluded.append({"path": item.path, "type": item.kind, "rule": None, "reason": "vanished while backing up"})
                    continue
                index.add(index_record(archived.entry, archived.unstable))
                if archived.unstable:
                    unstable.append(item.path)
                fault_point("backup-entry")
            archive_bytes, archive_sha256 = writer.close()
        except BaseException:
            writer.abort()
            raise
        index_bytes, index_sha256 = index.close()
    return {
        "archive": {"file": archive_name, "compression": plan["compression"], "bytes": archive_bytes, "sha256": archive_sha256},
        "index": {"file": INDEX_NAME, "bytes": index_bytes, "sha256": index_sha256, "entries": index.entries},
        "totals": writer.totals, "excluded": excluded, "unstable": unstable,
    }


def write_backup(plan: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    created = utc_now()
    ensure_private_dir(plan["path"])
    lock = BackupLock(plan["path"])
    try:
        component = plan["component_path"]
        if os.path.lexists(component):
            # An interrupted run's leftovers: nothing in them is trusted or reused.
            if os.path.isdir(component) and not os.path.islink(component):
                shutil.rmtree(component)
            else:
                os.unlink(component)
        os.mkdir(component, 0o700)
        try:
            written = write_archive(plan, component)
        except BaseException:
            # A failure (a full disk, an unreadable file) leaves nothing behind; a kill leaves what the next run clears.
            shutil.rmtree(component, ignore_errors=True)
            _remove_if_empty(plan["path"])
            raise
        fault_point("backup-before-manifest")
        manifest = {
            "format": FILES_FORMAT, "name": plan["name"], "shop_root": plan["root"], "version": plan["version"],
            "admin_dir": plan["admin_dir"], "created": created, "archive": written["archive"], "index": written["index"],
            "totals": written["totals"], "excluded": {"rules": plan["rules"].public(), "paths": written["excluded"]},
            "unstable": written["unstable"], "duration_s": round(time.monotonic() - started, 3),
            "contents": [{"file": written["archive"]["file"], "sha256": written["archive"]["sha256"]},
                         {"file": written["index"]["file"], "sha256": written["index"]["sha256"]}],
        }
        write_component_manifest(component, manifest)
    finally:
        lock.release()
    return manifest


def _remove_if_empty(folder: str) -> None:
    try:
        os.rmdir(folder)
    except OSError:
        pass


# --- results ------------------------------------------------------------------------------------------------------


def result_from_manifest(plan: dict[str, Any], manifest: dict[str, Any], changed: bool) -> dict[str, Any]:
    archive = manifest.get("archive") or {}
    excluded = manifest.get("excluded") or {}
    return {
        "changed": changed, "name": plan["name"], "path": plan["path"], "component_path": plan["component_path"],
        "compression": archive.get("compression"),
        "archive": {key: archive.get(key) for key in ("file", "bytes", "sha256")},
        "totals": manifest.get("totals"), "rules": excluded.get("rules", []), "excluded": excluded.get("paths", []),
        "unstable": manifest.get("unstable", []), "estimated": False, "duration_s": manifest.get("duration_s") if changed else None,
    }


def check_result(plan: dict[str, Any]) -> dict[str, Any]:
    totals, excluded = estimate(plan["root"], plan["rules"])
    return {
        "changed": True, "name": plan["name"], "path": plan["path"], "component_path": plan["component_path"],
        "compression": plan["compression"], "archive": None, "totals": totals, "rules": plan["rules"].public(),
        "excluded": excluded, "unstable": [], "estimated": True, "duration_s": None,
    }


def run(module: AnsibleModule) -> dict[str, Any]:
    plan = build_plan(module)
    if plan["state"] == "complete":
        return result_from_manifest(plan, plan["manifest"], changed=False)
    if plan["state"] == "incomplete":
        module.warn(f"backup {plan['name']!r}: an unfinished files component is there ({'; '.join(plan['problems'][:3])}); "
                    + ("it would be removed and the backup made again" if module.check_mode else "removed, backing up again"))
    if module.check_mode:
        return check_result(plan)
    result = result_from_manifest(plan, write_backup(plan), changed=True)
    if result["unstable"]:
        module.warn(f"{len(result['unstable'])} file(s) changed while being read and were archived as read: "
                    f"{', '.join(result['unstable'][:5])}{' ...' if len(result['unstable']) > 5 else ''}")
    return result


def main() -> None:
    module = create_module()
    try:
        result = run(module)
    except (ShopError, WorkspaceError, FileTreeError, BackupError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        module.fail_json(msg=f"backup failed: {exc.strerror or exc}{where}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
