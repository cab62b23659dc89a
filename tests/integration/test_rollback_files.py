# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""rollback_files through Ansible: backup → change the shop → roll back gives back every file, mode and link; kills,
bad backups and the official module's zips."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import COLLECTIONS_PATH, REPO_ROOT, run_module
from harness.shoptree import write_shop_tree

ADMIN = "admin417qwzkeprxhtyvm"
BIG = "download/catalogue-video.mp4"
BIG_SIZE = 60 << 20
MODULE = REPO_ROOT / "plugins/modules/rollback_files.py"
CACHES = ("var/cache",)


def snapshot(root: Path, skip: tuple[str, ...] = CACHES, mtimes: bool = True) -> dict[str, tuple[Any, ...]]:
    """Every path under root: type, mode, mtime and sha256 (files) or target (links); the caches the rollback empties aside."""
    state: dict[str, tuple[Any, ...]] = {}
    for current, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(current, name)
            relative = path.relative_to(root).as_posix()
            if relative.startswith(skip):
                continue
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                state[relative] = ("link", os.readlink(path))
            elif stat.S_ISDIR(info.st_mode):
                state[relative] = ("dir", stat.S_IMODE(info.st_mode), info.st_mtime_ns if mtimes else None)
            else:
                state[relative] = ("file", stat.S_IMODE(info.st_mode), info.st_mtime_ns if mtimes else None, _sha256(path))
    return state


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_shop(root: Path) -> Path:
    write_shop_tree(root, "8.1.5", admin_dir=ADMIN)
    (root / "download").mkdir(exist_ok=True)
    with open(root / BIG, "wb") as handle:
        handle.write(os.urandom(1 << 20))
        handle.truncate(BIG_SIZE)
    (root / "themes/current").symlink_to("classic")
    os.chmod(root / "bin/console", 0o750) if (root / "bin/console").exists() else None
    for number in range(300):
        (root / f"upload/order-{number:03d}.txt").parent.mkdir(exist_ok=True)
        (root / f"upload/order-{number:03d}.txt").write_text(f"order {number}\n" * 20)
    return root


@pytest.fixture
def backed_up(tmp_path: Path) -> dict[str, Any]:
    root = build_shop(tmp_path / "shop")
    args = {"shop_root": str(root), "workspace": str(tmp_path / "ws"), "name": "before-upgrade"}
    result = run_module("backup_files", args)
    assert result["changed"] is True, result.get("msg")
    return {"root": root, "args": args, "original": snapshot(root), "backup": Path(result["path"])}


def upgrade_like_changes(root: Path) -> None:
    """What a failed upgrade leaves: edits, new and removed files, modes, links, a new folder, a file turned folder."""
    (root / "src/Core/Version.php").write_text("<?php\nfinal class Version\n{\n    public const VERSION = '8.1.7';\n")
    (root / "app/config/parameters.php").write_text("<?php return ['parameters' => ['database_host' => 'changed']];\n")
    (root / "classes/NewCore.php").write_text("<?php class NewCore {}\n")
    (root / "modules/ps_newmodule/views").mkdir(parents=True)
    (root / "modules/ps_newmodule/ps_newmodule.php").write_text("<?php\n")
    (root / "modules/ps_newmodule/views/a.tpl").write_text("{* tpl *}\n")
    (root / BIG).unlink()
    os.chmod(root / "index.php", 0o600)
    (root / "themes/current").unlink()
    (root / "themes/current").symlink_to("/etc")
    (root / "robots.txt").unlink()
    (root / "robots.txt").mkdir()
    (root / "robots.txt/inside.txt").write_text("x")
    (root / "var/cache/prod/appParameters.php").write_text("<?php // a cache of the upgraded shop\n")
    for number in range(0, 300, 2):
        with open(root / f"upload/order-{number:03d}.txt", "a") as handle:
            handle.write("upgraded\n")


def test_a_rollback_gives_back_every_file_mode_and_link_and_its_rerun_changes_nothing(backed_up: dict[str, Any]) -> None:
    root, args = backed_up["root"], backed_up["args"]
    upgrade_like_changes(root)
    changed = snapshot(root, skip=())

    checked = run_module("rollback_files", args, check=True, diff=True)
    assert snapshot(root, skip=()) == changed, "check mode changes nothing"
    assert not (Path(args["workspace"]) / os.listdir(args["workspace"])[0] / "journals").exists()
    assert checked["changed"] is True and checked["verified"] == "archive"
    assert checked["counts"]["files"] == 154 and checked["counts"]["links"] == 1
    assert {"modules/ps_newmodule", "classes/NewCore.php", "robots.txt"} <= set(checked["deleted"])
    assert {BIG, "src/Core/Version.php", "app/config/parameters.php", "robots.txt", "themes/current"} <= set(checked["restored"])
    assert "index.php" in checked["metadata"]
    assert checked["cache_cleared"] == ["var/cache/prod"]
    assert f"{BIG}: file {BIG_SIZE} bytes" in checked["diff"]["after"] and "classes/NewCore.php: file" in checked["diff"]["before"]

    restored = run_module("rollback_files", args)
    assert restored["changed"] is True and restored["resumed"] is False, restored.get("msg")
    assert snapshot(root) == backed_up["original"], "checksum, mode and presence of every path as backed up"
    assert sorted(os.listdir(root / "var/cache")) == ["index.php"], "caches emptied, their index.php kept"

    again = run_module("rollback_files", args)
    assert again["changed"] is False and again["counts"]["files"] == 0 and again["cache_cleared"] == []


def run_directly(args: dict[str, Any], workdir: Path, kill_at: str) -> int:
    """The module as Ansible runs it, killed at a named point (SHOPFLEET_TEST_KILL_AT), without ansible-playbook's start-up."""
    args_file = workdir / f"args-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_PATH), SHOPFLEET_TEST_KILL_AT=kill_at)
    return subprocess.run([sys.executable, str(MODULE), str(args_file)], env=env, capture_output=True, timeout=120, check=False).returncode


def test_a_rollback_killed_midway_is_completed_by_the_next_run(backed_up: dict[str, Any], tmp_path: Path) -> None:
    root, args = backed_up["root"], backed_up["args"]
    upgrade_like_changes(root)

    assert run_directly(args, tmp_path, "restore-delete:3") == -signal.SIGKILL
    journal = next(Path(args["workspace"]).glob("*/journals/rollback_files.json"))
    assert json.loads(journal.read_text())["backup"] == "before-upgrade"
    assert run_directly(args, tmp_path, "restore-file:60") == -signal.SIGKILL
    halfway = snapshot(root)
    assert halfway != backed_up["original"] and journal.exists()

    resumed = run_module("rollback_files", args)
    assert resumed["changed"] is True and resumed["resumed"] is True, resumed.get("msg")
    assert any("interrupted rollback" in warning for warning in resumed.get("warnings", []))
    assert snapshot(root) == backed_up["original"], "same end state as an uninterrupted run"
    assert not journal.exists() and os.listdir(root / "var/cache") == ["index.php"]
    assert run_module("rollback_files", args)["changed"] is False


def corrupt_archive(backup: Path) -> None:
    archive = backup / "files/archive.tar.zst"
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    archive.write_bytes(bytes(data))


def truncate_archive(backup: Path) -> None:
    archive = backup / "files/archive.tar.zst"
    os.truncate(archive, archive.stat().st_size // 2)


def tamper_manifest(backup: Path) -> None:
    manifest = json.loads((backup / "files/manifest.json").read_text())
    manifest["archive"]["sha256"] = manifest["contents"][0]["sha256"] = "0" * 64
    (backup / "files/manifest.json").write_text(json.dumps(manifest))


def tamper_index(backup: Path) -> None:
    index = backup / "files/index.jsonl.gz"
    data = bytearray(index.read_bytes())
    data[len(data) // 2] ^= 0x01
    index.write_bytes(bytes(data))


def remove_manifest(backup: Path) -> None:
    (backup / "files/manifest.json").unlink()


DAMAGES = [
    (corrupt_archive, "archive.tar.zst sha256 differs from the manifest"),
    (truncate_archive, "archive.tar.zst: "),
    (tamper_manifest, "sha256 differs from the manifest"),
    (tamper_index, "index.jsonl.gz"),
    (remove_manifest, "no manifest.json (the backup did not finish)"),
]


def test_a_bad_backup_fails_with_one_line_before_anything_changes(backed_up: dict[str, Any], tmp_path: Path) -> None:
    root, args, backup = backed_up["root"], backed_up["args"], backed_up["backup"]
    pristine = tmp_path / "pristine"
    shutil.copytree(backup, pristine)
    upgrade_like_changes(root)
    before = snapshot(root, skip=())
    for damage, message in DAMAGES:
        damage(backup)
        result = run_module("rollback_files", args)
        assert result["failed"] is True and message in result["msg"], (damage.__name__, result["msg"])
        assert "\n" not in result["msg"] and "Traceback" not in result.output
        assert snapshot(root, skip=()) == before, f"{damage.__name__}: verified before changing, nothing restored half-way"
        shutil.rmtree(backup)
        shutil.copytree(pristine, backup)


def test_a_missing_backup_fails_with_one_line(backed_up: dict[str, Any]) -> None:
    result = run_module("rollback_files", dict(backed_up["args"], name="V8.1.5_20240101-000000-deadbeef"))
    assert result["failed"] is True and result["msg"].startswith("no files backup named 'V8.1.5_20240101-000000-deadbeef'")


def official_zip(root: Path, name: str) -> Path:
    """A backup as the official module makes it: root-relative paths, its exclusions, no file of 15 MiB or more."""
    folder = root / ADMIN / "autoupgrade/backup"
    folder.mkdir(parents=True, exist_ok=True)
    destination = folder / f"auto-backupfiles_{name}.zip"
    with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
        for current, dirs, files in os.walk(root):
            relative_dir = Path(current).relative_to(root).as_posix()
            dirs[:] = sorted(name for name in dirs if f"{relative_dir}/{name}".lstrip("./") not in
                             ("var/cache", "img/tmp", f"{ADMIN}/autoupgrade", "modules/autoupgrade", "app/cache"))
            for file_name in sorted(files):
                path = Path(current, file_name)
                if not path.is_symlink() and path.stat().st_size < 15 << 20:
                    archive.write(path, path.relative_to(root).as_posix())
    return destination


def test_the_official_modules_zip_restores_and_keeps_the_big_files_it_never_saved(tmp_path: Path) -> None:
    root = build_shop(tmp_path / "shop")
    name = "V8.1.5_20240501-101500-3a526a86"
    official_zip(root, name)
    # A zip keeps times to 2 seconds and no folder times: contents, modes and presence are compared.
    original = snapshot(root, skip=CACHES + (f"{ADMIN}/autoupgrade",), mtimes=False)
    (root / "classes/Cart.php").write_text("<?php // upgraded cart\n")
    (root / "classes/Extra.php").write_text("<?php\n")
    (root / "config/defines.inc.php").unlink()
    args = {"shop_root": str(root), "workspace": str(tmp_path / "ws"), "name": name}

    result = run_module("rollback_files", args)
    assert result["changed"] is True and result["backup"]["source"] == "autoupgrade", result.get("msg")
    assert result["verified"] == "zip" and result["backup"]["version"] == "8.1.5"
    assert {"path": BIG, "reason": "absent from the official zip, which never holds files of 15 MiB or more"} in result["kept"]
    assert {"path": "themes/current", "reason": "symlink (the official zip does not record links)"} in result["kept"]
    assert set(result["restored"]) == {"classes/Cart.php", "config/defines.inc.php"} and result["deleted"] == ["classes/Extra.php"]
    assert snapshot(root, skip=CACHES + (f"{ADMIN}/autoupgrade",), mtimes=False) == original
    assert run_module("rollback_files", args)["changed"] is False
