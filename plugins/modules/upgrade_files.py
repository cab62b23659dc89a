#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_files
short_description: Bring a PrestaShop shop's files to an unpacked release, with PrestaShop's upgrade rules (UpgradeFiles)
version_added: 0.1.0
description:
  - Copies an unpacked release (as M(shopfleet.prestashop.release_unzip) leaves it, the admin folder already named
    like the shop's) onto the shop, removes the core files the new release no longer has, and merges the legacy
    translation files.
  - "Never touched, as in PrestaShop's upgrade: C(app/config/parameters.php) and C(parameters.yml), the merchant's
    images (C(img/{c,cms,l,m,os,p,s,scenes,st,su}/*.jpg), C(img/404.gif), C(img/favicon.ico), C(img/logo.jpg),
    C(img/logo_stores.gif)), C(override/), anything named C(.git), C(.svn) or C(autoupgrade). C(install/) never
    reaches the shop. The release marker C(.shopfleet-release.json) is not copied."
  - "Modules with their own composer C(vendor/): like PrestaShop's upgrade, C(modules/<m>) is left alone when C(<m>)
    is a C(prestashop-module) package of the shop's C(composer.lock) and the shop's C(modules/<m>/vendor/) exists
    (mixing the release's module with the shop's autoloader breaks it); M(shopfleet.prestashop.upgrade_modules)
    upgrades such modules as a whole. They are listed in RV(composer_modules)."
  - "Legacy translation files (C(translations/<iso>/{admin,errors,fields,pdf}.php), C(modules/*/translations/<iso>.php),
    C(themes/*/lang/<iso>.php)) are merged: the release's keys, the shop's values winning; read as data, never run.
    A file that is not such literal PHP is kept as the shop has it, with a warning."
  - Obsolete files are the files of the shop's current release that the target no longer has, and that the shop
    still has exactly as that release shipped them (a file the merchant changed is kept and reported). Files of a
    module or theme the target stops bundling are never obsolete. The list comes from O(obsolete_files), or is
    computed from the current release's checksum list (O(current_checksums), O(current_release_dir), or what
    M(shopfleet.prestashop.release_download) left in the workspace). Without any, nothing is deleted and a warning
    says so. Obsolete folders are removed only once empty.
  - Files are compared by size, then md5; an unchanged file is never rewritten, so a second run changes nothing.
    Each file is written as a temporary file in its folder, then renamed over the old one, keeping the old file's
    owner, group and mode; a new file gets its folder's owner and group and mode 0644 (0755 when the release's copy is executable).
  - A journal (C(journals/upgrade_files-<version>.json) in the shop's workspace) records the progress; a killed run
    is simply run again, it resumes where the files still differ and reports that it resumed.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._attributes
options:
  release_dir:
    description:
      - The unpacked release. Defaults to C(releases/<target_version>/release) in the shop's workspace.
      - Its back-office folder is either already named like the shop's (as M(shopfleet.prestashop.release_unzip) leaves
        it) or still C(admin/) (a release unzipped by hand, the "unzipped folder" route), which is then copied into
        the shop's back-office folder; the release folder itself is never changed.
    type: path
  target_version:
    description:
      - The version the shop goes to; checked against the release's. Needed when O(release_dir) is not given.
    type: str
  obsolete_files:
    description:
      - The obsolete files to delete, shop paths, for instance RV(shopfleet.prestashop.check_files_version#module:release_diff.delete).
        Replaces the computation from the current release's list. Protected paths and files the release ships are refused.
    type: list
    elements: str
  obsolete_dirs:
    description:
      - Folders to remove once empty, with O(obsolete_files); for instance
        RV(shopfleet.prestashop.check_files_version#module:release_diff.obsolete_dirs).
    type: list
    elements: str
  current_checksums:
    description:
      - PrestaShop's md5 checksum list (XML) of the shop's current version, to compute the obsolete files.
    type: path
  current_release_dir:
    description:
      - The unpacked release of the shop's current version, instead of O(current_checksums).
    type: path
  update_default_theme:
    description:
      - Whether C(themes/classic) is upgraded. Defaults to the shop's C(upgrade-config.json)
        (M(shopfleet.prestashop.upgrade_config)), else V(true).
    type: bool
  workspace:
    description:
      - Root of the workspaces on the host (the release, the current release's list and the journal are looked for in
        the shop's folder inside it). Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
  workers:
    description:
      - Processes hashing files at once. Defaults to the number of CPUs the module may use.
    type: int
attributes:
  check_mode:
    support: full
    details:
      - Computes the files to add, update, merge and delete; writes nothing, not even the journal.
  diff_mode:
    support: full
    details:
      - One line per file or folder added (V(+)), updated or merged (V(~)) and deleted (V(-)).
notes:
  - Run it with the shop in maintenance and after a backup (M(shopfleet.prestashop.backup_files)).
  - Files are not fsynced one by one (thousands of syncs would dominate the run); the file system is synced once at
    the end, before the journal says the step finished.
seealso:
  - module: shopfleet.prestashop.release_unzip
  - module: shopfleet.prestashop.check_files_version
  - module: shopfleet.prestashop.upgrade_db
"""

EXAMPLES = r"""
- name: Bring the shop's files to 8.1.7 (the release unpacked by release_unzip in the workspace)
  shopfleet.prestashop.upgrade_files:
    shop_root: /var/www/shop
    target_version: 8.1.7
  register: files_step

- name: With the obsolete files check_files_version found
  shopfleet.prestashop.upgrade_files:
    shop_root: /var/www/shop
    release_dir: /srv/releases/8.1.7/release
    obsolete_files: "{{ files_diff.release_diff.delete }}"
    obsolete_dirs: "{{ files_diff.release_diff.obsolete_dirs }}"
"""

RETURN = r"""
version:
  description: The version of the release brought onto the shop.
  returned: success
  type: str
  sample: 8.1.7
from_version:
  description: The version the shop's files declared before.
  returned: success
  type: str
  sample: 8.1.5
release_dir:
  description: The unpacked release used.
  returned: success
  type: str
counts:
  description: Folders made, files added, updated, merged, links replaced, files and folders deleted, files unchanged.
  returned: success
  type: dict
  sample: {"mkdir": 2, "add": 31, "update": 1204, "merge": 3, "links": 0, "delete": 12, "delete_dirs": 1, "unchanged": 20310}
files:
  description: The lists behind RV(counts) (shop paths), except the unchanged files.
  returned: success
  type: dict
  sample: {"add": ["src/Core/New.php"], "update": ["classes/Cart.php"], "merge": [], "delete": ["js/old.js"]}
not_copied:
  description: Release paths not copied, counted by the rule that kept them out (a folder counts once).
  returned: success
  type: dict
  sample: {"install": 1, "override": 1, "img/p/**/*.jpg": 4, "app/config/parameters.php": 0}
obsolete:
  description: Where the obsolete files came from, and the obsolete files kept because the merchant changed them or a
    rule protects them.
  returned: success
  type: dict
  sample: {"source": "current_checksums", "kept_modified": ["js/custom-old.js"], "refused": [], "kept_dirs": []}
composer_modules:
  description: Modules left alone because they carry their own composer vendor/ (see the description).
  returned: success
  type: list
  elements: str
resumed:
  description: Whether this run finished a run that was interrupted.
  returned: success
  type: bool
journal:
  description: The journal file of this step.
  returned: success
  type: str
duration_s:
  description: How long the step took, in seconds.
  returned: success
  type: float
"""

import os
import signal
import time
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._hashing import HashingError, md5_many, walk_files
from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_config import PhpConfigError
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import (
    RELEASE_MARKER,
    ReleaseError,
    classify_obsolete,
    compare_releases,
    missing_release_markers,
    parse_checksum_xml,
    to_shop_path,
    tree_version,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, inspect_files, shop_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._upgrade_files import (
    Applier,
    CopyRules,
    ReleaseView,
    UpgradeFilesError,
    composer_modules_with_vendor,
    plan_copy,
    plan_counts,
    plan_is_empty,
    plan_obsolete,
    remove_temp_files,
    render_diff,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    read_json,
    utc_now,
    write_json,
)

JOURNAL_FORMAT = "shopfleet.journal.upgrade_files/1"
JOURNAL_EVERY = 500
# Test-only: SIGKILL the module after this many changed files, to prove a killed run resumes.
KILL_HOOK = "SHOPFLEET_TEST_UPGRADE_FILES_KILL_AFTER"


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec(database=False)
    argument_spec.update(
        release_dir={"type": "path"},
        target_version={"type": "str"},
        obsolete_files={"type": "list", "elements": "str"},
        obsolete_dirs={"type": "list", "elements": "str"},
        current_checksums={"type": "path"},
        current_release_dir={"type": "path"},
        update_default_theme={"type": "bool"},
        workspace={"type": "path"},
        workers={"type": "int"},
    )
    return AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[["obsolete_files", "current_checksums", "current_release_dir"]],
        required_one_of=[["release_dir", "target_version"]],
        supports_check_mode=True,
    )


def make_hasher(workers: int | None) -> Callable[[list[str]], dict[str, str | None]]:
    return lambda paths: md5_many(paths, workers)


def read_release(release_dir: str, wanted: str | None, admin_dir: str) -> tuple[str, dict[str, Any], ReleaseView]:
    """(version, marker, view as the shop will have it) of an unpacked release; its admin/ is the shop's back office."""
    if not os.path.isdir(release_dir):
        raise UpgradeFilesError(f"{release_dir} is not a folder: unpack the release first (release_unzip)")
    missing = missing_release_markers(release_dir)
    if missing:
        raise UpgradeFilesError(f"{release_dir} is not a PrestaShop release: no {', '.join(missing)}")
    marker = read_json(os.path.join(release_dir, RELEASE_MARKER)) or {}
    version = marker.get("version") or tree_version(release_dir)
    if not version:
        raise UpgradeFilesError(f"cannot tell the version of the release in {release_dir}")
    if wanted and php_version_compare(version, wanted) != 0:
        raise UpgradeFilesError(f"{release_dir} holds PrestaShop {version}, not {wanted}")
    has_shop_admin, has_admin = (os.path.isdir(os.path.join(release_dir, name)) for name in (admin_dir, "admin"))
    if has_shop_admin and has_admin and admin_dir != "admin":
        raise UpgradeFilesError(f"the release in {release_dir} has both admin/ and {admin_dir}/: unpack it again (release_unzip)")
    if not (has_shop_admin or has_admin):
        raise UpgradeFilesError(f"the release in {release_dir} has no back-office folder (admin/ or {admin_dir}/)")
    return version, marker, ReleaseView(release_dir, admin_dir, admin_dir if has_shop_admin else "admin")


def release_names(tree: str, marker: dict[str, Any]) -> dict[str, str]:
    """{name as checksum lists give it (admin/, install/): path in the unpacked tree} of every file of a release."""
    renamed = {target: source for source, target in marker.get("renamed", [])}
    names = {}
    for relative, _size in walk_files(tree, skip=lambda path: path == RELEASE_MARKER):
        head, slash, rest = relative.partition("/")
        original = renamed.get(head, head)
        names[{"admin-dev": "admin", "install-dev": "install"}.get(original, original) + slash + rest] = relative
    return names


def current_checksums(params: dict[str, Any], releases: str, version: str | None, workers: int | None) -> tuple[str | None, dict[str, str]]:
    """(source, checksum list) of the shop's current release, or (None, {}) when none is at hand."""
    xml, tree = params["current_checksums"], params["current_release_dir"]
    if not xml and not tree and version:
        candidates = (os.path.join(releases, version, f"prestashop_{version}.xml"), os.path.join(releases, version, "release"))
        xml = candidates[0] if os.path.isfile(candidates[0]) else None
        tree = candidates[1] if not xml and os.path.isdir(candidates[1]) else None
    if xml:
        found, checksums = parse_checksum_xml(xml)
        source = xml
    elif tree:
        if not os.path.isdir(tree):
            raise UpgradeFilesError(f"{tree} is not a folder")
        marker = read_json(os.path.join(tree, RELEASE_MARKER)) or {}
        names = release_names(tree, marker)
        digests = md5_many([os.path.join(tree, relative) for relative in names.values()], workers)
        checksums = {name: digests[os.path.join(tree, relative)] or "" for name, relative in names.items()}
        found, source = marker.get("version") or tree_version(tree), tree
    else:
        return None, {}
    if version and found and php_version_compare(found, version) != 0:
        raise UpgradeFilesError(f"{source} is for PrestaShop {found}, but the shop's files were {version}")
    return source, checksums


def obsolete_lists(params: dict[str, Any], shop: Any, from_version: str | None, version: str, releases: str, tree: str, marker: dict[str, Any],
                   hasher: Callable[[list[str]], dict[str, str | None]], warnings: list[str]) -> tuple[list[str], list[str], dict[str, Any]]:
    """(files, dirs, report) of the obsolete files: given, or computed from the current release's list."""
    if params["obsolete_files"] is not None:
        return params["obsolete_files"], params["obsolete_dirs"] or [], {"source": "obsolete_files", "kept_modified": []}
    # A shop already at the target (its journal gone) cannot tell which release its list must be of.
    at_target = bool(from_version) and php_version_compare(str(from_version), str(version)) == 0
    source, checksums = current_checksums(params, releases, None if at_target else from_version, params["workers"])
    if not checksums:
        warnings.append(f"no checksum list of PrestaShop {from_version} (current_checksums, current_release_dir or the workspace): "
                        "obsolete files are not removed")
        return [], [], {"source": None, "kept_modified": []}
    diff = compare_releases(checksums, dict.fromkeys(release_names(tree, marker), ""))
    state = classify_obsolete(diff["obsolete"], checksums, shop.root, shop.admin_dir, hasher)
    dirs = [to_shop_path(folder, shop.admin_dir) for folder in diff["obsolete_dirs"]]
    return state["delete"], dirs, {"source": source, "kept_modified": state["modified"]}


def default_theme_setting(params: dict[str, Any], workspace: Workspace) -> bool:
    if params["update_default_theme"] is not None:
        return params["update_default_theme"]
    document = read_json(os.path.join(workspace.root, "upgrade-config.json"))
    options = document.get("options") if isinstance(document, dict) else None
    value = options.get("update_default_theme") if isinstance(options, dict) else None
    return value if isinstance(value, bool) else True


def build_plan(params: dict[str, Any]) -> dict[str, Any]:
    shop = inspect_files(params["shop_root"], params["admin_dir"])
    if shop.admin_dir is None:
        raise ShopError(f"cannot tell the back-office folder of {shop.root} (candidates: {', '.join(shop.admin_dir_candidates) or 'none'}): "
                        "set admin_dir")
    workspace = Workspace.for_shop(shop.root, params["workspace"])
    releases = os.path.join(workspace.root, "releases")
    tree = os.path.abspath(params["release_dir"] or os.path.join(releases, params["target_version"], "release"))
    version, marker, view = read_release(tree, params["target_version"], shop.admin_dir)
    hasher = make_hasher(params["workers"])
    rules = CopyRules(composer_modules=composer_modules_with_vendor(shop.root), update_default_theme=default_theme_setting(params, workspace))
    journal = os.path.join(workspace.journals, f"upgrade_files-{version}.json")
    # Once files were copied the shop declares the target: the version it came from is the journal's.
    previous = read_json(journal)
    from_version = previous.get("from_version") if isinstance(previous, dict) and previous.get("from_version") else shop.version
    plan = plan_copy(view, shop.root, rules, hasher)
    files, dirs, report = obsolete_lists(params, shop, from_version, version, releases, tree, marker, hasher, plan["warnings"])
    removal = plan_obsolete(shop.root, files, dirs, rules, view)
    plan.update(delete=removal["delete"], delete_dirs=removal["delete_dirs"])
    report["refused"] = removal["refused"]
    plan.update(version=version, from_version=from_version, release_dir=tree, view=view, shop_root=shop.root, obsolete=report,
                composer_modules=sorted(rules.composer_modules), journal=journal, workspace=workspace.root)
    return plan


class Journal:
    """The step's progress on disk: written at the start, every JOURNAL_EVERY changes, and when finished."""

    def __init__(self, path: str, plan: dict[str, Any]) -> None:
        self.path = path
        previous = read_json(path)
        self.resumed = isinstance(previous, dict) and previous.get("format") == JOURNAL_FORMAT and previous.get("status") == "running"
        self.document = previous if self.resumed else {
            "format": JOURNAL_FORMAT, "version": plan["version"], "from_version": plan["from_version"], "release_dir": plan["release_dir"],
            "started": utc_now(),
            "done": {key: 0 for key in plan_counts(plan) if key != "unchanged"},
        }
        self.document["status"] = "running"
        self.pending = 0
        self.kill_after = int(os.environ.get(KILL_HOOK, "0") or 0)
        self.changed = 0

    def start(self) -> None:
        ensure_private_dir(os.path.dirname(os.path.dirname(self.path)))
        ensure_private_dir(os.path.dirname(self.path))
        self.save()

    def record(self, kind: str, path: str) -> None:
        done = self.document["done"]
        done[kind] = done.get(kind, 0) + 1
        self.document["last"] = path
        self.pending += 1
        self.changed += 1
        if self.pending >= JOURNAL_EVERY:
            self.save()
        if self.kill_after and self.changed >= self.kill_after:
            self.save()
            os.kill(os.getpid(), signal.SIGKILL)

    def finish(self) -> None:
        os.sync()
        self.document["status"] = "done"
        self.document["finished"] = utc_now()
        self.save()

    def save(self) -> None:
        self.document["updated"] = utc_now()
        write_json(self.path, self.document)
        self.pending = 0


def result_of(plan: dict[str, Any], changed: bool, resumed: bool, extra_warnings: list[str]) -> dict[str, Any]:
    return {
        "changed": changed, "version": plan["version"], "from_version": plan["from_version"], "release_dir": plan["release_dir"],
        "counts": plan_counts(plan),
        "files": {key: plan[key] for key in ("add", "update", "merge", "delete")},
        "not_copied": plan["skipped"], "obsolete": plan["obsolete"], "composer_modules": plan["composer_modules"],
        "resumed": resumed, "journal": plan["journal"], "warnings_list": plan["warnings"] + extra_warnings,
    }


def run(module: AnsibleModule) -> dict[str, Any]:
    started = time.monotonic()
    plan = build_plan(module.params)
    journal_document = read_json(plan["journal"])
    interrupted = isinstance(journal_document, dict) and journal_document.get("status") == "running"
    if module.check_mode or (plan_is_empty(plan) and not interrupted):
        result = result_of(plan, not plan_is_empty(plan), interrupted, [])
    else:
        journal = Journal(plan["journal"], plan)
        journal.start()
        if journal.resumed:
            remove_temp_files(plan["shop_root"])
        applier = Applier(plan["view"], plan["shop_root"], journal.record)
        applier.apply(plan)
        journal.finish()
        plan["obsolete"]["kept_dirs"] = applier.kept_dirs
        result = result_of(plan, not plan_is_empty(plan), journal.resumed, applier.warnings)
    plan["obsolete"].setdefault("kept_dirs", [])
    result["duration_s"] = round(time.monotonic() - started, 2)
    if module._diff:
        result["diff"] = {"prepared": render_diff(plan)}
    return result


def main() -> None:
    module = create_module()
    try:
        result = run(module)
    except (UpgradeFilesError, ReleaseError, ShopError, HashingError, WorkspaceError, PhpConfigError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"{exc.filename or 'a file'}: {exc.strerror}")
    for warning in result.pop("warnings_list"):
        module.warn(warning)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
