# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_hashing: md5 of many files, in worker processes or not, with the same answers."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils import _hashing


def make_tree(root: Path, files: int) -> dict[str, str]:
    expected = {}
    for index in range(files):
        relative = f"d{index % 7}/sub{index % 3}/f{index}.txt"
        content = (f"file {index}\n" * (index % 50)).encode()
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
        expected[relative] = hashlib.md5(content).hexdigest()
    return expected


def test_workers_and_a_single_process_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = make_tree(tmp_path, 300)
    monkeypatch.setattr(_hashing, "PARALLEL_MIN_FILES", 10)
    monkeypatch.setattr(_hashing, "BATCH_FILES", 16)
    assert _hashing.md5_tree(str(tmp_path), workers=2) == expected
    assert _hashing.md5_tree(str(tmp_path), workers=1) == expected


def test_absent_files_are_none_and_unreadable_ones_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"a")
    (tmp_path / "folder").mkdir()
    found = _hashing.md5_many([str(tmp_path / "a"), str(tmp_path / "missing"), str(tmp_path / "folder")], workers=1)
    assert list(found.values()) == [hashlib.md5(b"a").hexdigest(), None, None]
    if os.geteuid() != 0:
        (tmp_path / "secret").write_bytes(b"s")
        (tmp_path / "secret").chmod(0)
        with pytest.raises(_hashing.HashingError, match="cannot read"):
            _hashing.md5_file(str(tmp_path / "secret"))


def test_walks_skip_and_do_not_follow_links(tmp_path: Path) -> None:
    make_tree(tmp_path / "tree", 20)
    (tmp_path / "tree" / "link").symlink_to(tmp_path / "tree" / "d0")
    walked = [relative for relative, _size in _hashing.walk_files(str(tmp_path / "tree"), skip=lambda relative: relative.startswith("d1"))]
    assert walked == sorted(walked) and not [path for path in walked if path.startswith(("d1", "link"))] and len(walked) == 17
