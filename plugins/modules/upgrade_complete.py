#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_complete
short_description: Tidy the workspace after a PrestaShop upgrade and write its report (UpgradeComplete)
version_added: 0.1.0
description:
  - The documented UpgradeComplete step, for one shop and one target version.
  - Removes the workspace's temporary files of that version - the unpacked release (C(releases/<version>/release),
    unless O(keep_release)) and the journals of the steps that finished (C(journals/*-<version>.json) whose status is
    done). A journal of a step that did not finish is kept (a rerun of that step resumes from it) and reported.
    The downloaded zip and checksum list are kept.
  - "Writes the report in the shop's workspace as C(reports/upgrade-<version>-<YYYYmmdd-HHMMSS>.json) and C(.txt)
    (0600): the versions (before, target, now), each step with its status and duration (from the registered
    results given in O(results)), the warnings, the backup's name; and returns it. Each step's whole result goes to
    its own log, C(logs/upgrade-<version>-<YYYYmmdd-HHMMSS>/NN-<step>.log), the upgrade FAQ's logs to look at."
  - Reads the version the shop's files declare and C(PS_VERSION_DB) when it can; when the database cannot be read,
    the report says so instead of failing. Never changes the shop itself; maintenance stays as it is (like the
    official module), M(shopfleet.prestashop.maintenance) gives the shop back.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._workspace
  - shopfleet.prestashop._attributes
options:
  version:
    description:
      - The version the shop was upgraded to.
    type: str
    required: true
  from_version:
    description:
      - The version the shop had before the upgrade (for instance what M(shopfleet.prestashop.shop_info) returned then).
    type: str
  results:
    description:
      - The registered results of the upgrade's steps, by step name (V(backup_files), V(backup_db), V(upgrade_files),
        V(upgrade_db), V(upgrade_modules), V(clean_database), or any other name). Failed and skipped results count too.
      - Each is read for C(failed), C(skipped), C(changed), C(msg), C(duration_s) and C(warnings); its other plain
        values are kept as details (lists as their length).
    type: dict
    default: {}
  backup_name:
    description:
      - The name of the backup taken before the upgrade.
    type: str
  started:
    description:
      - When the upgrade began, in ISO 8601 (V(2024-03-20T12:12:12Z)) or as epoch seconds. It names the report files;
        given the same value, a rerun finds its own report and changes nothing.
    type: str
  warnings:
    description:
      - More warnings for the report (for instance from tasks that are not modules of this collection).
    type: list
    elements: str
    default: []
  keep_release:
    description:
      - Keep the unpacked release in the workspace.
    type: bool
    default: false
  close_run:
    description:
      - Remove the record of the run under way (C(upgrade-run.json), see M(shopfleet.prestashop.upgrade_config)'s
        O(shopfleet.prestashop.upgrade_config#module:run)), so that a later run starts afresh with a new backup.
      - By default it is removed when the upgrade succeeded and kept when it did not (a rerun resumes); the
        C(upgrade) role sets V(true) after a rollback.
    type: bool
attributes:
  check_mode:
    support: full
    details:
      - Builds and returns the report and the list of what would be removed; writes and removes nothing.
  diff_mode:
    support: full
    details:
      - The text report before (an earlier run's with the same O(started), or nothing) and after.
notes:
  - C(changed) is true when a temporary file is removed or the report or a step log is written.
seealso:
  - module: shopfleet.prestashop.upgrade_files
  - module: shopfleet.prestashop.upgrade_db
  - module: shopfleet.prestashop.rollback_complete
"""

EXAMPLES = r"""
- name: Report the upgrade and tidy the workspace
  shopfleet.prestashop.upgrade_complete:
    shop_root: /var/www/shop
    version: 8.1.7
    from_version: "{{ shop_before.version }}"
    started: "{{ upgrade_started }}"
    backup_name: "{{ backup.name }}"
    results:
      upgrade_files: "{{ files_step }}"
      upgrade_db: "{{ db_step }}"
      upgrade_modules: "{{ modules_step }}"
      clean_database: "{{ clean_step }}"
  register: upgrade_report
"""

RETURN = r"""
status:
  description: V(success), V(success_with_warnings), V(failed) (a step failed or the shop is not at the target version) or V(incomplete).
  returned: success
  type: str
  sample: success
report:
  description: The report as written in the JSON file.
  returned: success
  type: dict
report_text:
  description: The report for a person, as written in the text file.
  returned: success
  type: str
report_files:
  description: The report files.
  returned: success
  type: dict
  sample: {"json": "/var/lib/shopfleet/var-www-shop-1a2b3c4d/reports/upgrade-8.1.7-20240320-121212.json", "txt": "..."}
log_files:
  description:
    - One log per step, C(logs/upgrade-<version>-<stamp>/NN-<step>.log) in the shop's workspace (0600) - the step's
      status, message, warnings, any output streams and its whole result - for a person to read after a failure.
  returned: success
  type: list
  elements: str
  sample: ["/var/lib/shopfleet/var-www-shop-1a2b3c4d/logs/upgrade-8.1.7-20240320-121212/05-upgrade_db.log"]
removed:
  description: The temporary files and folders removed (or, in check mode, to remove).
  returned: success
  type: list
  elements: str
kept_journals:
  description: Journals of steps that did not finish, kept.
  returned: success
  type: list
  elements: str
"""

import datetime
import glob
import json
import os
import secrets
import shutil
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import iso_utc
from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, query_error_message
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import RELEASE_MARKER
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    read_parameters,
    shop_argument_spec,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._step_results import StepResultError, parse_started, read_text, summarize_step
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    UPGRADE_RUN_FILE,
    Workspace,
    WorkspaceError,
    atomic_write,
    check_name,
    ensure_private_dir,
    is_inside,
    read_json,
    workspace_argument_spec,
    write_json,
)

REPORT_FORMAT = "shopfleet.report.upgrade/1"
STEP_ORDER = ("backup_files", "backup_db", "upgrade_files", "upgrade_db", "upgrade_modules", "clean_database")
FINISHED = ("done", "finished", "complete", "completed")
DELETING_MARK = ".deleting-"


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        version={"type": "str", "required": True},
        from_version={"type": "str"},
        results={"type": "dict", "default": {}},
        backup_name={"type": "str"},
        started={"type": "str"},
        warnings={"type": "list", "elements": "str", "default": []},
        keep_release={"type": "bool", "default": False},
        close_run={"type": "bool"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


# --- temporary files ---------------------------------------------------------------------------------------------

def plan_cleanup(workspace: Workspace, version: str, keep_release: bool) -> dict[str, list[str]]:
    """{remove, kept_journals}: the unpacked release (only a folder release_unzip made), leftovers of a killed
    removal, and the journals of this version whose step finished."""
    remove = []
    folder = os.path.join(workspace.root, "releases", version)
    release = os.path.join(folder, "release")
    if not keep_release and os.path.isfile(os.path.join(release, RELEASE_MARKER)) and is_inside(release, workspace.root):
        remove.append(release)
    remove.extend(sorted(glob.glob(os.path.join(glob.escape(folder), "release" + DELETING_MARK + "*"))))
    kept = []
    for journal in sorted(glob.glob(os.path.join(glob.escape(workspace.journals), f"*-{glob.escape(version)}.json"))):
        document = read_json(journal)
        if isinstance(document, dict) and str(document.get("status", "")).lower() in FINISHED:
            remove.append(journal)
        else:
            kept.append(journal)
    return {"remove": remove, "kept_journals": kept}


def remove_paths(paths: list[str]) -> None:
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            doomed = path if DELETING_MARK in os.path.basename(path) else f"{path}{DELETING_MARK}{secrets.token_hex(4)}"
            # Renamed first: a killed removal never leaves something that looks like a complete release.
            if doomed != path:
                os.rename(path, doomed)
            shutil.rmtree(doomed)
        elif os.path.lexists(path):
            os.unlink(path)


# --- the shop now ------------------------------------------------------------------------------------------------

def read_shop_now(params: dict[str, Any], shop_root: str) -> dict[str, Any]:
    now: dict[str, Any] = {"files": None, "db": None, "files_error": None, "db_error": None}
    try:
        now["files"] = inspect_files(shop_root, params["admin_dir"]).version
    except (ShopError, OSError) as exc:
        now["files_error"] = str(exc)
    try:
        connection_params = db_params(read_parameters(shop_root)[1], db_overrides(params))
        connection = connect(connection_params, params["db_connect_timeout"])
        try:
            now["db"] = global_configuration(connection, connection_params, ["PS_VERSION_DB"])["PS_VERSION_DB"]
        finally:
            connection.close()
    except (ShopError, DbError, OSError) as exc:
        now["db_error"] = str(exc)
    except QUERY_ERRORS as exc:
        now["db_error"] = f"reading the database failed: {query_error_message(exc)}"
    return now


# --- the report --------------------------------------------------------------------------------------------------

def ordered_steps(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = [name for name in STEP_ORDER if name in results] + sorted(name for name in results if name not in STEP_ORDER)
    steps = {}
    for name in names:
        value = results[name]
        if value is not None and not isinstance(value, dict):
            raise StepResultError(f"results.{name} must be a registered result (a mapping)")
        steps[name] = summarize_step(value)
    return steps


def build_report(shop_root: str, version: str, params: dict[str, Any], started: float | None, steps: dict[str, dict[str, Any]],
                 now: dict[str, Any]) -> dict[str, Any]:
    """The report as plain data; the same inputs give the same report."""
    problems, warnings = [], list(params["warnings"])
    for name, step in steps.items():
        warnings.extend(f"{name}: {warning}" for warning in step["warnings"])
        if step["status"] == "failed":
            problems.append(f"{name} failed: {step['msg'] or 'no message'}")
    checks = {}
    for kind, label in (("files", "the shop's files declare"), ("db", "PS_VERSION_DB is")):
        actual = now[kind]
        checks[kind] = None if actual is None else php_version_compare(str(actual), version) == 0
        if checks[kind] is False:
            problems.append(f"{label} {actual}, not {version}")
    if now["files_error"]:
        problems.append(f"cannot read the shop's files: {now['files_error']}")
    if now["db_error"]:
        warnings.append(f"cannot read the database: {now['db_error']}")
    durations = [step["duration_s"] for step in steps.values() if step["duration_s"] is not None]
    if problems:
        status = "failed"
    elif any(step["status"] in ("not_run", "skipped") for step in steps.values()):
        status = "incomplete"
    else:
        status = "success_with_warnings" if warnings else "success"
    return {
        "format": REPORT_FORMAT, "status": status, "shop_root": shop_root, "started": iso_utc(started),
        "versions": {"before": params["from_version"], "target": version, "now": {"files": now["files"], "db": now["db"]}, "at_target": checks},
        "backup": params["backup_name"], "steps": steps,
        "durations": {"total_s": round(sum(durations), 1) if durations else None},
        "problems": problems, "warnings": warnings,
    }


HEADLINES = {"success": "UPGRADE SUCCEEDED", "success_with_warnings": "UPGRADE SUCCEEDED WITH WARNINGS", "failed": "UPGRADE FAILED",
             "incomplete": "UPGRADE INCOMPLETE"}


def render_text(report: dict[str, Any]) -> str:
    versions = report["versions"]
    lines = [f"{HEADLINES[report['status']]}: {report['shop_root']}", "=" * 78,
             f"Started:  {report['started'] or 'not recorded'}",
             f"Versions: {versions['before'] or '?'} -> {versions['target']} (files now {versions['now']['files'] or '?'}, "
             f"PS_VERSION_DB now {versions['now']['db'] or '?'})",
             f"Backup:   {report['backup'] or 'none recorded'}", "", "Steps"]
    for name, step in report["steps"].items():
        duration = f"{step['duration_s']:.1f} s" if step["duration_s"] is not None else "-"
        lines.append(f"  {name:<16} {step['status'].upper().replace('_', ' '):<10} {duration:>9}")
        details = ", ".join(f"{key}: {value}" for key, value in step["details"].items())
        if details:
            lines.append(f"    {details}")
        if step["msg"] and step["status"] in ("failed", "skipped"):
            lines.append(f"    {step['msg']}")
    total = report["durations"]["total_s"]
    lines.append(f"  {'total':<16} {'':<10} {(f'{total:.1f} s' if total is not None else '-'):>9}")
    if report["problems"]:
        lines += ["", "Problems"] + [f"  - {problem}" for problem in report["problems"]]
    if report["warnings"]:
        lines += ["", "Warnings"] + [f"  - {warning}" for warning in report["warnings"]]
    return "\n".join(lines) + "\n"


def run_stamp(started: float | None, now: float) -> str:
    return datetime.datetime.fromtimestamp(started if started is not None else now, datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")


def report_paths(workspace: Workspace, version: str, started: float | None, now: float) -> dict[str, str]:
    base = os.path.join(workspace.reports, f"upgrade-{version}-{run_stamp(started, now)}")
    return {"json": base + ".json", "txt": base + ".txt"}


# Ansible's bookkeeping in a registered result: not something a person reading a step's log needs.
_LOG_LEFT_OUT = frozenset({"invocation", "_ansible_no_log", "_ansible_verbose_always", "ansible_facts", "diff"})


def step_logs(workspace: Workspace, version: str, started: float | None, now: float, results: dict[str, Any],
              steps: dict[str, dict[str, Any]]) -> dict[str, str]:
    """{path: text}: one log per step of the run (`logs/upgrade-<version>-<stamp>/NN-<step>.log`), what the step said in full."""
    folder = os.path.join(workspace.logs, f"upgrade-{version}-{run_stamp(started, now)}")
    logs = {}
    for number, (name, step) in enumerate(steps.items(), start=1):
        result = {key: value for key, value in (results.get(name) or {}).items() if key not in _LOG_LEFT_OUT}
        lines = [f"{name}: {step['status'].upper()}", f"duration: {step['duration_s'] if step['duration_s'] is not None else '-'} s"]
        if step["msg"]:
            lines += ["", "message:", str(step["msg"])]
        if step["warnings"]:
            lines += ["", "warnings:"] + [f"- {warning}" for warning in step["warnings"]]
        for stream in ("stderr", "stdout", "module_stderr", "module_stdout", "exception"):
            if isinstance(result.get(stream), str) and result[stream].strip():
                lines += ["", f"{stream}:", result[stream].rstrip()]
        lines += ["", "result:", json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False, default=str)]
        logs[os.path.join(folder, f"{number:02d}-{name}.log")] = "\n".join(lines) + "\n"
    return logs


def run(params: dict[str, Any], check_mode: bool, now: float) -> dict[str, Any]:
    shop_root = os.path.abspath(params["shop_root"])
    version = check_name(params["version"])
    if params["backup_name"]:
        check_name(params["backup_name"])
    started = parse_started(params["started"])
    workspace = Workspace.for_shop(shop_root, params["workspace"], params["backup_dir"])
    cleanup = plan_cleanup(workspace, version, params["keep_release"])
    report = build_report(shop_root, version, params, started, ordered_steps(params["results"]), read_shop_now(params, shop_root))
    close_run = params["close_run"] if params["close_run"] is not None else report["status"].startswith("success")
    run_record = os.path.join(workspace.root, UPGRADE_RUN_FILE)
    if close_run and os.path.lexists(run_record):
        cleanup["remove"].append(run_record)
    text = render_text(report)
    paths = report_paths(workspace, version, started, now)
    logs = step_logs(workspace, version, started, now, params["results"], report["steps"])
    write_logs = {path: content for path, content in logs.items() if read_text(path) != content}
    document = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    previous_text = read_text(paths["txt"])
    write_report = previous_text != text or read_text(paths["json"]) != document
    if not check_mode:
        remove_paths(cleanup["remove"])
        if write_report:
            ensure_private_dir(workspace.root)
            ensure_private_dir(workspace.reports)
            atomic_write(paths["txt"], text.encode("utf-8"))
            write_json(paths["json"], report)
        for path, content in write_logs.items():
            ensure_private_dir(workspace.logs)
            ensure_private_dir(os.path.dirname(path))
            atomic_write(path, content.encode("utf-8"))
    return {"changed": write_report or bool(write_logs) or bool(cleanup["remove"]), "status": report["status"], "report": report, "report_text": text,
            "report_files": paths, "log_files": sorted(logs), "removed": cleanup["remove"], "kept_journals": cleanup["kept_journals"],
            "diff": {"before": previous_text or "", "after": text, "before_header": paths["txt"], "after_header": paths["txt"]}}


def main() -> None:
    module = create_module()
    try:
        result = run(module.params, module.check_mode, datetime.datetime.now(datetime.timezone.utc).timestamp())
    except (StepResultError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"upgrade_complete: {exc.strerror or exc} ({exc.filename})")
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
