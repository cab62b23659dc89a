# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_files on real trees: a shop made of the 8.1.3 release brought to the 8.1.7 release.

Optional: set PRESTASHOP_RELEASES (see harness.real_releases) to a source holding 8.1.3 and 8.1.7.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from harness.ansible import run_module
from harness.real_releases import extract_release, release_tree, releases_source

SOURCE = releases_source()
ADMIN = "admin4real"
pytestmark = [pytest.mark.real_releases, pytest.mark.slow,
              pytest.mark.skipif(SOURCE is None, reason="set PRESTASHOP_RELEASES to a folder or clone of real release trees to run")]


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_a_real_8_1_3_tree_is_brought_to_8_1_7(tmp_path: Path) -> None:
    assert SOURCE is not None
    shop = extract_release(SOURCE, "8.1.3", tmp_path / "shop")
    (shop / "admin").rename(shop / ADMIN)
    shutil.rmtree(shop / "install")
    (shop / "app/config/parameters.php").write_text("<?php return array('parameters' => array('database_name' => 'ours'));\n")
    release = extract_release(SOURCE, "8.1.7", tmp_path / "release")
    (release / "admin").rename(release / ADMIN)
    (release / ".shopfleet-release.json").write_text(json.dumps({"format": "shopfleet.release/1", "version": "8.1.7", "admin_dir": ADMIN,
                                                                 "renamed": [["admin", ADMIN]]}))
    args = {"shop_root": str(shop), "release_dir": str(release), "current_release_dir": str(release_tree(SOURCE, "8.1.3")),
            "workspace": str(tmp_path / "ws")}

    predicted = run_module("upgrade_files", args, check=True)
    assert predicted.get("failed") is not True, predicted
    bundled_elsewhere = set(predicted["composer_modules"])
    assert {"ps_checkout", "ps_accounts", "ps_mbo"} <= {path.name for path in (shop / "modules").iterdir()}
    assert 0 < predicted["counts"]["delete"] < 100, predicted["files"]["delete"]

    done = run_module("upgrade_files", args)
    assert done.get("failed") is not True and done["changed"] is True and done["counts"] == predicted["counts"]
    for folder, _dirs, files in os.walk(release):
        for name in files:
            relative = Path(folder, name).relative_to(release)
            parts = relative.parts
            if parts[0] in ("install", "override", "img") or relative.as_posix() == ".shopfleet-release.json" \
                    or (parts[0] == "modules" and parts[1] in bundled_elsewhere) or relative.as_posix() in done["files"]["merge"]:
                continue
            assert md5(shop / relative) == md5(release / relative), relative
    assert not (shop / "install").exists() and "ours" in (shop / "app/config/parameters.php").read_text()
    assert (shop / "modules/ps_checkout").is_dir(), "a module the target stopped bundling stays"
    last = run_module("upgrade_files", args)
    assert last.get("failed") is not True and last["changed"] is False, last.get("msg")
