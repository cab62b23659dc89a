# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""remove_samples through Ansible, on a release unpacked by release_unzip into a shop's workspace."""

from __future__ import annotations

from pathlib import Path

from harness.ansible import run_module
from harness.release import build_release
from harness.shoptree import write_shop_tree

VERSION = "8.1.7"
SAMPLES = ["img/404.gif", "img/c/demo.jpg", "img/favicon.ico", "img/l/none.jpg", "img/logo.jpg", "img/p/1/1-home.jpg",
           "modules/editorial/homepage_logo.jpg", "override/classes/index.php", "override/controllers/admin/index.php",
           "override/controllers/front/index.php", "override/controllers/index.php", "override/index.php", "override/modules/index.php"]


def test_removes_the_samples_once_and_only_them(tmp_path: Path) -> None:
    release = build_release(tmp_path / "rel", VERSION)
    shop = write_shop_tree(tmp_path / "shop", VERSION, admin_dir="admin4u")
    workspace = tmp_path / "ws"
    unpacked = run_module("release_unzip", {"archive": str(release.zip_path), "shop_root": str(shop.root), "workspace": str(workspace)})
    dest = Path(unpacked["dest"])
    for extra in ("img/c/demo.jpg", "img/p/1/1-home.jpg", "modules/editorial/homepage_logo.jpg"):
        (dest / extra).parent.mkdir(parents=True, exist_ok=True)
        (dest / extra).write_bytes(b"sample")
    kept = sorted(path.relative_to(dest).as_posix() for path in dest.rglob("*") if path.is_file())
    args = {"shop_root": str(shop.root), "workspace": str(workspace), "version": VERSION}

    predicted = run_module("remove_samples", args, check=True, diff=True)
    assert predicted["changed"] is True and [item["path"] for item in predicted["removed"]] == SAMPLES
    assert predicted["diff"]["before"].splitlines() == SAMPLES
    assert sorted(path.relative_to(dest).as_posix() for path in dest.rglob("*") if path.is_file()) == kept

    done = run_module("remove_samples", args)
    assert done["changed"] is True and done["count"] == len(SAMPLES)
    left = sorted(path.relative_to(dest).as_posix() for path in dest.rglob("*") if path.is_file())
    assert left == sorted(set(kept) - set(SAMPLES))
    assert "img/os/1.gif" in left and "img/admin/add.gif" in left and "admin4u/index.php" in left

    again = run_module("remove_samples", {"release_dir": str(dest)})
    assert again["changed"] is False and again["removed"] == []


def test_a_missing_or_foreign_folder_is_one_clear_error(tmp_path: Path) -> None:
    missing = run_module("remove_samples", {"shop_root": "/var/www/shop", "workspace": str(tmp_path / "ws"), "version": VERSION})
    assert missing["failed"] is True and missing["msg"].endswith("does not exist: unpack the release first (release_unzip)")
    (tmp_path / "junk").mkdir()
    foreign = run_module("remove_samples", {"release_dir": str(tmp_path / "junk")})
    assert foreign["failed"] is True and foreign["msg"] == (f"{tmp_path / 'junk'} is not an unpacked PrestaShop release: it has no "
                                                            "index.php, config/defines.inc.php, classes, controllers")
