# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import (
    DB_FORMAT,
    FILES_FORMAT,
    BackupError,
    check_component,
    describe_problems,
    read_component,
    require_complete,
    verify_component,
    write_component_manifest,
)

NAME = "V8.1.5_20240102-030405-abcdef12"


def make_files_component(backup: Path, name: str = NAME, payload: bytes = b"archive bytes" * 100) -> Path:
    folder = backup / "files"
    folder.mkdir(parents=True)
    (folder / "archive.tar.gz").write_bytes(payload)
    (folder / "index.jsonl.gz").write_bytes(b"index")
    write_component_manifest(str(folder), {
        "format": FILES_FORMAT, "name": name, "archive": {"file": "archive.tar.gz", "compression": "gz"},
        "index": {"file": "index.jsonl.gz", "entries": 1},
    })
    return folder


def make_db_component(backup: Path) -> Path:
    folder = backup / "db"
    (folder / "parts").mkdir(parents=True)
    (folder / "0001-ps_a.sql.gz").write_bytes(b"part a")
    (folder / "parts" / "0002-ps_b.sql.gz").write_bytes(b"part b")
    write_component_manifest(str(folder), {
        "format": DB_FORMAT,
        "tables": [{"name": "ps_a", "parts": [{"file": "0001-ps_a.sql.gz", "rows": 1}]},
                   {"name": "ps_b", "parts": [{"file": "parts/0002-ps_b.sql.gz", "rows": 1}]}],
    })
    return folder


def manifest_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text())


def rewrite_manifest(folder: Path, **changes: Any) -> None:
    manifest = manifest_of(folder)
    manifest.update(changes)
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def backup(tmp_path: Path) -> Path:
    return tmp_path / NAME


def test_a_written_component_is_complete_and_lists_size_and_sha256_of_every_data_file(backup: Path) -> None:
    folder = make_files_component(backup)
    component = read_component(str(backup), "files")
    assert component.complete and component.problems == []
    assert component.manifest is not None and component.manifest["name"] == NAME and "completed" in component.manifest
    archive = (folder / "archive.tar.gz").read_bytes()
    assert component.contents[0] == {"file": "archive.tar.gz", "bytes": len(archive), "sha256": hashlib.sha256(archive).hexdigest()}
    assert component.bytes == len(archive) + len(b"index")
    assert oct(os.stat(folder / "manifest.json").st_mode & 0o777) == "0o600"


def test_db_component_lists_parts_in_subfolders_and_name_defaults_to_the_backup_folder(backup: Path) -> None:
    make_db_component(backup)
    component = require_complete(str(backup), "db", deep=True)
    assert [entry["file"] for entry in component.contents] == ["0001-ps_a.sql.gz", "parts/0002-ps_b.sql.gz"]
    assert component.manifest is not None and component.manifest["name"] == NAME


def test_writer_supplied_checksums_are_kept_and_sizes_come_from_disk(backup: Path) -> None:
    folder = backup / "db"
    folder.mkdir(parents=True)
    (folder / "0001-ps_a.sql.gz").write_bytes(b"part a")
    digest = hashlib.sha256(b"part a").hexdigest()
    write_component_manifest(str(folder), {"format": DB_FORMAT, "contents": [{"file": "0001-ps_a.sql.gz", "sha256": digest}],
                                           "tables": [{"name": "ps_a", "parts": [{"file": "0001-ps_a.sql.gz", "sha256": digest, "bytes": 6}]}]})
    assert read_component(str(backup), "db").contents == [{"file": "0001-ps_a.sql.gz", "bytes": 6, "sha256": digest}]


def test_missing_component_or_manifest_is_incomplete(backup: Path) -> None:
    assert read_component(str(backup), "files").problems == [f"no files component ({backup}/files is missing)"]
    (backup / "files").mkdir(parents=True)
    (backup / "files" / "archive.tar.gz").write_bytes(b"x")
    component = read_component(str(backup), "files")
    assert not component.complete and component.problems == ["no manifest.json (the backup did not finish)"]


@pytest.mark.parametrize("damage, expected", [
    (lambda folder: (folder / "archive.tar.gz").unlink(), "archive.tar.gz: missing"),
    (lambda folder: (folder / "stray.bin").write_bytes(b"?"), "stray.bin: not listed in manifest.json"),
    (lambda folder: (folder / "archive.tar.gz").rename(folder / "archive.tar.zst"), "archive.tar.zst: not listed in manifest.json"),
    (lambda folder: (folder / "archive.tar.gz").write_bytes(b"short"), "archive.tar.gz: 5 bytes on disk, 1300 in the manifest (truncated)"),
    (lambda folder: (folder / "archive.tar.gz.part-1234abcd").write_bytes(b"half"), "unfinished write left archive.tar.gz.part-1234abcd"),
    (lambda folder: rewrite_manifest(folder, format="shopfleet.backup.files/9"),
     "manifest.json has format 'shopfleet.backup.files/9', expected 'shopfleet.backup.files/1'"),
    (lambda folder: rewrite_manifest(folder, name="V1.7.8.0_20200101-000000-0"),
     "manifest.json names backup 'V1.7.8.0_20200101-000000-0' but sits in 'V8.1.5_20240102-030405-abcdef12' (renamed or copied)"),
    (lambda folder: (folder / "manifest.json").write_text('{"format": "shopfleet.ba'), "manifest.json does not parse (truncated or altered)"),
    (lambda folder: (folder / "manifest.json").write_text("[]"), "manifest.json is not a JSON object"),
    (lambda folder: rewrite_manifest(folder, contents="everything"), "manifest.json has no contents list"),
    (lambda folder: rewrite_manifest(folder, contents=manifest_of(folder)["contents"][:1]), "index.jsonl.gz: not listed in manifest.json"),
    (lambda folder: rewrite_manifest(folder, contents=manifest_of(folder)["contents"] + [{"file": "../etc/passwd", "bytes": 1, "sha256": "0" * 64}]),
     "manifest.json has an invalid contents entry"),
])
def test_shallow_check_names_what_makes_a_component_unusable(backup: Path, damage: Any, expected: str) -> None:
    folder = make_files_component(backup)
    damage(folder)
    component = read_component(str(backup), "files")
    assert not component.complete
    assert any(problem.startswith(expected) for problem in component.problems), component.problems


def test_a_manifest_that_forgets_its_archive_or_parts_is_incomplete(backup: Path) -> None:
    folder = make_files_component(backup)
    rewrite_manifest(folder, archive={"file": "other.tar.gz"})
    assert "other.tar.gz: named by manifest.json but not in its contents" in read_component(str(backup), "files").problems
    db = make_db_component(backup)
    rewrite_manifest(db, tables=[{"name": "ps_a"}])
    assert not read_component(str(backup), "db").complete


def test_deep_verify_catches_a_flipped_byte_that_the_shallow_check_cannot_see(backup: Path) -> None:
    folder = make_files_component(backup)
    data = bytearray((folder / "archive.tar.gz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / "archive.tar.gz").write_bytes(bytes(data))
    assert read_component(str(backup), "files").complete
    assert verify_component(read_component(str(backup), "files")) == ["archive.tar.gz: sha256 differs from the manifest (file altered or corrupt)"]
    assert not check_component(str(backup), "files", deep=True).complete
    with pytest.raises(BackupError, match=r"^backup 'V8.1.5_20240102-030405-abcdef12': files component is not usable: archive.tar.gz: sha256 differs"):
        require_complete(str(backup), "files", deep=True)


def test_tampered_manifest_checksum_is_caught_by_deep_verify(backup: Path) -> None:
    folder = make_files_component(backup)
    manifest = manifest_of(folder)
    manifest["contents"][0]["sha256"] = "f" * 64
    manifest["archive"] = {"file": "archive.tar.gz"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert require_complete(str(backup), "files").complete
    with pytest.raises(BackupError, match="sha256 differs"):
        require_complete(str(backup), "files", deep=True)


def test_require_complete_is_one_line_even_with_many_problems(backup: Path) -> None:
    folder = make_files_component(backup)
    for number in range(10):
        (folder / f"stray{number}").write_bytes(b"")
    with pytest.raises(BackupError) as raised:
        require_complete(str(backup), "files")
    assert "\n" not in str(raised.value) and str(raised.value).endswith("; and 5 more")


def test_writing_a_manifest_refuses_leftovers_unknown_formats_and_missing_files(backup: Path) -> None:
    folder = backup / "files"
    folder.mkdir(parents=True)
    with pytest.raises(BackupError, match="cannot write a manifest with format None"):
        write_component_manifest(str(folder), {})
    (folder / "archive.tar.gz.part-0a0b0c0d").write_bytes(b"")
    with pytest.raises(BackupError, match="still holds unfinished files"):
        write_component_manifest(str(folder), {"format": FILES_FORMAT})
    (folder / "archive.tar.gz.part-0a0b0c0d").unlink()
    with pytest.raises(BackupError, match="cannot list .*absent.tar.gz in the manifest"):
        write_component_manifest(str(folder), {"format": FILES_FORMAT, "contents": ["absent.tar.gz"]})
    with pytest.raises(BackupError, match="refusing to write an invalid manifest.*archive.file"):
        write_component_manifest(str(folder), {"format": FILES_FORMAT})
    assert not (folder / "manifest.json").exists()


def test_describe_problems_keeps_short_lists_whole() -> None:
    assert describe_problems(["a", "b"]) == "a; b"


# --- the official module's backups ------------------------------------------------------------------------------

OFFICIAL = "V8.1.5_20240102-030405-0a1b2c3d"


def make_official_backup(folder: Path, name: str = OFFICIAL, parts: tuple[str, ...] = ("gz", "bz2", "")) -> Path:
    import bz2
    import gzip
    import zipfile

    (folder / name).mkdir(parents=True)
    with zipfile.ZipFile(folder / f"auto-backupfiles_{name}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("index.php", "<?php // shop\n" * 200)
        archive.writestr("img/p/1.jpg", os.urandom(2000))
    writers = {"gz": gzip.compress, "bz2": bz2.compress, "": lambda data: data}
    for number, compression in enumerate(parts, start=1):
        suffix = f".{compression}" if compression else ""
        data = f"SET NAMES 'utf8';\nINSERT INTO `ps_a` VALUES ({number});\n".encode() * 500
        (folder / name / f"auto-backupdb_{number:06d}_{name}.sql{suffix}").write_bytes(writers[compression](data))
    return folder


def test_official_backup_with_zip_and_numbered_parts_is_complete_and_verifies(tmp_path: Path) -> None:
    from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import check_official_backup, list_official_backups

    folder = make_official_backup(tmp_path)
    assert list_official_backups(str(folder)) == [OFFICIAL]
    backup = check_official_backup(str(folder), OFFICIAL, deep=True)
    assert backup.complete, backup.problems
    assert [os.path.basename(part)[:20] for part in backup.parts] == ["auto-backupdb_000001", "auto-backupdb_000002", "auto-backupdb_000003"]
    assert backup.bytes > 2000


@pytest.mark.parametrize("damage, expected, deep_only", [
    (lambda folder: (folder / f"auto-backupfiles_{OFFICIAL}.zip").unlink(), f"no auto-backupfiles_{OFFICIAL}.zip", False),
    (lambda folder: [part.unlink() for part in (folder / OFFICIAL).iterdir()], "no auto-backupdb_NNNNNN_", False),
    (lambda folder: (folder / OFFICIAL / f"auto-backupdb_000002_{OFFICIAL}.sql.bz2").unlink(), "database part(s) 000002 missing", False),
    (lambda folder: truncate(folder / f"auto-backupfiles_{OFFICIAL}.zip", 100), f"auto-backupfiles_{OFFICIAL}.zip is not a readable zip", False),
    (lambda folder: truncate(folder / OFFICIAL / f"auto-backupdb_000001_{OFFICIAL}.sql.gz", 40),
     f"auto-backupdb_000001_{OFFICIAL}.sql.gz: truncated", True),
    (lambda folder: truncate(folder / OFFICIAL / f"auto-backupdb_000002_{OFFICIAL}.sql.bz2", 60),
     f"auto-backupdb_000002_{OFFICIAL}.sql.bz2: truncated (no bzip2 end-of-stream marker)", False),
    (lambda folder: (folder / OFFICIAL / f"auto-backupdb_000001_{OFFICIAL}.sql.gz").write_bytes(b"plain text"), "auto-backupdb_000001_", False),
    (lambda folder: flip_zip_member_byte(folder / f"auto-backupfiles_{OFFICIAL}.zip"),
     f"auto-backupfiles_{OFFICIAL}.zip: member index.php fails its CRC check", True),
])
def test_official_backup_problems_are_named(tmp_path: Path, damage: Any, expected: str, deep_only: bool) -> None:
    from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import check_official_backup, require_official_backup

    folder = make_official_backup(tmp_path)
    damage(folder)
    assert check_official_backup(str(folder), OFFICIAL).complete is deep_only
    backup = check_official_backup(str(folder), OFFICIAL, deep=True)
    assert not backup.complete and any(problem.startswith(expected) for problem in backup.problems), backup.problems
    with pytest.raises(BackupError, match=f"^official backup '{OFFICIAL}' is not usable: "):
        require_official_backup(str(folder), OFFICIAL, deep=True)


def truncate(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


def flip_zip_member_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    position = data.index(b"index.php") + len("index.php") + 5  # inside the first member's compressed data
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))
