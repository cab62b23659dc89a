#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_modules
short_description: Upgrade a PrestaShop shop's installed modules and run their upgrade scripts
version_added: 0.1.0
description:
  - Brings every installed module (a row of C(<prefix>module)) to the newest version available from the target
    release (O(release_dir)), a folder of module zips (O(module_source)) or zips to download (O(module_urls)); the
    highest version wins. Files are
    copied over the shop's module folder (files the new version no longer has are left, as PrestaShop does);
    a module whose files are already newer is never downgraded.
  - Then runs the module's C(upgrade/upgrade-X.php) scripts for every X above the version the database records and
    not above the new version (PHP's C(version_compare), in that order), calling C(upgrade_module_X_Y_Z($module))
    in a PHP process bootstrapped with the shop's C(config/config.inc.php), one process per module. The version of
    each script that succeeds is recorded at once, so a rerun resumes after it; the new version is recorded in
    C(<prefix>module.version) once every script succeeded (also when there was no script to run).
  - A script that is missing its function, returns a false value, throws, or ends PHP fails that module's upgrade.
    Like the official module, that module is then disabled (O(on_failure=disable)), but its rows are saved first
    so O(reenable) gives it back; the other modules are still upgraded and the task fails at the end
    (O(fail_on_error)).
  - O(disable_custom_modules) disables the installed modules the target release does not ship, as the official
    module's option does, but saves their C(module) and C(module_shop) rows to C(disabled-modules.json) in the
    shop's workspace FIRST; O(reenable) restores exactly those rows later (the official module deletes the
    C(module_shop) rows for good).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._attributes
options:
  release_dir:
    description:
      - The unzipped target release (what M(shopfleet.prestashop.release_unzip) produced); its C(modules/) folder is
        a module source and says which modules are native.
      - Defaults to C(release_dir) of the shop's C(upgrade-config.json) when it is set there.
    type: path
  module_source:
    description:
      - A folder of module zips, each holding one top folder C(<module>/) as the marketplace and module developers
        publish them. Zips with absolute or C(..) paths, links, or several top folders are refused.
    type: path
  module_urls:
    description:
      - Where to download module zips, as a mapping of module name to the URL of its zip, or to a mapping with
        C(url) and C(sha256) (checked before the zip is opened). Downloads go to the module's temporary folder,
        also in check mode, through Ansible's HTTP client (proxies from the environment).
      - A zip whose top folder is not the module it is listed for is refused.
    type: dict
  validate_certs:
    description: Check the TLS certificates of O(module_urls).
    type: bool
    default: true
  url_timeout:
    description: Seconds to wait for a server of O(module_urls).
    type: int
    default: 30
  modules:
    description: Only these modules (names). By default every installed module.
    type: list
    elements: str
  exclude:
    description: Modules to leave alone.
    type: list
    elements: str
    default: []
  disable_custom_modules:
    description:
      - Disable the installed modules that the target release does not ship (their rows saved first).
      - Defaults to C(disable_custom_modules) of the shop's C(upgrade-config.json), else V(false).
    type: bool
  reenable:
    description:
      - Enable again, exactly as they were, the modules this module disabled (custom modules and failed upgrades);
        their saved C(active) flag and C(module_shop) rows are put back, then the snapshot is removed.
      - Done before the upgrades of the same run. Cannot be combined with O(disable_custom_modules=true).
    type: bool
    default: false
  on_failure:
    description:
      - What happens to a module whose upgrade script failed. V(disable) (as the official module does, rows saved
        first so O(reenable) restores them) or V(keep) it enabled.
    type: str
    choices: [disable, keep]
    default: disable
  fail_on_error:
    description: Fail the task when a module's upgrade failed (after upgrading the others). With V(false) it is a warning.
    type: bool
    default: true
  php_executable:
    description: The PHP CLI that runs the upgrade scripts; it must suit both the shop and the new module versions.
    type: str
    default: php
  script_timeout:
    description: Seconds one module's scripts may take (PHP's C(max_execution_time) for the process running them).
    type: int
    default: 600
  workspace:
    description:
      - Root of the workspaces on the host; C(upgrade-config.json) and C(disabled-modules.json) are in the shop's
        own folder inside it.
      - Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - Lists the modules that would be upgraded, their files and scripts, and the modules that would be disabled
        or enabled again; writes nothing, runs no PHP. Zips of O(module_source) are read in the module's temporary folder.
  diff_mode:
    support: full
    details:
      - Version recorded for each module before and after, files replaced per module, active flags of disabled or
        re-enabled modules.
requirements:
  - PyMySQL
  - PHP CLI on the shop host when scripts run
notes:
  - Idempotent. A second run finds every version recorded and every custom module disabled, and changes nothing.
  - Modules that are on disk but not installed are never touched. The C(autoupgrade) module is never touched.
  - The marketplace API is not a source; list the zips in O(module_urls) or download them into O(module_source).
"""

EXAMPLES = r"""
- name: Upgrade the modules the new release ships, disabling custom modules during the upgrade
  shopfleet.prestashop.upgrade_modules:
    shop_root: /var/www/shop
    release_dir: /var/lib/shopfleet/var-www-shop-1a2b3c4d/releases/8.1.7/release
    module_source: /srv/module-zips
    disable_custom_modules: true

- name: Give the custom modules back once the shop is healthy
  shopfleet.prestashop.upgrade_modules:
    shop_root: /var/www/shop
    reenable: true
"""

RETURN = r"""
modules:
  description: One entry per module that had something to do or to say (predicted in check mode).
  returned: success
  type: list
  elements: dict
  sample: [{"name": "ps_linklist", "status": "upgraded", "version_old": "5.0.5", "version_new": "6.0.7", "source": "release",
            "files": 7, "scripts": ["6.0.0", "6.0.7"], "scripts_run": ["6.0.0", "6.0.7"], "warnings": [], "error": null}]
upgraded:
  description: Names of the modules whose new version was recorded (would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [ps_linklist, mymodule]
failed_modules:
  description: Names of the modules whose upgrade failed.
  returned: success
  type: list
  elements: str
  sample: []
disabled:
  description: Modules disabled by this run (custom modules, failed upgrades), their rows saved in the snapshot first.
  returned: success
  type: list
  elements: str
  sample: [mymodule]
reenabled:
  description: Modules enabled again from the snapshot.
  returned: success
  type: list
  elements: str
  sample: []
snapshot:
  description: Path of C(disabled-modules.json) while it holds modules to enable again, else V(null).
  returned: success
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/disabled-modules.json
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, query_error_message, require_pymysql
from ansible_collections.shopfleet.prestashop.plugins.module_utils._module_runner import run_module_scripts, runner_job, write_runner
from ansible_collections.shopfleet.prestashop.plugins.module_utils._modules import (
    SNAPSHOT_FORMAT,
    SNAPSHOT_NAME,
    ModuleUpgradeError,
    copy_module_files,
    custom_module_names,
    disable_modules,
    merge_sources,
    plan_disable,
    plan_modules,
    plan_reenable,
    read_installed,
    read_module_rows,
    record_version,
    release_sources,
    restore_modules,
    url_sources,
    zip_sources,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import HttpSettings
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    inspect_files,
    read_parameters,
    shop_argument_spec,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    ensure_private_dir,
    read_json,
    utc_now,
    write_json,
)

CONFIG_FORMAT = "shopfleet.upgrade_config/1"


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(
        release_dir={"type": "path"},
        module_source={"type": "path"},
        module_urls={"type": "dict"},
        validate_certs={"type": "bool", "default": True},
        url_timeout={"type": "int", "default": 30},
        modules={"type": "list", "elements": "str"},
        exclude={"type": "list", "elements": "str", "default": []},
        disable_custom_modules={"type": "bool"},
        reenable={"type": "bool", "default": False},
        on_failure={"type": "str", "choices": ["disable", "keep"], "default": "disable"},
        fail_on_error={"type": "bool", "default": True},
        php_executable={"type": "str", "default": "php"},
        script_timeout={"type": "int", "default": 600},
        workspace={"type": "path"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def stored_options(workspace: Workspace) -> dict[str, Any]:
    """upgrade_config's options for this shop, or {} when it never ran."""
    path = os.path.join(workspace.root, "upgrade-config.json")
    document = read_json(path)
    if document is None:
        return {}
    if document.get("format") != CONFIG_FORMAT:
        raise WorkspaceError(f"{path} is not an upgrade configuration of ours: move it away")
    return document.get("options") or {}


def read_snapshot(path: str) -> dict[str, Any] | None:
    snapshot = read_json(path)
    if snapshot is not None and snapshot.get("format") != SNAPSHOT_FORMAT:
        raise WorkspaceError(f"{path} is not a disabled-modules snapshot of ours: move it away")
    return snapshot


class ModuleRun:
    """One run: the options resolved, the database connection, the plan, then its application."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
        self.params = db_params(read_parameters(self.files.root)[1], db_overrides(module.params))
        self.workspace = Workspace.for_shop(self.files.root, module.params["workspace"])
        options = stored_options(self.workspace)
        self.release_dir = module.params["release_dir"] or options.get("release_dir")
        disable = module.params["disable_custom_modules"]
        self.disable_custom = bool(options.get("disable_custom_modules", False) if disable is None else disable)
        if module.params["reenable"] and self.disable_custom:
            raise ModuleUpgradeError("reenable and disable_custom_modules cannot both be true: the first gives back what the second takes")
        self.snapshot_path = os.path.join(self.workspace.root, SNAPSHOT_NAME)
        self.snapshot = read_snapshot(self.snapshot_path)
        self.source_paths: dict[str, str] = {}
        self.snapshot_removed = False
        self.results: dict[str, Any] = {"disabled": [], "reenabled": [], "upgraded": [], "failed": [], "warnings": []}

    # --- planning ---

    def plan(self, connection: Any) -> dict[str, Any]:
        release = release_sources(self.release_dir)
        staging = os.path.join(self.module.tmpdir, "module-zips")
        settings = HttpSettings(validate_certs=self.module.params["validate_certs"], timeout=self.module.params["url_timeout"])
        sources = merge_sources(release, zip_sources(self.module.params["module_source"], staging),
                                url_sources(self.module.params["module_urls"], os.path.join(self.module.tmpdir, "module-urls"), settings))
        self.source_paths = {name: source["path"] for name, source in sources.items()}
        installed = read_installed(connection, self.params.prefix)
        modules = plan_modules(installed, self.files.root, sources, self.module.params["modules"], self.module.params["exclude"])
        plan: dict[str, Any] = {"modules": modules, "disable": {"disable": [], "modules": {}}, "reenable": {"restore": [], "gone": []}}
        if self.module.params["reenable"] and self.snapshot:
            current = read_module_rows(connection, self.params.prefix, sorted(self.snapshot.get("modules", {})))
            plan["reenable"] = plan_reenable(current, self.snapshot)
        if self.disable_custom:
            if not self.release_dir:
                raise ModuleUpgradeError("disable_custom_modules needs release_dir: the target release says which modules are native")
            names = custom_module_names(installed, set(release))
            plan["disable"] = plan_disable(read_module_rows(connection, self.params.prefix, names), self.snapshot, "custom module")
        return plan

    # --- applying ---

    def reenable(self, connection: Any, plan: dict[str, Any]) -> None:
        if not (self.module.params["reenable"] and self.snapshot):
            return
        saved = self.snapshot.get("modules", {})
        restore_modules(connection, self.params.prefix, [saved[name] for name in plan["reenable"]["restore"]])
        self.results["reenabled"] = plan["reenable"]["restore"]
        os.unlink(self.snapshot_path)
        self.snapshot = None
        self.snapshot_removed = True

    def disable(self, connection: Any, names: list[str], saved: dict[str, Any]) -> None:
        """Save the rows first (snapshot extended, never overwritten), then disable."""
        if not names:
            return
        ensure_private_dir(self.workspace.root)
        document = self.snapshot or {"format": SNAPSHOT_FORMAT, "shop_root": self.files.root, "created": utc_now(), "modules": {}}
        document["modules"] = saved
        document["updated"] = utc_now()
        write_json(self.snapshot_path, document)
        self.snapshot = document
        disable_modules(connection, self.params.prefix, [int(saved[name]["module"]["id_module"]) for name in names])
        self.results["disabled"].extend(names)

    def upgrade(self, connection: Any, entry: dict[str, Any], php: str | None, runner: str | None) -> dict[str, Any]:
        name = entry["name"]
        folder = os.path.join(self.files.root, "modules", name)
        outcome: dict[str, Any] = {"scripts_run": [], "error": None, "output": ""}
        if entry["files"]:
            copy_module_files(self.source_paths[name], folder, entry["files"])
        if entry["scripts"]:
            job = runner_job(self.files.root, self.files.admin_dir, name, entry["scripts"])
            report = run_module_scripts(self.module.run_command, php or "php", runner or "", job, self.module.params["script_timeout"])
            outcome.update(scripts_run=report.get("scripts_run", []), error=report.get("error"), output=report.get("output", ""))
            if not report.get("ok"):
                return outcome
        if entry["record_version"]:
            record_version(connection, self.params.prefix, name, entry["version_new"])
        return outcome

    def fail_module(self, connection: Any, name: str) -> None:
        if self.module.params["on_failure"] != "disable":
            return
        current = read_module_rows(connection, self.params.prefix, [name])
        disable_plan = plan_disable(current, self.snapshot, "upgrade failed")
        self.disable(connection, disable_plan["disable"], disable_plan["modules"])

    def run(self) -> dict[str, Any]:
        connection = connect(self.params, self.module.params["db_connect_timeout"])
        try:
            return self._run(connection)
        except QUERY_ERRORS as exc:
            raise DbError(f"upgrading the modules in {self.params.describe()} failed: {query_error_message(exc)}") from None
        finally:
            connection.close()

    def _run(self, connection: Any) -> dict[str, Any]:
        plan = self.plan(connection)
        entries = plan["modules"]
        before = {entry["name"]: entry["version_db"] for entry in entries}
        for entry in entries:
            self.results["warnings"].extend(entry["warnings"])
        if self.module.check_mode:
            return self._predicted(plan, before)
        self.reenable(connection, plan)
        self.disable(connection, plan["disable"]["disable"], plan["disable"]["modules"])
        needs_php = any(entry["scripts"] for entry in entries)
        php = self.module.get_bin_path(self.module.params["php_executable"], required=True) if needs_php else None
        runner = write_runner(self.module.tmpdir) if needs_php else None
        changed_files = False
        rows = []
        for entry in entries:
            if not (entry["files"] or entry["record_version"]):
                rows.append(self._row(entry, "unchanged", {}))
                continue
            outcome = self.upgrade(connection, entry, php, runner)
            changed_files = changed_files or bool(entry["files"])
            if outcome["error"]:
                self.results["failed"].append(entry["name"])
                self.fail_module(connection, entry["name"])
                rows.append(self._row(entry, "failed", outcome))
            else:
                self.results["upgraded"].append(entry["name"])
                rows.append(self._row(entry, "upgraded", outcome))
        changed = bool(changed_files or self.results["upgraded"] or self.results["failed"] or self.results["disabled"]
                       or self.results["reenabled"] or self.snapshot_removed)
        if self.module.params["reenable"] and plan["reenable"]["gone"]:
            self.results["warnings"].append("uninstalled since they were disabled, not enabled again: " + ", ".join(plan["reenable"]["gone"]))
        after = {entry["name"]: (entry["version_new"] if entry["name"] in self.results["upgraded"] else entry["version_db"]) for entry in entries}
        return self._result(changed, rows, before, after)

    def _predicted(self, plan: dict[str, Any], before: dict[str, str]) -> dict[str, Any]:
        entries = plan["modules"]
        pending = [entry for entry in entries if entry["files"] or entry["record_version"]]
        self.results["upgraded"] = [entry["name"] for entry in pending]
        self.results["disabled"] = plan["disable"]["disable"]
        self.results["reenabled"] = plan["reenable"]["restore"] if self.module.params["reenable"] else []
        rows = [self._row(entry, "planned" if entry in pending else "unchanged", {}) for entry in entries]
        after = {entry["name"]: entry["version_new"] if entry in pending else entry["version_db"] for entry in entries}
        snapshot_goes = self.module.params["reenable"] and self.snapshot is not None
        changed = bool(pending or self.results["disabled"] or self.results["reenabled"] or snapshot_goes)
        return self._result(changed, rows, before, after, predicted_snapshot=not snapshot_goes and bool(self.snapshot or self.results["disabled"]))

    def _row(self, entry: dict[str, Any], status: str, outcome: dict[str, Any]) -> dict[str, Any]:
        return {"name": entry["name"], "status": status, "version_old": entry["version_db"], "version_disk": entry["version_disk"],
                "version_new": entry["version_new"], "source": entry["source"], "files": len(entry["files"]), "file_list": entry["files"],
                "scripts": entry["scripts"], "scripts_run": outcome.get("scripts_run", []), "warnings": entry["warnings"],
                "error": outcome.get("error"), "output": outcome.get("output", "")}

    def _result(self, changed: bool, rows: list[dict[str, Any]], before: dict[str, str], after: dict[str, str],
                predicted_snapshot: bool | None = None) -> dict[str, Any]:
        keeps_snapshot = os.path.exists(self.snapshot_path) if predicted_snapshot is None else predicted_snapshot
        file_lists = {row["name"]: row["file_list"] for row in rows if row["file_list"]}
        return {
            "changed": changed,
            "modules": [{key: value for key, value in row.items() if key != "file_list"} for row in rows],
            "upgraded": self.results["upgraded"],
            "failed_modules": self.results["failed"],
            "disabled": self.results["disabled"],
            "reenabled": self.results["reenabled"],
            "snapshot": self.snapshot_path if keeps_snapshot else None,
            "warnings_list": self.results["warnings"],
            "diff": {"before": {"versions": before, "disabled": [], "reenabled": []},
                     "after": {"versions": after, "files": file_lists, "disabled": self.results["disabled"], "reenabled": self.results["reenabled"]}},
        }


def main() -> None:
    started = time.monotonic()
    module = create_module()
    require_pymysql(module)
    try:
        result = ModuleRun(module).run()
    except (ShopError, DbError, WorkspaceError, ModuleUpgradeError) as exc:
        module.fail_json(msg=str(exc))
    for warning in result.pop("warnings_list"):
        module.warn(warning)
    if not module._diff:
        result.pop("diff")
    result["duration_s"] = round(time.monotonic() - started, 3)
    if result["failed_modules"]:
        errors = "; ".join(f"{row['name']}: {row['error']}" for row in result["modules"] if row["status"] == "failed")
        message = f"upgrade of {len(result['failed_modules'])} module(s) failed ({errors})"
        if module.params["fail_on_error"]:
            module.fail_json(msg=message, **result)
        module.warn(message)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
