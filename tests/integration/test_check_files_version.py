# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_files_version through Ansible on synthetic shops: CheckFilesVersion and the release diff (CompareReleases)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from harness.ansible import run_module
from harness.release import ModuleSpec, build_checksum_xml, build_release, module_files, write_files
from harness.shoptree import write_shop_tree
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import shop_slug

VERSION = "8.1.6"


def check(shop_root: Path, **options: Any) -> dict[str, Any]:
    return run_module("check_files_version", {"shop_root": str(shop_root), **options}, check=True)


def test_a_pristine_shop_is_ok_whatever_the_source_of_the_list(tmp_path: Path) -> None:
    release = build_release(tmp_path / "rel", VERSION)
    shop = write_shop_tree(tmp_path / "shop", VERSION, admin_dir="adm1n")
    by_xml = check(shop.root, checksums=str(release.checksum_xml))
    assert by_xml["status"] == "ok", {kind: by_xml[kind] for kind in ("modified", "missing", "added")}
    assert by_xml["source"] == {"kind": "xml", "path": str(release.checksum_xml), "version": VERSION} and by_xml["admin_dir"] == "adm1n"
    assert by_xml["counts"]["modified"] == by_xml["counts"]["missing"] == by_xml["counts"]["added"] == 0
    assert by_xml["counts"]["ignored"] > 0, "install/ and the sample images are not compared"

    by_zip = check(shop.root, release_archive=str(release.zip_path))
    assert by_zip["status"] == "ok" and by_zip["counts"] == by_xml["counts"]

    unpacked = run_module("release_unzip", {"archive": str(release.zip_path), "shop_root": str(shop.root), "workspace": str(tmp_path / "ws")})
    by_tree = check(shop.root, workspace=str(tmp_path / "ws"))
    assert by_tree["source"] == {"kind": "dir", "path": unpacked["dest"], "version": VERSION}
    assert by_tree["status"] == "ok" and by_tree["counts"] == by_xml["counts"]


def test_finds_exactly_what_was_changed_by_hand(tmp_path: Path) -> None:
    release = build_release(tmp_path / "rel", VERSION)
    shop = write_shop_tree(tmp_path / "shop", VERSION, admin_dir="adm1n")
    (shop.root / "classes/Cart.php").write_text("<?php // patched by hand\n")
    (shop.root / "adm1n/themes/default/template/header.tpl").write_text("<header>ours</header>\n")
    (shop.root / "mails/themes/modern/core/contact.html.twig").unlink()
    (shop.root / "translations/default/AdminActions.xlf").write_text("<xliff/>\n")
    (shop.root / "classes/Backdoor.php").write_text("<?php\n")
    (shop.root / "img/logo.jpg").write_bytes(b"the shop's own logo")
    result = check(shop.root, checksums=str(release.checksum_xml))
    assert result["status"] == "error"
    assert result["modified"] == {"core": ["adm1n/themes/default/template/header.tpl", "classes/Cart.php"], "mail": [],
                                  "translation": ["translations/default/AdminActions.xlf"]}
    assert result["missing"] == {"core": [], "mail": ["mails/themes/modern/core/contact.html.twig"], "translation": []}
    assert result["added"] == {"core": ["classes/Backdoor.php"], "mail": [], "translation": []}


def test_a_list_of_another_version_is_refused(tmp_path: Path) -> None:
    release = build_release(tmp_path / "rel", "8.1.7")
    shop = write_shop_tree(tmp_path / "shop", VERSION)
    result = check(shop.root, checksums=str(release.checksum_xml))
    assert result["failed"] is True and result["msg"] == f"{release.checksum_xml} is for PrestaShop 8.1.7, but the shop runs {VERSION}"
    nothing = check(shop.root, workspace=str(tmp_path / "ws"))
    assert nothing["failed"] is True and nothing["msg"].startswith(f"no checksum list for PrestaShop {VERSION}: give checksums")


def test_the_release_diff_never_drops_a_module_the_target_stopped_bundling(tmp_path: Path) -> None:
    current_tree = build_release(tmp_path / "cur", "8.0.5").tree
    bundled_then = module_files(ModuleSpec("ps_dropped", "1.2.0"))
    write_files(current_tree, bundled_then)
    current_xml = build_checksum_xml(current_tree, "8.0.5", tmp_path / "prestashop_8.0.5.xml")
    target = build_release(tmp_path / "target", "8.1.7")
    workspace = tmp_path / "ws"
    shop = write_shop_tree(tmp_path / "shop", "8.0.5", admin_dir="adm1n")
    write_files(shop.root, bundled_then)
    releases = workspace / shop_slug(str(shop.root)) / "releases" / "8.1.7"
    releases.mkdir(parents=True)
    shutil.copy(target.checksum_xml, releases / "prestashop_8.1.7.xml")
    (shop.root / "src/PrestaShopBundle/Resources/config/services/adapter/news.yml").write_text("services: {} # ours\n")

    result = check(shop.root, checksums=str(current_xml), target_version="8.1.7", workspace=str(workspace))
    diff = result["release_diff"]
    assert diff["from"] == "8.0.5" and diff["to"] == "8.1.7" and diff["source"]["kind"] == "xml"
    assert diff["packages_no_longer_bundled"] == [{"package": "modules/ps_dropped", "files": len(bundled_then)}]
    assert not [path for path in diff["delete"] + diff["keep_modified"] + diff["already_absent"] if path.startswith("modules/ps_dropped")]
    assert "js/jquery/plugins/jquery.legacytabs.js" in diff["delete"]
    assert diff["keep_modified"] == ["src/PrestaShopBundle/Resources/config/services/adapter/news.yml"]
    assert "modules/contactform/upgrade/upgrade-4.4.0.php" in diff["delete"], "a still-bundled module's old file is obsolete"
    assert not [path for path in diff["delete"] if path.startswith(("install/", "admin/"))]
