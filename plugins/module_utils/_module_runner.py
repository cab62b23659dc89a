# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a module's upgrade scripts in PHP, inside the shop, one PHP process per module.

The PHP source travels with the Ansible module (modules run on remote hosts): it is written to the module's
temporary folder at run time. A process per module means a fatal error in one module's script cannot take the
others down, and the runner records the version after each script that succeeded, so a rerun resumes after it.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

from ansible_collections.shopfleet.prestashop.plugins.module_utils._modules import upgrade_function

REPORT_MARKER = "@@shopfleet-module-runner@@"
# What scripts print is kept for the result up to this many characters (its end, where errors are).
OUTPUT_LIMIT = 4000
RUNNER_NAME = "shopfleet_module_runner.php"

RUNNER_SOURCE = r"""<?php
// Written by shopfleet.prestashop's upgrade_modules at run time: runs one module's upgrade scripts in its shop.
$shopfleetJob = json_decode(stream_get_contents(STDIN), true);
$shopfleetReport = ['ok' => false, 'scripts_run' => [], 'error' => null, 'output' => ''];
$shopfleetDone = false;

function shopfleet_report(array $report)
{
    echo "\n" . '@@shopfleet-module-runner@@' . json_encode($report, JSON_PARTIAL_OUTPUT_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE) . "\n";
}

register_shutdown_function(function () use (&$shopfleetReport, &$shopfleetDone) {
    if ($shopfleetDone) {
        return;
    }
    // A fatal error or an exit() in a script: say which, with what the script printed.
    $error = error_get_last();
    $shopfleetReport['error'] = $error ? $error['message'] . ' in ' . $error['file'] . ':' . $error['line'] : 'the script ended the PHP process';
    while (ob_get_level() > 0) {
        $shopfleetReport['output'] = ob_get_clean() . $shopfleetReport['output'];
    }
    shopfleet_report($shopfleetReport);
});

chdir($shopfleetJob['shop_root']);
if (!empty($shopfleetJob['admin_dir']) && !defined('_PS_ADMIN_DIR_')) {
    define('_PS_ADMIN_DIR_', $shopfleetJob['shop_root'] . '/' . $shopfleetJob['admin_dir']);
}
// Some bootstraps look at the request to tell the back office from the front office.
$_SERVER['SCRIPT_NAME'] = '/' . (empty($shopfleetJob['admin_dir']) ? '' : $shopfleetJob['admin_dir'] . '/') . 'index.php';
$_SERVER['REQUEST_URI'] = $_SERVER['SCRIPT_NAME'];
$_SERVER['REQUEST_METHOD'] = 'GET';
$_SERVER['HTTP_HOST'] = isset($_SERVER['HTTP_HOST']) ? $_SERVER['HTTP_HOST'] : 'localhost';

ob_start();
try {
    require_once $shopfleetJob['shop_root'] . '/config/config.inc.php';
    $shopfleetModule = Module::getInstanceByName($shopfleetJob['name']);
    if (!$shopfleetModule) {
        throw new RuntimeException('Module::getInstanceByName(' . $shopfleetJob['name'] . ') could not load the module');
    }
    foreach ($shopfleetJob['scripts'] as $shopfleetScript) {
        include_once $shopfleetScript['file'];
        $shopfleetFunction = $shopfleetScript['function'];
        if (!function_exists($shopfleetFunction)) {
            throw new RuntimeException(basename($shopfleetScript['file']) . ' does not define ' . $shopfleetFunction . '()');
        }
        $shopfleetResult = $shopfleetFunction($shopfleetModule);
        if (!$shopfleetResult) {
            throw new RuntimeException($shopfleetFunction . '() returned ' . var_export($shopfleetResult, true));
        }
        // As PrestaShop does after each script: a later failure keeps what succeeded, a rerun resumes after it.
        Module::upgradeModuleVersion($shopfleetJob['name'], $shopfleetScript['version']);
        $shopfleetReport['scripts_run'][] = $shopfleetScript['version'];
    }
    $shopfleetReport['ok'] = true;
} catch (Throwable $shopfleetException) {
    $shopfleetReport['error'] = get_class($shopfleetException) . ': ' . $shopfleetException->getMessage();
}
while (ob_get_level() > 0) {
    $shopfleetReport['output'] = ob_get_clean() . $shopfleetReport['output'];
}
$shopfleetDone = true;
shopfleet_report($shopfleetReport);
"""


def write_runner(folder: str) -> str:
    """Write the PHP runner into `folder` (the Ansible module's tmpdir) and return its path."""
    path = os.path.join(folder, RUNNER_NAME)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(RUNNER_SOURCE)
    os.chmod(path, 0o600)
    return path


def runner_job(shop_root: str, admin_dir: str | None, name: str, scripts: list[str]) -> dict[str, Any]:
    """The job the runner reads on stdin: the module and its scripts, in the order they run."""
    folder = os.path.join(shop_root, "modules", name, "upgrade")
    return {"shop_root": shop_root, "admin_dir": admin_dir, "name": name,
            "scripts": [{"version": version, "function": upgrade_function(version), "file": os.path.join(folder, f"upgrade-{version}.php")}
                        for version in scripts]}


def parse_report(stdout: str, stderr: str, returncode: int) -> dict[str, Any]:
    """The runner's report, or a failed one saying what PHP printed when it never got to write one."""
    position = stdout.rfind(REPORT_MARKER)
    if position >= 0:
        try:
            report = json.loads(stdout[position + len(REPORT_MARKER):].strip().splitlines()[0])
        except (ValueError, IndexError):
            report = None
        if isinstance(report, dict):
            report["output"] = (stdout[:position] + report.get("output", "")).strip()[-OUTPUT_LIMIT:]
            return report
    tail = (stderr or stdout).strip().splitlines()[-5:]
    error = f"php exited with {returncode}: {' / '.join(tail) or 'no output'}"
    return {"ok": False, "scripts_run": [], "error": error, "output": stdout.strip()[-OUTPUT_LIMIT:]}


def run_module_scripts(run_command: Callable[..., tuple[int, str, str]], php: str, runner: str, job: dict[str, Any], timeout: int) -> dict[str, Any]:
    """Run one module's scripts with AnsibleModule.run_command; never raises for what the scripts do, only returns a report.

    `timeout` becomes PHP's max_execution_time, as the back office would apply it to an upgrade request.
    """
    argv = [php, "-d", "display_errors=stderr", "-d", "memory_limit=512M", "-d", f"max_execution_time={int(timeout)}", runner]
    try:
        returncode, stdout, stderr = run_command(argv, data=json.dumps(job), cwd=job["shop_root"], errors="surrogate_then_replace")
    except OSError as exc:
        return {"ok": False, "scripts_run": [], "error": f"cannot run {php}: {exc}", "output": ""}
    return parse_report(stdout, stderr, returncode)
