# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""release_unzip through Ansible: both release layouts, the admin rename, idempotence, and hostile archives."""

from __future__ import annotations

import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

from harness.ansible import run_module, run_playbook
from harness.release import build_release, build_release_tree
from harness.shoptree import write_shop_tree

VERSION = "8.1.7"


def unzip(archive: Path, check: bool = False, **options: Any) -> dict[str, Any]:
    return run_module("release_unzip", {"archive": str(archive), **options}, check=check)


def files_under(folder: Path) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.rglob("*")} if folder.exists() else set()


def zip_entry(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (2024, 1, 1, 0, 0, 0))
    info.create_system = 3
    info.external_attr = mode << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def nested_zip(path: Path, entries: list[tuple[str, int, bytes]]) -> Path:
    """A 1.7+ shaped zip whose inner prestashop.zip holds the given (name, mode, content) entries."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        for name, mode, content in entries:
            archive.writestr(zip_entry(name, mode), content)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zip_entry("index.php", 0o100644), b"<?php\n")
        archive.writestr(zip_entry("prestashop.zip", 0o100644), inner.getvalue())
    return path


RELEASE_BASICS = [("index.php", 0o100644, b"<?php\n"), ("config/defines.inc.php", 0o100644, b"<?php\n"),
                  ("classes/index.php", 0o100644, b"<?php\n"), ("controllers/index.php", 0o100644, b"<?php\n")]


def test_unpacks_a_release_for_a_shop_renaming_its_admin_folder(tmp_path: Path) -> None:
    release = build_release(tmp_path / "rel", VERSION)
    shop = write_shop_tree(tmp_path / "shop", VERSION, admin_dir="admin7x9k")
    workspace = tmp_path / "ws"
    args = {"shop_root": str(shop.root), "workspace": str(workspace)}

    predicted = unzip(release.zip_path, check=True, **args)
    assert predicted["changed"] is True and predicted["renamed"] == [["admin", "admin7x9k"]]
    assert predicted["version"] == VERSION and predicted["layout"] == "nested" and Path(predicted["dest"]).name == "release"
    assert not workspace.exists()

    done = unzip(release.zip_path, **args)
    dest = Path(done["dest"])
    assert done["changed"] is True and done["renamed"] == [["admin", "admin7x9k"]] and done["files"] == predicted["files"]
    assert dest == Path(predicted["dest"]) and dest.parent.name == VERSION
    expected = {path.replace("admin/", "admin7x9k/", 1) if path.startswith("admin/") else path for path in files_under(release.tree)}
    assert files_under(dest) - {".shopfleet-release.json"} == {"admin7x9k" if path == "admin" else path for path in expected}
    assert not (dest / "Install_PrestaShop.html").exists() and not (dest / "prestashop.zip").exists()
    assert (dest / "bin/console").stat().st_mode & 0o111 and stat.S_IMODE((dest / "index.php").stat().st_mode) == 0o644
    marker = json.loads((dest / ".shopfleet-release.json").read_text())
    assert marker["archive_sha256"] == done["archive_sha256"] and marker["admin_dir"] == "admin7x9k"
    assert [path.name for path in dest.parent.iterdir()] == ["release"], "no staging folder or inner zip left behind"

    again = unzip(release.zip_path, **args)
    assert again["changed"] is False and again["dest"] == done["dest"] and again["files"] == done["files"]
    assert unzip(release.zip_path, check=True, version=VERSION, **args)["changed"] is False
    inside = unzip(release.zip_path, shop_root=str(shop.root), dest=str(shop.root / "upgrade"))
    assert inside["failed"] is True and inside["msg"] == f"{shop.root / 'upgrade'} overlaps the shop {shop.root}: unpack the release outside it"


def test_a_1_6_zip_is_unpacked_from_its_prestashop_folder(tmp_path: Path) -> None:
    tree = build_release_tree(tmp_path / "tree", "1.6.1.24")
    archive = tmp_path / "prestashop_1.6.1.24.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                name = path.relative_to(tree).as_posix().replace("install/", "install-dev/", 1)
                handle.write(path, "prestashop/" + name)
    dest = tmp_path / "out" / "release"
    done = unzip(archive, dest=str(dest), version="1.6.1.24")
    assert done["changed"] is True and done["layout"] == "folder" and done["version"] == "1.6.1.24"
    assert done["renamed"] == [["install-dev", "install"]] and (dest / "admin/index.php").is_file()
    assert (dest / "install/install_version.php").is_file() and not (dest / "prestashop").exists()


def test_a_different_archive_or_leftovers_of_a_killed_run_are_replaced(tmp_path: Path) -> None:
    first = build_release(tmp_path / "a", "8.1.6")
    second = build_release(tmp_path / "b", VERSION)
    dest = tmp_path / "out" / "release"
    assert unzip(first.zip_path, dest=str(dest))["version"] == "8.1.6"
    staging = tmp_path / "out" / "release.part-dead"
    (staging / "config").mkdir(parents=True)
    (staging / "index.php").write_text("half")
    replaced = unzip(second.zip_path, dest=str(dest))
    assert replaced["changed"] is True and replaced["version"] == VERSION
    assert [path.name for path in (tmp_path / "out").iterdir()] == ["release"]
    assert json.loads((dest / ".shopfleet-release.json").read_text())["version"] == VERSION

    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "index.php").write_text("<?php // someone's")
    refused = unzip(second.zip_path, dest=str(tmp_path / "precious"))
    assert refused["failed"] is True and refused["msg"] == f"{tmp_path / 'precious'} holds files that release_unzip did not unpack: move them away"
    assert (tmp_path / "precious" / "index.php").read_text() == "<?php // someone's"

    wrong = unzip(second.zip_path, dest=str(tmp_path / "other"), version="8.1.6")
    assert wrong["failed"] is True and wrong["msg"] == f"{second.zip_path} holds PrestaShop {VERSION}, not 8.1.6"
    assert not (tmp_path / "other").exists()


ZIP_BOMB = [("big.sql", 0o100644, bytes(40 << 20))]
HOSTILE = {
    "zip-slip": ([("../../evil.php", 0o100644, b"<?php evil();")], "refusing the unsafe path '../../evil.php'"),
    "absolute path": ([("/tmp/shopfleet-evil.php", 0o100644, b"<?php evil();")], "refusing the unsafe path '/tmp/shopfleet-evil.php'"),
    "symlink escape": ([("up", 0o120777, b"../../.."), ("up/evil.php", 0o100644, b"<?php evil();")], "lies below the link 'up'"),
    "link out": ([("passwd", 0o120777, b"../../../../../../etc/passwd")], "leads outside the release"),
    "absolute link": ([("passwd", 0o120777, b"/etc/passwd")], "leads outside the release"),
    "zip bomb": (ZIP_BOMB, "refusing a possible zip bomb"),
    "device": ([("null", 0o020666, b"")], "a special file"),
}


def unzip_each(archives: dict[str, Path], dest_of: dict[str, Path], workdir: Path, check: bool) -> dict[str, dict[str, Any]]:
    """One ansible-playbook run unpacking every archive (a loop), results keyed like `archives`."""
    names = sorted(archives)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "vars.json").write_text(json.dumps({"items": [{"archive": str(archives[name]), "dest": str(dest_of[name])} for name in names],
                                                   "result_file": str(workdir / "results.json")}))
    playbook = workdir / "playbook.yml"
    playbook.write_text("""\
- name: Unpack hostile archives
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The module under test
      shopfleet.prestashop.release_unzip:
        archive: "{{ item.archive }}"
        dest: "{{ item.dest }}"
        max_entries: 1000
      loop: "{{ items }}"
      register: unpacked
      ignore_errors: true

    - name: Keep the results
      ansible.builtin.copy:
        content: "{{ unpacked.results | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
      check_mode: false
""")
    completed = run_playbook(playbook, check=check, extra_vars_file=workdir / "vars.json", workdir=workdir)
    results_file = workdir / "results.json"
    assert results_file.exists(), completed.stdout + completed.stderr
    return dict(zip(names, json.loads(results_file.read_text())))


def test_hostile_archives_are_refused_with_nothing_written(tmp_path: Path) -> None:
    archives = {kind: nested_zip(tmp_path / f"evil-{index}.zip", RELEASE_BASICS + entries) for index, (kind, (entries, _message)) in enumerate(HOSTILE.items())}
    workspace = tmp_path / "ws" / "deep"
    dest_of = {kind: workspace / f"release-{index}" for index, kind in enumerate(sorted(HOSTILE))}
    workspace.mkdir(parents=True)
    before = files_under(tmp_path)
    for check in (True, False):
        results = unzip_each(archives, dest_of, tmp_path / f"run-{check}", check)
        for kind, (_entries, message) in HOSTILE.items():
            assert results[kind]["failed"] is True and message in results[kind]["msg"], (kind, results[kind]["msg"])
    assert files_under(workspace) == set(), "no release, staging folder or inner zip copy left"
    assert {path for path in files_under(tmp_path) - before if not path.startswith(("run-True", "run-False"))} == set()
    assert not Path("/tmp/shopfleet-evil.php").exists()


def test_limits_are_options(tmp_path: Path) -> None:
    archive = nested_zip(tmp_path / "many.zip", RELEASE_BASICS + [(f"f{index}.txt", 0o100644, b"x") for index in range(20)])
    many = unzip(archive, dest=str(tmp_path / "out"), max_entries=10)
    assert many["failed"] is True and many["msg"] == "many.zip/prestashop.zip holds 24 entries, more than the limit of 10"
    big = unzip(archive, dest=str(tmp_path / "out"), max_bytes=40)
    assert big["failed"] is True and "expands to more than 40 bytes (the limit)" in big["msg"]
    not_a_release = unzip(nested_zip(tmp_path / "bare.zip", [("README", 0o100644, b"hi")]), dest=str(tmp_path / "out"))
    assert not_a_release["failed"] is True and not_a_release["msg"].endswith("is not a PrestaShop release: it has no index.php, "
                                                                             "config/defines.inc.php, classes, controllers")
    assert not (tmp_path / "out").exists()
