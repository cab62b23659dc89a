# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_files through Ansible: a synthetic 8.1.5 shop brought to a synthetic 8.1.7 release."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import run_module
from harness.release import build_checksum_xml, build_release, build_release_zip, write_files
from harness.shoptree import write_shop_tree
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import shop_slug

CURRENT, TARGET = "8.1.5", "8.1.7"
ADMIN = "adm1n"
OWNER = 4321
OBSOLETE = "js/jquery/plugins/jquery.gone.js"
OBSOLETE_CHANGED = "js/jquery/plugins/jquery.patched.js"
NEW_FILE = "js/jquery/plugins/jquery.new.js"
TRANSLATION = "modules/contactform/translations/fr.php"
RELEASE_TRANSLATION = ("<?php\n\nglobal $_MODULE;\n$_MODULE = array();\n"
                       "$_MODULE['<{contactform}prestashop>contactform_send'] = 'Envoyer';\n"
                       "$_MODULE['<{contactform}prestashop>contactform_new'] = 'Nouveau';\n")
SHOP_TRANSLATION = ("<?php\n\nglobal $_MODULE;\n$_MODULE = array();\n"
                    "$_MODULE['<{contactform}prestashop>contactform_send'] = 'Expédier l\\'envoi';\n")
# The shop's own files that the release must never replace, with their content.
UNTOUCHED = {
    "img/logo.jpg": b"the shop's own logo",
    "img/p/1/1.jpg": b"a product photo",
    "override/classes/Cart.php": b"<?php class Cart extends CartCore {}\n",
    "modules/ps_facetedsearch/ps_facetedsearch.php": b"<?php // the shop's composer-managed module\n",
    "modules/mycustom/mycustom.php": b"<?php // a module the release does not know\n",
    OBSOLETE_CHANGED: b"/* changed by the merchant */\n",
}


@dataclass
class Setup:
    shop: Path
    workspace: Path
    release_tree: Path
    args: dict[str, Any]


def digest_tree(root: Path) -> dict[str, tuple[str, int]]:
    result = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            result[str(path.relative_to(root))] = (hashlib.md5(path.read_bytes()).hexdigest(), path.stat().st_mode & 0o7777)
    return result


def make_setup(tmp_path: Path) -> Setup:
    current = build_release(tmp_path / "current", CURRENT)
    write_files(current.tree, {OBSOLETE: b"/* gone in 8.1.7 */\n", OBSOLETE_CHANGED: b"/* patched plugin */\n"})
    workspace = tmp_path / "ws"
    shop = write_shop_tree(tmp_path / "shop", CURRENT, admin_dir=ADMIN).root
    write_files(shop, {OBSOLETE: b"/* gone in 8.1.7 */\n", TRANSLATION: SHOP_TRANSLATION.encode(), **UNTOUCHED})
    (shop / "modules/ps_facetedsearch/vendor").mkdir(exist_ok=True)
    (shop / "app/config/parameters.php").write_text("<?php return array('parameters' => array('database_name' => 'ours'));\n")
    os.chown(shop / "js/jquery/plugins", OWNER, OWNER)
    os.chown(shop / "LICENSES", OWNER, OWNER)
    os.chmod(shop / "LICENSES", 0o640)
    releases = workspace / shop_slug(str(shop)) / "releases"
    (releases / CURRENT).mkdir(parents=True)
    build_checksum_xml(current.tree, CURRENT, releases / CURRENT / f"prestashop_{CURRENT}.xml")
    target = build_release(tmp_path / "target", TARGET)
    write_files(target.tree, {NEW_FILE: b"/* new in 8.1.7 */\n", TRANSLATION: RELEASE_TRANSLATION.encode()})
    build_release_zip(target.tree, target.zip_path)
    unzipped = run_module("release_unzip", {"archive": str(target.zip_path), "shop_root": str(shop), "workspace": str(workspace)})
    assert unzipped.get("failed") is not True, unzipped
    args = {"shop_root": str(shop), "workspace": str(workspace), "target_version": TARGET}
    return Setup(shop, workspace, Path(unzipped["dest"]), args)


def assert_upgraded(setup: Setup) -> None:
    shop, tree = setup.shop, setup.release_tree
    for relative, (digest, _mode) in digest_tree(tree).items():
        if relative.startswith(("install/", "override/", "img/", "modules/ps_facetedsearch/")) or relative in (".shopfleet-release.json", TRANSLATION):
            continue
        assert digest_tree_file(shop / relative) == digest, relative
    for relative, content in UNTOUCHED.items():
        assert (shop / relative).read_bytes() == content, relative
    assert "ours" in (shop / "app/config/parameters.php").read_text()
    assert not (shop / "install").exists() and not (shop / ".shopfleet-release.json").exists()
    assert not (shop / OBSOLETE).exists()
    merged = (shop / TRANSLATION).read_text()
    assert "Expédier l\\'envoi" in merged and "'Nouveau'" in merged and "'Envoyer'" not in merged
    assert (shop / "LICENSES").stat().st_mode & 0o777 == 0o640
    assert ((shop / "LICENSES").stat().st_uid, (shop / NEW_FILE).stat().st_uid) == (OWNER, OWNER)
    assert not list(shop.rglob("*.shopfleet-tmp"))


def digest_tree_file(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.skipif(os.geteuid() != 0, reason="keeping other owners needs root")
def test_the_shop_gets_the_release_files_and_keeps_its_own(tmp_path: Path) -> None:
    setup = make_setup(tmp_path)
    before = digest_tree(setup.shop)

    predicted = run_module("upgrade_files", setup.args, check=True, diff=True)
    assert predicted["changed"] is True and digest_tree(setup.shop) == before
    assert not (Path(predicted["journal"])).exists()
    assert predicted["files"]["add"] == [NEW_FILE] and predicted["files"]["merge"] == [TRANSLATION]
    assert predicted["files"]["delete"] == [OBSOLETE] and predicted["obsolete"]["kept_modified"] == [OBSOLETE_CHANGED]
    assert "LICENSES" in predicted["files"]["update"] and f"{ADMIN}/themes/default/template/header.tpl" in predicted["files"]["update"]
    assert predicted["composer_modules"] == ["ps_facetedsearch"]
    assert f"+ {NEW_FILE}" in predicted.output and f"- {OBSOLETE}" in predicted.output

    done = run_module("upgrade_files", setup.args)
    assert done.get("failed") is not True and done["changed"] is True and done["counts"] == predicted["counts"] and done["resumed"] is False
    assert_upgraded(setup)

    again = run_module("upgrade_files", setup.args)
    assert again.get("failed") is not True and again["changed"] is False
    assert again["counts"]["update"] == again["counts"]["add"] == again["counts"]["merge"] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="keeping other owners needs root")
def test_a_killed_run_resumes_to_the_same_end_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = make_setup(tmp_path)
    monkeypatch.setenv("SHOPFLEET_TEST_UPGRADE_FILES_KILL_AFTER", "20")
    killed = run_module("upgrade_files", setup.args)
    assert killed.get("failed") is True
    monkeypatch.delenv("SHOPFLEET_TEST_UPGRADE_FILES_KILL_AFTER")
    journal = next((setup.workspace / shop_slug(str(setup.shop)) / "journals").glob("upgrade_files-*.json"))
    assert '"status": "running"' in journal.read_text()
    # What a kill between writing a temporary file and renaming it leaves behind.
    (setup.shop / "classes/.Cart.php.shopfleet-tmp").write_text("half-written")

    resumed = run_module("upgrade_files", setup.args)
    assert resumed.get("failed") is not True and resumed["changed"] is True and resumed["resumed"] is True
    assert_upgraded(setup)
    assert '"status": "done"' in journal.read_text()
    assert run_module("upgrade_files", setup.args)["changed"] is False


def test_a_release_for_another_admin_folder_or_version_is_refused(tmp_path: Path) -> None:
    shop = write_shop_tree(tmp_path / "shop", CURRENT, admin_dir=ADMIN).root
    release = build_release(tmp_path / "target", TARGET)
    workspace = str(tmp_path / "ws")
    wrong_version = run_module("upgrade_files", {"shop_root": str(shop), "release_dir": str(release.tree), "target_version": "8.1.6", "workspace": workspace})
    assert wrong_version["failed"] is True and wrong_version["msg"] == f"{release.tree} holds PrestaShop {TARGET}, not 8.1.6"
    (release.tree / "admin").rename(release.tree / "admin-of-another-shop")
    elsewhere = run_module("upgrade_files", {"shop_root": str(shop), "release_dir": str(release.tree), "workspace": workspace})
    assert elsewhere["failed"] is True and elsewhere["msg"] == f"the release in {release.tree} has no back-office folder (admin/ or {ADMIN}/)"
    missing = run_module("upgrade_files", {"shop_root": str(shop), "workspace": str(tmp_path / "ws"), "target_version": TARGET})
    assert missing["failed"] is True and "unpack the release first" in missing["msg"]


def test_a_release_unzipped_by_hand_fills_the_shops_back_office_folder_and_stays_as_it_was(tmp_path: Path) -> None:
    shop = write_shop_tree(tmp_path / "shop", CURRENT, admin_dir=ADMIN).root
    release = build_release(tmp_path / "target", TARGET)
    release_before = {path.relative_to(release.tree).as_posix() for path in release.tree.rglob("*")}
    args = {"shop_root": str(shop), "release_dir": str(release.tree), "workspace": str(tmp_path / "ws")}

    done = run_module("upgrade_files", args)
    assert not done.get("failed"), done.get("msg")
    assert any(path.startswith(ADMIN + "/") for path in done["files"]["update"] + done["files"]["add"])
    assert not any(path.startswith("admin/") for path in done["files"]["update"] + done["files"]["add"]) and not (shop / "admin").exists()
    admin_file = next(path for path in (release.tree / "admin").rglob("*.php"))
    assert (shop / ADMIN / admin_file.relative_to(release.tree / "admin")).read_bytes() == admin_file.read_bytes()
    assert {path.relative_to(release.tree).as_posix() for path in release.tree.rglob("*")} == release_before
    assert run_module("upgrade_files", args)["changed"] is False
