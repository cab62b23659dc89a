#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: backup_info
short_description: List, verify, select and prune the backups of a PrestaShop shop
version_added: 0.1.0
description:
  - The backup catalogue of one shop. Lists the backups made by M(shopfleet.prestashop.backup_files) and
    M(shopfleet.prestashop.backup_db) (the shop's backup folder in its workspace) and those of PrestaShop's official
    upgrade module (C(<admin>/autoupgrade/backup/auto-backupfiles_<name>.zip) with
    C(<admin>/autoupgrade/backup/<name>/auto-backupdb_NNNNNN_<name>.sql[.gz|.bz2])), newest first, with their
    version, date, size, components and completeness.
  - Selects the backup a rollback uses (the documented Rollback step), by O(name) or the latest complete one; when
    there is none it says so (the documented NoRollbackFound step) and fails only if O(on_missing=fail).
  - Can verify backups deeply (every checksum re-read) and prune old ones by count and age.
  - One of our backups is complete when each component's C(manifest.json) exists, parses, has the right format and
    names the backup, every file it lists exists with the listed size, nothing unlisted or half-written
    (C(.part-)) lies next to it; a deep verify also re-reads every sha256. An official backup is complete when its
    zip's central directory reads and its database parts are numbered from 000001 without gaps, with the right
    magic bytes and, for bzip2 parts, the end-of-stream marker; a deep verify tests every zip member's CRC and
    decompresses every part to its end (a cut gzip part is only seen then).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._workspace
  - shopfleet.prestashop._attributes
options:
  name:
    description:
      - Select the backup of this name (ours or the official module's).
    type: str
  select:
    description:
      - V(latest) selects the newest backup that is complete for O(kinds) (and of O(version) when set).
      - V(name) selects O(name); it is what O(name) implies.
      - V(none) only lists (and prunes).
      - Defaults to V(name) when O(name) is set, V(latest) otherwise.
    type: str
    choices: [latest, name, none]
  kinds:
    description:
      - Components a backup needs to be complete, that is usable by the rollback. V(files) is the shop's tree,
        V(db) its database.
    type: list
    elements: str
    choices: [files, db]
    default: [files, db]
  version:
    description:
      - With O(select=latest), consider only backups taken from this PrestaShop version.
    type: str
  on_missing:
    description:
      - What to do when no usable backup matches the selection (NoRollbackFound).
      - V(ok) returns RV(rollback_found=false) and RV(selected=null), as the official module ends its rollback
        with "nothing to restore"; V(fail) fails with the same message.
      - A selected backup that fails a deep verify always fails the task, whatever this option says; there is
        something to restore, but not from this backup. The module never falls back to an older backup then.
    type: str
    choices: [fail, ok]
    default: ok
  verify:
    description:
      - V(none) checks manifests, sizes and names only.
      - V(selected) also re-reads every checksum of the selected backup; V(all) of every listed backup.
    type: str
    choices: [none, selected, all]
    default: none
  include_official:
    description:
      - Whether to list the official upgrade module's backups too.
    type: bool
    default: true
  prune:
    description:
      - Delete the backups that O(keep_last) and O(older_than) do not keep. Needs at least one of them.
      - The newest complete backup and the selected one are never deleted, and backups taken from another shop
        (a shared O(backup_dir)) are never considered.
      - Incomplete backups (killed or still being written) do not count towards O(keep_last). They are deleted
        only once nothing in them has been written for O(older_than), or for 24 hours when O(older_than) is
        not set (at least one hour in any case), so a backup still being written is never removed.
      - Deleting one of our backups renames it first, so a killed prune never leaves something that looks like a
        backup; the next prune finishes the deletion. An official backup loses its zip first, then its folder.
    type: bool
    default: false
  keep_last:
    description:
      - With O(prune), keep this many of the newest complete backups. Backups lacking a component of O(kinds)
        but otherwise whole are kept when they are newer than the oldest one kept.
    type: int
  older_than:
    description:
      - With O(prune), delete only backups older than this, given as a number of seconds or with a unit
        (V(90m), V(12h), V(30d), V(2w)). Combined with O(keep_last), a backup goes when neither keeps it.
    type: str
attributes:
  check_mode:
    support: full
    details:
      - Lists, selects and verifies as in a real run; with O(prune) it returns what would be deleted, deleting nothing.
  diff_mode:
    support: full
    details:
      - With O(prune), the list of backup names before and after.
notes:
  - The module never changes anything but the backups O(prune) deletes, so C(changed) is true only then.
  - It reads no database; a shop whose root is gone (after a failed upgrade) still has its backups listed, the
    official ones too when O(admin_dir) is given.
seealso:
  - module: shopfleet.prestashop.backup_files
  - module: shopfleet.prestashop.backup_db
  - module: shopfleet.prestashop.rollback_files
  - module: shopfleet.prestashop.rollback_db
  - module: shopfleet.prestashop.rollback_complete
"""

EXAMPLES = r"""
- name: Find the backup to roll back to (Rollback / NoRollbackFound)
  shopfleet.prestashop.backup_info:
    shop_root: /var/www/shop
  register: rollback_backup

- name: Say when there is nothing to restore
  ansible.builtin.debug:
    msg: "{{ rollback_backup.msg }}"
  when: not rollback_backup.rollback_found

- name: Roll back with the backup this run made, checksums re-read first; fail if it is not there
  shopfleet.prestashop.backup_info:
    shop_root: /var/www/shop
    name: "{{ backup_name }}"
    verify: selected
    on_missing: fail

- name: List every backup with its state, verifying them all
  shopfleet.prestashop.backup_info:
    shop_root: /var/www/shop
    select: none
    verify: all
  register: catalogue

- name: Keep the last 3 backups and anything newer than two weeks
  shopfleet.prestashop.backup_info:
    shop_root: /var/www/shop
    select: none
    prune: true
    keep_last: 3
    older_than: 14d
"""

RETURN = r"""
shop_root:
  description: Absolute path of the shop.
  returned: always
  type: str
  sample: /var/www/shop
backup_dir:
  description: Folder of our backups for this shop.
  returned: always
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups
official_backup_dirs:
  description: Folders where the official module's backups were looked for.
  returned: always
  type: list
  elements: str
  sample: [/var/www/shop/admin123abc/autoupgrade/backup]
backups:
  description: Every backup of the shop, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Backup name.
      type: str
    source:
      description: V(shopfleet) (our modules) or V(autoupgrade) (the official module).
      type: str
    path:
      description: Our backup's folder, or the official module's backup folder.
      type: str
    version:
      description: PrestaShop version the backup was taken from.
      type: str
    created:
      description: When the backup was taken (UTC, ISO 8601).
      type: str
    size_bytes:
      description: Bytes on disk.
      type: int
    complete:
      description: Whether every component of O(kinds) is complete, so a rollback may use it.
      type: bool
    state:
      description: V(complete), V(partial) (what is there is whole but a component of O(kinds) is absent) or V(incomplete).
      type: str
    problems:
      description: Everything that keeps it from being complete, one line each.
      type: list
      elements: str
    verified:
      description: V(true) or V(false) when checksums were re-read, V(null) when not.
      type: bool
    components:
      description:
        - Per kind (V(files), V(db)) C(present), C(complete), C(bytes), C(problems), C(verified), C(path) and
          C(format). For official backups the files component is the zip and the db component the parts folder.
      type: dict
  sample:
    - name: V8.1.5_20240102-030405-1a2b3c4d
      source: shopfleet
      path: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240102-030405-1a2b3c4d
      version: 8.1.5
      created: "2024-01-02T03:04:05Z"
      size_bytes: 734003200
      complete: true
      state: complete
      problems: []
      verified: null
      components:
        files: {present: true, complete: true, bytes: 700000000, problems: [], verified: null, format: shopfleet.backup.files/1,
                path: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240102-030405-1a2b3c4d/files}
        db: {present: true, complete: true, bytes: 34003200, problems: [], verified: null, format: shopfleet.backup.db/1,
             path: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240102-030405-1a2b3c4d/db}
selected:
  description: The backup the rollback should use (one element of RV(backups)), V(null) when none.
  returned: always
  type: dict
  sample: {name: V8.1.5_20240102-030405-1a2b3c4d, source: shopfleet, complete: true}
rollback_found:
  description: Whether a usable backup was selected; V(null) with O(select=none).
  returned: always
  type: bool
  sample: true
msg:
  description: What was selected, or why nothing was.
  returned: always
  type: str
  sample: "selected V8.1.5_20240102-030405-1a2b3c4d (shopfleet, 8.1.5, 2024-01-02T03:04:05Z), the latest complete backup"
passed_over:
  description: Backups newer than the selected one that were passed over, and why.
  returned: always
  type: list
  elements: dict
  sample: [{name: V8.1.5_20240103-010000-5e6f7a8b, source: shopfleet, reason: "db: no manifest.json (the backup did not finish)"}]
other_shop_backups:
  description: Backups in O(backup_dir) taken from another shop; they are never listed, selected or pruned.
  returned: always
  type: list
  elements: str
  sample: []
pruned:
  description: Backups deleted (in check mode, that would be deleted), with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{name: V8.1.3_20231201-020000-0a0b0c0d, source: shopfleet, state: complete, created: "2023-12-01T02:00:00Z",
            path: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.3_20231201-020000-0a0b0c0d,
            reason: "not among the 1 newest complete backups"}]
"""

import os
import re
import secrets
import shutil
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import (
    AUTOUPGRADE,
    DELETING_MARK,
    CatalogEntry,
    deletion_leftovers,
    describe_problems,
    iso_utc,
    list_backup_folders,
    list_official_backups,
    official_folders,
    official_zip_path,
    read_backup,
    read_official_entry,
    same_shop,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import shop_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    fsync_dir,
    workspace_argument_spec,
)

INCOMPLETE_GRACE_S = 24 * 3600
MINIMUM_GRACE_S = 3600
_AGE = re.compile(r"^\s*([0-9]+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


class CatalogError(Exception):
    """A one-line reason the catalogue cannot do what was asked."""


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec(database=False)
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        name={"type": "str"},
        select={"type": "str", "choices": ["latest", "name", "none"]},
        kinds={"type": "list", "elements": "str", "choices": ["files", "db"], "default": ["files", "db"]},
        version={"type": "str"},
        on_missing={"type": "str", "choices": ["fail", "ok"], "default": "ok"},
        verify={"type": "str", "choices": ["none", "selected", "all"], "default": "none"},
        include_official={"type": "bool", "default": True},
        prune={"type": "bool", "default": False},
        keep_last={"type": "int"},
        older_than={"type": "str"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def parse_age(text: str) -> int:
    """Seconds from `3600`, `90m`, `12h`, `30d` or `2w`."""
    match = _AGE.match(text)
    if not match:
        raise CatalogError(f"older_than={text!r}: expected a number of seconds or a number with s, m, h, d or w (e.g. 30d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


def check_options(params: dict[str, Any]) -> dict[str, Any]:
    """The options made consistent: the selection mode, the kinds in a stable order, the prune rule."""
    select = params["select"] or ("name" if params["name"] else "latest")
    if select == "name" and not params["name"]:
        raise CatalogError("select=name needs name")
    if params["name"] and select != "name":
        raise CatalogError(f"name selects a backup by name: drop select={select} or set it to name")
    kinds = [kind for kind in ("files", "db") if kind in params["kinds"]]
    if not kinds:
        raise CatalogError("kinds must name at least one of files, db")
    if params["prune"] and params["keep_last"] is None and params["older_than"] is None:
        raise CatalogError("prune needs keep_last, older_than or both")
    if not params["prune"] and (params["keep_last"] is not None or params["older_than"] is not None):
        raise CatalogError("keep_last and older_than only apply with prune=true")
    if params["keep_last"] is not None and params["keep_last"] < 1:
        raise CatalogError(f"keep_last={params['keep_last']}: keep at least 1 backup")
    return {"select": select, "kinds": kinds, "older_than": parse_age(params["older_than"]) if params["older_than"] is not None else None}


def collect(shop_root: str, backups_dir: str, official_dirs: list[str], deep: bool = False) -> dict[str, Any]:
    """Every backup of the shop (newest first), the backups of other shops sharing the folder, deletion leftovers."""
    entries: list[CatalogEntry] = []
    others = []
    names, leftovers = list_backup_folders(backups_dir)
    for name in names:
        try:
            entry = read_backup(os.path.join(backups_dir, name), deep=deep)
        except FileNotFoundError:
            continue  # deleted while we looked (another prune)
        if same_shop(entry.shop_root, shop_root):
            entries.append(entry)
        else:
            others.append(name)
    for folder in official_dirs:
        leftovers += deletion_leftovers(folder)
        for name in list_official_backups(folder):
            try:
                entries.append(read_official_entry(folder, name, deep=deep))
            except FileNotFoundError:
                continue
    return {"entries": sort_newest_first(entries), "other_shop_backups": others, "leftovers": leftovers}


def sort_newest_first(entries: list[CatalogEntry]) -> list[CatalogEntry]:
    return sorted(entries, key=lambda entry: (entry.created or 0.0, entry.name, entry.source), reverse=True)


def describe(entry: CatalogEntry) -> str:
    return f"{entry.name} ({entry.source}, {entry.version or 'version unknown'}, {iso_utc(entry.created) or 'date unknown'})"


def select_backup(entries: list[CatalogEntry], select: str, kinds: list[str], name: str | None = None,
                  version: str | None = None) -> dict[str, Any]:
    """The Rollback / NoRollbackFound decision as plain data: {selected (entry or None), found, msg, passed_over, warnings}."""
    wanted = "+".join(kinds)
    if select == "none":
        return {"selected": None, "found": None, "msg": f"{len(entries)} backup(s) listed", "passed_over": [], "warnings": []}
    if select == "name":
        matches = [entry for entry in entries if entry.name == name]
        if not matches:
            return _not_found(f"no backup named {name!r} for this shop: nothing to restore")
        warnings = [f"two backups are named {name!r} (ours and the official module's): using ours"] if len(matches) > 1 else []
        entry = matches[0]
        if not entry.usable(kinds):
            return _not_found(f"backup {name!r} is not complete for {wanted}: {describe_problems(entry.public(kinds)['problems'])}; nothing to restore")
        return {"selected": entry, "found": True, "msg": f"selected {describe(entry)}", "passed_over": [], "warnings": warnings}
    candidates = [entry for entry in entries if version is None or entry.version == version]
    passed_over = []
    for entry in candidates:
        if entry.usable(kinds):
            msg = f"selected {describe(entry)}, the latest backup complete for {wanted}"
            warnings = [f"passed over {len(passed_over)} newer backup(s) that are not complete for {wanted}: "
                        + ", ".join(item["name"] for item in passed_over)] if passed_over else []
            return {"selected": entry, "found": True, "msg": msg, "passed_over": passed_over, "warnings": warnings}
        passed_over.append({"name": entry.name, "source": entry.source, "reason": describe_problems(entry.public(kinds)["problems"], limit=2)})
    scope = f" of version {version}" if version else ""
    detail = f" ({len(passed_over)} listed, none complete)" if passed_over else ""
    return _not_found(f"no backup{scope} complete for {wanted}{detail}: nothing to restore", passed_over)


def _not_found(msg: str, passed_over: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"selected": None, "found": False, "msg": msg, "passed_over": passed_over or [], "warnings": []}


def plan_prune(entries: list[CatalogEntry], kinds: list[str], now: float, keep_last: int | None = None, older_than: int | None = None,
               selected: CatalogEntry | None = None, leftovers: list[str] | None = None) -> list[dict[str, Any]]:
    """What a prune deletes, as plain data, newest first. Entries must be newest first, in their shallow state.

    Kept: the selected backup; the `keep_last` newest complete ones (at least the newest); with `older_than`, anything
    younger. Partial backups (whole but lacking a kind) go only when older than the oldest complete one kept.
    Incomplete ones never count and go once untouched for the grace period (a writer may still be at work).
    """
    complete = [entry for entry in entries if entry.state(kinds) == "complete"]
    kept = complete[:max(keep_last or 1, 1)]
    oldest_kept = min((entry.created or 0.0 for entry in kept), default=None)
    grace = max(older_than if older_than is not None else INCOMPLETE_GRACE_S, MINIMUM_GRACE_S)
    plan = [{"name": os.path.basename(path), "source": "leftover", "state": "incomplete", "created": None, "path": path,
             "reason": "leftover of an interrupted prune"} for path in leftovers or []]
    for entry in entries:
        if entry is selected or any(entry is other for other in kept):
            continue
        reason = _prune_reason(entry, kinds, now, keep_last, older_than, oldest_kept, grace)
        if reason:
            plan.append({"name": entry.name, "source": entry.source, "state": entry.state(kinds), "created": iso_utc(entry.created),
                         "path": entry.path, "reason": reason})
    return plan


def _prune_reason(entry: CatalogEntry, kinds: list[str], now: float, keep_last: int | None, older_than: int | None,
                  oldest_kept: float | None, grace: int) -> str | None:
    state = entry.state(kinds)
    if state == "incomplete":
        idle = now - entry.last_write
        return f"incomplete and untouched for {_duration(idle)}" if idle > grace else None
    age = now - (entry.created or 0.0)
    if older_than is not None and age <= older_than:
        return None
    if state == "partial" and (oldest_kept is None or (entry.created or 0.0) >= oldest_kept):
        return None
    if keep_last is not None:
        rule = f"not among the {keep_last} newest complete backups"
    else:
        rule = "not the newest complete backup"
    return rule + (f" and older than {_duration(older_than)}" if older_than is not None else "")


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def delete_backup(item: dict[str, Any]) -> None:
    """Delete one backup so that no half-deleted state ever looks like a complete backup.

    The folder is renamed out of the listing first (the official module's parts too: a folder missing its last parts
    would pass for a shorter, complete dump); what a kill leaves is removed by the next prune.
    """
    target = os.path.join(item["path"], item["name"]) if item["source"] == AUTOUPGRADE else item["path"]
    if os.path.isdir(target) and DELETING_MARK not in os.path.basename(target):
        doomed = f"{target}{DELETING_MARK}{secrets.token_hex(4)}"
        os.rename(target, doomed)
        fsync_dir(os.path.dirname(target))
        target = doomed
    if item["source"] == AUTOUPGRADE:
        zip_path = official_zip_path(item["path"], item["name"])
        if os.path.exists(zip_path):
            os.unlink(zip_path)
    if os.path.isdir(target):
        shutil.rmtree(target)


def run(params: dict[str, Any], check_mode: bool, now: float) -> dict[str, Any]:
    """Plan and, outside check mode, apply. Returns the module result; a `failed` key means fail_json."""
    options = check_options(params)
    shop_root = os.path.abspath(params["shop_root"])
    workspace = Workspace.for_shop(shop_root, params["workspace"], params["backup_dir"])
    official_dirs = official_folders(shop_root, params["admin_dir"]) if params["include_official"] else []
    warnings = []
    if params["include_official"] and not os.path.isdir(shop_root):
        warnings.append(f"{shop_root} does not exist: the official module's backups are not listed (set admin_dir to look anyway)")
    catalog = collect(shop_root, workspace.backups, official_dirs)
    entries = catalog["entries"]
    kinds = options["kinds"]
    selection = select_backup(entries, options["select"], kinds, params["name"], params["version"])
    warnings += selection["warnings"]
    selected = selection["selected"]
    pruned = plan_prune(entries, kinds, now, params["keep_last"], options["older_than"], selected, catalog["leftovers"]) if params["prune"] else []

    shown = entries
    if params["verify"] == "all":
        shown = [_reread(entry, deep=True) for entry in entries]
        selected = next((deep for deep, shallow in zip(shown, entries) if shallow is selected), None)
    elif params["verify"] == "selected" and selected is not None:
        deep = _reread(selected, deep=True)
        shown = [deep if entry is selected else entry for entry in entries]
        selected = deep

    result = {
        "changed": bool(pruned),
        "shop_root": shop_root,
        "backup_dir": workspace.backups,
        "official_backup_dirs": official_dirs,
        "backups": [entry.public(kinds) for entry in shown],
        "selected": selected.public(kinds) if selected else None,
        "rollback_found": selection["found"],
        "msg": selection["msg"],
        "passed_over": selection["passed_over"],
        "other_shop_backups": catalog["other_shop_backups"],
        "pruned": pruned,
        "warnings": warnings,
    }
    if selected is not None and not selected.usable(kinds):
        result.update(failed=True, selected=None, rollback_found=False, pruned=[], changed=False,
                      msg=f"backup {selected.name!r} fails verification: {describe_problems(selected.public(kinds)['problems'])}; "
                          "not falling back to an older backup (it would lose what was done since): repair it or pass another name")
        return result
    if selection["found"] is False and params["on_missing"] == "fail":
        result.update(failed=True, pruned=[], changed=False)
        return result
    if pruned:
        names_before = [entry.name for entry in entries]
        gone = {item["name"] for item in pruned}
        result["diff"] = {"before": "\n".join(names_before) + "\n", "after": "".join(name + "\n" for name in names_before if name not in gone)}
        if not check_mode:
            for item in pruned:
                delete_backup(item)
            result["backups"] = [entry for entry in result["backups"] if not any(entry["name"] == item["name"] and entry["source"] == item["source"]
                                                                                 for item in pruned)]
    return result


def _reread(entry: CatalogEntry, deep: bool) -> CatalogEntry:
    if entry.source == AUTOUPGRADE:
        return read_official_entry(entry.path, entry.name, deep=deep)
    return read_backup(entry.path, deep=deep)


def main() -> None:
    module = create_module()
    try:
        result = run(module.params, module.check_mode, time.time())
    except (CatalogError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"cannot read or prune the backups: {exc.strerror or exc} ({exc.filename})")
    for warning in result.pop("warnings"):
        module.warn(warning)
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
