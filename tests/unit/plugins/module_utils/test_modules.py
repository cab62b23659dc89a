# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module upgrades: script selection and order, sources, plans, copies, the disable/re-enable snapshot, the runner's report."""

from __future__ import annotations

import hashlib
import os
import zipfile
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._module_runner import RUNNER_SOURCE, parse_report, runner_job
from ansible_collections.shopfleet.prestashop.plugins.module_utils._modules import (
    ModuleUpgradeError,
    copy_module_files,
    custom_module_names,
    extract_module_zip,
    files_to_copy,
    merge_sources,
    plan_disable,
    plan_module,
    plan_modules,
    plan_reenable,
    release_sources,
    select_upgrade_scripts,
    upgrade_function,
    upgrade_script_versions,
    url_sources,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import HttpSettings


def write_module(root: Path, name: str, version: str, scripts: tuple[str, ...] = (), extra: dict[str, str] | None = None) -> Path:
    folder = root / name
    (folder / "upgrade").mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.php").write_text(f"<?php class {name} extends Module {{ function __construct() {{ $this->version = '{version}'; }} }}\n")
    (folder / "config.xml").write_text(f"<module><name>{name}</name><version><![CDATA[{version}]]></version></module>\n")
    for script in scripts:
        (folder / "upgrade" / f"upgrade-{script}.php").write_text(f"<?php function {upgrade_function(script)}($module) {{ return true; }}\n")
    for relative, text in (extra or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return folder


def test_scripts_above_the_database_version_up_to_the_new_one_in_version_compare_order() -> None:
    available = ["1.10.0", "1.9.0", "1.2.0", "2.0.0", "1.4.2", "1.5.0-beta", "2.0.1", "1.4.10"]

    assert select_upgrade_scripts(available, "1.4.2", "2.0.0") == ["1.4.10", "1.5.0-beta", "1.9.0", "1.10.0", "2.0.0"]
    assert select_upgrade_scripts(available, "2.0.1", "2.0.1") == []
    assert upgrade_function("1.5.0") == "upgrade_module_1_5_0"


def test_script_versions_come_from_upgrade_file_names_only(tmp_path: Path) -> None:
    folder = write_module(tmp_path, "demo", "1.2.0", scripts=("1.1.0", "1.2.0"), extra={"upgrade/index.php": "<?php\n", "upgrade/install-1.0.php": ""})

    assert sorted(upgrade_script_versions(str(folder))) == ["1.1.0", "1.2.0"]
    assert upgrade_script_versions(str(tmp_path / "missing")) == []


def test_a_newer_source_replaces_the_files_and_the_main_class_is_copied_last(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    write_module(shop / "modules", "demo", "1.0.0", scripts=("1.0.0",), extra={"views/a.css": "old"})
    source = write_module(tmp_path / "release" / "modules", "demo", "1.2.0", scripts=("1.0.0", "1.1.0", "1.2.0"), extra={"views/a.css": "new"})

    entry = plan_module({"name": "demo", "version": "1.0.0"}, str(shop), {"path": str(source), "version": "1.2.0", "origin": "release"})

    assert entry["version_new"] == "1.2.0" and entry["source"] == "release" and entry["record_version"] is True
    assert entry["scripts"] == ["1.1.0", "1.2.0"]
    assert entry["files"][-2:] == ["config.xml", "demo.php"] and "views/a.css" in entry["files"] and "upgrade/upgrade-1.0.0.php" not in entry["files"]


def test_files_newer_than_the_source_are_kept_and_a_database_ahead_of_the_files_is_left_alone(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    write_module(shop / "modules", "demo", "2.0.0")
    source = write_module(tmp_path / "release" / "modules", "demo", "1.2.0")

    kept = plan_module({"name": "demo", "version": "2.0.0"}, str(shop), {"path": str(source), "version": "1.2.0", "origin": "release"})
    ahead = plan_module({"name": "demo", "version": "3.0.0"}, str(shop), None)
    missing = plan_module({"name": "gone", "version": "1.0.0"}, str(shop), None)

    assert kept["files"] == [] and kept["record_version"] is False and "newer than release" in kept["warnings"][0]
    assert ahead["record_version"] is False and "newer than its files" in ahead["warnings"][0]
    assert missing["record_version"] is False and "missing" in missing["warnings"][0]


def test_the_plan_skips_autoupgrade_modules_with_nothing_to_do_and_honours_only_and_exclude(tmp_path: Path) -> None:
    shop = tmp_path / "shop"
    for name, version in (("autoupgrade", "6.0.0"), ("same", "1.0.0"), ("behind", "1.1.0"), ("other", "1.1.0")):
        write_module(shop / "modules", name, version)
    installed = [{"name": name, "version": "1.0.0"} for name in ("autoupgrade", "same", "behind", "other")]

    assert [entry["name"] for entry in plan_modules(installed, str(shop), {})] == ["behind", "other"]
    assert [entry["name"] for entry in plan_modules(installed, str(shop), {}, only=["behind", "same"])] == ["behind"]
    assert [entry["name"] for entry in plan_modules(installed, str(shop), {}, exclude=["behind"])] == ["other"]


def test_the_highest_version_wins_between_sources(tmp_path: Path) -> None:
    release = {"demo": {"version": "1.2.0", "origin": "release", "path": "a"}, "other": {"version": "1.0.0", "origin": "release", "path": "b"}}
    zips = {"demo": {"version": "1.10.0", "origin": "zip:demo.zip", "path": "c"}, "other": {"version": "1.0.0", "origin": "zip:other.zip", "path": "d"}}

    merged = merge_sources(release, zips)

    assert merged["demo"]["origin"] == "zip:demo.zip" and merged["other"]["origin"] == "release"


def test_release_sources_need_a_modules_folder(tmp_path: Path) -> None:
    write_module(tmp_path / "release" / "modules", "demo", "1.2.0")

    assert release_sources(str(tmp_path / "release"))["demo"]["version"] == "1.2.0"
    with pytest.raises(ModuleUpgradeError, match="no modules/ folder"):
        release_sources(str(tmp_path))


@pytest.mark.parametrize("members, message", [
    ({"demo/../../escape.php": "x"}, "unsafe path"),
    ({"/etc/demo.php": "x"}, "unsafe path"),
    ({"demo/demo.php": "x", "other/other.php": "x"}, "exactly one top folder"),
    ({"de mo/demo.php": "x"}, "is not a module name"),
])
def test_hostile_zips_are_refused_before_anything_is_written(tmp_path: Path, members: dict[str, str], message: str) -> None:
    archive_path = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)

    with pytest.raises(ModuleUpgradeError, match=message):
        extract_module_zip(str(archive_path), str(tmp_path / "staging"))
    assert not (tmp_path / "staging").exists()


def test_a_corrupt_zip_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "demo.zip").write_bytes(b"PK\x03\x04 truncated")

    with pytest.raises(ModuleUpgradeError, match="demo.zip: not a readable zip"):
        extract_module_zip(str(tmp_path / "demo.zip"), str(tmp_path / "staging"))


def test_copies_keep_the_mode_of_existing_files_and_a_rerun_finds_nothing_to_copy(tmp_path: Path) -> None:
    target = write_module(tmp_path / "shop", "demo", "1.0.0", extra={"views/a.css": "old"})
    os.chmod(target / "views" / "a.css", 0o640)
    source = write_module(tmp_path / "release", "demo", "1.1.0", extra={"views/a.css": "new", "views/b.css": "added"})

    relatives = files_to_copy(str(source), str(target), "demo")
    copy_module_files(str(source), str(target), relatives)

    assert (target / "views" / "a.css").read_text() == "new" and (target / "views" / "b.css").read_text() == "added"
    assert os.stat(target / "views" / "a.css").st_mode & 0o777 == 0o640
    assert files_to_copy(str(source), str(target), "demo") == []
    assert not [name for name in os.listdir(target / "views") if ".part-" in name]


def rows(id_module: int, active: int, shops: list[int]) -> dict:
    return {"module": {"id_module": id_module, "name": f"m{id_module}", "active": active, "version": "1.0.0"},
            "module_shop": [{"id_module": id_module, "id_shop": shop, "enable_device": 7} for shop in shops]}


def test_disabling_extends_the_snapshot_and_keeps_the_first_saved_state() -> None:
    current = {"a": rows(1, 1, [1, 2]), "b": rows(2, 0, []), "c": rows(3, 1, [1])}
    snapshot = {"modules": {"c": {**rows(3, 1, [1, 2]), "reason": "custom module"}}}

    plan = plan_disable(current, snapshot, "custom module")

    assert plan["disable"] == ["a", "c"]
    assert plan["modules"]["a"]["module_shop"] == current["a"]["module_shop"] and plan["modules"]["a"]["reason"] == "custom module"
    assert plan["modules"]["c"]["module_shop"] == snapshot["modules"]["c"]["module_shop"] and "b" not in plan["modules"]


def test_reenabling_restores_what_differs_and_reports_uninstalled_modules() -> None:
    snapshot = {"modules": {"a": rows(1, 1, [1, 2]), "b": rows(2, 1, [1]), "c": rows(3, 1, [1])}}
    current = {"a": rows(1, 0, []), "b": rows(2, 1, [1]), "c": rows(9, 0, [])}

    assert plan_reenable(current, snapshot) == {"restore": ["a"], "gone": ["c"]}


def test_custom_modules_are_those_the_release_does_not_ship() -> None:
    installed = [{"name": name} for name in ("ps_linklist", "mymodule", "autoupgrade", "legacyblock")]

    assert custom_module_names(installed, {"ps_linklist"}) == ["legacyblock", "mymodule"]


def test_the_runner_report_is_found_after_what_scripts_printed() -> None:
    stdout = 'noise\n@@shopfleet-module-runner@@{"ok": false, "scripts_run": ["1.0.5"], "error": "boom", "output": "x"}\n'

    report = parse_report(stdout, "", 0)
    crashed = parse_report("", "PHP Parse error: syntax error in upgrade-1.1.0.php on line 3\n", 255)

    assert report["scripts_run"] == ["1.0.5"] and report["error"] == "boom" and report["output"] == "noise\nx"
    assert crashed["ok"] is False and "php exited with 255" in crashed["error"] and "syntax error" in crashed["error"]


def test_the_runner_job_names_each_script_and_its_function() -> None:
    job = runner_job("/srv/shop", "admin123", "demo", ["1.1.0", "1.2.0"])

    assert job["scripts"][1] == {"version": "1.2.0", "function": "upgrade_module_1_2_0", "file": "/srv/shop/modules/demo/upgrade/upgrade-1.2.0.php"}
    assert "@@shopfleet-module-runner@@" in RUNNER_SOURCE and "upgradeModuleVersion" in RUNNER_SOURCE


def zip_of(folder: Path, zip_path: Path) -> Path:
    with zipfile.ZipFile(zip_path, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder.parent).as_posix())
    return zip_path


def test_url_sources_download_check_and_extract_module_zips(tmp_path: Path) -> None:
    from harness.httpserver import HttpServer

    served = tmp_path / "served"
    served.mkdir()
    zip_of(write_module(tmp_path / "build", "demo", "1.3.0", scripts=("1.3.0",)), served / "demo-1.3.0.zip")
    digest = hashlib.sha256((served / "demo-1.3.0.zip").read_bytes()).hexdigest()
    settings = HttpSettings(timeout=10)

    with HttpServer(served) as server:
        sources = url_sources({"demo": {"url": server.url("demo-1.3.0.zip"), "sha256": digest}}, str(tmp_path / "staging"), settings)
        with pytest.raises(ModuleUpgradeError, match="is not the expected"):
            url_sources({"demo": {"url": server.url("demo-1.3.0.zip"), "sha256": "0" * 64}}, str(tmp_path / "staging2"), settings)
        with pytest.raises(ModuleUpgradeError, match="holds module 'demo', not 'other'"):
            url_sources({"other": server.url("demo-1.3.0.zip")}, str(tmp_path / "staging3"), settings)
        with pytest.raises(ModuleUpgradeError, match="HTTP 404"):
            url_sources({"demo": server.url("missing.zip")}, str(tmp_path / "staging4"), settings)

    assert sources["demo"]["version"] == "1.3.0" and sources["demo"]["origin"].startswith("url:http://127.0.0.1:")
    assert upgrade_script_versions(sources["demo"]["path"]) == ["1.3.0"]
