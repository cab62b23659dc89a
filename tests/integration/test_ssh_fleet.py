# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The collection against shop hosts reached over real SSH, as an unprivileged deploy user, pipelining on and off.

Two "machines" (a private sshd on 127.0.0.2 and 127.0.0.3), shops owned by `shopdeploy` in its home, their
databases on the harness's MariaDB over TCP (its unix socket is in root's private test folder: a deploy user cannot
reach it, like a database on another machine). The controller runs from a copy of the collection that the deploy
user cannot read, so a module that needed a file of the collection at run time would fail here.
"""

from __future__ import annotations

import hashlib
import json
import pwd
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.ansible import REPO_ROOT, run_playbook
from harness.httpserver import HttpServer
from harness.release import MIGRATION_VERSIONS, build_migrations, build_release, build_release_tree
from harness.served import add_catalogue, free_port, php_server
from harness.shopdb import table_checksums
from harness.sshfleet import SshFleet, chown_tree, controller_collection, files_not_private, run_module_over_ssh, sshd_missing_reason

# Each test is several ansible-playbook runs over SSH.
pytestmark = pytest.mark.slow

PIPELINING = [pytest.param(True, id="pipelining"), pytest.param(False, id="no-pipelining")]
# Each test runs in one mode, the two modes alternating over the steps: what differs between them is how a module
# reaches the host (a file put over sftp then run, or python's stdin), the same for every module.
PIPELINING_ON = pytest.mark.parametrize("controller", [True], ids=["pipelining"], indirect=True)
PIPELINING_OFF = pytest.mark.parametrize("controller", [False], ids=["no-pipelining"], indirect=True)
BACKUP = "V8.1.5_20261121-120000-0123abcd"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshFleet]:
    reason = sshd_missing_reason()
    if reason:
        pytest.skip(f"no SSH fleet on this machine: {reason}")
    with SshFleet(tmp_path_factory.mktemp("sshd"), machines=2) as running:
        yield running


@pytest.fixture(scope="module")
def collections(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The controller's copy of the collection, in root's private test folder."""
    return controller_collection(tmp_path_factory.mktemp("controller"))


@pytest.fixture
def host_dir(fleet: SshFleet, request: pytest.FixtureRequest) -> Path:
    """This test's folder on the shop hosts: in the deploy user's home, owned by it."""
    folder = fleet.home / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)[:80]
    folder.mkdir(mode=0o700)
    chown_tree(folder, fleet.user)
    return folder


@pytest.fixture
def fleet_shop(shop_factory: Callable[..., Any], host_dir: Path, fleet: SshFleet) -> Callable[..., Any]:
    """shop_factory, but the shop lives in the deploy user's home and belongs to it."""
    def make(version: str, folder: str, **options: Any) -> Any:
        shop = shop_factory(version, folder=str(host_dir / folder), **options)
        chown_tree(shop.root, fleet.user)
        return shop
    return make


class Controller:
    """ansible-playbook from the collection's copy, over the fleet, with one pipelining setting."""

    def __init__(self, fleet: SshFleet, collections: Path, workdir: Path, pipelining: bool) -> None:
        self.fleet = fleet
        self.workdir = workdir
        self.env = fleet.ansible_env(pipelining, collections)
        self.collection = collections / "ansible_collections" / "shopfleet" / "prestashop"

    def module(self, module: str, shops: dict[str, dict[str, Any]], check: bool = False, verbosity: int = 0,
               **host_vars: Any) -> dict[str, Any]:
        """Runs a module on one inventory host per shop: `shops` maps host name -> module arguments."""
        inventory = self.fleet.inventory(self.workdir / f"{module}-inventory.json",
                                         {name: {"shopfleet_module_args": args, **host_vars} for name, args in shops.items()})
        return run_module_over_ssh(module, inventory, self.workdir / module, self.env, check=check, diff=True, verbosity=verbosity)

    def playbook(self, name: str, shops: dict[str, Any], extra_vars: dict[str, Any], machines: dict[str, int] | None = None) -> subprocess.CompletedProcess:
        """Runs one of the collection's playbooks (from the copy) on one inventory host per shop."""
        inventory = self.fleet.inventory(self.workdir / f"{name}-inventory.json", {host: {"prestashop_root": str(shop.root)} for host, shop in shops.items()},
                                         machines=machines)
        variables = self.workdir / f"{name}-vars.json"
        variables.write_text(json.dumps(extra_vars))
        return run_playbook(self.collection / "playbooks" / f"{name}.yml", inventory=inventory, extra_vars_file=variables, env=self.env,
                            workdir=self.workdir)


@pytest.fixture(params=PIPELINING)
def controller(request: pytest.FixtureRequest, fleet: SshFleet, collections: Path, tmp_path: Path) -> Controller:
    return Controller(fleet, collections, tmp_path, pipelining=request.param)


def tables(shop: Any) -> dict[str, Any]:
    with shop.connect() as connection:
        return table_checksums(connection, shop.prefix)


def succeeded(results: dict[str, Any]) -> dict[str, Any]:
    for host, result in results.items():
        assert not result.get("failed"), f"{host}: {result.get('msg')}\n{result.output[-4000:]}"
    return results


def release_list(folder: Path) -> str:
    """A local copy of PrestaShop's release list, on the host."""
    def entry(version: str) -> dict[str, Any]:
        return {"version": version, "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.4",
                "zip_download_url": f"http://127.0.0.1:1/prestashop_{version}.zip", "xml_download_url": f"http://127.0.0.1:1/{version}.xml",
                "zip_md5": "0" * 32}
    path = folder / "releases.json"
    path.write_text(json.dumps([entry("8.1.5"), entry("8.1.7"), entry("9.0.0")]))
    return str(path)


def summary(tmp_path: Path) -> list[dict[str, Any]]:
    """The rows of the fleet summary the upgrade playbook wrote on the controller."""
    return json.loads((tmp_path / "reports" / "upgrade-latest.json").read_text())["shops"]


def host_commands(output: str) -> list[str]:
    """What ansible -vvv sent to the hosts as commands: the part of each `SSH: EXEC ssh …` line after the address."""
    commands = []
    for line in output.splitlines():
        found = re.match(r"<(127\.0\.0\.\d+)> SSH: EXEC ssh .* \1 (.*)$", line)
        if found:
            commands.append(found.group(2))
    return commands


# --- the machines ------------------------------------------------------------------------------------------------


def test_every_machine_answers_as_the_deploy_user_who_cannot_read_the_controllers_collection(fleet: SshFleet, collections: Path) -> None:
    for endpoint in fleet.endpoints:
        answer = fleet.ssh("id -un; /usr/bin/python3 -c 'import pymysql; print(pymysql.__name__)'", endpoint)
        assert answer.returncode == 0, answer.stderr
        assert answer.stdout.split() == ["shopdeploy", "pymysql"]
    assert fleet.ssh(f"ls {collections}").returncode != 0
    assert fleet.ssh("sudo -n true").returncode != 0, "no sudo unless a test asks for it"


def test_the_modules_read_no_file_of_their_own_at_run_time() -> None:
    """Everything a module needs travels in its AnsiballZ payload: no path computed from the module's own location."""
    sources = sorted((REPO_ROOT / "plugins").glob("module*/*.py"))
    assert len(sources) > 30
    forbidden = re.compile(r"__file__|importlib\.resources|pkgutil|get_data\(|ansible_collections/")
    offenders = [f"{path.relative_to(REPO_ROOT)}:{number}" for path in sources
                 for number, line in enumerate(path.read_text().splitlines(), 1) if forbidden.search(line)]
    assert offenders == []


# --- reading and backing up ----------------------------------------------------------------------------------------


@PIPELINING_ON
def test_read_steps_then_backups_in_check_mode_for_real_and_rerun_on_three_shops(controller: Controller, fleet_shop: Callable[..., Any],
                                                                                 host_dir: Path, fleet: SshFleet) -> None:
    shops = {"alpha": fleet_shop("8.1.5", "alpha"), "beta": fleet_shop("8.0.5", "beta"), "gamma": fleet_shop("1.7.8.0", "gamma")}
    workspace = host_dir / "ws"
    metadata = release_list(host_dir)
    chown_tree(host_dir, fleet.user)

    info = succeeded(controller.module("shop_info", {host: {"shop_root": str(shop.root)} for host, shop in shops.items()}))
    assert {host: result["version"] for host, result in info.items()} == {"alpha": "8.1.5", "beta": "8.0.5", "gamma": "1.7.8.0"}
    assert all(result["db_version"] == shops[host].version and result["version_matches"] for host, result in info.items())

    checked = succeeded(controller.module("upgrade_check", {"alpha": {"shop_root": str(shops["alpha"].root), "workspace": str(workspace),
                                                                      "metadata_url": metadata}}))
    assert checked["alpha"]["target_version"] == "8.1.7" and checked["alpha"]["upgrade_needed"] is True

    arguments = {host: {"shop_root": str(shop.root), "workspace": str(workspace), "name": BACKUP} for host, shop in shops.items()}
    for module in ("backup_files", "backup_db"):
        written = sorted(workspace.rglob("*"))
        predicted = succeeded(controller.module(module, arguments, check=True))
        assert all(result["changed"] and result["estimated"] for result in predicted.values())
        assert sorted(workspace.rglob("*")) == written, "check mode writes nothing on the host"
        assert all(result["changed"] for result in succeeded(controller.module(module, arguments)).values())
        assert not any(result["changed"] for result in succeeded(controller.module(module, arguments)).values())

    # Three backups, each of files and db, in the deploy user's private workspace.
    assert len(list(workspace.glob("*/backups/" + BACKUP + "/*/manifest.json"))) == 6
    assert files_not_private(workspace, fleet.user) == []


@PIPELINING_OFF
def test_backups_without_pipelining_send_no_controller_path_to_the_hosts(controller: Controller, fleet_shop: Callable[..., Any], host_dir: Path,
                                                                         fleet: SshFleet, collections: Path) -> None:
    shops = {"alpha": fleet_shop("8.1.5", "alpha"), "beta": fleet_shop("8.1.5", "beta")}
    workspace = host_dir / "ws"
    arguments = {host: {"shop_root": str(shop.root), "workspace": str(workspace), "name": BACKUP} for host, shop in shops.items()}
    for module in ("backup_files", "backup_db"):
        made = succeeded(controller.module(module, arguments, verbosity=3))
        assert all(result["changed"] for result in made.values())
        commands = host_commands(made["alpha"].output)
        assert any("AnsiballZ_" + module in command for command in commands), "without pipelining the module is a file run on the host"
        controller_paths = (str(collections), str(REPO_ROOT), str(controller.workdir))
        assert [command for command in commands if any(path in command for path in controller_paths)] == []
        assert not any(path in json.dumps(result) for result in made.values() for path in controller_paths)
    assert len(list(workspace.glob("*/backups/" + BACKUP + "/*/manifest.json"))) == 4
    assert files_not_private(workspace, fleet.user) == []


# --- restoring -----------------------------------------------------------------------------------------------------


@PIPELINING_OFF
def test_the_rollback_playbook_brings_two_shops_of_one_machine_back(controller: Controller, fleet_shop: Callable[..., Any], host_dir: Path,
                                                                    fleet: SshFleet) -> None:
    shops = {"one": fleet_shop("8.1.5", "one"), "two": fleet_shop("8.1.5", "two")}
    workspace = host_dir / "ws"
    for module in ("backup_files", "backup_db"):
        succeeded(controller.module(module, {host: {"shop_root": str(shop.root), "workspace": str(workspace), "name": BACKUP}
                                             for host, shop in shops.items()}))
    before = {host: (shop.file_checksums(), tables(shop)) for host, shop in shops.items()}
    for shop in shops.values():
        (shop.root / "index.php").write_text("<?php // broken by a failed upgrade")
        (shop.root / "classes" / "AddedByTheUpgrade.php").write_text("<?php")
        chown_tree(shop.root, fleet.user)
        with shop.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"UPDATE {shop.prefix}configuration SET value = '9.9.9' WHERE name = 'PS_VERSION_DB'")
            cursor.execute(f"CREATE TABLE {shop.prefix}added_by_the_upgrade (id INT PRIMARY KEY)")

    completed = controller.playbook("rollback", shops, {"rollback_workspace": str(workspace), "rollback_backup_name": BACKUP},
                                    machines={"one": 1, "two": 1})
    assert completed.returncode == 0, completed.stdout[-4000:]
    for host, shop in shops.items():
        files, restored = shop.file_checksums(), tables(shop)
        assert {path: digest for path, digest in files.items() if not path.startswith("var/cache/")} == \
            {path: digest for path, digest in before[host][0].items() if not path.startswith("var/cache/")}
        assert restored == before[host][1]
        owners = {path.stat().st_uid for path in shop.root.rglob("*")}
        assert owners == {fleet.user.pw_uid}, "restored files belong to the deploy user"
        assert shop.db["password"] not in completed.stdout
    assert files_not_private(workspace, fleet.user) == []


# --- applying the upgrade ------------------------------------------------------------------------------------------


@PIPELINING_ON
def test_upgrade_db_runs_php_callbacks_on_the_host(controller: Controller, fleet_shop: Callable[..., Any], host_dir: Path, fleet: SshFleet) -> None:
    shop = fleet_shop("8.1.5", "shop", ps_version_db="8.1.5")
    migrations = build_migrations(host_dir / "autoupgrade", MIGRATION_VERSIONS)
    chown_tree(host_dir, fleet.user)
    arguments = {"shop": {"shop_root": str(shop.root), "workspace": str(host_dir / "ws"), "migrations": str(migrations), "target_version": "8.1.7",
                          "language_packs": "skip"}}

    done = succeeded(controller.module("upgrade_db", arguments))["shop"]
    assert done["changed"] is True and [entry["name"] for entry in done["migrations"]] == ["8.1.7", "8.1.7-catchup"]
    # Written by the callbacks in the PHP runner, which the module carried to the host.
    assert (shop.config_value("SHOPFLEET_PHP_8_1_7") or "").startswith("8.1.7 step 1 shop 1 lang 1 of ")
    assert shop.config_value("PS_VERSION_DB") == "8.1.7" and done["php"]["kernel"] == "booted AppKernel"
    assert succeeded(controller.module("upgrade_db", arguments))["shop"]["changed"] is False
    assert files_not_private(host_dir / "ws", fleet.user) == []


@PIPELINING_OFF
def test_upgrade_modules_runs_module_scripts_on_the_host(controller: Controller, fleet_shop: Callable[..., Any], host_dir: Path, fleet: SshFleet) -> None:
    shop = fleet_shop("8.0.5", "shop")
    release = build_release_tree(host_dir / "release", "8.1.7")
    chown_tree(host_dir, fleet.user)
    arguments = {"shop": {"shop_root": str(shop.root), "workspace": str(host_dir / "ws"), "release_dir": str(release)}}

    done = succeeded(controller.module("upgrade_modules", arguments))["shop"]
    assert done["changed"] is True and done["failed_modules"] == []
    ran = {row["name"]: row["scripts_run"] for row in done["modules"]}
    assert ran["ps_linklist"] == ["6.0.0", "6.0.7"] and ran["mymodule"] == ["1.5.0"]
    assert shop.config_value("SHOPFLEET_MODULE_PS_LINKLIST_6_0_7") == "ps_linklist"
    assert {path.stat().st_uid for path in (shop.root / "modules").rglob("*")} == {fleet.user.pw_uid}
    assert succeeded(controller.module("upgrade_modules", arguments))["shop"]["changed"] is False


# --- health ----------------------------------------------------------------------------------------------------------


@PIPELINING_ON
def test_shop_health_checks_the_pages_from_the_host(controller: Controller, fleet_shop: Callable[..., Any]) -> None:
    shop = fleet_shop("8.1.5", "shop", admin_dir="admin417qwzkeprxhtyvm")
    port = free_port()
    add_catalogue(shop, port)
    with php_server(shop.root, port, display_errors=True) as base_url:
        arguments = {"shop": {"shop_root": str(shop.root), "warmup": False, "timeout": 10}}
        baseline = succeeded(controller.module("shop_health", arguments, check=True))["shop"]
        assert baseline["base_url"] == base_url and baseline["changed"] is False and baseline["not_checked"] == []
        assert {page["state"] for page in baseline["pages"].values()} == {"ok"} and "bo_login" in baseline["pages"]
        (shop.root / "index.php").write_text("<?php\nshopfleet_function_removed_by_the_upgrade();")
        broken = controller.module("shop_health", {"shop": {**arguments["shop"], "baseline": baseline["pages"]}})["shop"]
    assert broken["failed"] is True and "home" in broken["broken"] and broken["pages"]["bo_login"]["state"] == "ok"


# --- the upgrade playbook --------------------------------------------------------------------------------------------


@PIPELINING_ON
def test_the_upgrade_playbook_downloads_once_on_the_controller_and_upgrades_three_shops(controller: Controller, fleet_shop: Callable[..., Any],
                                                                                        host_dir: Path, fleet: SshFleet, tmp_path: Path) -> None:
    shops = {"paris": fleet_shop("8.1.5", "paris"), "lyon": fleet_shop("8.1.5", "lyon"), "lille": fleet_shop("8.1.5", "lille")}
    migrations = build_migrations(host_dir / "autoupgrade", MIGRATION_VERSIONS)
    chown_tree(host_dir, fleet.user)
    release = build_release(tmp_path / "mirror", "8.1.7")
    with HttpServer(tmp_path / "mirror") as mirror:
        releases = [{"version": "8.1.7", "stability": "stable", "php_min_version": "7.2.5", "php_max_version": "8.4",
                     "zip_download_url": mirror.url(release.zip_path.name), "xml_download_url": mirror.url(release.checksum_xml.name),
                     "zip_md5": hashlib.md5(release.zip_path.read_bytes()).hexdigest()}]
        (tmp_path / "mirror" / "releases.json").write_text(json.dumps(releases))
        variables = {"upgrade_target_version": "8.1.7", "upgrade_metadata_url": mirror.url("releases.json"), "upgrade_download_on": "controller",
                     "upgrade_controller_cache": str(tmp_path / "cache"), "upgrade_migrations_src": str(migrations),
                     "upgrade_workspace": str(host_dir / "ws"), "upgrade_report_dir": str(tmp_path / "reports"), "upgrade_health_check": False,
                     "upgrade_language_packs": "skip"}
        done = controller.playbook("upgrade", shops, variables)
        assert done.returncode == 0, done.stdout[-6000:]
        assert all(row["result"] in ("success", "success_with_warnings") for row in summary(tmp_path)), summary(tmp_path)
        assert len(mirror.gets(release.zip_path.name)) == 1, "one download for the whole fleet"
        again = controller.playbook("upgrade", shops, variables)
    assert again.returncode == 0, again.stdout[-6000:]

    assert {row["shop"]: row["result"] for row in summary(tmp_path)} == dict.fromkeys(shops, "up_to_date")
    expected = hashlib.sha256(release.zip_path.read_bytes()).hexdigest()
    for shop in shops.values():
        assert shop.config_value("PS_VERSION_DB") == "8.1.7"
        assert "8.1.7" in (shop.root / "src/Core/Version.php").read_text()
    # One copy per machine, shared by its shops (both loopback "machines" see the same disk here), kept after the
    # upgrade: the controller's zip, byte for byte. Each shop's workspace has no copy of its own.
    copies = sorted((host_dir / "ws").glob(f"releases/8.1.7/{release.zip_path.name}"))
    assert len(copies) == 1 and hashlib.sha256(copies[0].read_bytes()).hexdigest() == expected
    assert not list((host_dir / "ws").glob(f"*/releases/8.1.7/{release.zip_path.name}"))
    assert {line.split()[0]: line.split("changed=")[1].split()[0] for line in again.stdout.splitlines() if " changed=" in line} == \
        dict.fromkeys(shops, "0")
    assert files_not_private(host_dir / "ws", fleet.user) == []


@PIPELINING_OFF
def test_the_check_playbook_and_the_faq_modules_over_ssh_change_nothing(
        controller: Controller, fleet_shop: Callable[..., Any], host_dir: Path, fleet: SshFleet, tmp_path: Path) -> None:
    shops = {"paris": fleet_shop("8.1.5", "paris"), "nantes": fleet_shop("8.1.5", "nantes", ps_version_db="8.1.3")}
    current = build_release_tree(host_dir / "release-8.1.5", "8.1.5")
    metadata = release_list(host_dir)
    chown_tree(host_dir, fleet.user)
    before = {name: tables(shop) for name, shop in shops.items()}

    checked = controller.playbook("check", shops, {"upgrade_target_version": "8.1.7", "upgrade_metadata_url": metadata,
                                                   "upgrade_current_release_dir": str(current), "upgrade_workspace": str(host_dir / "ws"),
                                                   "check_report_dir": str(tmp_path / "reports")})
    assert checked.returncode == 0, checked.stdout[-6000:]
    rows = {row["shop"]: row for row in json.loads((tmp_path / "reports" / "check-latest.json").read_text())["shops"]}
    # CheckFilesVersion ran on the host against the release tree there (a count, not "not checked").
    assert rows["paris"]["result"] == "ready" and isinstance(rows["paris"]["modified_core_files"], int)
    assert rows["nantes"]["result"] == "blocked" and "version_match" in rows["nantes"]["blocking"]

    versions = succeeded(controller.module("db_version", {name: {"shop_root": str(shop.root)} for name, shop in shops.items()}))
    assert (versions["paris"]["changed"], versions["nantes"]["changed"]) == (False, False)
    access = succeeded(controller.module("back_office_access", {name: {"shop_root": str(shop.root), "profile": "1", "slugs": ["ROLE_MOD_TAB_%"]}
                                                                for name, shop in shops.items()}, check=True))
    assert all(result["changed"] is False for result in access.values())
    assert {name: tables(shop) for name, shop in shops.items()} == before


# --- become ----------------------------------------------------------------------------------------------------------


@PIPELINING_OFF
def test_become_reaches_a_shop_the_deploy_user_cannot_read(controller: Controller, fleet_shop: Callable[..., Any], fleet: SshFleet) -> None:
    """No step needs become when the deploy user owns the shop (no other test uses it). A shop owned by someone else
    needs it, and become works over the fleet: sudo without a password, for this test only."""
    shop = fleet_shop("8.1.5", "shop")
    chown_tree(shop.root, pwd.getpwnam("root"))
    shop.root.chmod(0o700)
    arguments = {"shop": {"shop_root": str(shop.root)}}

    refused = controller.module("shop_info", arguments)["shop"]
    assert refused["failed"] is True and str(shop.root) in refused["msg"]
    fleet.allow_sudo()
    try:
        became = succeeded(controller.module("shop_info", arguments, ansible_become=True))["shop"]
    finally:
        fleet.forbid_sudo()
    assert became["version"] == "8.1.5" and became["db_version"] == "8.1.5"
    assert fleet.ssh("sudo -n true").returncode != 0, "the sudo rule is gone"
