# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/rollback.yml end to end: Rollback -> RollbackFiles -> RollbackDb -> RollbackComplete, or NoRollbackFound."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from harness.ansible import REPO_ROOT, run_module, run_playbook
from harness.shopdb import table_checksums


def inventory(tmp_path: Path, shop: Any, **host_vars: Any) -> Path:
    path = tmp_path / "inventory.json"
    variables = {"prestashop_root": str(shop.root), "ansible_connection": "local", "ansible_python_interpreter": sys.executable, **host_vars}
    path.write_text(json.dumps({"prestashop": {"hosts": {"shop": variables}}}))
    return path


def rollback(tmp_path: Path, shop: Any, **role_vars: Any) -> Any:
    extra = tmp_path / "rollback-vars.json"
    extra.write_text(json.dumps({"rollback_workspace": str(tmp_path / "ws"), **role_vars}))
    return run_playbook(REPO_ROOT / "playbooks" / "rollback.yml", inventory=inventory(tmp_path, shop), extra_vars_file=extra, workdir=tmp_path)


def state(shop: Any) -> tuple[dict[str, str], dict[str, Any]]:
    connection = shop.connect()
    try:
        return shop.file_checksums(), table_checksums(connection, shop.prefix)
    finally:
        connection.close()


def without_cache(files: dict[str, str]) -> dict[str, str]:
    return {path: digest for path, digest in files.items() if not path.startswith("var/cache/")}


def execute(shop: Any, *statements: str) -> None:
    connection = shop.connect()
    try:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    finally:
        connection.close()


def break_the_shop(shop: Any) -> None:
    (shop.root / "classes" / "Added.php").write_text("<?php // added after the backup")
    (shop.root / "index.php").write_text("<?php trigger_error('broken', E_USER_ERROR);")
    os.unlink(next(shop.root.joinpath("themes").rglob("*.tpl")))
    execute(shop, f"UPDATE {shop.prefix}configuration SET value = '9.9.9' WHERE name = 'PS_VERSION_DB'",
            f"DELETE FROM {shop.prefix}customer WHERE id_customer > 3",
            f"CREATE TABLE {shop.prefix}created_after_backup (id INT PRIMARY KEY)",
            f"ALTER TABLE {shop.prefix}orders ADD COLUMN added_after_backup INT NULL")


def test_the_playbook_brings_back_exactly_what_the_backup_holds(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    workspace = str(tmp_path / "ws")
    for module in ("backup_files", "backup_db"):
        made = run_module(module, {"shop_root": str(shop.root), "workspace": workspace, "name": "V8.1.5_20261121-120000-abcdef01"})
        assert not made.get("failed"), made.get("msg")
    before = state(shop)
    break_the_shop(shop)
    assert state(shop) != before

    completed = rollback(tmp_path, shop, rollback_backup_name="V8.1.5_20261121-120000-abcdef01")
    assert completed.returncode == 0, completed.stdout[-3000:]
    files, tables = state(shop)
    # The rollback empties var/cache on purpose (a stale container breaks a restored shop); everything else is back.
    assert without_cache(files) == without_cache(before[0])
    assert tables == before[1] and f"{shop.prefix}created_after_backup" not in tables
    reports = sorted((Path(workspace)).rglob("rollback-V8.1.5_20261121-120000-abcdef01-*.txt"))
    assert reports and reports[-1].read_text().startswith("ROLLBACK SUCCEEDED")
    assert shop.db["password"] not in completed.stdout


def test_no_backup_is_nothing_to_restore_or_a_failure_as_asked(shop_factory: Any, tmp_path: Path) -> None:
    shop = shop_factory("8.1.5")
    before = state(shop)
    quiet = rollback(tmp_path, shop, rollback_on_missing="ok")
    assert quiet.returncode == 0, quiet.stdout[-3000:]
    failing = rollback(tmp_path, shop, rollback_on_missing="fail")
    assert failing.returncode != 0 and "NoRollbackFound" in failing.stdout
    assert state(shop) == before
