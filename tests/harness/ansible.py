# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the collection's modules and playbooks through real ansible-playbook against localhost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS_PATH = REPO_ROOT / ".build" / "collections"
COLLECTION_LINK = COLLECTIONS_PATH / "ansible_collections" / "shopfleet" / "prestashop"
FQCN_PREFIX = "shopfleet.prestashop."


class ModuleResult(dict):
    """A module's result as Ansible registered it, plus everything ansible-playbook printed (`output`)."""

    output: str = ""


def ensure_collection_link() -> Path:
    """Make the repository importable as ansible_collections.shopfleet.prestashop (what Ansible needs)."""
    COLLECTION_LINK.parent.mkdir(parents=True, exist_ok=True)
    if not COLLECTION_LINK.is_symlink() or COLLECTION_LINK.resolve() != REPO_ROOT:
        if COLLECTION_LINK.is_symlink():
            COLLECTION_LINK.unlink()
        COLLECTION_LINK.symlink_to(REPO_ROOT)
    return COLLECTIONS_PATH


def ansible_env(workdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(ensure_collection_link()),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_HOST_KEY_CHECKING": "0",
        "ANSIBLE_LOCAL_TEMP": str(workdir / "tmp"),
        "ANSIBLE_REMOTE_TEMP": str(workdir / "tmp"),
        "ANSIBLE_DEPRECATION_WARNINGS": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra or {})
    return env


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def run_playbook(playbook: Path | str, *, inventory: Path | None = None, check: bool = False, diff: bool = False,
                 extra_vars_file: Path | None = None, forks: int | None = None, env: dict[str, str] | None = None,
                 workdir: Path | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    """ansible-playbook with the collection on its path. Secrets go in files, never in this argv."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="shopfleet-ansible-"))
    (workdir / "tmp").mkdir(parents=True, exist_ok=True)
    argv = [_bin("ansible-playbook"), str(playbook)]
    if inventory is None:
        inventory = workdir / "inventory.ini"
        inventory.write_text(f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n")
    argv += ["-i", str(inventory)]
    if check:
        argv.append("--check")
    if diff:
        argv.append("--diff")
    if extra_vars_file:
        argv += ["-e", "@" + str(extra_vars_file)]
    if forks:
        argv += ["--forks", str(forks)]
    return subprocess.run(argv, cwd=workdir, env=ansible_env(workdir, env), capture_output=True, text=True, timeout=timeout, check=False)


def run_module(module: str, args: dict[str, Any], *, check: bool = False, diff: bool = False) -> ModuleResult:
    """Run one module on localhost as a playbook task and return what Ansible registered for it.

    A failing module is returned (with `failed: true`), not raised: tests assert on its message.
    """
    fqcn = module if "." in module else FQCN_PREFIX + module
    with tempfile.TemporaryDirectory(prefix="shopfleet-module-") as tmp:
        workdir = Path(tmp)
        os.chmod(workdir, 0o700)
        result_file = workdir / "result.json"
        # The arguments travel in a 0600 vars file: secrets stay out of argv and out of the playbook's text.
        vars_file = workdir / "vars.json"
        vars_file.touch(mode=0o600)
        vars_file.write_text(json.dumps({"shopfleet_module_args": args, "shopfleet_result_file": str(result_file)}))
        playbook = workdir / "playbook.yml"
        # One template per option: a templated args mapping as a whole is the "argsplat" Ansible warns about.
        options = "".join(f"\n        {name}: \"{{{{ shopfleet_module_args[{name!r}] }}}}\"" for name in args) or " {}"
        playbook.write_text(_MODULE_PLAYBOOK.format(fqcn=fqcn, options=options))
        completed = run_playbook(playbook, check=check, diff=diff, extra_vars_file=vars_file, workdir=workdir)
        output = completed.stdout + completed.stderr
        if not result_file.exists():
            raise AssertionError(f"ansible-playbook did not run {fqcn} (rc={completed.returncode}):\n{output}")
        result = ModuleResult(json.loads(result_file.read_text()))
    result.output = output
    return result


_MODULE_PLAYBOOK = """\
- name: Run one module for a test
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The module under test
      {fqcn}:{options}
      register: shopfleet_result
      ignore_errors: true

    - name: Keep what Ansible registered
      ansible.builtin.copy:
        content: "{{{{ shopfleet_result | to_json }}}}"
        dest: "{{{{ shopfleet_result_file }}}}"
        mode: "0600"
      check_mode: false
      diff: false
"""
