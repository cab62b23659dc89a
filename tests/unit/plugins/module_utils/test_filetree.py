# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_filetree: exclusion rules, the walk, the archive writer and reader, the index, restore helpers, official zips."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import stat
import subprocess
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils import _filetree
from ansible_collections.shopfleet.prestashop.plugins.module_utils._filetree import (
    SMALL_FILE,
    ArchiveReader,
    ArchiveWriter,
    FileTreeError,
    IndexEntry,
    IndexWriter,
    Node,
    Rule,
    RuleSet,
    Skipped,
    clear_cache_dir,
    entry_from_record,
    index_record,
    normalize_rule,
    read_index,
    rule_for_folder,
    ustar_header,
    walk,
    write_restored_file,
    zip_index,
)

ZSTD = shutil.which("zstd")
COMPRESSIONS = ["gzip", "none"] + (["zstd"] if ZSTD else [])


def rules(*patterns: str) -> RuleSet:
    return RuleSet(Rule(normalize_rule(pattern, "admin42"), "test") for pattern in patterns)


# --- rules ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("/var/cache", "/var/cache"), ("var/cache/", "/var/cache"), ("//img//tmp", "/img/tmp"), ("/{admin}/autoupgrade", "/admin42/autoupgrade"),
    ("/**/.git", "/**/.git"),
])
def test_rules_are_normalised_to_root_relative_paths(text: str, expected: str) -> None:
    assert normalize_rule(text, "admin42") == expected


@pytest.mark.parametrize("text", ["", "/", "../etc", "/var/../etc", "/./x"])
def test_rules_outside_the_root_are_refused(text: str) -> None:
    with pytest.raises(FileTreeError, match="invalid rule"):
        normalize_rule(text)


def test_the_admin_placeholder_needs_a_known_admin_folder() -> None:
    with pytest.raises(FileTreeError, match="set admin_dir"):
        normalize_rule("/{admin}/autoupgrade", None)


def test_an_exact_rule_names_one_path_only() -> None:
    ruleset = rules("/var/cache")
    assert ruleset.match("var/cache") is not None
    assert ruleset.match("var/cache2") is None and ruleset.match("var") is None
    assert ruleset.match("var/cache/prod") is None, "match() is the path itself; the walk prunes the subtree"
    assert ruleset.covers("var/cache/prod/x.php") is not None


def test_wildcards_never_cross_a_slash() -> None:
    ruleset = rules("/img/*.jpg")
    assert ruleset.match("img/logo.jpg") is not None
    assert ruleset.match("img/p/1.jpg") is None
    assert rules("/img/?.jpg").match("img/a.jpg") is not None and rules("/img/?.jpg").match("img/ab.jpg") is None


def test_double_star_spans_any_number_of_folders() -> None:
    ruleset = rules("/**/.git")
    assert all(ruleset.match(path) for path in (".git", "modules/a/.git", "a/b/c/.git"))
    assert ruleset.match("a/.github") is None
    assert rules("/img/**").match("img/p/1/1.jpg") is not None


def test_character_classes_and_their_negation() -> None:
    assert rules("/log/[0-9]*.log").match("log/2024.log") is not None
    assert rules("/log/[0-9]*.log").match("log/a.log") is None
    assert rules("/log/[!0-9]*.log").match("log/a.log") is not None
    assert rules("/a[b").match("a[b") is not None, "an unclosed bracket is a literal"


def test_a_folder_inside_the_shop_gives_an_exact_rule(tmp_path: Path) -> None:
    (tmp_path / "shop/backups").mkdir(parents=True)
    assert rule_for_folder(str(tmp_path / "shop"), str(tmp_path / "shop/backups"), "backups") == Rule("/backups", "backups")
    assert rule_for_folder(str(tmp_path / "shop"), str(tmp_path / "elsewhere"), "backups") is None


# --- walking --------------------------------------------------------------------------------------------------------


def make_tree(root: Path) -> Path:
    for relative, content in {"index.php": b"<?php", "var/cache/prod/c.php": b"cache", "img/tmp/t.jpg": b"tmp", "img/p/1.jpg": b"jpg",
                              "a/b/c.txt": b"c", "a.txt": b"a"}.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_bytes(content)
    (root / "link-to-etc").symlink_to("/etc")
    return root


def test_the_walk_lists_folders_before_their_entries_sorted_and_prunes_excluded_ones(tmp_path: Path) -> None:
    items = list(walk(str(make_tree(tmp_path)), rules("/var/cache", "/img/tmp")))
    paths = [item.path for item in items if isinstance(item, Node)]
    assert paths == ["a", "a/b", "a/b/c.txt", "a.txt", "img", "img/p", "img/p/1.jpg", "index.php", "link-to-etc", "var"]
    assert [item.public() for item in items if isinstance(item, Skipped)] == [
        {"path": "img/tmp", "type": "dir", "rule": "/img/tmp", "reason": "test"},
        {"path": "var/cache", "type": "dir", "rule": "/var/cache", "reason": "test"},
    ]


def test_symlinks_are_listed_never_followed(tmp_path: Path) -> None:
    items = {item.path: item for item in walk(str(make_tree(tmp_path)))}
    assert items["link-to-etc"].kind == "link"
    assert not any(path.startswith("link-to-etc/") for path in items)


def test_sockets_and_fifos_are_skipped_with_their_kind(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "queue")
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "php.sock"))
    try:
        skipped = {item.path: item.public() for item in walk(str(tmp_path)) if isinstance(item, Skipped)}
    finally:
        server.close()
    assert skipped["queue"] == {"path": "queue", "type": "fifo", "rule": None, "reason": "special file (fifo): not archivable"}
    assert skipped["php.sock"]["type"] == "socket"


def test_a_folder_that_cannot_be_listed_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked").mkdir()
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)
    monkeypatch.setattr(_filetree.os, "scandir", scandir)
    with pytest.raises(FileTreeError, match="cannot list .*locked: Permission denied"):
        list(walk(str(tmp_path)))


# --- archive and index --------------------------------------------------------------------------------------------


def test_ustar_headers_are_byte_for_byte_those_of_tarfile() -> None:
    for name, kind, link in (("a/b.php", tarfile.REGTYPE, ""), ("dir/", tarfile.DIRTYPE, ""), ("l", tarfile.SYMTYPE, "../x")):
        member = tarfile.TarInfo(name)
        member.type, member.size, member.mode, member.mtime, member.uid, member.gid, member.linkname = (
            kind, 123 if kind == tarfile.REGTYPE else 0, 0o640, 1700000000, 33, 33, link)
        assert ustar_header(name, kind, 0o640, 33, 33, member.size, 1700000000, link) == member.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def test_names_ustar_cannot_hold_fall_back_to_pax() -> None:
    assert ustar_header("x" * 101, tarfile.REGTYPE, 0o644, 0, 0, 1, 0) is None
    assert ustar_header("café.php", tarfile.REGTYPE, 0o644, 0, 0, 1, 0) is None


def archive_tree(root: Path, destination: Path, compression: str) -> tuple[list[dict[str, Any]], tuple[int, str]]:
    records = []
    with open(destination, "wb") as handle:
        writer = ArchiveWriter(handle, compression, 1, ZSTD)
        for item in walk(str(root)):
            if isinstance(item, Node):
                archived = writer.add(str(root), item)
                assert archived is not None
                records.append(index_record(archived.entry, archived.unstable))
        result = writer.close()
    return records, result


def tar_members(archive: Path, compression: str) -> dict[str, bytes | str | None]:
    members: dict[str, bytes | str | None] = {}
    reader = ArchiveReader(str(archive), compression, ZSTD, shutil.which("gzip"))
    for member in reader.members():
        members[member.name] = reader.extract(member).read() if member.isreg() else (member.linkname if member.issym() else None)
    reader.close(complete=True)
    return members


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_the_archive_holds_every_entry_with_the_bytes_the_index_hashes(tmp_path: Path, compression: str) -> None:
    root = make_tree(tmp_path / "shop")
    (root / "big.bin").write_bytes(os.urandom(SMALL_FILE + 12345))
    (root / "photo.jpg").write_bytes(os.urandom(20000))
    (root / os.fsdecode(b"caf\xe9.txt")).write_bytes(b"latin-1 name")
    (root / ("long-" * 30 + ".php")).write_bytes(b"long name")
    archive = tmp_path / "archive"
    records, (size, digest) = archive_tree(root, archive, compression)
    assert size == archive.stat().st_size and digest == hashlib.sha256(archive.read_bytes()).hexdigest()
    members = tar_members(archive, compression)
    assert list(members) == [record["path"] for record in records], "archive order is index order"
    for record in records:
        if record["type"] == "file":
            assert hashlib.sha256(members[record["path"]]).hexdigest() == record["sha256"] == hashlib.sha256((root / record["path"]).read_bytes()).hexdigest()
        if record["type"] == "link":
            assert members[record["path"]] == record["target"] == "/etc"


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_standard_tools_read_the_archive(tmp_path: Path, compression: str) -> None:
    root = make_tree(tmp_path / "shop")
    (root / "photo.jpg").write_bytes(os.urandom(50000))
    archive = tmp_path / "archive"
    archive_tree(root, archive, compression)
    command = {"zstd": f"zstd -dc {archive} | tar -t", "gzip": f"tar -tzf {archive}", "none": f"tar -tf {archive}"}[compression]
    listing = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, check=True).stdout.split()
    assert "photo.jpg" in listing and "a/b/c.txt" in listing and "a/" in listing


def test_gzip_stores_already_compressed_files_instead_of_deflating_them(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    noise = os.urandom(200000)
    (root / "photo.jpg").write_bytes(noise)
    (root / "script.php").write_bytes(b"<?php echo 'hello';\n" * 5000)
    records, (size, _digest) = archive_tree(root, tmp_path / "a.tar.gz", "gzip")
    with gzip.open(tmp_path / "a.tar.gz") as handle:
        assert tarfile.open(fileobj=handle, mode="r|").next() is not None
    assert size < 200000 + 10000, "the jpg is stored, the php deflated"
    assert subprocess.run(["gzip", "-t", str(tmp_path / "a.tar.gz")], check=False).returncode == 0


def test_a_small_file_that_changes_while_read_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "shop/log.txt"
    target.parent.mkdir()
    target.write_bytes(b"first")
    real_read_all = _filetree._read_all
    calls = []

    def read_all(descriptor: int) -> bytes:
        data = real_read_all(descriptor)
        if not calls:
            with open(target, "ab") as handle:
                handle.write(b" and more")
        calls.append(data)
        return data
    monkeypatch.setattr(_filetree, "_read_all", read_all)
    records, _result = archive_tree(tmp_path / "shop", tmp_path / "a.tar", "none")
    assert calls == [b"first", b"first and more"]
    assert records[0]["size"] == len(b"first and more") and "changed_while_reading" not in records[0]


def test_a_file_that_keeps_changing_is_archived_as_read_and_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "shop/log.txt"
    target.parent.mkdir()
    target.write_bytes(b"line\n")
    real_read_all = _filetree._read_all

    def read_all(descriptor: int) -> bytes:
        data = real_read_all(descriptor)
        with open(target, "ab") as handle:
            handle.write(b"line\n")
        return data
    monkeypatch.setattr(_filetree, "_read_all", read_all)
    records, _result = archive_tree(tmp_path / "shop", tmp_path / "a.tar", "none")
    members = tar_members(tmp_path / "a.tar", "none")
    assert records[0]["changed_while_reading"] is True
    assert hashlib.sha256(members["log.txt"]).hexdigest() == records[0]["sha256"], "the index describes what was archived"


def test_a_big_file_that_shrinks_while_read_keeps_the_archive_consistent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "shop/big.bin"
    target.parent.mkdir()
    target.write_bytes(b"x" * (SMALL_FILE * 3))
    real_read = os.read
    state = {"reads": 0}

    def read(descriptor: int, size: int) -> bytes:
        state["reads"] += 1
        if state["reads"] == 2:
            os.truncate(target, SMALL_FILE + 10)
        return real_read(descriptor, size)
    monkeypatch.setattr(_filetree.os, "read", read)
    records, _result = archive_tree(tmp_path / "shop", tmp_path / "a.tar", "none")
    monkeypatch.undo()
    members = tar_members(tmp_path / "a.tar", "none")
    assert records[0]["changed_while_reading"] is True and records[0]["size"] == SMALL_FILE * 3
    assert hashlib.sha256(members["big.bin"]).hexdigest() == records[0]["sha256"]


def test_a_file_that_vanishes_before_it_is_opened_is_not_archived(tmp_path: Path) -> None:
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop/gone.txt").write_bytes(b"x")
    with open(tmp_path / "a.tar", "wb") as handle:
        writer = ArchiveWriter(handle, "none")
        nodes = list(walk(str(tmp_path / "shop")))
        os.unlink(tmp_path / "shop/gone.txt")
        assert writer.add(str(tmp_path / "shop"), nodes[0]) is None
        writer.close()


def test_a_failing_compressor_is_an_error_not_a_short_archive(tmp_path: Path) -> None:
    failing = tmp_path / "zstd"
    failing.write_text("#!/bin/sh\ncat > /dev/null\necho 'zstd: out of memory' >&2\nexit 3\n")
    failing.chmod(0o755)
    with open(tmp_path / "a.tar.zst", "wb") as handle:
        writer = ArchiveWriter(handle, "zstd", 1, str(failing))
        writer.add(str(make_tree(tmp_path / "shop")), next(item for item in walk(str(tmp_path / "shop")) if isinstance(item, Node)))
        with pytest.raises(FileTreeError, match="zstd failed with exit code 3: zstd: out of memory"):
            writer.close()


def write_index(path: Path, records: list[dict[str, Any]]) -> str:
    with open(path, "wb") as handle:
        writer = IndexWriter(handle)
        for record in records:
            writer.add(record)
        _size, digest = writer.close()
    return digest


FILE_RECORD = {"path": "a.php", "type": "file", "size": 3, "mode": 0o644, "mtime": 1.5, "mtime_ns": 1500000001, "uid": 0, "gid": 0, "sha256": "0" * 64}


def test_the_index_round_trips_and_checks_its_own_sha256(tmp_path: Path) -> None:
    records = [{"path": "a", "type": "dir", "size": 0, "mode": 0o755, "mtime": 2.0, "uid": 1, "gid": 1},
               dict(FILE_RECORD, path="a/b.php"), {"path": "l", "type": "link", "size": 4, "mode": 0o777, "mtime": 3.0, "target": "a/b.php"}]
    digest = write_index(tmp_path / "index.jsonl.gz", records)
    entries = read_index(str(tmp_path / "index.jsonl.gz"), digest)
    assert list(entries) == ["a", "a/b.php", "l"]
    assert entries["a/b.php"].mtime_ns == 1500000001 and entries["a"].mtime_ns == 2000000000
    assert entries["l"].target == "a/b.php"
    with pytest.raises(FileTreeError, match="sha256 differs from the manifest"):
        read_index(str(tmp_path / "index.jsonl.gz"), "f" * 64)


def test_the_same_entries_give_the_same_index_bytes(tmp_path: Path) -> None:
    assert write_index(tmp_path / "one.gz", [FILE_RECORD]) == write_index(tmp_path / "two.gz", [FILE_RECORD])


@pytest.mark.parametrize("record, message", [
    (dict(FILE_RECORD, path="../etc/passwd"), "unsafe or invalid path"),
    (dict(FILE_RECORD, path="/etc/passwd"), "unsafe or invalid path"),
    (dict(FILE_RECORD, type="fifo"), "unknown type"),
    (dict(FILE_RECORD, sha256=None), "needs its size and sha256"),
    (dict(FILE_RECORD, mode=-1), "invalid mode"),
    ({"path": "l", "type": "link", "size": 0, "mode": 511, "mtime": 1.0}, "needs its target"),
])
def test_malformed_index_lines_are_refused_with_their_line(record: dict[str, Any], message: str) -> None:
    with pytest.raises(FileTreeError, match=message):
        entry_from_record(record, "index.jsonl.gz line 7")


def test_a_truncated_index_is_an_error(tmp_path: Path) -> None:
    write_index(tmp_path / "index.jsonl.gz", [dict(FILE_RECORD, path=f"f{number}") for number in range(2000)])
    data = (tmp_path / "index.jsonl.gz").read_bytes()
    (tmp_path / "index.jsonl.gz").write_bytes(data[:len(data) // 2])
    with pytest.raises(FileTreeError, match="truncated or corrupt|not JSON"):
        read_index(str(tmp_path / "index.jsonl.gz"))


def test_a_path_listed_twice_is_an_error(tmp_path: Path) -> None:
    write_index(tmp_path / "index.jsonl.gz", [FILE_RECORD, FILE_RECORD])
    with pytest.raises(FileTreeError, match="line 2: a.php listed twice"):
        read_index(str(tmp_path / "index.jsonl.gz"))


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_a_truncated_archive_cannot_be_read_to_the_end(tmp_path: Path, compression: str) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    for number in range(20):
        (root / f"f{number}.bin").write_bytes(os.urandom(30000))
    archive_tree(root, tmp_path / "archive", compression)
    data = (tmp_path / "archive").read_bytes()
    (tmp_path / "archive").write_bytes(data[:len(data) // 2])
    with pytest.raises(FileTreeError):
        tar_members(tmp_path / "archive", compression)


# --- restoring ------------------------------------------------------------------------------------------------------


def test_a_restored_file_replaces_the_old_one_only_when_its_content_checks(tmp_path: Path) -> None:
    destination = tmp_path / "config.php"
    destination.write_bytes(b"old")
    entry = IndexEntry("config.php", "file", 3, 0o640, 1_600_000_000_000_000_000, sha256=hashlib.sha256(b"new").hexdigest())

    def refuse(_digest: Any) -> None:
        raise FileTreeError("bad content")
    with pytest.raises(FileTreeError, match="bad content"):
        write_restored_file(str(destination), io.BytesIO(b"new"), entry, None, refuse)
    assert destination.read_bytes() == b"old" and os.listdir(tmp_path) == ["config.php"], "no temporary file left"
    write_restored_file(str(destination), io.BytesIO(b"new"), entry, None, lambda digest: None)
    info = destination.stat()
    assert destination.read_bytes() == b"new" and stat.S_IMODE(info.st_mode) == 0o640 and info.st_mtime_ns == 1_600_000_000_000_000_000


def test_a_short_member_is_refused(tmp_path: Path) -> None:
    entry = IndexEntry("a", "file", 10, 0o644, None, sha256="0" * 64)
    with pytest.raises(FileTreeError, match="3 bytes in the archive, 10 in the index"):
        write_restored_file(str(tmp_path / "a"), io.BytesIO(b"abc"), entry, None)
    assert os.listdir(tmp_path) == []


def test_emptying_a_cache_keeps_its_index_php_dotfiles_and_protected_entries(tmp_path: Path) -> None:
    cache = tmp_path / "var/cache"
    for relative in ("index.php", ".htaccess", "prod/appParameters.php", "prod/sub/x", "dev/y", "keep/me"):
        (cache / relative).parent.mkdir(parents=True, exist_ok=True)
        (cache / relative).write_text("x")
    removed = clear_cache_dir(str(cache), rules("/var/cache/keep"), "var/cache")
    assert removed == ["var/cache/dev", "var/cache/prod"]
    assert sorted(os.listdir(cache)) == [".htaccess", "index.php", "keep"]


# --- the official module's zips ---------------------------------------------------------------------------------------


def test_an_official_zip_reads_as_an_index(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "backup.zip", "w") as archive:
        windows = zipfile.ZipInfo("classes/Cart.php")
        windows.create_system, windows.external_attr = 0, 0
        archive.writestr(windows, b"<?php cart")
        member = zipfile.ZipInfo("bin/console", date_time=(2024, 5, 1, 10, 0, 0))
        member.create_system, member.external_attr = 3, (stat.S_IFREG | 0o755) << 16
        archive.writestr(member, b"#!/usr/bin/env php")
        archive.writestr("img/", b"")
    entries, names = zip_index(str(tmp_path / "backup.zip"))
    assert list(entries) == ["classes", "classes/Cart.php", "bin", "bin/console", "img"]
    assert entries["classes/Cart.php"].crc32 == zipfile.ZipFile(tmp_path / "backup.zip").getinfo("classes/Cart.php").CRC
    assert entries["classes/Cart.php"].mode is None and entries["bin/console"].mode == 0o755
    assert entries["img"].type == "dir" and names["bin/console"] == "bin/console"


def test_a_zip_member_outside_the_root_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "evil.zip", "w") as archive:
        archive.writestr("../../etc/cron.d/x", b"evil")
    with pytest.raises(FileTreeError, match="points outside the shop root"):
        zip_index(str(tmp_path / "evil.zip"))


def test_a_truncated_zip_is_refused(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "backup.zip", "w") as archive:
        archive.writestr("a.php", os.urandom(5000))
    data = (tmp_path / "backup.zip").read_bytes()
    (tmp_path / "backup.zip").write_bytes(data[:3000])
    with pytest.raises(FileTreeError, match="not a readable zip"):
        zip_index(str(tmp_path / "backup.zip"))


def test_the_index_writer_output_is_json_lines(tmp_path: Path) -> None:
    write_index(tmp_path / "i.gz", [FILE_RECORD])
    assert json.loads(gzip.decompress((tmp_path / "i.gz").read_bytes()).splitlines()[0]) == FILE_RECORD


class FullDisk(io.RawIOBase):
    """A file that fills up after `room` bytes."""

    def __init__(self, room: int) -> None:
        super().__init__()
        self.room = room

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if len(data) > self.room:
            raise OSError(28, "No space left on device")
        self.room -= len(data)
        return len(data)


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_a_full_disk_is_one_clear_error_whatever_the_compression(tmp_path: Path, compression: str) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    for number in range(40):
        (root / f"f{number}.bin").write_bytes(os.urandom(100_000))
    writer = ArchiveWriter(FullDisk(500_000), compression, 1, ZSTD)  # type: ignore[arg-type]
    with pytest.raises(FileTreeError, match="writing the archive failed: No space left on device"):
        for item in walk(str(root)):
            writer.add(str(root), item)  # type: ignore[arg-type]
        writer.close()
    writer.abort()
