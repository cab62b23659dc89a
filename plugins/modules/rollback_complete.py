#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: rollback_complete
short_description: Write the report of a PrestaShop shop's rollback
version_added: 0.1.0
description:
  - The documented RollbackComplete step. Gathers what a rollback did to one shop (the backup used, what
    M(shopfleet.prestashop.rollback_files) and M(shopfleet.prestashop.rollback_db) restored, their durations and
    verification), reads the shop as it is now (the version its files declare, C(PS_VERSION_DB), the maintenance
    state of each shop of the installation), compares it with the backup, and returns the report.
  - Writes it in the shop's workspace as C(reports/rollback-<backup>-<YYYYmmdd-HHMMSS>.json) and C(.txt) (0600),
    the text version written for the person who reads it the morning after, with what to do next.
  - Never changes the shop. Switching maintenance mode is the job of M(shopfleet.prestashop.maintenance); this
    module reports the state and whether it is the one O(expected_maintenance) asks for.
  - The database is read when it can be; when it cannot, the report says so instead of failing.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._workspace
  - shopfleet.prestashop._attributes
options:
  backup:
    description:
      - The backup the rollback used, as M(shopfleet.prestashop.backup_info) returned it in RV(shopfleet.prestashop.backup_info#module:selected).
      - V(null) (with no O(backup_name)) means no backup was found, the documented NoRollbackFound case.
    type: dict
  backup_name:
    description:
      - Name of the backup the rollback used, looked up in the shop's backup folder and the official module's, when
        O(backup) is not given.
    type: str
  files_result:
    description:
      - What M(shopfleet.prestashop.rollback_files) returned (the registered result, failed or skipped ones too).
      - Omitted means the step did not run.
    type: dict
  db_result:
    description:
      - What M(shopfleet.prestashop.rollback_db) returned (the registered result, failed or skipped ones too).
      - Omitted means the step did not run.
    type: dict
  kinds:
    description:
      - Steps the rollback meant to run; one that did not run makes the rollback V(incomplete).
    type: list
    elements: str
    choices: [files, db]
    default: [files, db]
  started:
    description:
      - When the rollback began, in ISO 8601 (V(2024-03-20T12:12:12Z)) or as epoch seconds.
      - It names the report files. Given the same value, a rerun finds its own report and changes nothing; without
        it every run writes a new report stamped with the current time.
    type: str
  reason:
    description:
      - Why the rollback ran, for instance the message of the upgrade step that failed.
    type: str
  before:
    description:
      - The shop as it was before the rollback, for instance what M(shopfleet.prestashop.shop_info) returned then.
        Only its C(version) and C(db_version) are read.
    type: dict
  expected_maintenance:
    description:
      - Whether the shops should now be in maintenance (V(true)) or open (V(false)). When they are not, the report
        says so; the module still does not fail. Unset, the state is only reported.
    type: bool
attributes:
  check_mode:
    support: full
    details:
      - Builds and returns the report, writes nothing.
  diff_mode:
    support: full
    details:
      - The text report before (the file written by an earlier run with the same O(started), or nothing) and after.
notes:
  - C(changed) is true when the report files are written, that is once per rollback when O(started) is given.
  - The step results are read for C(failed), C(skipped), C(changed), C(msg), C(duration_s) and C(verified) (or a
    C(verification) mapping with C(ok)); every other plain value is kept in the report as a detail, lists as their
    length.
seealso:
  - module: shopfleet.prestashop.backup_info
  - module: shopfleet.prestashop.rollback_files
  - module: shopfleet.prestashop.rollback_db
  - module: shopfleet.prestashop.maintenance
"""

EXAMPLES = r"""
- name: Note when the rollback began
  ansible.builtin.set_fact:
    rollback_started: "{{ now(utc=true).isoformat() }}"

- name: Find the backup (Rollback / NoRollbackFound)
  shopfleet.prestashop.backup_info:
    shop_root: /var/www/shop
    name: "{{ backup_name | default(omit) }}"
  register: rollback_backup

- name: Restore the files
  shopfleet.prestashop.rollback_files:
    shop_root: /var/www/shop
    name: "{{ rollback_backup.selected.name }}"
  when: rollback_backup.rollback_found
  register: rollback_files_result
  ignore_errors: true

- name: Restore the database
  shopfleet.prestashop.rollback_db:
    shop_root: /var/www/shop
    name: "{{ rollback_backup.selected.name }}"
  when: rollback_backup.rollback_found
  register: rollback_db_result
  ignore_errors: true

- name: Write the rollback report (RollbackComplete)
  shopfleet.prestashop.rollback_complete:
    shop_root: /var/www/shop
    backup: "{{ rollback_backup.selected }}"
    files_result: "{{ rollback_files_result }}"
    db_result: "{{ rollback_db_result }}"
    started: "{{ rollback_started }}"
    reason: "{{ upgrade_error | default(omit) }}"
    expected_maintenance: true
  register: rollback_report

- name: Show it
  ansible.builtin.debug:
    msg: "{{ rollback_report.report_text }}"
"""

RETURN = r"""
status:
  description:
    - V(success) (every step ran, nothing failed, the shop matches the backup), V(failed) (a step failed, a
      verification failed, or the shop does not match the backup), V(incomplete) (a step of O(kinds) did not run)
      or V(nothing_to_restore) (no backup).
  returned: always
  type: str
  sample: success
report:
  description: The report, as written to the JSON file.
  returned: always
  type: dict
  contains:
    format:
      description: V(shopfleet.report.rollback/1).
      type: str
    status:
      description: As RV(status).
      type: str
    shop_root:
      description: The shop.
      type: str
    started:
      description: When the rollback began (UTC), V(null) when not given.
      type: str
    reason:
      description: Why it ran.
      type: str
    backup:
      description: C(name), C(source), C(path), C(version), C(db_version), C(created) of the backup used, V(null) when none.
      type: dict
    steps:
      description: Per step (C(files), C(db)) C(status) (V(restored), V(unchanged), V(failed), V(skipped), V(not_run)),
        C(msg), C(duration_s), C(verified) and C(details).
      type: dict
    durations:
      description: C(files_s), C(db_s) and C(total_s) (their sum), in seconds; V(null) when unknown.
      type: dict
    verification:
      description: C(status) (V(passed), V(failed), V(not_done)) and per step the verified flag.
      type: dict
    versions:
      description:
        - C(before), C(backup) and C(now), each C(files) and C(db) (C(PS_VERSION_DB)).
        - C(checks) per step, whether the version now equals the backup's (V(null) when not compared, for instance
          because the step did not complete); C(matches_backup) when every compared one does.
      type: dict
    maintenance:
      description: C(shops) (C(id), C(name), C(maintenance), C(maintenance_ips)), C(expected), C(as_expected).
      type: dict
    database:
      description: C(reachable), and C(error) when it was not.
      type: dict
    problems:
      description: Everything that went wrong or does not match, one line each.
      type: list
      elements: str
    next_steps:
      description: What to do now, one line each.
      type: list
      elements: str
  sample:
    format: shopfleet.report.rollback/1
    status: success
    shop_root: /var/www/shop
    started: "2024-03-20T12:12:12Z"
    reason: "upgrade_db: MySQL error 1054 in 8.1.7.sql"
    backup: {name: V8.1.5_20240320-120000-1a2b3c4d, source: shopfleet, version: 8.1.5, db_version: 8.1.5,
             created: "2024-03-20T12:00:00Z", path: /var/lib/shopfleet/var-www-shop-1a2b3c4d/backups/V8.1.5_20240320-120000-1a2b3c4d}
    steps:
      files: {status: restored, msg: null, duration_s: 12.5, verified: null, details: {restored: 412, deleted: 3}}
      db: {status: restored, msg: null, duration_s: 48.1, verified: true, details: {tables: 270}}
    durations: {files_s: 12.5, db_s: 48.1, total_s: 60.6}
    verification: {status: passed, files: null, db: true}
    versions: {before: {files: 8.1.7, db: 8.1.7}, backup: {files: 8.1.5, db: 8.1.5}, now: {files: 8.1.5, db: 8.1.5},
               checks: {files: true, db: true}, matches_backup: true}
    maintenance: {shops: [{id: 1, name: Main shop, maintenance: true, maintenance_ips: [127.0.0.1]}], expected: true,
                  as_expected: true}
    database: {reachable: true, error: null}
    problems: []
    next_steps: ["Check the storefront and the back office, then take the shops out of maintenance."]
report_text:
  description: The human-readable report, as written to the text file.
  returned: always
  type: str
  sample: "ROLLBACK SUCCEEDED: /var/www/shop\n..."
report_files:
  description: Paths of the JSON and text reports (in check mode, where they would be written).
  returned: always
  type: dict
  sample: {json: /var/lib/shopfleet/var-www-shop-1a2b3c4d/reports/rollback-V8.1.5_20240320-120000-1a2b3c4d-20240320-121212.json,
           txt: /var/lib/shopfleet/var-www-shop-1a2b3c4d/reports/rollback-V8.1.5_20240320-120000-1a2b3c4d-20240320-121212.txt}
"""

import datetime
import json
import os
import re
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._backup import (
    SHOPFLEET,
    find_backup,
    iso_utc,
    official_folders,
    read_component,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, query_error_message
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    read_parameters,
    shop_argument_spec,
    shops,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._step_results import StepResultError, parse_started, read_text
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    WorkspaceError,
    atomic_write,
    check_name,
    ensure_private_dir,
    write_json,
    workspace_argument_spec,
)

REPORT_FORMAT = "shopfleet.report.rollback/1"
STEP_NAMES = {"files": "Files", "db": "Database"}
STEP_MODULES = {"files": "rollback_files", "db": "rollback_db"}
# Keys of a registered result that are Ansible's bookkeeping or read on their own, never copied as details.
_NOT_DETAILS = frozenset(("changed", "failed", "skipped", "msg", "skip_reason", "invocation", "diff", "warnings", "deprecations", "exception",
                          "module_stdout", "module_stderr", "stdout", "stderr", "stdout_lines", "stderr_lines", "ansible_facts",
                          "false_condition", "duration_s", "verified", "verification", "rc", "results"))
_SECRET_KEY = re.compile(r"pass|secret|token|key", re.IGNORECASE)
_MAX_TEXT = 300


# The report's input errors are the step-result reader's (one line each).
ReportError = StepResultError


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        backup={"type": "dict"},
        backup_name={"type": "str"},
        files_result={"type": "dict"},
        db_result={"type": "dict"},
        kinds={"type": "list", "elements": "str", "choices": ["files", "db"], "default": ["files", "db"]},
        started={"type": "str"},
        reason={"type": "str"},
        before={"type": "dict"},
        expected_maintenance={"type": "bool"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True, mutually_exclusive=[("backup", "backup_name")])


# --- reading the inputs ------------------------------------------------------------------------------------------

def summarize_step(result: dict[str, Any] | None) -> dict[str, Any]:
    """One rollback step from its registered result: status, message, duration, verification and plain details."""
    if not result:
        return {"status": "not_run", "msg": None, "duration_s": None, "verified": None, "details": {}}
    if result.get("skipped"):
        return {"status": "skipped", "msg": _text(result.get("skip_reason") or result.get("msg")), "duration_s": None, "verified": None, "details": {}}
    if result.get("failed"):
        status = "failed"
    else:
        status = "restored" if result.get("changed") else "unchanged"
    return {"status": status, "msg": _text(result.get("msg")), "duration_s": _number(result.get("duration_s")),
            "verified": _verified(result), "details": _details(result)}


def _verified(result: dict[str, Any]) -> bool | None:
    if isinstance(result.get("verified"), bool):
        return result["verified"]
    verification = result.get("verification")
    if isinstance(verification, bool):
        return verification
    if isinstance(verification, dict):
        for key in ("ok", "passed", "verified"):
            if isinstance(verification.get(key), bool):
                return verification[key]
    return None


def _details(result: dict[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for key, value in sorted(result.items()):
        if key in _NOT_DETAILS or key.startswith("_") or _SECRET_KEY.search(key):
            continue
        if isinstance(value, (list, tuple)):
            details[key] = len(value)
        elif isinstance(value, dict):
            details.update({f"{key}.{sub}": _plain(item) for sub, item in sorted(value.items())
                            if not isinstance(item, (dict, list)) and not _SECRET_KEY.search(str(sub))})
        else:
            details[key] = _plain(value)
    return details


def _plain(value: Any) -> Any:
    return _text(value) if isinstance(value, str) else value if isinstance(value, (bool, int, float)) or value is None else _text(str(value))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text if len(text) <= _MAX_TEXT else text[:_MAX_TEXT - 1] + "…"


def _number(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def describe_backup(params: dict[str, Any], workspace: Workspace, shop_root: str) -> dict[str, Any] | None:
    """The backup used: from backup_info's entry or the name, completed from its manifests when it is on disk."""
    given = params["backup"]
    name = (given or {}).get("name") or params["backup_name"]
    if not name:
        return None
    check_name(name)
    official_dirs = official_folders(shop_root, params["admin_dir"])
    entry = find_backup(name, workspace.backups, official_dirs)
    backup = {"name": name, "source": (given or {}).get("source"), "path": (given or {}).get("path"), "version": (given or {}).get("version"),
              "db_version": None, "created": (given or {}).get("created")}
    if entry is not None:
        backup.update(source=entry.source, path=entry.path, version=entry.version, created=iso_utc(entry.created))
        if entry.source == SHOPFLEET:
            manifest = read_component(entry.path, "db").manifest or {}
            backup["db_version"] = manifest.get("ps_version_db")
    if backup["db_version"] is None and backup["source"] != SHOPFLEET:
        # The official module names its backups after the version it upgraded from, which PS_VERSION_DB then held.
        backup["db_version"] = backup["version"]
    return backup


def read_shop_now(params: dict[str, Any], shop_root: str) -> dict[str, Any]:
    """The shop after the rollback: version of the files, PS_VERSION_DB and the shops' maintenance state, best effort."""
    now: dict[str, Any] = {"files": None, "db": None, "files_error": None, "db_error": None, "shops": []}
    try:
        now["files"] = inspect_files(shop_root, params["admin_dir"]).version
    except (ShopError, OSError) as exc:
        now["files_error"] = str(exc)
    try:
        _source, parameters = read_parameters(shop_root)
        connection_params = db_params(parameters, db_overrides(params))
        connection = connect(connection_params, params["db_connect_timeout"])
        try:
            now["db"] = global_configuration(connection, connection_params, ["PS_VERSION_DB"])["PS_VERSION_DB"]
            now["shops"] = [{key: shop[key] for key in ("id", "name", "maintenance", "maintenance_ips")} for shop in shops(connection, connection_params)]
        finally:
            connection.close()
    except (ShopError, DbError, OSError) as exc:
        now["db_error"] = str(exc)
    except QUERY_ERRORS as exc:
        now["db_error"] = f"reading the database failed: {query_error_message(exc)}"
    return now


# --- the report --------------------------------------------------------------------------------------------------

def build_report(shop_root: str, started: float | None, reason: str | None, backup: dict[str, Any] | None, steps: dict[str, dict[str, Any]],
                 kinds: list[str], before: dict[str, Any] | None, now: dict[str, Any], expected_maintenance: bool | None) -> dict[str, Any]:
    """The report as plain data. Everything in it comes from the inputs: the same inputs give the same report."""
    problems: list[str] = []
    next_steps: list[str] = []
    ran = {kind: steps[kind]["status"] in ("restored", "unchanged") for kind in steps}
    for kind, step in steps.items():
        label = STEP_NAMES[kind]
        if step["status"] == "failed":
            problems.append(f"{label} restore failed: {step['msg'] or 'no message'}")
            next_steps.append(f"Fix the cause of the {label.lower()} failure above, then re-run {STEP_MODULES[kind]} with the same backup: "
                              "it resumes where it stopped and only redoes what still differs.")
        elif step["verified"] is False:
            problems.append(f"{label} were restored but do not verify against the backup" if kind == "files"
                            else "Database was restored but does not verify against the backup (row counts or checksums differ)")
            next_steps.append(f"Re-run {STEP_MODULES[kind]}; if it still does not verify, check the backup with backup_info verify=selected.")
        elif kind in kinds and backup is not None and step["status"] in ("not_run", "skipped"):
            problems.append(f"{label} restore did not run" + (f" ({step['msg']})" if step["msg"] else ""))
            next_steps.append(f"Run {STEP_MODULES[kind]} with backup {backup['name']}.")

    versions = _versions(backup, before, now, ran)
    if versions["matches_backup"] is False:
        problems.extend(versions["mismatches"])
    if now["files_error"]:
        problems.append(f"Cannot read the shop's files: {now['files_error']}")
    if now["db_error"]:
        problems.append(f"Cannot read the database: {now['db_error']}")
        next_steps.append("Check the database by hand: its version (PS_VERSION_DB) and maintenance state are unknown.")
    maintenance = _maintenance(now["shops"], expected_maintenance, now["db_error"] is None)
    if maintenance["as_expected"] is False:
        wrong = [shop for shop in maintenance["shops"] if shop["maintenance"] != expected_maintenance]
        state = "in maintenance" if expected_maintenance else "open"
        problems.append(f"Not {state} as expected: " + ", ".join(f"{shop['name']} (id {shop['id']})" for shop in wrong))
        next_steps.append("Run shopfleet.prestashop.maintenance with state=" + ("enabled" if expected_maintenance else "disabled")
                          + " once the shop is checked.")

    status = _status(backup, steps, kinds, versions["matches_backup"])
    open_shops = [shop for shop in maintenance["shops"] if not shop["maintenance"]]
    if status in ("failed", "incomplete") and open_shops and expected_maintenance is not False:
        next_steps.insert(0, "Put the shop in maintenance (shopfleet.prestashop.maintenance state=enabled): customers can reach it "
                             "while it is only partly restored.")
    if status == "nothing_to_restore":
        next_steps.insert(0, "No backup was found, so nothing was restored. If the failed run changed the shop, restore it by hand "
                             "from another copy (backup_info select=none lists what exists).")
    elif status == "success":
        opened = any(shop["maintenance"] for shop in maintenance["shops"])
        next_steps.append("Check the storefront and the back office" + (", then take the shops out of maintenance." if opened else "."))
    verification = {"status": _verification_status(steps), **{kind: steps[kind]["verified"] for kind in steps}}
    durations = {f"{kind}_s": steps[kind]["duration_s"] for kind in steps}
    known = [value for value in durations.values() if value is not None]
    durations["total_s"] = round(sum(known), 1) if known else None
    return {
        "format": REPORT_FORMAT,
        "status": status,
        "shop_root": shop_root,
        "started": iso_utc(started),
        "reason": _text(reason),
        "backup": backup,
        "steps": steps,
        "durations": durations,
        "verification": verification,
        "versions": {key: value for key, value in versions.items() if key != "mismatches"},
        "maintenance": maintenance,
        "database": {"reachable": now["db_error"] is None, "error": now["db_error"]},
        "problems": problems,
        "next_steps": next_steps,
    }


def _versions(backup: dict[str, Any] | None, before: dict[str, Any] | None, now: dict[str, Any], ran: dict[str, bool]) -> dict[str, Any]:
    """The versions before, in the backup and now; `checks` says per step whether now equals the backup (None: not compared)."""
    before = before or {}
    result: dict[str, Any] = {
        "before": {"files": before.get("version"), "db": before.get("db_version")},
        "backup": {"files": (backup or {}).get("version"), "db": (backup or {}).get("db_version")},
        "now": {"files": now["files"], "db": now["db"]},
        "checks": {"files": None, "db": None},
        "matches_backup": None,
        "mismatches": [],
    }
    for kind, label in (("files", "files declare"), ("db", "PS_VERSION_DB is")):
        expected, actual = result["backup"][kind], result["now"][kind]
        if backup is None or not ran.get(kind) or expected is None or actual is None:
            continue
        equal = php_version_compare(str(actual), str(expected)) == 0
        result["checks"][kind] = equal
        if not equal:
            result["mismatches"].append(f"The shop's {label} {actual}, the backup holds {expected}")
    compared = [value for value in result["checks"].values() if value is not None]
    result["matches_backup"] = all(compared) if compared else None
    return result


def _maintenance(shop_list: list[dict[str, Any]], expected: bool | None, known: bool) -> dict[str, Any]:
    as_expected = None
    if expected is not None and known and shop_list:
        as_expected = all(shop["maintenance"] == expected for shop in shop_list)
    return {"shops": shop_list, "expected": expected, "as_expected": as_expected}


def _status(backup: dict[str, Any] | None, steps: dict[str, dict[str, Any]], kinds: list[str], matches_backup: bool | None) -> str:
    statuses = [step["status"] for step in steps.values()]
    if backup is None and all(status in ("not_run", "skipped") for status in statuses):
        return "nothing_to_restore"
    if "failed" in statuses or any(step["verified"] is False for step in steps.values()) or matches_backup is False:
        return "failed"
    if any(steps[kind]["status"] in ("not_run", "skipped") for kind in kinds):
        return "incomplete"
    return "success"


def _verification_status(steps: dict[str, dict[str, Any]]) -> str:
    results = [step["verified"] for step in steps.values() if step["verified"] is not None]
    if not results:
        return "not_done"
    return "passed" if all(results) else "failed"


HEADLINES = {"success": "ROLLBACK SUCCEEDED", "failed": "ROLLBACK FAILED", "incomplete": "ROLLBACK INCOMPLETE",
             "nothing_to_restore": "NOTHING TO RESTORE (no backup found)"}


def render_text(report: dict[str, Any]) -> str:
    """The report for a person: the verdict first, then what happened, the versions, maintenance, problems, what next."""
    lines = [f"{HEADLINES[report['status']]}: {report['shop_root']}", "=" * 78]
    backup = report["backup"]
    lines += [
        f"Started:  {report['started'] or 'not recorded'}",
        f"Reason:   {report['reason'] or 'not given'}",
        "Backup:   " + (f"{backup['name']} ({backup['source'] or 'source unknown'}, PrestaShop {backup['version'] or '?'}, "
                        f"taken {backup['created'] or 'at an unknown time'})" if backup else "none"),
    ]
    if backup and backup["path"]:
        lines.append(f"          {backup['path']}")
    lines += ["", "What was done"]
    for kind, step in report["steps"].items():
        duration = f"{step['duration_s']:.1f} s" if step["duration_s"] is not None else "-"
        verified = {True: "verified", False: "DOES NOT VERIFY", None: ""}[step["verified"]]
        lines.append(f"  {STEP_NAMES[kind]:<9} {step['status'].upper().replace('_', ' '):<10} {duration:>9}  {verified}".rstrip())
        details = ", ".join(f"{key}: {value}" for key, value in step["details"].items())
        if details:
            lines.append(f"            {details}")
        if step["msg"] and step["status"] in ("failed", "skipped"):
            lines.append(f"            {step['msg']}")
    total = report["durations"]["total_s"]
    lines.append(f"  Total     {'':<10} {(f'{total:.1f} s' if total is not None else '-'):>9}")
    lines.append(f"  Verification: {report['verification']['status'].replace('_', ' ')}")
    versions = report["versions"]
    lines += ["", "Versions                 files        database (PS_VERSION_DB)"]
    for label, key in (("before the rollback", "before"), ("in the backup", "backup"), ("now", "now")):
        lines.append(f"  {label:<22} {versions[key]['files'] or '-':<12} {versions[key]['db'] or '-'}")
    if backup:
        verdicts = []
        for kind in ("files", "db"):
            check = versions["checks"][kind]
            verdicts.append(f"{STEP_NAMES[kind].lower()} " + ("match" if check else "DO NOT MATCH" if check is False else "not compared"))
        lines.append("  Compared with the backup: " + ", ".join(verdicts) + ".")
    lines += ["", "Maintenance"]
    maintenance = report["maintenance"]
    if not report["database"]["reachable"]:
        lines.append("  unknown (the database could not be read)")
    for shop in maintenance["shops"]:
        allowed = f" (still served to {', '.join(shop['maintenance_ips'])})" if shop["maintenance"] and shop["maintenance_ips"] else ""
        lines.append(f"  {shop['name']} (id {shop['id']}): " + ("IN MAINTENANCE" if shop["maintenance"] else "open to customers") + allowed)
    if maintenance["as_expected"] is not None:
        wanted = "in maintenance" if maintenance["expected"] else "open"
        lines.append(f"  Expected {wanted}: " + ("yes" if maintenance["as_expected"] else "NO"))
    if report["problems"]:
        lines += ["", "Problems"] + [f"  - {problem}" for problem in report["problems"]]
    if report["next_steps"]:
        lines += ["", "What to do next"] + [f"  - {step}" for step in report["next_steps"]]
    return "\n".join(lines) + "\n"


def report_paths(workspace: Workspace, backup: dict[str, Any] | None, started: float | None, now: float) -> dict[str, str]:
    stamp = datetime.datetime.fromtimestamp(started if started is not None else now, datetime.timezone.utc).strftime("%Y%m%d-%H%M%S")
    base = os.path.join(workspace.reports, f"rollback-{backup['name'] if backup else 'none'}-{stamp}")
    return {"json": base + ".json", "txt": base + ".txt"}


def run(params: dict[str, Any], check_mode: bool, now: float) -> dict[str, Any]:
    shop_root = os.path.abspath(params["shop_root"])
    started = parse_started(params["started"])
    workspace = Workspace.for_shop(shop_root, params["workspace"], params["backup_dir"])
    backup = describe_backup(params, workspace, shop_root)
    steps = {"files": summarize_step(params["files_result"]), "db": summarize_step(params["db_result"])}
    kinds = [kind for kind in ("files", "db") if kind in params["kinds"]]
    report = build_report(shop_root, started, params["reason"], backup, steps, kinds, params["before"], read_shop_now(params, shop_root),
                          params["expected_maintenance"])
    text = render_text(report)
    paths = report_paths(workspace, backup, started, now)
    document = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    previous_text = read_text(paths["txt"])
    changed = previous_text != text or read_text(paths["json"]) != document
    if changed and not check_mode:
        ensure_private_dir(workspace.reports)
        atomic_write(paths["txt"], text.encode("utf-8"))
        write_json(paths["json"], report)
    return {"changed": changed, "status": report["status"], "report": report, "report_text": text, "report_files": paths,
            "diff": {"before": previous_text or "", "after": text, "before_header": paths["txt"], "after_header": paths["txt"]}}


def main() -> None:
    module = create_module()
    try:
        result = run(module.params, module.check_mode, datetime.datetime.now(datetime.timezone.utc).timestamp())
    except (ReportError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"cannot write the rollback report: {exc.strerror or exc} ({exc.filename})")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
