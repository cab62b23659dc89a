# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure parts of release_download, release_unzip, remove_samples and check_files_version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import ArchiveLimits, ReleaseError, inspect_archive
from ansible_collections.shopfleet.prestashop.plugins.modules import check_files_version, release_download, release_unzip, remove_samples
from harness.release import build_release


@pytest.mark.parametrize(("text", "parsed"), [
    ("md5:" + "A" * 32, {"algorithm": "md5", "value": "a" * 32}),
    ("b" * 64, {"algorithm": "sha256", "value": "b" * 64}),
    ("SHA256: " + "c" * 64, {"algorithm": "sha256", "value": "c" * 64}),
])
def test_checksums_are_read_in_every_usual_spelling(text: str, parsed: dict[str, str]) -> None:
    assert release_download.parse_checksum(text) == parsed


@pytest.mark.parametrize("text", ["md5:123", "sha1:" + "a" * 40, "z" * 32, ""])
def test_odd_checksums_are_refused(text: str) -> None:
    with pytest.raises(ReleaseError, match="is not md5:<32 hex digits> or sha256:<64 hex digits>"):
        release_download.parse_checksum(text)


def test_the_download_plan_follows_the_release_list(tmp_path: Path) -> None:
    listing = tmp_path / "releases.json"
    listing.write_text(json.dumps([{"version": "8.1.7", "zip_download_url": "https://x/p.zip", "xml_download_url": "https://x/p.xml",
                                    "zip_md5": "d" * 32}]))
    params = {"version": "8.1.7", "url": None, "xml_url": None, "checksum": None, "require_checksum": True, "metadata_url": str(listing),
              "dest": None, "filename": None, "shop_root": "/var/www/shop", "workspace": str(tmp_path / "ws"), "validate_certs": True,
              "timeout": 5, "use_proxy": False, "ca_path": None}
    plan = release_download.plan_download(params)
    assert plan["url"] == "https://x/p.zip" and plan["xml_url"] == "https://x/p.xml"
    assert plan["checksum"] == {"algorithm": "md5", "value": "d" * 32, "source": "release list"}
    assert plan["path"].endswith("/releases/8.1.7/prestashop_8.1.7.zip") and plan["partial"] == plan["path"] + ".download"
    assert plan["xml_path"].endswith("/releases/8.1.7/prestashop_8.1.7.xml")
    explicit = release_download.plan_download({**params, "url": "https://m/any.zip?x=1", "version": None, "dest": str(tmp_path / "d"),
                                               "checksum": "e" * 32})
    assert explicit["path"] == str(tmp_path / "d" / "any.zip") and explicit["xml_path"] is None


def test_predicted_renames_match_what_extraction_does(tmp_path: Path) -> None:
    built = build_release(tmp_path, "8.1.7")
    contents = inspect_archive(str(built.zip_path), ArchiveLimits())
    assert release_unzip.predicted_renames(contents, "admin42") == [["admin", "admin42"]]
    assert release_unzip.predicted_renames(contents, "admin") == []


def run(module: Any, capsys: pytest.CaptureFixture, args: dict[str, Any]) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_of_remove_samples_and_release_unzip_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    built = build_release(tmp_path / "rel", "8.1.7")
    predicted = run(release_unzip, capsys, {"archive": str(built.zip_path), "dest": str(tmp_path / "out"), "_ansible_check_mode": True})
    assert predicted["changed"] is True and predicted["version"] == "8.1.7" and not (tmp_path / "out").exists()
    samples = run(remove_samples, capsys, {"release_dir": str(built.tree), "_ansible_check_mode": True})
    assert samples["changed"] is True and (built.tree / samples["removed"][0]["path"]).exists()


def test_check_files_version_finds_a_release_in_the_workspace(tmp_path: Path) -> None:
    folder = tmp_path / "releases" / "8.1.7"
    folder.mkdir(parents=True)
    assert check_files_version.in_workspace(str(tmp_path / "releases"), "8.1.7") is None
    (folder / "release").mkdir()
    assert check_files_version.in_workspace(str(tmp_path / "releases"), "8.1.7") == ("dir", str(folder / "release"))
    (folder / "prestashop_8.1.7.xml").write_text("<checksum_list/>")
    assert check_files_version.in_workspace(str(tmp_path / "releases"), "8.1.7") == ("xml", str(folder / "prestashop_8.1.7.xml"))
