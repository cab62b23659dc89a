# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_db's pure parts: where migrations come from, the plan, the files it removes after the migrations."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pymysql
import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._migrations import MigrationError, new_journal
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace
from ansible_collections.shopfleet.prestashop.plugins.module_utils._dbupgrade import (
    MigrationFailed,
    Migrator,
    build_plan,
    clear_caches,
    describe_plan,
    extract_scripts,
    locate_migrations,
    remove_obsolete_files,
    schema_update,
    upgrade_folder,
)

SQL = "SET NAMES 'utf8mb4';\nINSERT INTO `PREFIX_t` VALUES ('DB_NAME');\n/* PHP:f('a'); */;\n"


def write(path: Path, text: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def upgrade_tree(base: Path, names: tuple[str, ...] = ("8.1.5", "8.1.7", "8.1.7-catchup")) -> Path:
    for name in names:
        write(base / "sql" / f"{name}.sql", SQL)
    write(base / "php" / "f.php", "<?php function f($a) { return true; }")
    return base


def params(migrations: Path | None, install_dir: Path | None = None) -> dict[str, object]:
    return {"migrations": str(migrations) if migrations else None, "install_dir": str(install_dir) if install_dir else None}


def test_finds_the_upgrade_folder_in_a_module_a_parent_or_a_release_tree(tmp_path: Path) -> None:
    upgrade_tree(tmp_path / "autoupgrade" / "upgrade")
    upgrade_tree(tmp_path / "release" / "install" / "upgrade")
    assert upgrade_folder(str(tmp_path / "autoupgrade" / "upgrade")) == str(tmp_path / "autoupgrade" / "upgrade")
    assert upgrade_folder(str(tmp_path / "autoupgrade")) == str(tmp_path / "autoupgrade" / "upgrade")
    assert upgrade_folder(str(tmp_path / "release")) == str(tmp_path / "release" / "install" / "upgrade")
    assert upgrade_folder(str(tmp_path)) is None


def test_a_release_tree_also_gives_its_install_folder(tmp_path: Path) -> None:
    upgrade_tree(tmp_path / "release" / "install" / "upgrade")
    write(tmp_path / "release" / "install" / "install_version.php", "<?php")
    workspace = Workspace.for_shop(str(tmp_path / "shop"), str(tmp_path / "ws"))
    located = locate_migrations(params(tmp_path / "release"), workspace, "1.7.8.11", str(tmp_path / "tmp"))
    assert located["upgrade_dir"] == str(tmp_path / "release" / "install" / "upgrade")
    assert located["install_dir"] == str(tmp_path / "release" / "install")


def test_defaults_to_the_release_unzipped_in_the_workspace(tmp_path: Path) -> None:
    workspace = Workspace.for_shop(str(tmp_path / "shop"), str(tmp_path / "ws"))
    with pytest.raises(MigrationError, match="set migrations"):
        locate_migrations(params(None), workspace, "1.7.8.11", str(tmp_path / "tmp"))
    upgrade_tree(Path(workspace.root) / "releases" / "1.7.8.11" / "release" / "install" / "upgrade")
    located = locate_migrations(params(None), workspace, "1.7.8.11", str(tmp_path / "tmp"))
    assert located["upgrade_dir"].endswith("releases/1.7.8.11/release/install/upgrade")
    assert located["install_dir"].endswith("releases/1.7.8.11/release/install")


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_extracts_only_the_scripts_of_an_archive(tmp_path: Path, kind: str) -> None:
    source = upgrade_tree(tmp_path / "src" / "autoupgrade" / "upgrade")
    write(tmp_path / "src" / "autoupgrade" / "classes" / "sql" / "unrelated.txt", "x")
    write(tmp_path / "src" / "autoupgrade" / "tests" / "fixtures" / "upgrade" / "sql" / "1.0.sql", "deep copy, ignored")
    archive = tmp_path / f"module.{kind}"
    files = [path for path in sorted((tmp_path / "src").rglob("*")) if path.is_file()]
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as bundle:
            for path in files:
                bundle.write(path, path.relative_to(tmp_path / "src").as_posix())
    else:
        with tarfile.open(archive, "w:gz") as bundle:
            bundle.add(tmp_path / "src" / "autoupgrade", arcname="./autoupgrade")
    upgrade = Path(extract_scripts(str(archive), str(tmp_path / "out")))
    assert sorted(path.relative_to(upgrade).as_posix() for path in upgrade.rglob("*") if path.is_file()) == \
        sorted(path.relative_to(source).as_posix() for path in source.rglob("*") if path.is_file())


def test_refuses_archives_without_scripts_or_with_unsafe_paths(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as bundle:
        bundle.writestr("readme.txt", "nothing")
    with pytest.raises(MigrationError, match="no sql/"):
        extract_scripts(str(empty), str(tmp_path / "a"))
    hostile = tmp_path / "hostile.tar"
    with tarfile.open(hostile, "w") as bundle:
        data = b"DROP DATABASE x;\n"
        info = tarfile.TarInfo("../sql/8.1.7.sql")
        info.size = len(data)
        bundle.addfile(info, io.BytesIO(data))
    with pytest.raises(MigrationError, match="unsafe path"):
        extract_scripts(str(hostile), str(tmp_path / "b"))
    with pytest.raises(MigrationError, match="neither a folder"):
        extract_scripts(str(write(tmp_path / "plain.txt", "x")), str(tmp_path / "c"))


def test_the_plan_resumes_where_the_journal_says(tmp_path: Path) -> None:
    upgrade = upgrade_tree(tmp_path / "upgrade")
    journal = new_journal("8.1.5", "8.1.7", ["8.1.7", "8.1.7-catchup"])
    journal["applied"]["8.1.7"] = 2
    plan = build_plan(str(upgrade), "8.1.5", "8.1.7", "ps_", "InnoDB", "shop", journal)
    described = describe_plan(plan, with_pending=True)
    assert [(row["name"], row["statements"], row["callbacks"], row["already_applied"]) for row in described] == [
        ("8.1.7", 3, 1, 2), ("8.1.7-catchup", 3, 1, 0)]
    assert described[0]["pending"] == ["/* PHP:f('a'); */"]
    assert described[1]["pending"][1] == "INSERT INTO `ps_t` VALUES ('shop')"
    assert "pending" not in describe_plan(plan, with_pending=False)[0]


def test_after_the_migrations_caches_are_emptied_and_obsolete_lists_removed(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    for relative in ("var/cache/prod/class_index.php", "var/cache/prod/Container.php", "var/cache/index.php", "cache/smarty/compile/x.tpl.php",
                     "cache/smarty/compile/index.php", "config/xml/modules_list.xml", "config/xml/themes.xml", "admin1/themes/default/template/"
                     "controllers/modules/header.tpl", "cache/class_index.php"):
        write(root / relative, "x")
    removed = remove_obsolete_files(str(root), "admin1")
    assert sorted(removed) == ["admin1/themes/default/template/controllers/modules/header.tpl", "cache/class_index.php",
                               "config/xml/modules_list.xml", "var/cache/prod/class_index.php"]
    assert clear_caches(str(root)) == 2
    assert sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file()) == [
        "cache/smarty/compile/index.php", "config/xml/themes.xml", "var/cache/index.php"]
    assert remove_obsolete_files(str(root), "admin1") == [] and clear_caches(str(root)) == 0


# --- the migrator with a fake connection ----------------------------------------------------------------------------


class FakeCursor:
    def __init__(self, log: list[str], failures: dict[str, tuple[int, str]]) -> None:
        self.log = log
        self.failures = failures

    def __enter__(self) -> "FakeCursor":
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, statement: str) -> None:
        self.log.append(statement)
        if statement in self.failures:
            raise pymysql.err.OperationalError(*self.failures[statement])

    def fetchall(self) -> tuple:
        return ()


class FakeConnection:
    def __init__(self, failures: dict[str, tuple[int, str]] | None = None) -> None:
        self.log: list[str] = []
        self.failures = failures or {}

    def cursor(self) -> FakeCursor:
        return FakeCursor(self.log, self.failures)


def migrator(tmp_path: Path, connection: FakeConnection, applied: int = 0) -> tuple[Migrator, list[dict[str, object]], dict[str, object]]:
    upgrade = write(tmp_path / "upgrade" / "sql" / "8.1.7.sql",
                    "SET SESSION sql_mode = '';\nINSERT INTO `PREFIX_a` VALUES (1);\n"
                    "CREATE TABLE `PREFIX_b` (\n id INT\n);\nALTER TABLE `PREFIX_c` ADD d INT;\n")
    journal = new_journal("8.1.5", "8.1.7", ["8.1.7"])
    journal["applied"]["8.1.7"] = applied
    plan = build_plan(str(upgrade.parent.parent), "8.1.5", "8.1.7", "ps_", "InnoDB", "shop", journal)
    module = SimpleNamespace(params={"callback_errors": "fail"})
    return Migrator(module, connection, "ps_", None, journal, str(tmp_path / "journal.json")), plan, journal  # type: ignore[arg-type]


def test_statements_run_with_prestashops_session_and_a_drop_before_create(tmp_path: Path) -> None:
    connection = FakeConnection()
    runner, plan, journal = migrator(tmp_path, connection)
    runner.run(plan, str(tmp_path / "upgrade"))
    assert connection.log == ["SET NAMES utf8mb4", "SET SESSION sql_mode = ''", "SET SESSION sql_mode = ''", "INSERT INTO `ps_a` VALUES (1)",
                              "DROP TABLE IF EXISTS `ps_b`;", "CREATE TABLE `ps_b` (\n id INT\n)", "ALTER TABLE `ps_c` ADD d INT"]
    assert journal["applied"] == {"8.1.7": 4} and json.loads((tmp_path / "journal.json").read_text())["applied"] == {"8.1.7": 4}


def test_a_resumed_file_replays_its_session_settings_then_starts_at_the_journal(tmp_path: Path) -> None:
    connection = FakeConnection()
    runner, plan, _journal = migrator(tmp_path, connection, applied=2)
    runner.run(plan, str(tmp_path / "upgrade"))
    assert connection.log[2:] == ["SET SESSION sql_mode = ''", "DROP TABLE IF EXISTS `ps_b`;", "CREATE TABLE `ps_b` (\n id INT\n)",
                                  "ALTER TABLE `ps_c` ADD d INT"]


def test_tolerated_errors_are_warnings_and_others_stop_with_the_place(tmp_path: Path) -> None:
    connection = FakeConnection({"ALTER TABLE `ps_c` ADD d INT": (1060, "Duplicate column name 'd'")})
    runner, plan, journal = migrator(tmp_path, connection)
    runner.run(plan, str(tmp_path / "upgrade"))
    assert [(w["index"], w["code"]) for w in journal["warnings"]] == [(3, 1060)] and journal["applied"] == {"8.1.7": 4}

    connection = FakeConnection({"INSERT INTO `ps_a` VALUES (1)": (1146, "Table 'shop.ps_a' doesn't exist")})
    runner, plan, journal = migrator(tmp_path / "again", connection)
    with pytest.raises(MigrationFailed, match=r"migration 8\.1\.7\.sql, statement 2, failed: SQL error 1146: .*doesn't exist"):
        runner.run(plan, str(tmp_path / "upgrade"))
    assert journal["applied"] == {"8.1.7": 1} and journal["failure"]["index"] == 1
    assert json.loads((tmp_path / "again" / "journal.json").read_text())["failure"]["statement"] == "INSERT INTO `ps_a` VALUES (1)"


class FakeModule:
    def __init__(self, code: int) -> None:
        self.params = {"php": "php"}
        self.code = code
        self.commands: list[tuple[list[str], str]] = []
        self.warnings: list[str] = []

    def run_command(self, command: list[str], cwd: str) -> tuple[int, str, str]:
        self.commands.append((command, cwd))
        return self.code, "", "Doctrine said no" if self.code else ""

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def test_the_doctrine_schema_update_runs_the_shops_console_and_only_warns_when_it_fails(tmp_path: Path) -> None:
    module = FakeModule(0)
    assert schema_update(module, str(tmp_path)) == "skipped" and "has no bin/console" in module.warnings[0]  # type: ignore[arg-type]
    write(tmp_path / "bin" / "console", "#!/usr/bin/env php")
    assert schema_update(module, str(tmp_path)) == "done"  # type: ignore[arg-type]
    assert module.commands == [(["php", "bin/console", "prestashop:schema:update-without-foreign", "--env=prod", "--no-interaction"], str(tmp_path))]
    failing = FakeModule(1)
    assert schema_update(failing, str(tmp_path)) == "failed"  # type: ignore[arg-type]
    assert "Doctrine said no" in failing.warnings[0] and f"retry with: cd {tmp_path} && php bin/console" in failing.warnings[0]
