# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real PrestaShop shops upgraded with playbooks/upgrade.yml and rolled back with playbooks/rollback.yml.

For each pair of the matrix: install X with its own installer, add realistic data, check the pages; upgrade to Y;
check the pages and shop_info; roll back; files and tables are exactly as before and the pages work again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.ansible import run_module
from harness.real_releases import available_versions, release_tree
from harness.realshop import RealShop, StepClock, check_pages, describe_pages, e2e_material, private_copy, role_reports, run_shop_playbook

_MISSING = e2e_material()[2]
if _MISSING:
    pytest.skip(_MISSING, allow_module_level=True)

pytestmark = [pytest.mark.real_releases, pytest.mark.slow]

# (from, to): the branches users move between, and a patch upgrade where the migrations have catch-up files.
MATRIX = (("8.0.5", "8.1.7"), ("8.1.3", "8.1.7"), ("8.1.7", "8.2.1"))
# Known failures, pinned so that a fix shows (strict: the test fails once the upgrade passes; then drop the entry).
# Pairs that fail for a known reason, pinned so that a fix shows (an unexpected pass fails the run): {(from, to): why}.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _matrix() -> list[Any]:
    return [pytest.param(source, target, id=f"{source}-to-{target}",
                         marks=[pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[(source, target)])] if (source, target) in KNOWN_FAILURES else [])
            for source, target in MATRIX]


def _needs(material: tuple[Path, Path], *versions: str) -> None:
    held = set(available_versions(material[0]))
    absent = [version for version in versions if version not in held]
    if absent:
        pytest.skip(f"PrestaShop {', '.join(absent)} not in $PRESTASHOP_RELEASES ({material[0]})")


def _assert_pages_ok(shop: RealShop, clock: StepClock, label: str) -> dict[str, Any]:
    with clock.step(f"pages {label}"):
        result = check_pages(shop)
    assert result["ok"], f"pages {label}:\n{describe_pages(result)}"
    return result


def _shop_info(shop: RealShop) -> dict[str, Any]:
    info = run_module("shop_info", {"shop_root": str(shop.root)})
    assert not info.get("failed"), info.get("msg")
    return info


def _assert_same_state(before: dict[str, Any], after: dict[str, Any]) -> None:
    changed_files = sorted(path for path in before["files"].keys() | after["files"].keys() if before["files"].get(path) != after["files"].get(path))
    changed_tables = sorted(name for name in before["tables"].keys() | after["tables"].keys() if before["tables"].get(name) != after["tables"].get(name))
    settings = {key: (before["configuration"].get(key), after["configuration"].get(key))
                for key in before["configuration"].keys() | after["configuration"].keys()
                if before["configuration"].get(key) != after["configuration"].get(key)}
    assert not changed_files and not changed_tables, (f"{len(changed_files)} files differ (first: {changed_files[:15]}); "
                                                      f"{len(changed_tables)} tables differ: {changed_tables[:30]}; "
                                                      f"configuration (before, after): {settings}")


def _note_automatic_rollback(shop: RealShop, clock: StepClock, before: dict[str, Any], workspace: Path) -> None:
    """After a failed upgrade, record in the report whether the automatic rollback gave the shop back exactly."""
    clock.run["role_reports"] += role_reports(workspace, "rollback")
    try:
        _assert_same_state(before, shop.state())
        clock.note("upgrade failed; after the automatic rollback files and tables are exactly as before")
    except AssertionError as difference:
        clock.note(f"upgrade failed; after the automatic rollback: {difference}")
    pages = check_pages(shop)
    clock.note("pages after the automatic rollback: " + ("ok" if pages["ok"] else describe_pages(pages)))


def _roll_back_and_compare(shop: RealShop, clock: StepClock, before: dict[str, Any], workspace: Path, backup_name: str, tmp_path: Path) -> None:
    """playbooks/rollback.yml (the named backup, or the newest when empty); then files, tables and pages as before."""
    with clock.step("playbook rollback"):
        rollback = run_shop_playbook("rollback", shop, {"rollback_workspace": str(workspace), "rollback_backup_name": backup_name},
                                     tmp_path / "ansible")
    clock.run["role_reports"] += role_reports(workspace, "rollback")
    assert rollback.returncode == 0, f"rollback.yml failed (rc={rollback.returncode}):\n{rollback.stdout[-6000:]}"
    with clock.step("checksums after rollback"):
        after = shop.state()
    _assert_same_state(before, after)
    _assert_pages_ok(shop, clock, "after rollback")


def _upgrade_vars(shop: RealShop, target: str, release_dir: Path, migrations: Path, workspace: Path, current_release: Path) -> dict[str, Any]:
    return {"upgrade_target_version": target, "upgrade_release_dir": str(release_dir), "upgrade_migrations_src": str(migrations),
            "upgrade_current_release_dir": str(current_release), "upgrade_workspace": str(workspace),
            "upgrade_health_base_url": shop.base_url, "upgrade_on_error": "rollback", "upgrade_report_dir": str(workspace.parent / "fleet-report")}


@pytest.mark.parametrize(("source", "target"), _matrix())
def test_upgrade_then_rollback_gives_back_the_exact_shop(source: str, target: str, material: tuple[Path, Path], migrations: Path,
                                                         real_shop: Any, clock: StepClock, tmp_path: Path) -> None:
    _needs(material, source, target)
    shop = real_shop(source)
    _assert_pages_ok(shop, clock, f"at {source}")
    with clock.step("checksums before"):
        before = shop.state()
    clock.note(f"{len(before['files'])} files and {len(before['tables'])} tables checksummed")
    with clock.step(f"extract release {target}"):
        release_dir = private_copy(material[0], target, tmp_path / "release")
    workspace = tmp_path / "workspace"

    with clock.step(f"playbook upgrade {source} -> {target}"):
        upgrade_vars = _upgrade_vars(shop, target, release_dir, migrations, workspace, release_tree(material[0], source))
        upgrade = run_shop_playbook("upgrade", shop, upgrade_vars, tmp_path / "ansible")
    clock.run["role_reports"] += role_reports(workspace, "upgrade")
    if upgrade.returncode != 0:
        _note_automatic_rollback(shop, clock, before, workspace)
    assert upgrade.returncode == 0, f"upgrade.yml failed (rc={upgrade.returncode}), log {tmp_path / 'ansible' / 'upgrade.log'}:\n{upgrade.stdout[-6000:]}"
    _assert_pages_ok(shop, clock, f"at {target}")
    info = _shop_info(shop)
    assert (info["version"], info["db_version"]) == (target, target)
    assert info["install_dir"] is None and info["admin_dir"] == shop.admin_dir

    _roll_back_and_compare(shop, clock, before, workspace, "", tmp_path)
    info = _shop_info(shop)
    assert (info["version"], info["db_version"]) == (source, source)


def _first_pair(material: tuple[Path, Path]) -> tuple[str, str]:
    """The newest pair of the matrix the release source holds: the broken-upgrade test needs only one."""
    held = set(available_versions(material[0]))
    for source, target in reversed(MATRIX):
        if source in held and target in held:
            return source, target
    pytest.skip(f"no pair of {MATRIX} is in $PRESTASHOP_RELEASES ({material[0]})")


def test_broken_upgrade_is_caught_by_the_health_check_and_rolled_back(material: tuple[Path, Path], migrations: Path, real_shop: Any,
                                                                      clock: StepClock, tmp_path: Path) -> None:
    source, target = _first_pair(material)
    shop = real_shop(source)
    _assert_pages_ok(shop, clock, f"at {source}")
    with clock.step("checksums before"):
        before = shop.state()
    with clock.step(f"extract release {target}, without the front page's controller"):
        release_dir = private_copy(material[0], target, tmp_path / "release")
        # A corrupt release: the file is in the current release and not in the target, so UpgradeFiles deletes it
        # from the shop as obsolete, and the home page dies with a PHP fatal error.
        (release_dir / "controllers" / "front" / "IndexController.php").unlink()
    workspace = tmp_path / "workspace"

    with clock.step(f"playbook upgrade {source} -> {target} (broken)"):
        upgrade_vars = _upgrade_vars(shop, target, release_dir, migrations, workspace, release_tree(material[0], source))
        upgrade = run_shop_playbook("upgrade", shop, upgrade_vars, tmp_path / "ansible")
    clock.run["role_reports"] += role_reports(workspace, "upgrade") + role_reports(workspace, "rollback")
    output = upgrade.stdout + upgrade.stderr
    assert upgrade.returncode != 0, f"a broken upgrade must fail the host:\n{output[-6000:]}"
    assert "Health" in output and "home" in output, f"the failure must come from the health check:\n{output[-6000:]}"
    assert "Rolled back to backup" in output, output[-6000:]
    with clock.step("checksums after the automatic rollback"):
        after = shop.state()
    _assert_same_state(before, after)
    _assert_pages_ok(shop, clock, "after the automatic rollback")
    info = _shop_info(shop)
    assert (info["version"], info["db_version"]) == (source, source)


def test_rollback_playbook_restores_a_damaged_shop(material: tuple[Path, Path], real_shop: Any, clock: StepClock, tmp_path: Path) -> None:
    source = _first_pair(material)[0]
    shop = real_shop(source)
    _assert_pages_ok(shop, clock, f"at {source}")
    with clock.step("checksums before"):
        before = shop.state()
    workspace = tmp_path / "workspace"
    for module in ("backup_files", "backup_db"):
        with clock.step(module):
            backup = run_module(module, {"shop_root": str(shop.root), "workspace": str(workspace), "name": "before_damage"})
        assert not backup.get("failed"), backup.get("msg")

    with clock.step("damage files and tables"):
        (shop.root / "classes" / "Product.php").write_text("<?php\n// overwritten by a failed deployment\n", encoding="utf-8")
        (shop.root / "modules" / "shopfleete2e").rename(shop.root / "modules" / "shopfleete2e.old")
        with shop.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM `{shop.prefix}order_history` WHERE `id_order` > 3")
            cursor.execute(f"UPDATE `{shop.prefix}product_lang` SET `name` = CONCAT(`name`, ' (draft)')")
            cursor.execute(f"CREATE TABLE `{shop.prefix}leftover_import` (`id` INT PRIMARY KEY)")
    damaged = check_pages(shop)
    assert not damaged["ok"], "the damage must show on the pages, or the test proves nothing"

    _roll_back_and_compare(shop, clock, before, workspace, "before_damage", tmp_path)
