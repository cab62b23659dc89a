# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._langpacks import (
    SERVICE_8,
    SERVICE_17,
    LanguagePackError,
    default_service,
    fetch_pack,
    install_pack,
    pack_url,
    pending_languages,
    replace_file,
    source_of,
    update_language_packs,
)


def pack(path: Path, entries: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in entries.items():
            archive.writestr(name, text)
    return path


def test_the_url_is_the_one_the_targets_core_builds() -> None:
    assert default_service("1.7.8.11") == SERVICE_17 and default_service("8.0.0") == default_service("9.0.0") == SERVICE_8
    assert pack_url(SERVICE_8 + "/", "8.1.7", "fr-FR") == "https://i18n.prestashop-project.org/translations/8.1.7/fr-FR/fr-FR.zip"
    assert source_of({"language_packs_url": "http://mirror/t"}, "8.1.7", "fr-FR") == "http://mirror/t/8.1.7/fr-FR/fr-FR.zip"


def test_a_local_folder_is_searched_by_cache_name_then_service_names(tmp_path: Path) -> None:
    (tmp_path / "8.1.7" / "fr-FR").mkdir(parents=True)
    pack(tmp_path / "8.1.7" / "fr-FR" / "fr-FR.zip", {"fr-FR/A.xlf": "x"})
    assert source_of({"language_packs_src": str(tmp_path)}, "8.1.7", "fr-FR") == str(tmp_path / "8.1.7" / "fr-FR" / "fr-FR.zip")
    pack(tmp_path / "sf-fr-FR.zip", {"fr-FR/A.xlf": "y"})
    assert source_of({"language_packs_src": str(tmp_path)}, "8.1.7", "fr-FR") == str(tmp_path / "sf-fr-FR.zip")
    (tmp_path / "sf-de-DE.zip").write_text("<html>not found</html>")
    with pytest.raises(LanguagePackError, match="is not a zip archive"):
        fetch_pack({"language_packs_src": str(tmp_path)}, "8.1.7", "de-DE", str(tmp_path))
    with pytest.raises(LanguagePackError, match="no pack for it-IT"):
        fetch_pack({"language_packs_src": str(tmp_path)}, "8.1.7", "it-IT", str(tmp_path))


def test_installing_extracts_into_translations_and_caches_the_pack_and_a_second_install_writes_nothing(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    (shop / "translations" / "fr-FR").mkdir(parents=True)
    kept = shop / "translations" / "fr-FR" / "Custom.xlf"
    kept.write_text("the shop's own")
    existing = shop / "translations" / "fr-FR" / "AdminActions.xlf"
    existing.write_text("old")
    os.chmod(existing, 0o664)
    source = pack(tmp_path / "fr.zip", {"fr-FR/AdminActions.xlf": "new", "fr-FR/ShopTheme.xlf": "theme"})

    assert install_pack(str(shop), "fr-FR", str(source)) == 3
    assert existing.read_text() == "new" and stat.S_IMODE(existing.stat().st_mode) == 0o664
    assert (shop / "translations" / "fr-FR" / "ShopTheme.xlf").read_text() == "theme" and kept.read_text() == "the shop's own"
    assert (shop / "translations" / "sf-fr-FR.zip").read_bytes() == source.read_bytes()
    assert install_pack(str(shop), "fr-FR", str(source)) == 0
    assert not [name for name in os.listdir(shop / "translations") if name.startswith(".shopfleet-")]


def test_a_pack_escaping_the_translations_folder_is_refused(tmp_path: Path) -> None:
    hostile = pack(tmp_path / "evil.zip", {"../config/evil.php": "<?php"})
    (tmp_path / "shop").mkdir()
    with pytest.raises(LanguagePackError, match="unsafe path"):
        install_pack(str(tmp_path / "shop"), "fr-FR", str(hostile))
    assert not (tmp_path / "config").exists()


def test_a_failed_pack_is_a_warning_with_the_retry_command_and_stays_pending(tmp_path: Path) -> None:
    shop, journals = tmp_path / "shop", tmp_path / "journals"
    shop.mkdir()
    journals.mkdir()
    folder = tmp_path / "packs"
    folder.mkdir()
    pack(folder / "sf-en-US.zip", {"en-US/A.xlf": "a"})
    warnings: list[str] = []
    languages = [{"iso": "en", "locale": "en-US"}, {"iso": "fr", "locale": "fr-FR"}]

    outcome = update_language_packs({"language_packs_src": str(folder)}, str(shop), str(journals), "8.1.7", languages, str(tmp_path), warnings.append)
    assert outcome["changed"] is True and [row["status"] for row in outcome["packs"]] == ["installed", "failed"]
    assert len(warnings) == 1 and "fr-FR (fr)" in warnings[0] and f"shop_root={shop} target_version=8.1.7" in warnings[0]
    assert pending_languages(str(journals), "8.1.7") == [{"iso": "fr", "locale": "fr-FR"}]
    assert pending_languages(str(journals), "9.0.0") == []


def test_replace_file_keeps_mode_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "parameters.php"
    target.write_text("<?php return array();")
    os.chmod(target, 0o640)
    replace_file(str(target), b"<?php return array('parameters' => array());\n")
    assert target.read_bytes().startswith(b"<?php return array('parameters'") and stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["parameters.php"]
