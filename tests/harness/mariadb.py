"""A private MariaDB server for tests: its own datadir, unix socket and loopback port.

Tests start and stop it themselves; two servers in different work directories can run at once.
From the shell (so `make demo` can keep one running across commands)::

    python -m harness.mariadb start DIR    # prints host, port and socket as JSON (never the password)
    python -m harness.mariadb status DIR   # exit status 0 when running, 3 when not
    python -m harness.mariadb stop DIR

DIR/server.json (mode 0600) holds host, port, socket and root_password; DIR/root.cnf (mode 0600) is a
client option file for the mariadb command-line tools: ``mariadb --defaults-extra-file=DIR/root.cnf``.
"""
from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import secrets
import shutil
import signal
import socket as socketlib
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pymysql

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 30.0
UNIX_SOCKET_PATH_MAX = 107
SHOP_USER_HOSTS = ("localhost", LOOPBACK)
EXIT_NOT_RUNNING = 3

# Client errors meaning "nobody answers yet" (socket missing, refused, dropped during start-up).
_NOT_LISTENING_YET = frozenset({2002, 2003, 2006, 2013})
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]{1,64}$")
_PORT_TAKEN_MARKERS = ("Address already in use", "Bind on TCP/IP port")

# A throwaway server: durability buys nothing here, start-up and write speed do. Character set and collation
# are Debian's packaged defaults, so tables get what a real shop server would give them.
_SERVER_TUNING = (
    "--skip-name-resolve",
    "--skip-log-bin",
    "--sync-binlog=0",
    "--innodb-buffer-pool-size=128M",
    "--innodb-log-file-size=48M",
    "--innodb-flush-log-at-trx-commit=2",
    "--innodb-flush-method=nosync",
    "--innodb-doublewrite=0",
    "--innodb-buffer-pool-dump-at-shutdown=0",
    "--innodb-buffer-pool-load-at-startup=0",
    "--performance-schema=OFF",
    "--character-set-server=utf8mb4",
    "--collation-server=utf8mb4_general_ci",
    "--max-allowed-packet=64M",
    "--skip-external-locking",
)

_BINARY_FALLBACKS = {
    "mariadbd": ("/usr/sbin/mariadbd", "/usr/libexec/mariadbd", "/usr/local/sbin/mariadbd"),
    "mariadb-install-db": ("/usr/bin/mariadb-install-db", "/usr/local/bin/mariadb-install-db"),
}


class HarnessError(RuntimeError):
    """The test environment cannot provide what a test needs (a missing binary, a server that will not start...)."""


class _PortTaken(HarnessError):
    """Another process grabbed the port between choosing it and mariadbd binding it."""


def mariadb_binaries() -> dict[str, str]:
    """Paths of mariadbd and mariadb-install-db; HarnessError naming the Debian package when one is missing."""
    found = {}
    for name, fallbacks in _BINARY_FALLBACKS.items():
        path = shutil.which(name) or next((candidate for candidate in fallbacks if os.access(candidate, os.X_OK)), None)
        if path is None:
            raise HarnessError(f"{name} not found: install the Debian package mariadb-server (apt-get install mariadb-server)")
        found[name] = path
    return found


def check_identifier(kind: str, value: str) -> str:
    """Return value when it is safe to put between backticks or quotes in SQL; ValueError otherwise."""
    if not _IDENTIFIER.match(value):
        raise ValueError(f"{kind} {value!r} must be 1-64 letters, digits or underscores")
    return value


def _free_port() -> int:
    with socketlib.socket(socketlib.AF_INET, socketlib.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, even when it already existed with a wider mode."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def _process_alive(pid: int) -> bool:
    """True for a live process; a zombie counts as gone (it no longer holds the port, socket or datadir)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        return _signal_reaches(pid)
    state = stat.rpartition(")")[2].split()[0]
    return state not in ("Z", "X")


def _signal_reaches(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _send(pid: int, signal_number: int) -> None:
    try:
        os.kill(pid, signal_number)
    except ProcessLookupError:
        pass


def _runs_datadir(pid: int, datadir: Path) -> bool:
    """Guards against a recycled pid: only a mariadbd serving our datadir is ours to adopt or stop."""
    try:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return f"--datadir={datadir}".encode() in arguments


class MariaDB:
    """A MariaDB server on a private datadir, socket and port, bound to the loopback interface only.

    root authenticates over the unix socket (unix_socket plugin, or the password as a fallback) and over TCP with
    the random root_password, which never appears on a command line.
    """

    host: str
    port: int
    socket: Path

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = Path(workdir).resolve()
        self.host = LOOPBACK
        self.datadir = self.workdir / "data"
        self.rundir = self.workdir / "run"
        self.tmpdir = self.workdir / "tmp"
        self.socket = self.rundir / "mysqld.sock"
        self.pid_file = self.rundir / "mysqld.pid"
        self.error_log = self.workdir / "mariadb.err"
        self.state_file = self.workdir / "server.json"
        self.defaults_file = self.workdir / "root.cnf"
        self.root_password = ""
        self.stop_at_exit = True
        self._requested_port = port
        self.port = port or 0
        self._process: subprocess.Popen[bytes] | None = None
        self._version: str | None = None
        if len(str(self.socket)) > UNIX_SOCKET_PATH_MAX:
            raise HarnessError(f"unix socket path {self.socket} is longer than {UNIX_SOCKET_PATH_MAX} characters: use a shorter workdir")
        self._load_state()

    def __enter__(self) -> MariaDB:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MariaDB(workdir={str(self.workdir)!r}, port={self.port})"

    @property
    def pid(self) -> int | None:
        """Process id of the running server, None when it is not running."""
        if self._process is not None and self._process.poll() is None:
            return self._process.pid
        pid = _read_pid(self.pid_file)
        if pid is not None and _process_alive(pid) and _runs_datadir(pid, self.datadir):
            return pid
        return None

    def is_running(self) -> bool:
        return self.pid is not None

    def start(self) -> None:
        """Initialise the datadir if needed, start mariadbd and wait until it accepts connections (no-op if running)."""
        if self.is_running():
            self._load_state()
            return
        binaries = mariadb_binaries()
        for directory in (self.workdir, self.rundir, self.tmpdir):
            directory.mkdir(parents=True, exist_ok=True)
        if not (self.datadir / "mysql").is_dir():
            self.root_password = self.root_password or secrets.token_urlsafe(24)
            self._install(binaries["mariadb-install-db"])
        elif not self.root_password:
            raise HarnessError(f"{self.datadir} exists but {self.state_file} has no root password: remove {self.workdir} to start afresh")
        attempts = 1 if self._requested_port else 3
        for attempt in range(1, attempts + 1):
            try:
                self._launch(binaries["mariadbd"], self._requested_port or _free_port())
                break
            except _PortTaken:
                if attempt == attempts:
                    raise
        self._write_state()
        if self.stop_at_exit:
            atexit.register(self.stop)

    def stop(self) -> None:
        """Shut the server down cleanly (SIGTERM), killing it if it does not stop in time. Idempotent."""
        pid = self.pid
        if pid is not None:
            _send(pid, signal.SIGTERM)
            if not self._wait_until_gone(pid, STOP_TIMEOUT):
                _send(pid, signal.SIGKILL)
                self._wait_until_gone(pid, 10.0)
        if self._process is not None:
            self._process.wait()
            self._process = None
        atexit.unregister(self.stop)

    def admin_connect(self, database: str | None = None, **kwargs: Any) -> pymysql.connections.Connection:
        """A connection as root over the unix socket, utf8mb4, autocommit; kwargs override any of these."""
        options: dict[str, Any] = {
            "unix_socket": str(self.socket),
            "user": "root",
            "password": self.root_password,
            "database": database,
            "charset": "utf8mb4",
            "autocommit": True,
        }
        options.update(kwargs)
        return pymysql.connect(**options)

    def create_database(self, name: str, user: str, password: str) -> None:
        """(Re)create database name (utf8mb4_general_ci) and user@localhost/127.0.0.1 owning it, with PROCESS.

        PROCESS is global because mysqldump reads tablespace information with it.
        """
        check_identifier("database", name)
        check_identifier("user", user)
        # In GRANT, "_" in a database name is a wildcard: escaped, user "shop_a" cannot reach database "shopXa".
        grant_scope = name.replace("_", "\\_")
        with self.admin_connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
            for host in SHOP_USER_HOSTS:
                cursor.execute("DROP USER IF EXISTS %s@%s", (user, host))
                cursor.execute("CREATE USER %s@%s IDENTIFIED BY %s", (user, host, password))
                cursor.execute(f"GRANT ALL PRIVILEGES ON `{grant_scope}`.* TO %s@%s", (user, host))
                cursor.execute("GRANT PROCESS ON *.* TO %s@%s", (user, host))

    def drop_database(self, name: str) -> None:
        check_identifier("database", name)
        with self.admin_connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")

    def drop_user(self, user: str) -> None:
        check_identifier("user", user)
        with self.admin_connect() as connection, connection.cursor() as cursor:
            for host in SHOP_USER_HOSTS:
                cursor.execute("DROP USER IF EXISTS %s@%s", (user, host))

    @property
    def version(self) -> str:
        """The server's VERSION(), e.g. '10.11.19-MariaDB-0+deb12u1'."""
        if self._version is None:
            with self.admin_connect() as connection, connection.cursor() as cursor:
                cursor.execute("SELECT VERSION()")
                self._version = str(cursor.fetchone()[0])
        return self._version

    def public_facts(self) -> dict[str, Any]:
        """What is safe to print: everything in server.json but the password."""
        return {"host": self.host, "port": self.port, "socket": str(self.socket), "pid": self.pid,
                "defaults_file": str(self.defaults_file)}

    def _install(self, install_db: str) -> None:
        init_file = self.rundir / "init-root.sql"
        # The password goes through a private file, not argv, where any local user could read it.
        _write_private(init_file, _root_accounts_sql(self.root_password))
        argv = [install_db, "--no-defaults", f"--datadir={self.datadir}", "--auth-root-authentication-method=socket",
                "--skip-test-db", f"--extra-file={init_file}", *_SERVER_TUNING]
        if os.geteuid() == 0:
            argv.append("--user=root")
        try:
            result = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120, check=False)
        finally:
            init_file.unlink(missing_ok=True)
        output = result.stdout + result.stderr
        (self.workdir / "install-db.log").write_text(output, encoding="utf-8")
        if result.returncode != 0:
            shutil.rmtree(self.datadir, ignore_errors=True)
            raise HarnessError(f"mariadb-install-db failed with status {result.returncode}:\n{_tail(output)}")

    def _launch(self, mariadbd: str, port: int) -> None:
        argv = [mariadbd, "--no-defaults", f"--datadir={self.datadir}", f"--socket={self.socket}", f"--port={port}",
                f"--bind-address={LOOPBACK}", f"--pid-file={self.pid_file}", f"--log-error={self.error_log}",
                f"--tmpdir={self.tmpdir}", *_SERVER_TUNING]
        if os.geteuid() == 0:
            argv.append("--user=root")
        log_offset = self.error_log.stat().st_size if self.error_log.exists() else 0
        with open(self.error_log, "ab") as early_errors:
            # A new session keeps the server out of the terminal's process group: Ctrl-C in pytest or make must not
            # kill it before stop() (or the atexit hook) shuts it down cleanly.
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=early_errors,
                                       start_new_session=True)
        self._process = process
        self.port = port
        self._wait_until_ready(process, log_offset)

    def _wait_until_ready(self, process: subprocess.Popen[bytes], log_offset: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            status = process.poll()
            if status is not None:
                self._process = None
                log = self._log_since(log_offset)
                if any(marker in log for marker in _PORT_TAKEN_MARKERS):
                    raise _PortTaken(f"port {self.port} is taken:\n{_tail(log)}")
                raise HarnessError(f"mariadbd exited with status {status} during start-up; end of {self.error_log}:\n{_tail(log)}")
            if self.socket.exists() and self._answers():
                return
            if time.monotonic() > deadline:
                self.stop()
                raise HarnessError(f"mariadbd did not accept connections within {START_TIMEOUT:.0f} s; "
                                   f"end of {self.error_log}:\n{_tail(self._log_since(log_offset))}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            self.admin_connect(connect_timeout=2).close()
        except pymysql.err.OperationalError as error:
            if error.args and error.args[0] in _NOT_LISTENING_YET:
                return False
            self.stop()
            raise HarnessError(f"mariadbd is up but refuses root: {error}") from error
        return True

    def _wait_until_gone(self, pid: int, timeout: float) -> bool:
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        deadline = time.monotonic() + timeout
        while _process_alive(pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _log_since(self, offset: int) -> str:
        try:
            with open(self.error_log, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def _load_state(self) -> None:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return
        self.root_password = state.get("root_password", self.root_password)
        if not self._requested_port:
            self.port = int(state.get("port", self.port))

    def _write_state(self) -> None:
        state = {**self.public_facts(), "root_password": self.root_password}
        _write_private(self.state_file, json.dumps(state, indent=2) + "\n")
        _write_private(self.defaults_file, f"[client]\nuser=root\npassword={self.root_password}\nsocket={self.socket}\n")


def _root_accounts_sql(password: str) -> str:
    # FLUSH PRIVILEGES loads the grant tables, which the bootstrap server runs without until then.
    return (
        "FLUSH PRIVILEGES;\n"
        f"ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('{password}');\n"
        f"CREATE USER 'root'@'{LOOPBACK}' IDENTIFIED BY '{password}';\n"
        f"GRANT ALL PRIVILEGES ON *.* TO 'root'@'{LOOPBACK}' WITH GRANT OPTION;\n"
    )


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.mariadb", description="Run a private MariaDB server in DIR.")
    parser.add_argument("action", choices=("start", "stop", "status"))
    parser.add_argument("workdir", type=Path, metavar="DIR")
    parser.add_argument("--port", type=int, default=None, help="TCP port on 127.0.0.1 (default: a free one)")
    arguments = parser.parse_args(argv)
    server = MariaDB(arguments.workdir, port=arguments.port)
    if arguments.action == "start":
        server.stop_at_exit = False
        try:
            server.start()
        except HarnessError as error:
            sys.stderr.write(f"{error}\n")
            return 1
        sys.stdout.write(json.dumps(server.public_facts()) + "\n")
        return 0
    if arguments.action == "stop":
        server.stop()
        return 0
    running = server.is_running()
    sys.stdout.write(json.dumps({"running": running, **server.public_facts()}) + "\n")
    return 0 if running else EXIT_NOT_RUNNING


if __name__ == "__main__":
    sys.exit(main())
