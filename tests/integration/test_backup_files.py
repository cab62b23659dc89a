# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""backup_files through Ansible on a synthetic shop tree: check mode, the archive, reruns, exclusions, kills."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import read_component
from ansible_collections.shopfleet.prestashop.plugins.module_utils._filetree import read_index
from harness.ansible import COLLECTIONS_PATH, REPO_ROOT, run_module
from harness.shoptree import write_shop_tree

ADMIN = "admin417qwzkeprxhtyvm"
BIG = "download/catalogue-video.mp4"
BIG_SIZE = 60 << 20
MODULE = REPO_ROOT / "plugins/modules/backup_files.py"


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """An 8.1 shop tree with a 60 MiB file (sparse: fast), a symlink, a fifo and leftovers of the official module."""
    root = tmp_path / "shop"
    write_shop_tree(root, "8.1.5", admin_dir=ADMIN)
    (root / "download").mkdir(exist_ok=True)
    with open(root / BIG, "wb") as handle:
        handle.write(os.urandom(1 << 20))
        handle.truncate(BIG_SIZE)
    (root / "themes/current").symlink_to("classic")
    (root / "themes/outside").symlink_to("/etc")
    os.mkfifo(root / "var/import.fifo")
    (root / ADMIN / "autoupgrade/backup").mkdir(parents=True)
    (root / ADMIN / "autoupgrade/backup/auto-backupfiles_V8.1.4_20240101-000000-abcd.zip").write_bytes(b"official zip")
    return root


def walked_files(root: Path, left_out: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for current, dirs, files in os.walk(root):
        dirs[:] = [name for name in dirs if Path(current, name).relative_to(root).as_posix() not in left_out]
        for name in files:
            path = Path(current, name)
            if stat.S_ISREG(path.lstat().st_mode):
                found[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def test_check_mode_estimates_then_the_backup_holds_every_file_then_the_rerun_changes_nothing(shop: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    args = {"shop_root": str(shop), "workspace": str(workspace), "name": "before-upgrade"}

    checked = run_module("backup_files", args, check=True)
    assert not workspace.exists(), "check mode writes nothing, not even the workspace"
    assert checked["changed"] is True and checked["estimated"] is True
    excluded = {item["path"]: item["rule"] for item in checked["excluded"]}
    assert {path: rule for path, rule in excluded.items() if path not in ("cache/cachefs", "cache/smarty/cache", "cache/smarty/compile",
                                                                          "cache/tcpdf", "app/cache")} == {
        f"{ADMIN}/autoupgrade": f"/{ADMIN}/autoupgrade", "img/tmp": "/img/tmp", "var/cache": "/var/cache", "var/import.fifo": None}
    expected = walked_files(shop, tuple(excluded))
    assert checked["totals"]["files"] == len(expected) and checked["totals"]["bytes"] >= BIG_SIZE

    result = run_module("backup_files", args)
    assert result["changed"] is True and result["compression"] == "zstd", result.get("msg")
    assert {key: result["totals"][key] for key in ("files", "links")} == {"files": len(expected), "links": 2}
    component = read_component(result["path"], "files")
    assert component.complete, component.problems
    index = read_index(os.path.join(result["component_path"], "index.jsonl.gz"), component.manifest["index"]["sha256"])
    assert {path: item.sha256 for path, item in index.items() if item.type == "file"} == expected
    assert index[BIG].size == BIG_SIZE, "no size limit: the 60 MiB file is in"
    assert (index["themes/current"].type, index["themes/current"].target) == ("link", "classic")
    assert (index["themes/outside"].type, index["themes/outside"].target) == ("link", "/etc")
    listing = subprocess.run(f"zstd -dc {result['component_path']}/archive.tar.zst | tar -t", shell=True, capture_output=True, text=True, check=True)
    assert [line.rstrip("/") for line in listing.stdout.splitlines()] == list(index), "tar reads it; archive order is index order"
    assert not any(line.startswith("themes/outside/") for line in listing.stdout.splitlines()), "links are never followed"
    for current, dirs, files in os.walk(result["path"]):
        assert all(stat.S_IMODE(os.stat(os.path.join(current, name)).st_mode) == 0o700 for name in dirs)
        assert all(stat.S_IMODE(os.stat(os.path.join(current, name)).st_mode) == 0o600 for name in files)
    assert component.manifest["excluded"]["paths"] == result["excluded"]

    again = run_module("backup_files", args)
    assert again["changed"] is False and again["archive"] == result["archive"]


def test_options_leave_out_what_the_user_says_and_list_it(shop: Path, tmp_path: Path) -> None:
    (shop / "modules/ps_facetedsearch/.git").mkdir(parents=True)
    (shop / "modules/ps_facetedsearch/.git/HEAD").write_text("ref: refs/heads/main\n")
    args = {"shop_root": str(shop), "workspace": str(tmp_path / "ws"), "name": "lean", "keep_images": False,
            "exclude": ["/**/.git", "/var/logs/*.log", "/{admin}/filemanager"], "compression": "gzip"}
    result = run_module("backup_files", args)
    assert result["changed"] is True, result.get("msg")
    excluded = {item["path"]: (item["rule"], item["reason"]) for item in result["excluded"]}
    assert excluded["img"] == ("/img", "keep_images=false")
    assert excluded["modules/ps_facetedsearch/.git"] == ("/**/.git", "exclude")
    assert excluded["var/logs/prod-2024-05-01.log"] == ("/var/logs/*.log", "exclude")
    assert excluded[f"{ADMIN}/filemanager"] == (f"/{ADMIN}/filemanager", "exclude")
    index = read_index(os.path.join(result["component_path"], "index.jsonl.gz"))
    assert not any(path.startswith(("img/", "var/logs/prod")) or "/.git" in path for path in index)
    assert result["archive"]["file"] == "archive.tar.gz"


def test_a_backup_folder_inside_the_shop_is_left_out_with_a_warning(shop: Path) -> None:
    result = run_module("backup_files", {"shop_root": str(shop), "backup_dir": str(shop / "backups"), "name": "inside"})
    assert result["changed"] is True, result.get("msg")
    assert {"path": "backups", "type": "dir", "rule": "/backups", "reason": "backup folder inside the shop"} in result["excluded"]
    assert any("inside the shop's web root" in warning for warning in result.get("warnings", []))


def test_failures_are_one_clear_line(shop: Path, tmp_path: Path) -> None:
    missing = run_module("backup_files", {"shop_root": str(tmp_path / "nowhere"), "workspace": str(tmp_path / "ws")})
    assert missing["failed"] is True and missing["msg"] == f"{tmp_path / 'nowhere'} does not exist or is not a directory"
    bad_rule = run_module("backup_files", {"shop_root": str(shop), "workspace": str(tmp_path / "ws"), "exclude": ["/var/../etc"]})
    assert bad_rule["failed"] is True and bad_rule["msg"].startswith("invalid rule '/var/../etc'")
    assert "Traceback" not in missing.output + bad_rule.output and not (tmp_path / "ws").exists()


# --- kills ----------------------------------------------------------------------------------------------------------


def run_directly(args: dict[str, Any], workdir: Path, kill_at: str | None = None, kill_after: float | None = None) -> int:
    """The module as Ansible runs it (a Python process reading its arguments), without ansible-playbook's start-up."""
    args_file = workdir / f"args-{time.monotonic_ns()}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS_PATH))
    if kill_at:
        env["SHOPFLEET_TEST_KILL_AT"] = kill_at
    process = subprocess.Popen([sys.executable, str(MODULE), str(args_file)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if kill_after is not None:
        time.sleep(kill_after)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
    return process.wait(timeout=120)


def test_a_backup_killed_at_any_moment_is_never_complete_and_the_rerun_completes_it(shop: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    reference = run_module("backup_files", {"shop_root": str(shop), "workspace": str(workspace), "name": "reference", "compression": "gzip"})
    entries = reference["totals"]["files"] + reference["totals"]["dirs"] + reference["totals"]["links"]
    args = {"shop_root": str(shop), "workspace": str(workspace), "name": "killed", "compression": "gzip"}
    rng = random.Random(5)
    points = ["backup-entry:1", f"backup-entry:{rng.randrange(2, entries)}", f"backup-entry:{entries}", "backup-before-manifest:1"]
    for point in points:
        assert run_directly(args, tmp_path, kill_at=point) == -signal.SIGKILL, point
        component = read_component(reference["path"].replace("reference", "killed"), "files")
        assert not component.complete, f"killed at {point}, yet complete"
    for delay in (0.3, 0.45, 0.6):
        code = run_directly(args, tmp_path, kill_after=delay)
        component = read_component(reference["path"].replace("reference", "killed"), "files")
        assert component.complete == (code == 0), f"exit code {code} after {delay}s: {component.problems}"
        if component.complete:
            shutil.rmtree(component.path)
    assert run_directly(args, tmp_path, kill_at="backup-entry:5") == -signal.SIGKILL

    rerun = run_module("backup_files", args)
    assert rerun["changed"] is True and read_component(rerun["path"], "files").complete
    assert any("unfinished files component" in warning for warning in rerun.get("warnings", []))
    redone = read_index(os.path.join(rerun["component_path"], "index.jsonl.gz"))
    assert redone == read_index(os.path.join(reference["component_path"], "index.jsonl.gz")), "same content as an uninterrupted backup"
