# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The real-release helpers on tiny git clones and folders made here: these run everywhere, CI included."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.real_releases import ReleaseError, available_versions, extract_release, pick_versions, release_tree


def test_pick_versions_takes_the_numerically_newest_of_each_branch(tmp_path: Path) -> None:
    source = git_source_with_tags(tmp_path / "clone", ["v8.1.9", "v8.1.10", "v1.7.8.9", "v1.7.8.11", "8.0.5", "v9.0.0", "nightly"])

    assert available_versions(source) == ["1.7.8.9", "1.7.8.11", "8.0.5", "8.1.9", "8.1.10", "9.0.0"]
    assert pick_versions(source) == {"1.7.8": "1.7.8.11", "8.0": "8.0.5", "8.1": "8.1.10"}


def test_extracted_release_folders_are_recognised_by_name(tmp_path: Path) -> None:
    for name in ("8.1.7", "v8.0.5", "prestashop_1.7.8.11", "notes", "8.2"):
        (tmp_path / name).mkdir()
    (tmp_path / "8.2.1").write_text("a file, not a release")

    assert available_versions(tmp_path) == ["1.7.8.11", "8.0.5", "8.1.7"]
    assert release_tree(tmp_path, "8.0.5") == tmp_path / "v8.0.5"


def test_extract_release_gives_a_private_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESTASHOP_RELEASES_CACHE", str(tmp_path / "cache"))
    source = git_source_with_tags(tmp_path / "clone", ["v8.1.7"], bare=True)

    copy = extract_release(source, "8.1.7", tmp_path / "shop")
    (copy / "src/Core/Version.php").write_text("changed")
    pristine = release_tree(source, "8.1.7")

    assert "'8.1.7'" in (pristine / "src/Core/Version.php").read_text()
    assert release_tree(source, "8.1.7") == pristine
    assert pristine.parent == tmp_path / "cache"
    with pytest.raises(ReleaseError, match="not empty"):
        extract_release(source, "8.1.7", copy)
    with pytest.raises(ReleaseError, match="no tag for PrestaShop 8.1.8"):
        extract_release(source, "8.1.8", tmp_path / "other")


# --- helpers ---


def git_source_with_tags(path: Path, tags: list[str], bare: bool = False) -> Path:
    """A tiny git clone with one commit per tag, each holding a Version.php of that tag's version."""
    work = path if not bare else path.with_name(path.name + "-work")
    work.mkdir(parents=True)
    git = ["git", "-C", str(work), "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    subprocess.run(git[:3] + ["init", "--quiet"], check=True)
    for tag in tags:
        version_file = work / "src/Core/Version.php"
        version_file.parent.mkdir(parents=True, exist_ok=True)
        version_file.write_text(f"<?php\nfinal class Version\n{{\n    public const VERSION = '{tag.lstrip('v')}';\n}}\n")
        subprocess.run(git + ["add", "--all"], check=True)
        subprocess.run(git + ["commit", "--quiet", "--allow-empty", "-m", tag], check=True)
        subprocess.run(git + ["tag", tag], check=True)
    if not bare:
        return work
    subprocess.run(["git", "clone", "--quiet", "--bare", str(work), str(path)], check=True)
    return path
