# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PHP callback runner against a tiny fake shop (no database): one process, replies, failures."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_runner import PhpRunner, PhpRunnerError, write_runner

CONFIG = """<?php
echo "noise from the shop's bootstrap\\n";
define('_PS_VERSION_', '8.1.7');
define('SHOPFLEET_BOOTS', (int) @file_get_contents(__DIR__ . '/boots') + 1);
file_put_contents(__DIR__ . '/boots', SHOPFLEET_BOOTS);
"""
CALLBACKS = {
    "ok_cb": "<?php function ok_cb($a, $b) { echo 'chatty'; return [$a, $b, _PS_ADMIN_DIR_, _PS_INSTALLER_PHP_UPGRADE_DIR_, SHOPFLEET_BOOTS]; }",
    "false_cb": "<?php function false_cb() { return false; }",
    "error_cb": "<?php function error_cb() { return ['error' => 'broken', 'msg' => 'details']; }",
    "throw_cb": "<?php function throw_cb() { throw new RuntimeException('boom'); }",
    "exit_cb": "<?php function exit_cb() { fwrite(STDERR, 'dying'); exit(7); }",
}


@pytest.fixture
def fake_shop(tmp_path: Path) -> dict[str, Any]:
    if shutil.which("php") is None:
        pytest.fail("php-cli is required (make deps installs it)")
    root = tmp_path / "shop"
    (root / "config").mkdir(parents=True)
    (root / "admin123").mkdir()
    (root / "config" / "config.inc.php").write_text(CONFIG)
    upgrade = tmp_path / "upgrade"
    (upgrade / "php").mkdir(parents=True)
    for name, code in CALLBACKS.items():
        (upgrade / "php" / f"{name}.php").write_text(code)
    return {"shop_root": str(root), "admin_dir": "admin123", "upgrade_dir": str(upgrade), "install_dir": None,
            "target_version": "8.1.7", "boot_kernel": "auto"}


def runner_for(setup: dict[str, Any], tmp_path: Path) -> PhpRunner:
    scratch = tmp_path / "tmp"
    scratch.mkdir(exist_ok=True)
    return PhpRunner("php", write_runner(str(scratch)), setup)


def test_boots_once_and_runs_callbacks_with_their_arguments(fake_shop: dict[str, Any], tmp_path: Path) -> None:
    runner = runner_for(fake_shop, tmp_path)
    try:
        info = runner.start()
        assert info["ps_version"] == "8.1.7" and info["kernel"] == "not booted (no kernel class)"
        assert "noise from the shop's bootstrap" in info["output"]
        php_dir = fake_shop["upgrade_dir"] + "/php/"
        first = runner.call("ok_cb", "'orders', 'TEXT AFTER `x`'", php_dir + "ok_cb.php")
        second = runner.call("ok_cb", "1, [2]", php_dir + "ok_cb.php")
    finally:
        runner.close()
    assert first == {"ok": True, "result": ["orders", "TEXT AFTER `x`", fake_shop["shop_root"] + "/admin123", php_dir, 1], "output": "chatty"}
    assert second["result"][:2] == [1, [2]] and second["result"][4] == 1, "one boot for the whole run"


@pytest.mark.parametrize("function,error", [("false_cb", "false_cb() returned false"), ("error_cb", "broken - details"),
                                            ("throw_cb", "RuntimeException: boom"), ("missing_cb", "missing callback file")])
def test_failures_are_replies_not_crashes(fake_shop: dict[str, Any], tmp_path: Path, function: str, error: str) -> None:
    runner = runner_for(fake_shop, tmp_path)
    try:
        reply = runner.call(function, "", fake_shop["upgrade_dir"] + f"/php/{function}.php")
        assert reply["ok"] is False and error in reply["error"]
        assert runner.call("ok_cb", "1, 2", fake_shop["upgrade_dir"] + "/php/ok_cb.php")["ok"] is True
    finally:
        runner.close()


def test_htaccess_is_skipped_where_the_shop_cannot_generate_it(fake_shop: dict[str, Any], tmp_path: Path) -> None:
    runner = runner_for(fake_shop, tmp_path)
    try:
        assert runner.action("htaccess") == {"ok": True, "result": "skipped: this shop has no Tools::generateHtaccess()", "output": ""}
        assert runner.action("nothing")["error"] == "unknown action nothing"
    finally:
        runner.close()


def test_a_dying_process_raises_with_its_stderr(fake_shop: dict[str, Any], tmp_path: Path) -> None:
    runner = runner_for(fake_shop, tmp_path)
    try:
        with pytest.raises(PhpRunnerError, match=r"died \(exit code 7\): dying"):
            runner.call("exit_cb", "", fake_shop["upgrade_dir"] + "/php/exit_cb.php")
    finally:
        runner.close()


def test_a_shop_that_cannot_boot_is_one_clear_error(fake_shop: dict[str, Any], tmp_path: Path) -> None:
    Path(fake_shop["shop_root"], "config", "config.inc.php").write_text("<?php throw new Exception('no database settings');")
    runner = runner_for(fake_shop, tmp_path)
    with pytest.raises(PhpRunnerError, match="could not bootstrap the shop: Exception: no database settings"):
        runner.start()
    runner.close()
