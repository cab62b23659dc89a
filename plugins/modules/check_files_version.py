#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: check_files_version
short_description: Compare a shop's files with its release, and list the files an upgrade makes obsolete (CheckFilesVersion, CompareReleases)
version_added: 0.1.0
description:
  - Compares every file of the shop with the checksum list of the version it runs - PrestaShop's md5 XML
    (O(checksums)), or a list computed from that version's release zip (O(release_archive)) or unpacked release
    (O(release_dir)) - and reports the files modified, missing and added, grouped as C(core), C(mail) and
    C(translation) like PrestaShop's own check.
  - The release's C(admin/) is the shop's back-office folder. Never compared - the installer (C(install/)), the
    upgrade module (C(modules/autoupgrade)) and the files the upgrade leaves to the merchant (demo images,
    C(img/logo.jpg), C(img/favicon.ico), overrides; see M(shopfleet.prestashop.remove_samples)).
  - Added files are the files lying in a folder of the release, next to its files, that its list does not
    know; the shop's data and generated folders (C(img), C(upload), C(download), C(cache), C(var), C(log),
    C(translations), C(override), C(config/xml), C(config/themes), theme and module caches) and the files a
    running shop writes (C(app/config/parameters.php), C(.htaccess), C(robots.txt), ...) are not reported.
  - "RV(status): V(error) when a core file is modified or missing (the upgrade would overwrite the change or
    needs the file); V(warning) when only mails or translations differ or files were added; V(ok) when the shop's
    files are exactly its release's. The module reports; it does not fail on V(error)."
  - "With a target release (O(target_checksums), O(target_archive), O(target_dir) or O(target_version)) it also
    diffs the two releases (CompareReleases): a file in the current list and absent from the target's is obsolete
    and should be deleted by the files step - except inside a module or theme folder that the target does not
    bundle at all. Releases stop bundling modules (8.1.3 carries 13 modules, about 17,700 files, that 8.1.7 no
    longer ships) while shops keep them installed and in use: such a package is kept whole and reported in
    RV(release_diff.packages_no_longer_bundled). A module the target still bundles is upgraded with it, so a file
    it no longer has is obsolete like a core file."
  - Obsolete files are then checked in the shop - V(delete) holds the ones still exactly as the current release
    shipped them; a changed one (edited by the merchant, or belonging to a newer version of a module) is kept and
    listed in V(keep_modified).
  - Hashes the files in parallel worker processes (O(workers)).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._attributes
  - shopfleet.prestashop._attributes.INFO_MODULE
options:
  checksums:
    description:
      - PrestaShop's md5 checksum list (XML) of the shop's version, on the host.
    type: path
  release_archive:
    description:
      - The release zip of the shop's version, on the host; its checksum list is computed from it.
    type: path
  release_dir:
    description:
      - The unpacked release of the shop's version (for instance by M(shopfleet.prestashop.release_unzip)).
    type: path
  target_checksums:
    description:
      - The md5 checksum list (XML) of the release the shop is going to, to list the files the upgrade makes obsolete.
    type: path
  target_archive:
    description:
      - The release zip the shop is going to, instead of O(target_checksums).
    type: path
  target_dir:
    description:
      - The unpacked release the shop is going to, instead of O(target_checksums).
    type: path
  target_version:
    description:
      - The version the shop is going to, found in the shop's workspace as M(shopfleet.prestashop.release_download)
        and M(shopfleet.prestashop.release_unzip) leave it (C(releases/<version>/prestashop_<version>.xml), the zip,
        or C(release/)).
    type: str
  workspace:
    description:
      - Root of the workspaces on the host, where the reference lists are looked for when no other option names
        them (C(releases/<shop version>/) in the shop's folder). Defaults to C(/var/lib/shopfleet) as root,
        C(~/.local/share/shopfleet) otherwise.
    type: path
  workers:
    description:
      - Processes hashing files at once. Defaults to the number of CPUs the module may use.
    type: int
notes:
  - PrestaShop's lists are md5; md5 here only tells whether a file is the release's.
seealso:
  - module: shopfleet.prestashop.release_download
  - module: shopfleet.prestashop.release_unzip
"""

EXAMPLES = r"""
- name: Is this shop's code as PrestaShop shipped it?
  shopfleet.prestashop.check_files_version:
    shop_root: /var/www/shop
    checksums: /srv/releases/prestashop_8.1.3.xml
  register: files_check

- name: What an upgrade to 8.1.7 makes obsolete, with both releases in the shop's workspace
  shopfleet.prestashop.check_files_version:
    shop_root: /var/www/shop
    target_version: 8.1.7
  register: files_diff

- name: Stop when core files were changed by hand
  ansible.builtin.assert:
    that: files_check.status != 'error'
    fail_msg: "modified core files: {{ files_check.modified.core | join(', ') }}"
"""

RETURN = r"""
version:
  description: The shop's version (its files'), which the reference list must be of.
  returned: success
  type: str
  sample: 8.1.7
admin_dir:
  description: The shop's back-office folder, which the release's C(admin/) stands for.
  returned: success
  type: str
source:
  description: Where the reference list came from (V(xml), V(archive) or V(dir), and the path).
  returned: success
  type: dict
  sample: {"kind": "xml", "path": "/srv/releases/prestashop_8.1.7.xml", "version": "8.1.7"}
status:
  description: V(ok), V(warning) or V(error), as described above.
  returned: success
  type: str
  sample: warning
modified:
  description: Files whose content differs from the release's, by group (C(core), C(mail), C(translation)).
  returned: success
  type: dict
  sample: {"core": ["classes/Cart.php"], "mail": [], "translation": []}
missing:
  description: Files of the release absent from the shop, by group.
  returned: success
  type: dict
added:
  description: Files in the release's folders that the release does not have, by group.
  returned: success
  type: dict
counts:
  description: Files compared, entries of the list not compared, and the size of each finding.
  returned: success
  type: dict
  sample: {"compared": 23100, "ignored": 632, "modified": 1, "missing": 0, "added": 2}
release_diff:
  description: The diff with the target release, when one is given.
  returned: when a target release is given
  type: dict
  contains:
    from:
      description: The shop's version.
      type: str
    to:
      description: The target's version.
      type: str
    source:
      description: Where the target's list came from, like RV(source).
      type: dict
    delete:
      description: Obsolete files still exactly as the current release shipped them, shop paths (admin folder renamed).
      type: list
      elements: str
    keep_modified:
      description: Obsolete files changed in the shop; kept, for a person to decide.
      type: list
      elements: str
    already_absent:
      description: Obsolete files the shop does not have anyway.
      type: list
      elements: str
    obsolete_dirs:
      description: Folders of the current release that the target no longer has (empty once their files are gone).
      type: list
      elements: str
    packages_no_longer_bundled:
      description: Modules and themes the target does not ship at all, kept whole, with their number of files.
      type: list
      elements: dict
    new_files:
      description: How many files the target adds.
      type: int
    changed_files:
      description: How many files both releases have with different contents.
      type: int
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import os
import time
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._hashing import HashingError, md5_many, md5_tree
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import (
    RELEASE_MARKER,
    ArchiveLimits,
    ReleaseError,
    classify_obsolete,
    compare_releases,
    compare_with_list,
    md5_of_archive,
    parse_checksum_xml,
    to_shop_path,
    tree_version,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, inspect_files, shop_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace, WorkspaceError, read_json


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec(database=False)
    argument_spec.update(
        checksums={"type": "path"},
        release_archive={"type": "path"},
        release_dir={"type": "path"},
        target_checksums={"type": "path"},
        target_archive={"type": "path"},
        target_dir={"type": "path"},
        target_version={"type": "str"},
        workspace={"type": "path"},
        workers={"type": "int"},
    )
    return AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["checksums", "release_archive", "release_dir"], ["target_checksums", "target_archive", "target_dir", "target_version"]],
        supports_check_mode=True,
    )


def checksums_of_tree(tree: str, workers: int | None) -> tuple[str | None, dict[str, str]]:
    """The checksum list of an unpacked release, with its admin folder named admin/ again (release_unzip renames it)."""
    marker = read_json(os.path.join(tree, RELEASE_MARKER)) if os.path.isfile(os.path.join(tree, RELEASE_MARKER)) else None
    renamed = {target: source for source, target in (marker or {}).get("renamed", [])}
    checksums = {}
    for path, digest in md5_tree(tree, workers, skip=lambda relative: relative == RELEASE_MARKER).items():
        head, slash, rest = path.partition("/")
        original = renamed.get(head, head)
        checksums[{"admin-dev": "admin", "install-dev": "install"}.get(original, original) + slash + rest] = digest
    return tree_version(tree), checksums


def load_reference(kind: str, path: str, workers: int | None, scratch: str) -> dict[str, Any]:
    """{kind, path, version, checksums} from an XML list, a release zip or an unpacked release."""
    if kind == "xml":
        version, checksums = parse_checksum_xml(path)
    elif kind == "archive":
        if not os.path.isfile(path):
            raise ReleaseError(f"{path} does not exist or is not a file")
        version, checksums = md5_of_archive(path, ArchiveLimits(), scratch=scratch)
    else:
        if not os.path.isdir(path):
            raise ReleaseError(f"{path} does not exist or is not a folder")
        version, checksums = checksums_of_tree(path, workers)
    if not checksums:
        raise ReleaseError(f"{path} holds no file")
    return {"kind": kind, "path": path, "version": version or None, "checksums": checksums}


def in_workspace(releases: str, version: str) -> tuple[str, str] | None:
    """What release_download / release_unzip left for a version: the XML first (cheapest), then the zip, then the tree."""
    folder = os.path.join(releases, version)
    for kind, path in (("xml", os.path.join(folder, f"prestashop_{version}.xml")), ("archive", os.path.join(folder, f"prestashop_{version}.zip")),
                       ("dir", os.path.join(folder, "release"))):
        if os.path.exists(path):
            return kind, path
    return None


def pick_source(params: dict[str, Any], names: tuple[str, str, str], version: str | None, releases: str) -> tuple[str, str] | None:
    for kind, name in zip(("xml", "archive", "dir"), names):
        if params[name]:
            return kind, os.path.abspath(params[name])
    return in_workspace(releases, version) if version else None


def caching_hasher(workers: int | None) -> Callable[[list[str]], dict[str, str | None]]:
    """md5 of paths, each file read once however many comparisons ask for it."""
    cache: dict[str, str | None] = {}

    def hasher(paths: list[str]) -> dict[str, str | None]:
        todo = [path for path in paths if path not in cache]
        if todo:
            cache.update(md5_many(todo, workers))
        return {path: cache[path] for path in paths}

    return hasher


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    files = inspect_files(params["shop_root"], params["admin_dir"])
    if files.admin_dir is None:
        raise ShopError(f"cannot tell the back-office folder of {files.root} (candidates: {', '.join(files.admin_dir_candidates) or 'none'}): "
                        "set admin_dir")
    releases = os.path.join(Workspace.for_shop(files.root, params["workspace"]).root, "releases")
    scratch = os.path.join(module.tmpdir, "inner.zip")
    source = pick_source(params, ("checksums", "release_archive", "release_dir"), files.version, releases)
    if source is None:
        raise ReleaseError(f"no checksum list for PrestaShop {files.version}: give checksums, release_archive or release_dir "
                           f"(nothing in {os.path.join(releases, str(files.version))})")
    current = load_reference(source[0], source[1], params["workers"], scratch)
    if current["version"] and php_version_compare(current["version"], str(files.version)) != 0:
        raise ReleaseError(f"{current['path']} is for PrestaShop {current['version']}, but the shop runs {files.version}")
    hasher = caching_hasher(params["workers"])
    report = compare_with_list(files.root, files.admin_dir, current["checksums"], hasher)
    result: dict[str, Any] = {
        "changed": False, "shop_root": files.root, "version": files.version, "admin_dir": files.admin_dir,
        "source": {key: current[key] for key in ("kind", "path", "version")},
        "status": report["status"], "modified": report["modified"], "missing": report["missing"], "added": report["added"],
        "counts": {"compared": report["compared"], "ignored": report["ignored"],
                   **{kind: sum(len(paths) for paths in report[kind].values()) for kind in ("modified", "missing", "added")}},
    }
    target_source = pick_source(params, ("target_checksums", "target_archive", "target_dir"), params["target_version"], releases)
    if target_source is None and params["target_version"]:
        raise ReleaseError(f"no checksum list, zip or unpacked release of PrestaShop {params['target_version']} in "
                           f"{os.path.join(releases, params['target_version'])}: download it first (release_download)")
    if target_source is not None:
        target = load_reference(target_source[0], target_source[1], params["workers"], scratch)
        result["release_diff"] = release_diff(current, target, files.root, files.admin_dir, hasher)
    return result


def release_diff(current: dict[str, Any], target: dict[str, Any], shop_root: str, admin_dir: str,
                 hasher: Callable[[list[str]], dict[str, str | None]]) -> dict[str, Any]:
    diff = compare_releases(current["checksums"], target["checksums"])
    state = classify_obsolete(diff["obsolete"], current["checksums"], shop_root, admin_dir, hasher)
    return {
        "from": current["version"], "to": target["version"], "source": {key: target[key] for key in ("kind", "path", "version")},
        "delete": state["delete"], "keep_modified": state["modified"], "already_absent": state["absent"],
        "obsolete_dirs": [to_shop_path(folder, admin_dir) for folder in diff["obsolete_dirs"]],
        "packages_no_longer_bundled": diff["packages_no_longer_bundled"],
        "new_files": diff["added"], "changed_files": diff["changed"],
    }


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except (ReleaseError, ShopError, HashingError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
