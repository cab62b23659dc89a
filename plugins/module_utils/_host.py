# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Facts about the shop's host: its PHP command line and its disk space.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule

_PHP_FACTS = 'echo json_encode(["version" => PHP_VERSION, "extensions" => array_map("strtolower", get_loaded_extensions())]);'


def php_facts(module: AnsibleModule, executable: str) -> dict[str, Any] | None:
    """{executable, version, extensions} of the host's PHP, or None when there is no PHP (a warning if it fails)."""
    path = executable if os.path.isabs(executable) else module.get_bin_path(executable)
    if not path or not os.access(path, os.X_OK):
        return None
    rc, out, err = module.run_command([path, "-r", _PHP_FACTS])
    if rc != 0:
        module.warn(f"{path} failed to report its version: {(err or out).strip().splitlines()[-1:]}")
        return None
    facts = json.loads(out)
    return {"executable": path, "version": facts["version"], "extensions": sorted(facts["extensions"])}


def disk_space(path: str) -> dict[str, int]:
    """Free and total bytes of the filesystem holding `path` (its nearest existing parent)."""
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    stats = os.statvfs(path)
    return {"free_bytes": stats.f_bavail * stats.f_frsize, "total_bytes": stats.f_blocks * stats.f_frsize, "device": os.stat(path).st_dev}


def tree_size(root: str, skip: tuple[str, ...] = ()) -> tuple[int, int]:
    """(files, bytes) of a tree, symlinks not followed, top-level relative paths in `skip` left out."""
    files = size = 0
    for folder, dirs, names in os.walk(root):
        relative = os.path.relpath(folder, root)
        dirs[:] = [name for name in dirs if os.path.normpath(os.path.join(relative, name)) not in skip]
        for name in names:
            try:
                stats = os.lstat(os.path.join(folder, name))
            except OSError:
                continue
            files += 1
            size += stats.st_size
    return files, size
