# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""release_download through Ansible against a real HTTP(S) server on 127.0.0.1 serving a release mirror."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import run_module
from harness.httpserver import HttpServer
from harness.release import build_release

VERSION = "8.1.7"
ZIP = f"prestashop_{VERSION}.zip"
XML = f"prestashop_{VERSION}.xml"


def write_release_list(server: HttpServer, md5: str | None = None) -> str:
    """The mirror's release list, shaped like PrestaShop's, pointing at this server."""
    zip_md5 = md5 or hashlib.md5((server.root / ZIP).read_bytes()).hexdigest()
    releases = [
        {"version": "8.1.6", "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.1",
         "zip_download_url": server.url("prestashop_8.1.6.zip"), "xml_download_url": server.url("prestashop_8.1.6.xml"), "zip_md5": "0" * 32},
        {"version": VERSION, "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.1",
         "zip_download_url": server.url(ZIP), "xml_download_url": server.url(XML), "zip_md5": zip_md5},
    ]
    (server.root / "releases.json").write_text(json.dumps(releases))
    return server.url("releases.json")


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[HttpServer]:
    root = tmp_path / "mirror"
    build_release(root, VERSION)
    with HttpServer(root) as server:
        yield server


def download(server: HttpServer, workspace: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    args = {"shop_root": "/var/www/shop", "workspace": str(workspace), "version": VERSION,
            "metadata_url": server.url("releases.json"), "retry_delay": 0, **options}
    return run_module("release_download", args, check=check)


def test_downloads_and_verifies_the_release_then_leaves_it_alone(mirror: HttpServer, tmp_path: Path) -> None:
    write_release_list(mirror)
    workspace = tmp_path / "ws"
    size = (mirror.root / ZIP).stat().st_size

    predicted = download(mirror, workspace, check=True)
    assert predicted["changed"] is True and predicted["downloaded"] == ["zip", "xml"] and predicted["bytes"] == size
    assert not workspace.exists() and mirror.gets(ZIP) == []

    done = download(mirror, workspace)
    assert done["changed"] is True and done["checksum"]["source"] == "release list"
    zip_path = Path(done["path"])
    assert zip_path.read_bytes() == (mirror.root / ZIP).read_bytes() and done["bytes"] == size
    assert zip_path.parent.name == VERSION and zip_path.parent.parent.name == "releases"
    assert Path(done["xml_path"]).read_bytes() == (mirror.root / XML).read_bytes()
    assert stat.S_IMODE(zip_path.stat().st_mode) == 0o600 and stat.S_IMODE(zip_path.parent.stat().st_mode) == 0o700
    assert done["sha256"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()

    again = download(mirror, workspace)
    assert again["changed"] is False and again["downloaded"] == [] and len(mirror.gets(ZIP)) == 1


def test_a_checksum_mismatch_removes_the_file_and_says_so(mirror: HttpServer, tmp_path: Path) -> None:
    write_release_list(mirror, md5="f" * 32)
    result = download(mirror, tmp_path / "ws")
    assert result["failed"] is True
    assert result["msg"].startswith(f"checksum mismatch for {mirror.url(ZIP)}: expected md5 {'f' * 32}, got ")
    assert result["msg"].endswith("the downloaded file was removed")
    assert not [path for path in (tmp_path / "ws").rglob("*") if path.is_file()]


def test_an_interrupted_download_resumes_where_it_stopped(mirror: HttpServer, tmp_path: Path) -> None:
    write_release_list(mirror)
    workspace = tmp_path / "ws"
    mirror.cut_after(ZIP, 30000)
    cut = download(mirror, workspace, retries=0)
    assert cut["failed"] is True and "was interrupted" in cut["msg"] and cut["msg"].endswith("rerun to resume")
    partials = list(workspace.rglob(ZIP + ".download"))
    assert len(partials) == 1 and partials[0].stat().st_size == 30000

    resumed = download(mirror, workspace, retries=0)
    assert resumed["changed"] is True and resumed["resumed_from"] == 30000
    assert mirror.gets(ZIP)[-1]["range"] == "bytes=30000-"
    assert Path(resumed["path"]).read_bytes() == (mirror.root / ZIP).read_bytes() and not partials[0].exists()


def test_retries_resume_within_the_same_run_or_start_over_when_ranges_are_ignored(mirror: HttpServer, tmp_path: Path) -> None:
    write_release_list(mirror)
    mirror.cut_after(ZIP, 20000, times=2)
    result = download(mirror, tmp_path / "ws", retries=3)
    assert result["changed"] is True and result["attempts"] == 3 and result["resumed_from"] == 20000
    assert [request["range"] for request in mirror.gets(ZIP)] == [None, "bytes=20000-", "bytes=40000-"]
    assert Path(result["path"]).read_bytes() == (mirror.root / ZIP).read_bytes()

    mirror.ignore_ranges = True
    mirror.cut_after(ZIP, 10000)
    fresh = download(mirror, tmp_path / "ws2", retries=1)
    assert fresh["changed"] is True and fresh["attempts"] == 2 and fresh["resumed_from"] == 0
    assert Path(fresh["path"]).read_bytes() == (mirror.root / ZIP).read_bytes()


def test_a_missing_file_is_one_clear_error(mirror: HttpServer, tmp_path: Path) -> None:
    write_release_list(mirror)
    (mirror.root / ZIP).unlink()
    predicted = download(mirror, tmp_path / "ws", check=True)
    assert predicted["failed"] is True and predicted["msg"] == f"HTTP 404 Not Found for {mirror.url(ZIP)}"
    result = download(mirror, tmp_path / "ws")
    assert result["failed"] is True and result["msg"] == f"HTTP 404 Not Found for {mirror.url(ZIP)}"
    unknown = download(mirror, tmp_path / "ws", version="8.1.99")
    assert unknown["failed"] is True and unknown["msg"] == f"PrestaShop 8.1.99 is not in the release list {mirror.url('releases.json')}"


def test_explicit_url_needs_a_checksum_unless_told_otherwise(mirror: HttpServer, tmp_path: Path) -> None:
    dest = tmp_path / "controller"
    refused = run_module("release_download", {"url": mirror.url(ZIP), "dest": str(dest)})
    assert refused["failed"] is True and refused["msg"].startswith(f"no checksum is known for {mirror.url(ZIP)}: give checksum")
    sha256 = hashlib.sha256((mirror.root / ZIP).read_bytes()).hexdigest()
    done = run_module("release_download", {"url": mirror.url(ZIP), "dest": str(dest), "checksum": f"sha256:{sha256}"})
    assert done["changed"] is True and done["path"] == str(dest / ZIP) and done["xml_path"] is None
    assert run_module("release_download", {"url": mirror.url(ZIP), "dest": str(dest), "checksum": sha256})["changed"] is False


def test_tls_certificates_are_verified(tmp_path: Path) -> None:
    root = tmp_path / "mirror"
    build_release(root, VERSION)
    with HttpServer(root, tls=True) as server:
        write_release_list(server)
        refused = download(server, tmp_path / "ws", retries=0)
        assert refused["failed"] is True
        assert refused["msg"].startswith(f"TLS certificate verification failed for {server.url('releases.json')}: ")
        assert "ca_path" in refused["msg"]
        trusted = download(server, tmp_path / "ws", ca_path=str(server.cert_path))
        assert trusted["changed"] is True and os.path.getsize(trusted["path"]) == (root / ZIP).stat().st_size
