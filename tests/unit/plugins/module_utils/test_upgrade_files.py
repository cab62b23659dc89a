# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The rules, translation merge and plans of the files step, on small trees."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_config import PhpConfigError
from ansible_collections.shopfleet.prestashop.plugins.module_utils._upgrade_files import (
    Applier,
    CopyRules,
    UpgradeFilesError,
    check_relative,
    composer_modules_with_vendor,
    is_legacy_translation,
    merged_translation,
    parse_translations,
    plan_copy,
    plan_is_empty,
    plan_obsolete,
    render_translations,
)


def md5_hasher(paths: list[str]) -> dict[str, str | None]:
    return {path: hashlib.md5(Path(path).read_bytes()).hexdigest() for path in paths}


def write(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)


@pytest.mark.parametrize("path, reason", [
    ("app/config/parameters.php", "app/config/parameters.php"),
    ("app/config/parameters.yml", "app/config/parameters.yml"),
    ("img/logo.jpg", "img/logo.jpg"),
    ("img/p/1/1.jpg", "img/p/**/*.jpg"),
    ("override", "override"),
    ("install", "install"),
    ("modules/autoupgrade", "autoupgrade"),
    ("classes/.git", ".git"),
    (".shopfleet-release.json", "release marker"),
    ("modules/ps_facetedsearch", "module with its own composer vendor/"),
    ("themes/classic/templates/index.tpl", "update_default_theme is false"),
])
def test_the_rules_keep_out_what_prestashop_keeps_out(path: str, reason: str) -> None:
    rules = CopyRules(composer_modules=frozenset({"ps_facetedsearch"}), update_default_theme=False)
    assert rules.skip_reason(path) == reason


@pytest.mark.parametrize("path", ["classes/Cart.php", "img/admin/add.gif", "modules/contactform/contactform.php", "themes/classic/x.tpl",
                                  "admin123/init.php", "config/defines.inc.php"])
def test_core_files_are_copied(path: str) -> None:
    assert CopyRules().skip_reason(path) is None


def test_composer_modules_need_both_the_lock_entry_and_a_vendor_folder(tmp_path: Path) -> None:
    lock = {"packages": [{"name": "prestashop/ps_facetedsearch", "type": "prestashop-module"},
                         {"name": "prestashop/contactform", "type": "prestashop-module"},
                         {"name": "symfony/symfony", "type": "library"}]}
    write(tmp_path, {"composer.lock": json.dumps(lock), "modules/ps_facetedsearch/vendor/autoload.php": "",
                     "modules/contactform/contactform.php": "", "modules/symfony/vendor/x": ""})
    assert composer_modules_with_vendor(str(tmp_path)) == frozenset({"ps_facetedsearch"})
    assert composer_modules_with_vendor(str(tmp_path / "nowhere")) == frozenset()


@pytest.mark.parametrize("path, expected", [
    ("translations/fr/admin.php", True), ("translations/fr/errors.php", True), ("translations/fr/other.php", False),
    ("modules/psgdpr/translations/fr.php", True),
    ("modules/psgdpr/translations/index.php", False), ("themes/default/lang/fr.php", True), ("classes/fr.php", False),
    ("translations/default/AdminActions.xlf", False),
])
def test_legacy_translation_files(path: str, expected: bool) -> None:
    assert is_legacy_translation(path) is expected


RELEASE = "<?php\nglobal $_MODULE;\n$_MODULE = array();\n$_MODULE['a'] = 'A release';\n$_MODULE['b'] = 'B release';\n"


def test_the_merge_keeps_the_shops_values_and_adds_the_release_keys() -> None:
    shop = "<?php\nglobal $_MODULE;\n$_MODULE = array();\n$_MODULE['a'] = 'A l\\'ours';\n$_MODULE['mine'] = \"Mine\";\n"
    merged = merged_translation(RELEASE.encode(), shop.encode(), "fr.php")
    assert parse_translations(merged.decode(), "merged") == ("$_MODULE", {"a": "A l'ours", "b": "B release", "mine": "Mine"})
    assert merged_translation(RELEASE.encode(), merged, "fr.php") == merged, "a merged file is stable"


def test_the_merge_returns_the_release_bytes_when_the_shop_adds_nothing() -> None:
    shop = "<?php\nglobal $_MODULE;\n$_MODULE = array();\n$_MODULE['a'] = 'A release';\n"
    assert merged_translation(RELEASE.encode(), shop.encode(), "fr.php") == RELEASE.encode()


def test_translations_written_back_read_the_same() -> None:
    entries = {"k'ey": "va\\lue's", "plain": "x"}
    assert parse_translations(render_translations("$_LANGADM", entries).decode(), "f") == ("$_LANGADM", entries)


@pytest.mark.parametrize("text", ["<?php\n$_MODULE['a'] = getenv('X');\n", "<?php\necho 'hi';\n", "<?php\n$_A['a'] = 'x';\n$_B['b'] = 'y';\n"])
def test_anything_but_literal_translations_is_refused(text: str) -> None:
    with pytest.raises(PhpConfigError):
        parse_translations(text, "f")


def test_the_plan_compares_content_and_a_second_plan_is_empty(tmp_path: Path) -> None:
    tree, shop = tmp_path / "release", tmp_path / "shop"
    write(tree, {"index.php": "new", "classes/Same.php": "same", "classes/New.php": "n", "src/Deep/File.php": "d", "install/x.php": "",
                 "img/logo.jpg": "release logo", "modules/m/translations/fr.php": RELEASE, "Size.php": "abc"})
    write(shop, {"index.php": "old!", "classes/Same.php": "same", "img/logo.jpg": "our logo", "Size.php": "xyz",
                 "modules/m/translations/fr.php": RELEASE.replace("A release", "Ours").replace("$_MODULE['b'] = 'B release';\n", "")})
    (tree / "classes/New.php").chmod(0o600)
    (shop / "index.php").chmod(0o640)
    plan = plan_copy(str(tree), str(shop), CopyRules(), md5_hasher)
    assert plan["mkdir"] == ["src", "src/Deep"]
    assert plan["add"] == ["classes/New.php", "src/Deep/File.php"]
    assert plan["update"] == ["Size.php", "index.php"] and plan["merge"] == ["modules/m/translations/fr.php"]
    assert plan["unchanged"] == 1 and plan["skipped"] == {"img/logo.jpg": 1, "install": 1}
    plan.update(delete=[], delete_dirs=[])
    Applier(str(tree), str(shop), lambda kind, path: None).apply(plan)
    assert (shop / "img/logo.jpg").read_text() == "our logo" and not (shop / "install").exists()
    assert stat.S_IMODE((shop / "classes/New.php").stat().st_mode) == 0o644, "a new file is readable by the web server"
    assert stat.S_IMODE((shop / "index.php").stat().st_mode) == 0o640, "an updated file keeps its mode"
    assert (shop / "index.php").read_text() == "new" and "'Ours'" in (shop / "modules/m/translations/fr.php").read_text()
    second = plan_copy(str(tree), str(shop), CopyRules(), md5_hasher)
    second.update(delete=[], delete_dirs=[])
    assert plan_is_empty(second)


def test_a_folder_where_the_release_has_a_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "release", {"index.php": ""})
    (tmp_path / "shop/index.php").mkdir(parents=True)
    with pytest.raises(UpgradeFilesError, match="index.php is a file in the release but a folder in the shop"):
        plan_copy(str(tmp_path / "release"), str(tmp_path / "shop"), CopyRules(), md5_hasher)


def test_obsolete_lists_never_reach_protected_or_shipped_files(tmp_path: Path) -> None:
    tree, shop = tmp_path / "release", tmp_path / "shop"
    write(tree, {"classes/Kept.php": ""})
    write(shop, {"js/old.js": "", "classes/Kept.php": "", "override/classes/Cart.php": "", "app/config/parameters.php": "", "js/old/x": ""})
    removal = plan_obsolete(str(shop), ["js/old.js", "js/absent.js", "classes/Kept.php", "override/classes/Cart.php", "app/config/parameters.php"],
                            ["js/old", "js/none"], CopyRules(), str(tree))
    assert removal == {"delete": ["js/old.js"], "delete_dirs": ["js/old"],
                       "refused": ["app/config/parameters.php", "classes/Kept.php", "override/classes/Cart.php"]}


@pytest.mark.parametrize("path", ["../etc/passwd", "a/../../b", "", "/"])
def test_paths_outside_the_shop_are_refused(path: str) -> None:
    with pytest.raises(UpgradeFilesError):
        check_relative(path)
