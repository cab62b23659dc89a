# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A fleet of shop hosts reached over real SSH: a private sshd on loopback addresses, an unprivileged deploy user.

One `sshd -D -f <our config>` listens on 127.0.0.2, 127.0.0.3, … (one address = one "machine"), with host keys and
a client key generated per run and an authorized_keys file of ours; no system configuration is touched. The deploy
user (`shopdeploy`, created when missing) owns the shop files and logs in with the client key; its Python is the
host's /usr/bin/python3 with Debian's python3-pymysql, as on a shop host. `allow_sudo()` adds (and removes) a
passwordless sudo rule for the steps that need `become`.

Controller side: `controller_collection()` copies the collection to a folder the deploy user cannot read, and
`run_module_over_ssh()` runs one module on every inventory host through real ansible-playbook.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.ansible import REPO_ROOT, FQCN_PREFIX, ModuleResult, run_playbook
from harness.mariadb import HarnessError

DEPLOY_USER = "shopdeploy"
SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = "ssh-keygen"
REMOTE_PYTHON = "/usr/bin/python3"
SUDOERS_DIR = Path("/etc/sudoers.d")
# What the controller copy holds: everything ansible-playbook loads from a collection.
COLLECTION_PARTS = ("galaxy.yml", "meta", "plugins", "roles", "playbooks")
# The privilege separation directory Debian's sshd wants; the package's service unit would create it.
PRIVSEP_DIR = Path("/run/sshd")


def sshd_missing_reason() -> str | None:
    """Why this machine cannot run the SSH fleet, or None when it can."""
    if not os.path.exists(SSHD):
        return f"{SSHD} is missing: install Debian's openssh-server (hacking/bootstrap.sh does)"
    if os.geteuid() != 0:
        return "the SSH fleet needs root to create the deploy user and start sshd"
    if not os.path.exists(REMOTE_PYTHON):
        return f"{REMOTE_PYTHON} is missing"
    return None


def ensure_deploy_user(name: str = DEPLOY_USER) -> pwd.struct_passwd:
    """The unprivileged deploy user, created with a home when missing.

    Its password field is `*` (no password, not locked): with UsePAM off, sshd refuses even key logins of a locked
    (`!`) account, which is what useradd leaves.
    """
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pass
    created = subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], capture_output=True, text=True, check=False)
    # 9 = the user exists: another test session created it between our lookup and useradd.
    if created.returncode not in (0, 9):
        raise HarnessError(f"useradd {name} failed: {created.stderr.strip()}")
    subprocess.run(["usermod", "--password", "*", name], check=True, capture_output=True)
    return pwd.getpwnam(name)


def chown_tree(path: Path, user: pwd.struct_passwd) -> None:
    """Gives a tree built by root (shops, releases) to the deploy user, links included, never following them."""
    os.lchown(path, user.pw_uid, user.pw_gid)
    for current, directories, files in os.walk(path):
        for name in directories + files:
            os.lchown(os.path.join(current, name), user.pw_uid, user.pw_gid)


def _free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def _children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # Field 4 of /proc/PID/stat is the parent; the command name before it may hold spaces, hence the rsplit.
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    children.append(int(entry.name))
    return children


@dataclass
class Endpoint:
    """One SSH "machine": an address and port where the fleet's sshd answers."""

    address: str
    port: int


class SshFleet:
    """A private sshd on `machines` loopback addresses, reached as the deploy user with a key made for this run.

    `home` is a fresh folder of the deploy user's (0700) for this run's shops and workspaces; `stop()` removes it.
    """

    def __init__(self, workdir: Path, machines: int = 2, user: str = DEPLOY_USER) -> None:
        self.workdir = workdir
        self.user = ensure_deploy_user(user)
        self.addresses = [f"127.0.0.{number}" for number in range(2, 2 + machines)]
        self.port = 0
        self.client_key = workdir / "client_ed25519"
        self.config = workdir / "sshd_config"
        self.log = workdir / "sshd.log"
        self.home = Path(self.user.pw_dir) / f"shopfleet-{secrets.token_hex(4)}"
        self.authorized_keys = self.home / ".authorized_keys"
        self._process: subprocess.Popen | None = None
        self._sudoers: Path | None = None

    @property
    def endpoints(self) -> list[Endpoint]:
        return [Endpoint(address, self.port) for address in self.addresses]

    def start(self) -> SshFleet:
        self.workdir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.workdir, 0o700)
        self._make_home()
        try:
            self._make_keys()
            PRIVSEP_DIR.mkdir(mode=0o755, exist_ok=True)
            for _attempt in range(3):
                self.port = _free_port(self.addresses[0])
                self._write_config()
                self._process = subprocess.Popen([SSHD, "-D", "-f", str(self.config), "-E", str(self.log)], stdin=subprocess.DEVNULL,
                                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if self._wait_listening():
                    return self
                # Another process may have taken the port between choosing it and sshd binding it.
                self._terminate()
            raise HarnessError(f"sshd did not start: {self.log.read_text()[-2000:] if self.log.exists() else 'no log'}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.forbid_sudo()
        self._terminate()
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> SshFleet:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- set-up --------------------------------------------------------------------------------------------------

    def _make_home(self) -> None:
        self.home.mkdir(mode=0o700)
        os.chown(self.home, self.user.pw_uid, self.user.pw_gid)

    def _make_keys(self) -> None:
        for kind in ("ed25519", "ecdsa"):
            key = self.workdir / f"host_{kind}"
            if not key.exists():
                subprocess.run([SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-C", "shopfleet-test-host", "-f", str(key)], check=True)
        if not self.client_key.exists():
            subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", "shopfleet-test-client", "-f", str(self.client_key)], check=True)
        # StrictModes stays on: the file and every folder up to the home belong to the user and nobody else writes them.
        self.authorized_keys.write_text(Path(f"{self.client_key}.pub").read_text())
        os.chmod(self.authorized_keys, 0o600)
        os.chown(self.authorized_keys, self.user.pw_uid, self.user.pw_gid)

    def _write_config(self) -> None:
        listen = "".join(f"ListenAddress {address}:{self.port}\n" for address in self.addresses)
        host_keys = "".join(f"HostKey {self.workdir / f'host_{kind}'}\n" for kind in ("ed25519", "ecdsa"))
        self.config.write_text(
            f"{listen}{host_keys}"
            f"PidFile {self.workdir / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.authorized_keys}\n"
            f"AllowUsers {self.user.pw_name}\n"
            "PermitRootLogin no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            "UsePAM no\nStrictModes yes\nX11Forwarding no\nPrintMotd no\nLogLevel VERBOSE\n"
            # A fleet run opens many sessions at once (forks x multiplexed channels).
            "MaxStartups 100:30:200\nMaxSessions 50\n"
            "Subsystem sftp internal-sftp\n"
        )
        os.chmod(self.config, 0o600)

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                for address in self.addresses:
                    socket.create_connection((address, self.port), timeout=0.5).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def _terminate(self) -> None:
        """Stops our sshd and the per-connection sshd processes it forked (they outlive the listener otherwise)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        for child in _children_of(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    # --- become --------------------------------------------------------------------------------------------------

    def allow_sudo(self) -> None:
        """A passwordless sudo rule for the deploy user, in a sudoers.d file of this run (validated by visudo)."""
        if not shutil.which("sudo"):
            raise HarnessError("sudo is missing: install Debian's sudo (hacking/bootstrap.sh does)")
        rule = SUDOERS_DIR / f"shopfleet-test-{self.home.name}"
        draft = self.workdir / "sudoers"
        draft.write_text(f"{self.user.pw_name} ALL=(ALL) NOPASSWD: ALL\n")
        subprocess.run(["visudo", "-cqf", str(draft)], check=True)
        SUDOERS_DIR.mkdir(mode=0o750, exist_ok=True)
        shutil.copyfile(draft, rule)
        os.chmod(rule, 0o440)
        self._sudoers = rule

    def forbid_sudo(self) -> None:
        if self._sudoers is not None:
            self._sudoers.unlink(missing_ok=True)
            self._sudoers = None

    # --- using it ------------------------------------------------------------------------------------------------

    def ssh_options(self) -> list[str]:
        return ["-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
                "-o", "IdentitiesOnly=yes"]

    def ssh(self, command: str, endpoint: Endpoint | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        """Runs a shell command on a machine as the deploy user (what the tests use to look at a host as it sees itself)."""
        endpoint = endpoint or self.endpoints[0]
        argv = ["ssh", *self.ssh_options(), "-i", str(self.client_key), "-p", str(endpoint.port), f"{self.user.pw_name}@{endpoint.address}", command]
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)

    def host_vars(self, endpoint: Endpoint) -> dict[str, Any]:
        """The connection variables of an inventory host on `endpoint`."""
        return {
            "ansible_connection": "ssh",
            "ansible_host": endpoint.address,
            "ansible_port": endpoint.port,
            "ansible_user": self.user.pw_name,
            "ansible_ssh_private_key_file": str(self.client_key),
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no",
            "ansible_python_interpreter": REMOTE_PYTHON,
        }

    def inventory(self, path: Path, shops: dict[str, dict[str, Any]], group: str = "prestashop", machines: dict[str, int] | None = None) -> Path:
        """An inventory (JSON, 0600): one host per shop, each with `shops[name]`'s variables (prestashop_root, …) over
        the connection variables. Shops go to the machines in turn, or to `machines[name]` (an index in `endpoints`);
        several shops on one machine share its ansible_host and ansible_port."""
        hosts = {}
        for number, (name, variables) in enumerate(shops.items()):
            machine = (machines or {}).get(name, number % len(self.endpoints))
            hosts[name] = {**self.host_vars(self.endpoints[machine]), **variables}
        path.touch(mode=0o600)
        path.write_text(json.dumps({group: {"hosts": hosts}}, indent=1))
        return path

    def ansible_env(self, pipelining: bool, collections_path: Path | None = None) -> dict[str, str]:
        """Environment for ansible-playbook over this fleet.

        The remote temp is the deploy user's own (harness.ansible points it at a controller folder for local runs),
        and the SSH multiplexing sockets live in this run's folder so that nothing outlives it.
        """
        env = {
            "ANSIBLE_PIPELINING": "1" if pipelining else "0",
            "ANSIBLE_REMOTE_TEMP": "~/.ansible/tmp",
            "ANSIBLE_SSH_CONTROL_PATH_DIR": str(self.workdir / "cp"),
            "ANSIBLE_SSH_RETRIES": "2",
        }
        if collections_path is not None:
            env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
        return env


def controller_collection(destination: Path) -> Path:
    """Copies the collection to `destination`/ansible_collections/shopfleet/prestashop; returns the collections path.

    Running the controller from this copy, in a folder the deploy user cannot read, proves that the hosts never
    read the collection's folder: whatever a module needs has to travel with it.
    """
    target = destination / "ansible_collections" / "shopfleet" / "prestashop"
    target.mkdir(parents=True, exist_ok=True)
    for part in COLLECTION_PARTS:
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, target / part)
    os.chmod(destination, 0o700)
    return destination


def run_module_over_ssh(module: str, inventory: Path, workdir: Path, env: dict[str, str], *, check: bool = False, diff: bool = False,
                        verbosity: int = 0) -> dict[str, ModuleResult]:
    """Runs one module on every host of `inventory` (its arguments: the host's `shopfleet_module_args`).

    Returns what Ansible registered per host; a failing host is returned with `failed: true`, not raised. Every
    result's `output` is ansible-playbook's whole output (with `verbosity`, the SSH commands it sent).
    """
    fqcn = module if "." in module else FQCN_PREFIX + module
    hosts = json.loads(inventory.read_text())
    names = sorted({name for group in hosts.values() for variables in group["hosts"].values() for name in variables.get("shopfleet_module_args", {})})
    workdir.mkdir(parents=True, exist_ok=True)
    results_dir = workdir / "results"
    shutil.rmtree(results_dir, ignore_errors=True)
    results_dir.mkdir(mode=0o700)
    # One template per option, as harness.ansible does: a templated mapping as a whole is Ansible's "argsplat".
    options = "".join(f"\n        {name}: \"{{{{ shopfleet_module_args[{name!r}] | default(omit) }}}}\"" for name in names) or " {}"
    playbook = workdir / "module-over-ssh.yml"
    playbook.write_text(_PLAYBOOK.format(fqcn=fqcn, options=options, results_dir=results_dir))
    extra = dict(env)
    if verbosity:
        extra["ANSIBLE_VERBOSITY"] = str(verbosity)
    completed = run_playbook(playbook, inventory=inventory, check=check, diff=diff, env=extra, workdir=workdir)
    output = completed.stdout + completed.stderr
    results: dict[str, ModuleResult] = {}
    for group in hosts.values():
        for name in group["hosts"]:
            path = results_dir / f"{name}.json"
            if not path.exists():
                raise AssertionError(f"ansible-playbook did not run {fqcn} on {name} (rc={completed.returncode}):\n{output[-6000:]}")
            results[name] = ModuleResult(json.loads(path.read_text()))
            results[name].output = output
    return results


def files_not_private(root: Path, owner: pwd.struct_passwd) -> list[str]:
    """Entries under root that are not the owner's or that group or others may use (files 0600, folders 0700 at most)."""
    problems = []
    for current, directories, files in os.walk(root):
        for name in directories + files:
            path = os.path.join(current, name)
            status = os.lstat(path)
            if status.st_uid != owner.pw_uid or status.st_mode & 0o077:
                problems.append(f"{path} uid={status.st_uid} mode={status.st_mode & 0o777:o}")
    return problems


_PLAYBOOK = """\
- name: Run one module on every host over SSH
  hosts: all
  gather_facts: false
  tasks:
    - name: The module under test
      {fqcn}:{options}
      register: shopfleet_result
      ignore_errors: true

    - name: Keep what Ansible registered, on the controller
      ansible.builtin.copy:
        content: "{{{{ shopfleet_result | to_json }}}}"
        dest: "{results_dir}/{{{{ inventory_hostname }}}}.json"
        mode: "0600"
      delegate_to: localhost
      check_mode: false
      diff: false
"""
