"""Runs PrestaShop's migration callbacks in ONE PHP process with the shop bootstrapped.

The PHP source travels inside this file (modules run on remote hosts and never read the collection folder); it is
written to the module's temporary folder at run time. Python sends one JSON request per line on the process's
stdin and reads one reply per line from its stdout, so the shop boots once per run however many callbacks there are.
Replies carry a marker: whatever the shop's own code prints (notices, a stray echo) cannot pass for a reply.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import IO, Any

REPLY_MARK = "@@shopfleet-php@@ "

RUNNER_SOURCE = r"""<?php
/**
 * shopfleet.prestashop upgrade_db callback runner (written by the collection at run time).
 * First stdin line: the setup (paths, target version). Then one request per line: {"function", "arguments", "file"}.
 * Each reply is one line: the marker then JSON.
 */
ini_set('display_errors', 'stderr');
error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED & ~E_NOTICE);
$shopfleetOut = fopen('php://stdout', 'w');

function shopfleet_reply(array $message)
{
    global $shopfleetOut;
    $flags = JSON_UNESCAPED_SLASHES | JSON_PARTIAL_OUTPUT_ON_ERROR | JSON_INVALID_UTF8_SUBSTITUTE;
    fwrite($shopfleetOut, '@@shopfleet-php@@ ' . json_encode($message, $flags) . "\n");
    fflush($shopfleetOut);
}

function shopfleet_define($name, $value)
{
    if (!defined($name)) {
        define($name, $value);
    }
}

function shopfleet_boot(array $setup)
{
    $root = rtrim($setup['shop_root'], '/');
    $admin = $root . '/' . $setup['admin_dir'];
    chdir($admin);
    // The shop's code decides a lot from the request: make it look like a back-office script.
    $_SERVER['SCRIPT_NAME'] = '/' . $setup['admin_dir'] . '/index.php';
    $_SERVER['SCRIPT_FILENAME'] = $admin . '/index.php';
    $_SERVER['PHP_SELF'] = $_SERVER['SCRIPT_NAME'];
    $_SERVER['REQUEST_URI'] = $_SERVER['SCRIPT_NAME'];
    $_SERVER['REQUEST_METHOD'] = 'GET';
    $_SERVER['REMOTE_ADDR'] = '127.0.0.1';
    if (empty($_SERVER['HTTP_HOST'])) {
        $_SERVER['HTTP_HOST'] = 'localhost';
    }
    shopfleet_define('_PS_ADMIN_DIR_', $admin);
    shopfleet_define('PS_ADMIN_DIR', $admin);
    shopfleet_define('PS_INSTALLATION_IN_PROGRESS', true);
    shopfleet_define('INSTALL_VERSION', $setup['target_version']);
    shopfleet_define('_PS_INSTALLER_PHP_UPGRADE_DIR_', rtrim($setup['upgrade_dir'], '/') . '/php/');
    if (!empty($setup['install_dir'])) {
        shopfleet_define('INSTALL_PATH', rtrim($setup['install_dir'], '/'));
        shopfleet_define('_PS_INSTALL_PATH_', rtrim($setup['install_dir'], '/') . '/');
        shopfleet_define('_PS_INSTALL_DATA_PATH_', _PS_INSTALL_PATH_ . 'data/');
        shopfleet_define('_PS_INSTALL_LANGS_PATH_', _PS_INSTALL_PATH_ . 'langs/');
    }
    require_once $root . '/config/config.inc.php';

    return shopfleet_boot_kernel($root, $setup['boot_kernel']);
}

function shopfleet_boot_kernel($root, $mode)
{
    if ($mode === 'never') {
        return 'not booted (boot_kernel=never)';
    }
    foreach (['AdminKernel', 'AppKernel'] as $class) {
        $file = $root . '/app/' . $class . '.php';
        if (!is_file($file)) {
            continue;
        }
        require_once $file;
        if (!class_exists($class, false) || (new ReflectionClass($class))->isAbstract()) {
            continue;
        }
        global $kernel;
        $kernel = new $class(defined('_PS_ENV_') ? _PS_ENV_ : 'prod', false);
        $kernel->boot();

        return 'booted ' . $class;
    }
    if ($mode === 'always') {
        throw new RuntimeException('no Symfony kernel to boot in ' . $root . '/app');
    }

    return 'not booted (no kernel class)';
}

function shopfleet_action($action)
{
    if ($action === 'htaccess') {
        // What the upgrade does after the migrations: the core regenerates the part between its markers.
        if (!class_exists('Tools') || !method_exists('Tools', 'generateHtaccess')) {
            return ['ok' => true, 'result' => 'skipped: this shop has no Tools::generateHtaccess()'];
        }
        $done = Tools::generateHtaccess();

        return $done ? ['ok' => true, 'result' => 'regenerated'] : ['ok' => false, 'error' => 'Tools::generateHtaccess() returned false'];
    }

    return ['ok' => false, 'error' => 'unknown action ' . $action];
}

function shopfleet_call(array $request)
{
    if (isset($request['action'])) {
        return shopfleet_action($request['action']);
    }
    $function = $request['function'];
    if (!preg_match('/^[A-Za-z_][A-Za-z0-9_]*$/', $function)) {
        return ['ok' => false, 'error' => 'not a function name: ' . $function];
    }
    if (!is_file($request['file'])) {
        return ['ok' => false, 'error' => 'missing callback file ' . $request['file']];
    }
    require_once $request['file'];
    if (!function_exists($function)) {
        return ['ok' => false, 'error' => $request['file'] . ' does not define ' . $function . '()'];
    }
    // The arguments are PHP literals written in the migration file, read the way the upgrade module reads them.
    $arguments = eval('return [' . $request['arguments'] . '];');
    $result = call_user_func_array($function, $arguments);
    if ($result === false) {
        return ['ok' => false, 'error' => $function . '() returned false', 'result' => false];
    }
    if (is_array($result) && !empty($result['error'])) {
        $message = is_scalar($result['error']) ? (string) $result['error'] : json_encode($result['error']);
        if (!empty($result['msg'])) {
            $message .= ' - ' . (is_scalar($result['msg']) ? $result['msg'] : json_encode($result['msg']));
        }

        return ['ok' => false, 'error' => $message, 'result' => $result];
    }

    return ['ok' => true, 'result' => is_scalar($result) || $result === null ? $result : json_decode(json_encode($result, JSON_PARTIAL_OUTPUT_ON_ERROR), true)];
}

$setup = json_decode((string) fgets(STDIN), true);
ob_start();
try {
    $kernelState = shopfleet_boot($setup);
} catch (Throwable $e) {
    $noise = ob_get_clean();
    shopfleet_reply(['ready' => false, 'error' => get_class($e) . ': ' . $e->getMessage(), 'output' => $noise]);
    exit(3);
}
$noise = ob_get_clean();
shopfleet_reply(['ready' => true, 'php' => PHP_VERSION, 'ps_version' => defined('_PS_VERSION_') ? _PS_VERSION_ : null,
    'kernel' => $kernelState, 'output' => $noise]);

while (($line = fgets(STDIN)) !== false) {
    $request = json_decode($line, true);
    if (!is_array($request)) {
        continue;
    }
    ob_start();
    try {
        $reply = shopfleet_call($request);
    } catch (Throwable $e) {
        $reply = ['ok' => false, 'error' => get_class($e) . ': ' . $e->getMessage()];
    }
    $reply['output'] = ob_get_clean();
    shopfleet_reply($reply);
}
"""


class PhpRunnerError(Exception):
    """The PHP process could not start, boot the shop, or died; one line, with the end of what PHP printed."""


def write_runner(folder: str) -> str:
    """Writes the runner into `folder` (the module's tmpdir) and returns its path."""
    path = os.path.join(folder, "shopfleet_upgrade_db_runner.php")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(RUNNER_SOURCE)
    os.chmod(path, 0o600)
    return path


class PhpRunner:
    """One PHP process for a whole run: `start()` boots the shop, `call()` runs a callback, `close()` ends it."""

    def __init__(self, php: str, runner_path: str, setup: dict[str, Any]) -> None:
        self.php = php
        self.runner_path = runner_path
        self.setup = setup
        self.process: subprocess.Popen[str] | None = None
        self.stderr_path = runner_path + ".stderr"
        self.info: dict[str, Any] = {}

    def start(self) -> dict[str, Any]:
        """Starts PHP and boots the shop; returns {php, ps_version, kernel, output}."""
        if self.process is not None:
            return self.info
        # stderr goes to a file: a pipe nobody reads would block PHP once it filled with notices.
        with open(self.stderr_path, "w", encoding="utf-8") as stderr:
            try:
                # A conversation with a live process, line by line: run_command only runs a command to its end.
                self.process = subprocess.Popen(  # pylint: disable=ansible-bad-function
                    [self.php, "-d", "display_errors=stderr", "-d", "memory_limit=-1", self.runner_path],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, text=True, encoding="utf-8", errors="replace",
                    cwd=self.setup["shop_root"])
            except OSError as exc:
                raise PhpRunnerError(f"cannot start {self.php}: {exc.strerror}") from None
        reply = self._exchange(self.setup)
        if not reply.get("ready"):
            self.close()
            raise PhpRunnerError(f"PHP could not bootstrap the shop: {reply.get('error')}{self._stderr_tail()}")
        self.info = {key: reply.get(key) for key in ("php", "ps_version", "kernel", "output")}
        return self.info

    def call(self, function: str, arguments: str, file: str) -> dict[str, Any]:
        """Runs one callback: {ok, result, error, output}. A dead process raises PhpRunnerError."""
        self.start()
        return self._exchange({"function": function, "arguments": arguments, "file": file})

    def action(self, name: str) -> dict[str, Any]:
        """Runs one of the runner's own steps (V(htaccess)): {ok, result, error, output}."""
        self.start()
        return self._exchange({"action": name})

    def _exchange(self, message: dict[str, Any]) -> dict[str, Any]:
        process = self.process
        if process is None or process.stdin is None or process.stdout is None:
            raise PhpRunnerError("the PHP process is not running")
        try:
            process.stdin.write(json.dumps(message) + "\n")
            process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise PhpRunnerError(f"the PHP process died{self._exit_and_stderr()}") from None
        return self._read_reply(process.stdout)

    def _read_reply(self, stdout: IO[str]) -> dict[str, Any]:
        noise: list[str] = []
        for line in stdout:
            if line.startswith(REPLY_MARK):
                reply = json.loads(line[len(REPLY_MARK):])
                if noise:
                    reply["output"] = "".join(noise) + (reply.get("output") or "")
                return dict(reply)
            noise.append(line)
        printed = "".join(noise).strip()[-500:]
        raise PhpRunnerError(f"the PHP process died{self._exit_and_stderr()}{'; it printed: ' + printed if printed else ''}")

    def _exit_and_stderr(self) -> str:
        code = None
        if self.process is not None:
            try:
                code = self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                code = self.process.wait()
        return (f" (exit code {code})" if code is not None else "") + self._stderr_tail()

    def _stderr_tail(self) -> str:
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as handle:
                tail = handle.read()[-1000:].strip()
        except OSError:
            return ""
        return f": {' '.join(tail.split())}" if tail else ""

    def stderr_text(self) -> str:
        try:
            with open(self.stderr_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()[-4000:]
        except OSError:
            return ""

    def close(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            try:
                process.stdin.close()
            except OSError:
                pass
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
