#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: release_unzip
short_description: Unpack a PrestaShop release zip safely (the Unzip step)
version_added: 0.1.0
description:
  - Extracts a release zip into the shop's workspace (C(<workspace>/<shop>/releases/<version>/release/)) or into
    O(dest), ready for the files step.
  - Both layouts PrestaShop published; 1.7 and later, an outer zip holding C(prestashop.zip) (the outer
    C(index.php) and C(Install_PrestaShop.html) are left out); 1.6, a C(prestashop/) folder whose content becomes
    the release root. A zip of a release tree itself is accepted too.
  - Renames C(admin/) (or C(admin-dev/)) to the shop's back-office folder and C(install-dev/) to C(install/), as
    PrestaShop's upgrader does.
  - Refuses hostile archives before writing anything - absolute names or C(..), links leading outside the
    release or below which entries would be written, special files, duplicate names, more entries, bytes or a
    higher compression ratio than the limits - and enforces the sizes again while writing, since headers can lie.
    Nothing is ever written outside the destination's parent folder.
  - Extracts into a sibling C(.part-) folder, renamed over O(dest) once complete; a marker inside it
    (C(.shopfleet-release.json)) holds the archive's sha256 and the admin folder name. A folder with the right
    marker is left alone; a half-extracted folder never has one.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._attributes
options:
  archive:
    description:
      - The release zip on the host (for instance the RV(shopfleet.prestashop.release_download#module:path) of
        M(shopfleet.prestashop.release_download)).
    type: path
    required: true
  shop_root:
    description:
      - The shop the release is for; its workspace receives the release and its back-office folder name is read
        from its files unless O(admin_dir) is given. Needed unless O(dest) is given.
    type: path
  admin_dir:
    description:
      - The name the release's C(admin/) folder gets. Defaults to the shop's back-office folder, or C(admin) when
        no O(shop_root) is given.
    type: str
  workspace:
    description:
      - Root of the workspaces on the host. Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
  version:
    description:
      - The version the archive must hold (from its C(install/install_version.php)); the module fails on another.
      - Saves reading the archive to name the default destination.
    type: str
  dest:
    description:
      - The folder that becomes the release root, instead of C(releases/<version>/release) in the shop's workspace.
      - Replaced as a whole when it holds another release unpacked by this module; a folder holding anything else,
        or overlapping O(shop_root), is refused.
    type: path
  force:
    description:
      - Extract again even when O(dest) already holds this archive.
    type: bool
    default: false
  max_bytes:
    description:
      - Refuse an archive whose files add up to more than this many bytes once extracted.
    type: int
    default: 4294967296
  max_entries:
    description:
      - Refuse an archive with more entries than this.
    type: int
    default: 200000
  max_ratio:
    description:
      - Refuse an archive holding a file of 1 MiB or more that is more than this many times smaller compressed
        (the real releases stay under 30).
    type: int
    default: 200
attributes:
  check_mode:
    support: full
    details:
      - Reads and validates the whole archive (hostile archives fail in check mode too) and reports what would be
        extracted and renamed; writes nothing.
  diff_mode:
    support: none
notes:
  - The release's folders are 0755 and its files 0644 (0755 when executable in the zip) inside a destination
    created 0700; nothing of an archive's setuid, sticky or group/other-write bits is kept.
seealso:
  - module: shopfleet.prestashop.release_download
  - module: shopfleet.prestashop.remove_samples
"""

EXAMPLES = r"""
- name: Unpack the downloaded release for this shop
  shopfleet.prestashop.release_unzip:
    shop_root: /var/www/shop
    archive: "{{ download.path }}"
    version: 8.2.1

- name: Unpack a 1.6 zip somewhere else, keeping admin/ as it is named
  shopfleet.prestashop.release_unzip:
    archive: /srv/releases/prestashop_1.6.1.24.zip
    dest: /srv/releases/1.6.1.24/release
"""

RETURN = r"""
dest:
  description: The release root on the host.
  returned: success
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/releases/8.2.1/release
version:
  description: The version the release declares.
  returned: success
  type: str
  sample: 8.2.1
layout:
  description: V(nested) (1.7+ zip holding prestashop.zip), V(folder) (1.6 prestashop/ folder) or V(flat) (a zipped tree).
  returned: success
  type: str
archive_sha256:
  description: sha256 of the archive, as the marker records it.
  returned: success
  type: str
admin_dir:
  description: The name the release's admin folder has (or would have) in O(dest).
  returned: success
  type: str
renamed:
  description: The folders renamed, as [from, to] pairs.
  returned: success
  type: list
  elements: list
  sample: [["admin", "admin123abc"], ["install-dev", "install"]]
files:
  description: Files in the release.
  returned: success
  type: int
dirs:
  description: Folders in the release.
  returned: success
  type: int
bytes:
  description: Total size of the release's files.
  returned: success
  type: int
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import os
import secrets
import shutil
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import (
    ADMIN_FOLDERS,
    ArchiveContents,
    ArchiveLimits,
    RELEASE_MARKER,
    ReleaseError,
    extract_archive,
    inspect_archive,
    missing_release_markers,
    rename_special_folders,
    tree_version,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, inspect_files
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    PARTIAL_MARK,
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    fsync_dir,
    is_inside,
    read_json,
    sha256_file,
    write_json,
)

MARKER = RELEASE_MARKER
MARKER_FORMAT = "shopfleet.release/1"


def create_module() -> AnsibleModule:
    return AnsibleModule(
        argument_spec={
            "archive": {"type": "path", "required": True},
            "shop_root": {"type": "path"},
            "admin_dir": {"type": "str"},
            "workspace": {"type": "path"},
            "version": {"type": "str"},
            "dest": {"type": "path"},
            "force": {"type": "bool", "default": False},
            "max_bytes": {"type": "int", "default": 4 << 30},
            "max_entries": {"type": "int", "default": 200_000},
            "max_ratio": {"type": "int", "default": 200},
        },
        required_one_of=[["shop_root", "dest"]],
        supports_check_mode=True,
    )


def shop_admin_dir(params: dict[str, Any]) -> str:
    if params["admin_dir"]:
        name = params["admin_dir"]
        if "/" in name or name in (".", "..") or name.startswith("."):
            raise ReleaseError(f"admin_dir {name!r} must be one folder name")
        return name
    if not params["shop_root"]:
        return "admin"
    files = inspect_files(params["shop_root"])
    if files.admin_dir is None:
        found = ", ".join(files.admin_dir_candidates) or "none"
        raise ShopError(f"cannot tell the back-office folder of {files.root} (candidates: {found}): set admin_dir")
    return files.admin_dir


def destination(params: dict[str, Any], version: str | None) -> str | None:
    if params["dest"]:
        return os.path.abspath(params["dest"])
    if not version:
        return None
    return os.path.join(Workspace.for_shop(params["shop_root"], params["workspace"]).root, "releases", version, "release")


def read_marker(dest: str) -> dict[str, Any] | None:
    try:
        marker = read_json(os.path.join(dest, MARKER))
    except WorkspaceError:
        return None
    return marker if isinstance(marker, dict) and marker.get("format") == MARKER_FORMAT else None


def marker_matches(marker: dict[str, Any] | None, archive_sha256: str, admin_dir: str) -> bool:
    return bool(marker) and marker.get("archive_sha256") == archive_sha256 and marker.get("admin_dir") == admin_dir


def check_version(found: str | None, wanted: str | None, archive: str) -> None:
    if wanted and found and php_version_compare(found, wanted) != 0:
        raise ReleaseError(f"{archive} holds PrestaShop {found}, not {wanted}")
    if wanted and not found:
        raise ReleaseError(f"{archive} does not say which version it holds (no install/install_version.php)")


def predicted_renames(contents: ArchiveContents, admin_dir: str) -> list[list[str]]:
    top = {entry.path.split("/", 1)[0] for entry in contents.entries}
    renames = []
    source = next((name for name in ADMIN_FOLDERS if name in top), None)
    if source and source != admin_dir and (admin_dir not in ADMIN_FOLDERS or source == "admin-dev"):
        renames.append([source, admin_dir])
    if "install-dev" in top and "install" not in top:
        renames.append(["install-dev", "install"])
    return renames


def check_destination(dest: str, shop_root: str | None) -> None:
    """Only a release we unpacked, or an empty folder, is ever replaced; a shop never is."""
    if shop_root and (is_inside(dest, shop_root) or is_inside(shop_root, dest)):
        raise ReleaseError(f"{dest} overlaps the shop {os.path.abspath(shop_root)}: unpack the release outside it")
    if not os.path.lexists(dest):
        return
    if os.path.islink(dest) or not os.path.isdir(dest):
        raise ReleaseError(f"{dest} exists and is not a folder: move it away")
    if os.listdir(dest) and read_marker(dest) is None:
        raise ReleaseError(f"{dest} holds files that release_unzip did not unpack: move them away")


def result_from(dest: str, marker: dict[str, Any]) -> dict[str, Any]:
    keys = ("version", "layout", "archive_sha256", "admin_dir", "renamed", "files", "dirs", "bytes")
    return {"dest": dest, **{key: marker.get(key) for key in keys}}


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    archive = os.path.abspath(params["archive"])
    if not os.path.isfile(archive):
        raise ReleaseError(f"{archive} does not exist or is not a file")
    limits = ArchiveLimits(max_bytes=params["max_bytes"], max_entries=params["max_entries"], max_ratio=params["max_ratio"])
    admin_dir = shop_admin_dir(params)
    archive_sha256 = sha256_file(archive)
    dest = destination(params, params["version"])
    if dest and not params["force"]:
        marker = read_marker(dest)
        if marker_matches(marker, archive_sha256, admin_dir):
            return {"changed": False, **result_from(dest, marker or {})}
    if dest:
        check_destination(dest, params["shop_root"])
    if dest and not module.check_mode:
        # Extraction validates the archive as thoroughly as inspection: reading it twice would be wasted.
        summary = {"archive_sha256": archive_sha256, "admin_dir": admin_dir}
        renamed = unpack(archive, dest, limits, admin_dir, summary, params["version"])
        return {"changed": True, "dest": dest, "renamed": renamed, **summary}
    contents = inspect_archive(archive, limits)
    check_version(contents.version, params["version"], archive)
    dest = dest or destination(params, contents.version)
    if dest is None:
        raise ReleaseError(f"{archive} does not say which version it holds: give version or dest")
    check_destination(dest, params["shop_root"])
    if not params["force"]:
        marker = read_marker(dest)
        if marker_matches(marker, archive_sha256, admin_dir):
            return {"changed": False, **result_from(dest, marker or {})}
    summary = {"archive_sha256": archive_sha256, "admin_dir": admin_dir}
    if module.check_mode:
        summary.update(version=contents.version, layout=contents.layout, files=contents.files, dirs=contents.dirs, bytes=contents.bytes)
        return {"changed": True, "dest": dest, "renamed": predicted_renames(contents, admin_dir), **summary}
    renamed = unpack(archive, dest, limits, admin_dir, summary, params["version"])
    return {"changed": True, "dest": dest, "renamed": renamed, **summary}


def unpack(archive: str, dest: str, limits: ArchiveLimits, admin_dir: str, summary: dict[str, Any], wanted: str | None) -> list[list[str]]:
    """Extract into a sibling .part- folder, check it, mark it, then swap it in."""
    parent = os.path.dirname(dest)
    ensure_private_dir(parent)
    _remove_leftovers(parent, os.path.basename(dest))
    staging = f"{dest}{PARTIAL_MARK}{secrets.token_hex(4)}"
    os.mkdir(staging, 0o700)
    try:
        contents = extract_archive(archive, staging, limits, scratch=staging + ".inner.zip")
        renamed = rename_special_folders(staging, admin_dir)
        missing = missing_release_markers(staging)
        if missing:
            raise ReleaseError(f"{archive} is not a PrestaShop release: it has no {', '.join(missing)}")
        version = tree_version(staging)
        check_version(version, wanted, archive)
        summary.update(version=version, layout=contents.layout, files=contents.files, dirs=contents.dirs, bytes=contents.bytes)
        write_json(os.path.join(staging, MARKER), {"format": MARKER_FORMAT, "archive": archive, "renamed": renamed, **summary})
        _swap_in(staging, dest)
        return renamed
    finally:
        for leftover in (staging, staging + ".inner.zip"):
            if os.path.isdir(leftover):
                shutil.rmtree(leftover, ignore_errors=True)
            elif os.path.exists(leftover):
                os.unlink(leftover)


def _remove_leftovers(parent: str, name: str) -> None:
    """What a killed run left next to the destination (staging folders, inner zip copies, an old tree)."""
    for entry in os.listdir(parent):
        if entry.startswith(name + PARTIAL_MARK):
            path = os.path.join(parent, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)


def _swap_in(staging: str, dest: str) -> None:
    old = None
    if os.path.lexists(dest):
        old = f"{dest}{PARTIAL_MARK}old-{secrets.token_hex(4)}"
        os.rename(dest, old)
    os.rename(staging, dest)
    fsync_dir(os.path.dirname(dest))
    if old:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.unlink(old)


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except (ReleaseError, ShopError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"unpacking {module.params['archive']} failed: {exc}")
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
