# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""check_files_version and the release diff on real PrestaShop release trees (8.1.3 and 8.1.7).

Optional: the trees are not in the repository. Set PRESTASHOP_RELEASES to a clone of
librasoft-fr/prestashop-versions or to a folder of extracted releases. PrestaShop's md5 lists cannot be had
offline, so they are computed from the trees in PrestaShop's format (harness.release.build_checksum_xml).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.ansible import run_module
from harness.real_releases import ReleaseError, extract_release, release_tree, releases_source
from harness.release import build_checksum_xml

SOURCE = releases_source()
SKIP_REASON = ("set PRESTASHOP_RELEASES to a clone of librasoft-fr/prestashop-versions (bare or not) "
               "or to a folder of extracted release trees holding 8.1.3 and 8.1.7 to run")

pytestmark = [pytest.mark.real_releases, pytest.mark.skipif(SOURCE is None, reason=SKIP_REASON)]

# Files of the 8.1.3 release that 8.1.7 no longer has, outside the installer and outside the 13 modules 8.1.7 stopped bundling.
OBSOLETE_8_1_3_TO_8_1_7 = [
    "app/metadata.json",
    "modules/dashactivity/logo.gif",
    "modules/productcomments/upgrade/install-2.4.php",
    "modules/ps_googleanalytics/classes/Hook/HookActionCartSave.php",
    "modules/ps_googleanalytics/classes/Hook/HookDisplayFooter.php",
    "modules/ps_googleanalytics/classes/Wrapper/WrapperInterface.php",
    "modules/ps_googleanalytics/translations/de.php",
    "modules/ps_googleanalytics/translations/en.php",
    "modules/ps_googleanalytics/translations/es.php",
    "modules/ps_googleanalytics/translations/fr.php",
    "modules/ps_googleanalytics/translations/it.php",
    "modules/ps_googleanalytics/views/js/GoogleAnalyticActionLib.js",
    "modules/ps_googleanalytics/views/js/index.php",
    "themes/8342d42b17603f2993b0-chunk.js",
]
NO_LONGER_BUNDLED = ["gamification", "klaviyopsautomation", "mbeshipping", "ps_accounts", "ps_checkout", "ps_edition_basic", "ps_eventbus",
                     "ps_facebook", "ps_mbo", "ps_metrics", "psassistant", "psxdesign", "psxmarketingwithgoogle"]


def pristine(version: str) -> Path:
    assert SOURCE is not None
    try:
        return release_tree(SOURCE, version)
    except ReleaseError as exc:
        pytest.skip(f"{exc}; {SKIP_REASON}")


def test_finds_exactly_the_three_files_changed_by_hand_in_a_real_8_1_7(tmp_path: Path) -> None:
    xml = build_checksum_xml(pristine("8.1.7"), "8.1.7", tmp_path / "prestashop_8.1.7.xml")
    assert SOURCE is not None
    shop = extract_release(SOURCE, "8.1.7", tmp_path / "shop")
    (shop / "admin").rename(shop / "admin4f7q2")
    (shop / "classes/Cart.php").write_text((shop / "classes/Cart.php").read_text() + "\n// hotfix\n")
    (shop / "admin4f7q2/index.php").write_text((shop / "admin4f7q2/index.php").read_text().replace("<?php", "<?php // patched", 1))
    (shop / "mails/themes/modern/core/order_conf.html.twig").write_text("{# our order mail #}\n")

    result = run_module("check_files_version", {"shop_root": str(shop), "checksums": str(xml)}, check=True)
    assert result["admin_dir"] == "admin4f7q2" and result["counts"]["compared"] > 22000
    assert result["modified"] == {"core": ["admin4f7q2/index.php", "classes/Cart.php"], "mail": ["mails/themes/modern/core/order_conf.html.twig"],
                                  "translation": []}
    assert result["missing"] == {"core": [], "mail": [], "translation": []}
    assert result["added"] == {"core": [], "mail": [], "translation": []}
    assert result["status"] == "error"


def test_the_8_1_3_to_8_1_7_diff_is_14_files_and_no_module_folder(tmp_path: Path) -> None:
    current = build_checksum_xml(pristine("8.1.3"), "8.1.3", tmp_path / "prestashop_8.1.3.xml")
    target = build_checksum_xml(pristine("8.1.7"), "8.1.7", tmp_path / "prestashop_8.1.7.xml")
    # The pristine 8.1.3 tree stands for a shop: the module only reads it.
    result = run_module("check_files_version", {"shop_root": str(pristine("8.1.3")), "checksums": str(current), "target_checksums": str(target)},
                        check=True)
    diff = result["release_diff"]
    assert result["status"] == "ok" and diff["from"] == "8.1.3" and diff["to"] == "8.1.7"
    assert diff["delete"] == OBSOLETE_8_1_3_TO_8_1_7 and diff["keep_modified"] == [] and diff["already_absent"] == []
    assert [item["package"] for item in diff["packages_no_longer_bundled"]] == [f"modules/{name}" for name in NO_LONGER_BUNDLED]
    assert sum(item["files"] for item in diff["packages_no_longer_bundled"]) + len(OBSOLETE_8_1_3_TO_8_1_7) > 17700
    assert diff["obsolete_dirs"] == ["modules/ps_googleanalytics/views/js"]
