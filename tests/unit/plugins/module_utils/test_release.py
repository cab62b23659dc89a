# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_release: release metadata and target choice, checksum lists, archive validation, samples, comparisons."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils import _release as release
from ansible_collections.shopfleet.prestashop.plugins.module_utils._hashing import md5_many, md5_tree
from harness.release import build_checksum_xml, build_release, read_checksum_xml

RELEASES = [
    {"version": "8.1.6", "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.1", "zip_md5": "A" * 32},
    {"version": "8.1.7", "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.1",
     "zip_download_url": "https://example.com/8.1.7.zip", "xml_download_url": "https://example.com/8.1.7.xml"},
    {"version": "8.2.1", "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.1"},
    {"version": "9.0.0-beta.1", "stability": "beta", "php_min_version": "8.1", "php_max_version": "8.4"},
    {"version": "9.0.2", "stability": "stable", "php_min_version": "8.1", "php_max_version": "8.4"},
    {"version": "1.7.8.11", "stability": "stable", "php_min_version": "7.1.3", "php_max_version": "7.4"},
    {"stability": "stable"},
]


def releases() -> list[release.ReleaseInfo]:
    return release.parse_release_list(json.dumps(RELEASES))


def test_the_release_list_is_read_as_published() -> None:
    parsed = releases()
    assert [item.version for item in parsed] == ["8.1.6", "8.1.7", "8.2.1", "9.0.0-beta.1", "9.0.2", "1.7.8.11"]
    assert parsed[0].zip_md5 == "a" * 32 and parsed[1].xml_url == "https://example.com/8.1.7.xml"
    assert release.parse_release_list(json.dumps({"releases": RELEASES[:1]}))[0].version == "8.1.6"
    with pytest.raises(release.ReleaseError, match="is not JSON"):
        release.parse_release_list("<html>")
    with pytest.raises(release.ReleaseError, match="lists no release"):
        release.parse_release_list("[]")


@pytest.mark.parametrize(("current", "channel", "php", "expected"), [
    ("8.1.3", "minor", None, "8.2.1"),
    ("8.1.3", "major", None, "9.0.2"),
    ("8.1.3", "major", "7.4.33", "8.2.1"),
    ("8.1.3", "major", "8.1.27", "9.0.2"),
    ("8.1.3", "minor", "8.3.0", None),
    ("1.7.8.10", "minor", None, "1.7.8.11"),
    ("1.7.8.11", "minor", None, None),
    ("9.0.2", "major", None, None),
])
def test_the_target_is_the_newest_stable_release_the_channel_and_php_allow(current: str, channel: str, php: str | None, expected: str | None) -> None:
    choice = release.select_target(releases(), current, channel, php_version=php)
    assert (choice.release.version if choice.release else None) == expected
    assert choice.upgrade_needed is (expected is not None)


def test_left_out_releases_say_why() -> None:
    choice = release.select_target(releases(), "8.1.3", "major", php_version="7.4.33")
    assert {item["version"]: item["reason"] for item in choice.skipped} == {
        "9.0.0-beta.1": "not stable (beta)", "9.0.2": "needs PHP 8.1 to 8.4, the host has 7.4.33"}
    assert release.select_target(releases(), "8.1.3", "major", branches=["8"]).release.version == "8.2.1"


def test_a_pinned_target_must_be_listed() -> None:
    pinned = release.select_target(releases(), "8.1.3", target_version="8.1.7")
    assert pinned.release.version == "8.1.7" and pinned.upgrade_needed is True
    assert release.select_target(releases(), "8.1.7", target_version="8.1.6").upgrade_needed is False
    with pytest.raises(release.ReleaseError, match="PrestaShop 8.1.99 is not in the release list"):
        release.select_target(releases(), "8.1.3", target_version="8.1.99")


def test_channel_xml_branches() -> None:
    text = """<?xml version="1.0"?><channels>
      <channel name="stable" available="1">
        <branch name="8" available="1"><num>8.2.1</num><download><link>https://x/8.2.1.zip</link><md5>ABC</md5></download></branch>
        <branch name="1.7" available="0"><num>1.7.8.11</num></branch>
      </channel>
      <channel name="beta" available="0"><branch name="9" available="1"><num>9.0.0-beta.1</num></branch></channel>
    </channels>"""
    branches = release.parse_channel_xml(text)
    assert [(item.channel, item.branch, item.available, item.version) for item in branches] == [
        ("stable", "8", True, "8.2.1"), ("stable", "1.7", False, "1.7.8.11"), ("beta", "9", False, "9.0.0-beta.1")]
    assert branches[0].zip_md5 == "abc" and branches[0].zip_url == "https://x/8.2.1.zip"


def test_checksum_lists_round_trip_with_the_harness_format(tmp_path: Path) -> None:
    built = build_release(tmp_path, "8.1.7")
    version, checksums = release.parse_checksum_xml(str(built.checksum_xml))
    assert (version, checksums) == read_checksum_xml(built.checksum_xml)
    assert checksums == md5_tree(str(built.tree), workers=1)


@pytest.mark.parametrize(("xml", "message"), [
    ("<checksum_list/>", "has no <ps_root_dir>"),
    ('<checksum_list><ps_root_dir version="1"><md5file name="a">nope</md5file></ps_root_dir></checksum_list>', "a has no valid md5"),
    ('<checksum_list><ps_root_dir version="1"><dir name=".."><md5file name="a">' + "0" * 32 + "</md5file></dir></ps_root_dir></checksum_list>",
     "unsafe name '..'"),
    ("<checksum_list><ps_root_dir", "is not a valid checksum list"),
])
def test_broken_checksum_lists_are_refused(xml: str, message: str) -> None:
    with pytest.raises(release.ReleaseError, match=message):
        release.parse_checksum_xml(io.BytesIO(xml.encode()), "list.xml")


@pytest.mark.parametrize(("name", "safe"), [
    ("classes/Cart.php", "classes/Cart.php"), ("./a//b/", "a/b"), ("../x", None), ("a/../../x", None), ("/etc/passwd", None),
    ("C:/x", None), ("a\\..\\b", None), ("a\0b", None), ("", None),
])
def test_archive_names_that_could_escape_are_refused(name: str, safe: str | None) -> None:
    assert release.safe_relative_path(name) == safe


def _zip(entries: list[tuple[str, int, bytes]]) -> zipfile.ZipFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, mode, content in entries:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return zipfile.ZipFile(io.BytesIO(buffer.getvalue()))


def test_links_inside_the_release_are_kept_and_escaping_ones_refused() -> None:
    archive = _zip([("lib/a.php", 0o100644, b"x"), ("current", 0o120777, b"lib"), ("b/up", 0o120777, b"../lib/a.php")])
    entries = release.check_entries(archive, release.ArchiveLimits())
    assert {entry.path: entry.link_target for entry in entries if entry.kind == "link"} == {"current": "lib", "b/up": "../lib/a.php"}
    for links, message in (
        ([("out", 0o120777, b"../x")], "leads outside"),
        ([("hop", 0o120777, b"lib"), ("via", 0o120777, b"hop/../..")], "leads outside"),
        ([("hop", 0o120777, b"a/b/c"), ("via", 0o120777, b"hop/../x")], "leads outside"),
        ([("dir", 0o120777, b"lib"), ("dir/x.php", 0o100644, b"x")], "lies below the link"),
    ):
        with pytest.raises(release.ReleaseError, match=message):
            release.check_entries(_zip([("lib/a.php", 0o100644, b"x")] + links), release.ArchiveLimits())


def test_size_ratio_count_and_duplicates_are_limited() -> None:
    limits = release.ArchiveLimits(max_bytes=10 << 20, max_entries=5, max_ratio=50)
    with pytest.raises(release.ReleaseError, match="expands 1000 times|expands [0-9]+ times"):
        release.check_entries(_zip([("zeros", 0o100644, bytes(2 << 20))]), limits)
    with pytest.raises(release.ReleaseError, match="more than the limit of 5"):
        release.check_entries(_zip([(f"f{index}", 0o100644, b"x") for index in range(6)]), limits)
    with pytest.raises(release.ReleaseError, match="expands to more than"):
        release.check_entries(_zip([("a", 0o100644, bytes(600_000) + b"a" * 10), ("b", 0o100644, b"x")]), release.ArchiveLimits(max_bytes=500_000))
    with pytest.raises(release.ReleaseError, match="appears twice"):
        release.check_entries(_zip([("a", 0o100644, b"x"), ("./a", 0o100644, b"y")]), limits)


def test_extraction_enforces_the_declared_size_even_when_headers_lie(tmp_path: Path) -> None:
    archive_path = tmp_path / "liar.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for name in ("index.php", "classes/a.php"):
            archive.writestr(name, b"<?php\n")
        archive.writestr("big.txt", b"0123456789" * 1000)
    data = bytearray(archive_path.read_bytes())
    # Declare 10 bytes for big.txt in both its local header and the central directory.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        position = 0
        while True:
            position = data.find(signature, position)
            if position < 0:
                break
            name_at = position + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + 7] == b"big.txt":
                data[position + offset:position + offset + 4] = (10).to_bytes(4, "little")
            position += 4
    archive_path.write_bytes(bytes(data))
    (tmp_path / "out").mkdir()
    with pytest.raises(release.ReleaseError, match="beyond its declared size|Bad CRC|damaged|failed"):
        release.extract_archive(str(archive_path), str(tmp_path / "out"), release.ArchiveLimits(), str(tmp_path / "scratch"))


def test_md5_of_a_release_zip_is_its_checksum_list(tmp_path: Path) -> None:
    built = build_release(tmp_path, "8.1.7")
    version, checksums = release.md5_of_archive(str(built.zip_path), release.ArchiveLimits(), str(tmp_path / "inner.zip"))
    assert version == "8.1.7" and checksums == read_checksum_xml(built.checksum_xml)[1]
    assert not (tmp_path / "inner.zip").exists()


@pytest.mark.parametrize(("path", "rule"), [
    ("img/p/1/2/12.jpg", "img/p/**/*.jpg"), ("img/c/3.JPG", "img/c/**/*.jpg"), ("img/logo.jpg", "img/logo.jpg"),
    ("override/classes/index.php", "override/**/*.php"), ("app/config/parameters.php", "app/config/parameters.php"),
    ("img/p/index.php", None), ("img/flags/fr.jpg", None), ("img/logo.png", None), ("override/.htaccess", None), ("img/c.jpg", None),
])
def test_sample_rules(path: str, rule: str | None) -> None:
    assert release.sample_rule(path) == rule


@pytest.mark.parametrize(("path", "group"), [
    ("mails/themes/modern/core/account.html.twig", "mail"), ("modules/ps_emailalerts/mails/en/x.html", "mail"),
    ("translations/default/AdminActions.xlf", "translation"), ("modules/foo/translations/fr.php", "translation"),
    ("themes/default-bootstrap/lang/fr.php", "translation"), ("classes/Cart.php", "core"), ("admin/index.php", "core"),
])
def test_files_are_grouped_like_prestashops_check(path: str, group: str) -> None:
    assert release.file_group(path) == group


def test_the_release_diff_keeps_packages_the_target_stopped_bundling() -> None:
    current = {"classes/Old.php": "1", "classes/Cart.php": "2", "modules/kept/a.php": "3", "modules/kept/old.php": "4",
               "modules/dropped/x.php": "5", "modules/dropped/vendor/y.php": "6", "themes/old-theme/t.tpl": "7",
               "install/upgrade/x.sql": "8", "admin/old.php": "9", "themes/chunk.js": "10"}
    target = {"classes/Cart.php": "2b", "modules/kept/a.php": "3", "classes/New.php": "11", "themes/classic/t.tpl": "12", "admin/index.php": "13"}
    diff = release.compare_releases(current, target)
    assert diff["obsolete"] == ["admin/old.php", "classes/Old.php", "modules/kept/old.php", "themes/chunk.js"]
    assert diff["packages_no_longer_bundled"] == [{"package": "modules/dropped", "files": 2}, {"package": "themes/old-theme", "files": 1}]
    assert diff["obsolete_dirs"] == [] and diff["added"] == 3 and diff["changed"] == 1


def test_obsolete_files_are_deleted_only_when_untouched(tmp_path: Path) -> None:
    (tmp_path / "adm").mkdir()
    (tmp_path / "adm/old.php").write_bytes(b"release")
    (tmp_path / "edited.php").write_bytes(b"ours")
    current = {"admin/old.php": hashlib.md5(b"release").hexdigest(), "edited.php": hashlib.md5(b"release").hexdigest(), "gone.php": "0" * 32}
    state = release.classify_obsolete(sorted(current), current, str(tmp_path), "adm", lambda paths: md5_many(paths, 1))
    assert state == {"delete": ["adm/old.php"], "modified": ["edited.php"], "absent": ["gone.php"]}


def test_status_ok_warning_error() -> None:
    empty = {"core": [], "mail": [], "translation": []}
    assert release.files_status({"modified": empty, "missing": empty, "added": empty}) == "ok"
    assert release.files_status({"modified": {**empty, "mail": ["m"]}, "missing": empty, "added": empty}) == "warning"
    assert release.files_status({"modified": empty, "missing": empty, "added": {**empty, "core": ["x"]}}) == "warning"
    assert release.files_status({"modified": empty, "missing": {**empty, "core": ["x"]}, "added": empty}) == "error"


def test_a_tree_listed_by_the_harness_compares_clean(tmp_path: Path) -> None:
    built = build_release(tmp_path, "8.0.5")
    xml = build_checksum_xml(built.tree, "8.0.5", tmp_path / "again.xml")
    _version, checksums = release.parse_checksum_xml(str(xml))
    report = release.compare_with_list(str(built.tree), "admin", checksums, lambda paths: md5_many(paths, 1))
    assert report["status"] == "ok" and report["ignored"] > 0
