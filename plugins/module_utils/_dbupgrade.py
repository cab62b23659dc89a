# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running the database upgrade (UpgradeDb): locate the migrations, run them with the journal, the post steps, and
PS_VERSION_DB last. Shared by upgrade_db and db_version (which repairs a database behind its code with it).

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
import zipfile
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._apikeys import ApiKeyError, api_keys_diff, generate_api_keys, plan_api_keys
from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, fetch_value, query_error_message, require_pymysql
from ansible_collections.shopfleet.prestashop.plugins.module_utils._langpacks import (
    active_languages,
    pending_languages,
    planned_packs,
    update_language_packs,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._migrations import (
    WARNING_ERRORS,
    MigrationError,
    applied_count,
    drop_before_create,
    journal_path,
    migration_names,
    new_journal,
    plan_migrations,
    read_journal,
    save_journal,
    select_migrations,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_runner import PhpRunner, PhpRunnerError, write_runner
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    read_parameters,
    table,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    Workspace,
    ensure_private_dir,
    remove_partials,
    utc_now,
)

# Files the upgrade module deletes after the migrations: lists it would otherwise trust, stale class indexes.
OBSOLETE_FILES = (
    "cache/class_index.php", "app/cache/dev/class_index.php", "app/cache/prod/class_index.php",
    "var/cache/dev/class_index.php", "var/cache/prod/class_index.php",
    "config/xml/blog-fr.xml", "config/xml/default_country_modules_list.xml", "config/xml/modules_list.xml",
    "config/xml/modules_native_addons.xml", "config/xml/must_have_modules_list.xml", "config/xml/tab_modules_list.xml",
    "config/xml/trusted_modules_list.xml", "config/xml/untrusted_modules_list.xml",
)
ADMIN_OBSOLETE_FILES = ("themes/default/template/controllers/modules/header.tpl",)
# Cache folders whose content goes; the folders themselves and their index.php stay.
CACHE_DIRS = ("var/cache", "app/cache", "cache/smarty/compile", "cache/smarty/cache", "cache/cachefs", "cache/purifier")
KEPT_IN_CACHE = frozenset(("index.php", ".htaccess"))
SNIPPET = 300
SESSION_SETTING = re.compile(r"^SET\s+(SESSION\s+|NAMES\s+|@)", re.I)


class MigrationFailed(Exception):
    """A statement or callback failed: the run stops, the journal keeps the place."""


def upgrade_argument_spec() -> dict[str, Any]:
    """The options of the database upgrade, on top of the shop and database ones."""
    return {
        "migrations": {"type": "path"},
        "target_version": {"type": "str"},
        "install_dir": {"type": "path"},
        "callback_errors": {"type": "str", "choices": ["fail", "warn"], "default": "fail"},
        "boot_kernel": {"type": "str", "choices": ["auto", "always", "never"], "default": "auto"},
        "php": {"type": "str", "default": "php"},
        "clear_cache": {"type": "bool", "default": True},
        "regenerate_htaccess": {"type": "bool", "default": True},
        "schema_update": {"type": "bool", "default": False},
        "workspace": {"type": "path"},
    }


# --- where the migrations are ----------------------------------------------------------------------------------------


def upgrade_folder(path: str) -> str | None:
    """The folder holding sql/ among path, path/upgrade and path/install/upgrade (a release tree), or None."""
    for candidate in (path, os.path.join(path, "upgrade"), os.path.join(path, "install", "upgrade")):
        if os.path.isdir(os.path.join(candidate, "sql")):
            return candidate
    return None


_ARCHIVED_SCRIPT = re.compile(r"^(?P<base>(?:[^/]+/)*?)(?P<kind>sql|php)/(?P<name>[^/]+)$")


def _script_members(names: list[str]) -> tuple[str, list[str]]:
    """The base folder of the sql/ scripts in an archive (the shallowest) and the sql/ and php/ files under it."""
    bases = sorted({match.group("base") for match in map(_ARCHIVED_SCRIPT.match, names)
                    if match and match.group("kind") == "sql" and match.group("name").endswith(".sql")}, key=len)
    if not bases:
        raise MigrationError("the archive holds no sql/*.sql migration file")
    base = bases[0]
    members = [name for name in names if any(name.startswith(base + kind + "/") and "/" not in name[len(base + kind + "/"):]
                                             for kind in ("sql", "php"))]
    return base, members


def _safe_member(name: str) -> bool:
    parts = name.split("/")
    return not name.startswith("/") and ".." not in parts and "\\" not in name


def extract_scripts(archive: str, dest: str) -> str:
    """Extracts the sql/ and php/ files of an archive of migrations into dest/upgrade; returns that folder."""
    upgrade = os.path.join(dest, "upgrade")
    for kind in ("sql", "php"):
        os.makedirs(os.path.join(upgrade, kind), exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as bundle:
                entries = {info.filename: info for info in bundle.infolist() if not info.is_dir()}
                base, members = _script_members(list(entries))
                for name in members:
                    _check_member(name, archive)
                    with bundle.open(entries[name]) as source, open(os.path.join(upgrade, name[len(base):]), "wb") as target:
                        shutil.copyfileobj(source, target)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as bundle:
                entries = {member.name[2:] if member.name.startswith("./") else member.name: member
                           for member in bundle.getmembers() if member.isfile()}
                base, members = _script_members(list(entries))
                for name in members:
                    _check_member(name, archive)
                    source = bundle.extractfile(entries[name])
                    if source is None:
                        raise MigrationError(f"{archive}: cannot read {name}")
                    with source, open(os.path.join(upgrade, name[len(base):]), "wb") as target:
                        shutil.copyfileobj(source, target)
        else:
            raise MigrationError(f"{archive} is neither a folder nor a zip or tar archive of migrations")
    except (OSError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise MigrationError(f"cannot read the migrations archive {archive}: {exc}") from None
    return upgrade


def _check_member(name: str, archive: str) -> None:
    if not _safe_member(name):
        raise MigrationError(f"{archive} holds an unsafe path: {name}")


def release_tree(workspace: Workspace, target: str) -> str:
    return os.path.join(workspace.root, "releases", target, "release")


def locate_migrations(params: dict[str, Any], workspace: Workspace, target: str, scratch: str) -> dict[str, Any]:
    """{upgrade_dir, install_dir, source}: the upgrade/ folder to run and the installer folder callbacks may read."""
    source = params["migrations"]
    if source is None:
        source = release_tree(workspace, target)
        if upgrade_folder(source) is None:
            raise MigrationError(f"no migrations given and the workspace has no release {target} with install/upgrade: set migrations")
    if os.path.isdir(source):
        upgrade = upgrade_folder(source)
        if upgrade is None:
            raise MigrationError(f"{source} has no sql/ folder (nor upgrade/sql, nor install/upgrade/sql)")
    elif os.path.isfile(source):
        upgrade = extract_scripts(source, scratch)
    else:
        raise MigrationError(f"the migrations {source} do not exist")
    install_dir = params["install_dir"]
    if install_dir is None:
        parent = os.path.dirname(os.path.abspath(upgrade))
        fallback = os.path.join(release_tree(workspace, target), "install")
        if os.path.basename(parent) == "install" and os.path.isfile(os.path.join(parent, "install_version.php")):
            install_dir = parent
        elif os.path.isdir(fallback):
            install_dir = fallback
    return {"upgrade_dir": os.path.abspath(upgrade), "install_dir": install_dir, "source": source}


# --- the plan --------------------------------------------------------------------------------------------------------


def target_of(params: dict[str, Any], files: Any) -> str:
    if params["target_version"]:
        return str(params["target_version"])
    if not files.version:
        raise ShopError(f"cannot tell the version of the files in {files.root}: set target_version")
    return str(files.version)


def build_plan(upgrade_dir: str, from_version: str, target: str, prefix: str, engine: str, db_name: str,
               journal: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The selected files with their steps and how many of them an earlier run already applied."""
    names = select_migrations(migration_names(os.path.join(upgrade_dir, "sql")), from_version, target)
    plan = plan_migrations(os.path.join(upgrade_dir, "sql"), names, prefix, engine, db_name)
    for entry in plan:
        entry["already_applied"] = applied_count(journal, entry["name"]) if journal else 0
    return plan


def describe_plan(plan: list[dict[str, Any]], with_pending: bool) -> list[dict[str, Any]]:
    described = []
    for entry in plan:
        row: dict[str, Any] = {"name": entry["name"], "file": entry["file"], "statements": len(entry["steps"]),
                               "callbacks": sum(1 for step in entry["steps"] if step["kind"] == "php"),
                               "already_applied": entry["already_applied"], "applied": entry.get("applied", 0)}
        if with_pending:
            row["pending"] = [step["statement"][:SNIPPET] for step in entry["steps"][entry["already_applied"]:]]
        described.append(row)
    return described


# --- running it ------------------------------------------------------------------------------------------------------


class Migrator:
    """Runs the plan statement by statement, the journal saved after each one."""

    def __init__(self, module: AnsibleModule, connection: Any, prefix: str, runner: PhpRunner, journal: dict[str, Any], path: str) -> None:
        self.module = module
        self.connection = connection
        self.prefix = prefix
        self.runner = runner
        self.journal = journal
        self.path = path

    def run(self, plan: list[dict[str, Any]], upgrade_dir: str) -> None:
        # The session PrestaShop's own Db connection opens with; the migrations were written against it.
        with self.connection.cursor() as cursor:
            cursor.execute("SET NAMES utf8mb4")
            cursor.execute("SET SESSION sql_mode = ''")
        for entry in plan:
            start = applied_count(self.journal, entry["name"])
            self._replay_session_settings(entry["steps"][:start])
            for index in range(start, len(entry["steps"])):
                step = entry["steps"][index]
                if step["kind"] == "php":
                    self._callback(entry["name"], index, step, upgrade_dir)
                else:
                    self._sql(entry["name"], index, step["statement"])
                self.journal["applied"][entry["name"]] = index + 1
                self.journal["failure"] = None
                save_journal(self.path, self.journal)
                entry["applied"] = entry.get("applied", 0) + 1

    def _replay_session_settings(self, applied: list[dict[str, Any]]) -> None:
        """A resumed file gets back the SET statements a killed or failed run applied to its own, lost, session."""
        with self.connection.cursor() as cursor:
            for step in applied:
                if step["kind"] == "sql" and SESSION_SETTING.match(step["statement"]):
                    cursor.execute(step["statement"])

    def _sql(self, name: str, index: int, statement: str) -> None:
        drop = drop_before_create(statement, self.prefix)
        try:
            with self.connection.cursor() as cursor:
                if drop:
                    cursor.execute(drop)
                cursor.execute(statement)
                cursor.fetchall()
        except QUERY_ERRORS as exc:
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else None
            message = query_error_message(exc)
            if code in WARNING_ERRORS:
                self.journal["warnings"].append({"file": name, "index": index, "code": code, "error": message, "statement": statement[:SNIPPET]})
                return
            self._fail(name, index, statement, f"SQL error {code}: {message}" if code else message)

    def _callback(self, name: str, index: int, step: dict[str, Any], upgrade_dir: str) -> None:
        file = os.path.join(upgrade_dir, "php", step["function"].lower() + ".php")
        try:
            reply = self.runner.call(step["function"], step["arguments"], file)
        except PhpRunnerError as exc:
            reply = {"ok": False, "fatal": True, "error": str(exc)}
        if reply.get("ok"):
            return
        error = f"PHP callback {step['function']}() failed: {reply.get('error')}"
        if reply.get("fatal"):
            self._fail(name, index, step["statement"], error)
        if self.module.params["callback_errors"] == "warn":
            self.journal["warnings"].append({"file": name, "index": index, "code": None, "error": error, "statement": step["statement"][:SNIPPET]})
            return
        self._fail(name, index, step["statement"], error)

    def _fail(self, name: str, index: int, statement: str, error: str) -> None:
        self.journal["failure"] = {"file": name, "index": index, "statement": statement[:SNIPPET], "error": error, "at": utc_now()}
        save_journal(self.path, self.journal)
        raise MigrationFailed(f"migration {name}.sql, statement {index + 1}, failed: {error} -- statement: {' '.join(statement[:SNIPPET].split())}"
                              f" (PS_VERSION_DB left unchanged; the next run resumes at this statement, journal {self.path})")


def recurrent_queries(connection: Any, prefix: str) -> int:
    """What PrestaShop runs after every upgrade's migrations, except the PS_VERSION_DB write (done last, apart)."""
    configuration = f"`{prefix}configuration`"
    queries = [
        f"UPDATE {configuration} SET `name` = 'PS_LEGACY_IMAGES' WHERE name LIKE '0' AND `value` = 1",
        f"UPDATE {configuration} SET `value` = 0 WHERE `name` LIKE 'PS_LEGACY_IMAGES'",
        f"UPDATE {configuration} SET value = '0' WHERE name = 'PS_HIDE_OPTIMIZATION_TIS'",
        f"UPDATE {configuration} SET value = '1' WHERE name = 'PS_NEED_REBUILD_INDEX'",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW TABLES LIKE '{prefix}product\\_download'")
        if cursor.fetchall() and fetch_value(connection, f"SELECT COUNT(id_product_download) FROM `{prefix}product_download` WHERE `active` = 1"):
            queries.append(f"UPDATE {configuration} SET `value` = 1 WHERE `name` LIKE 'PS_VIRTUAL_PROD_FEATURE_ACTIVE'")
        for query in queries:
            cursor.execute(query)
    return len(queries)


def remove_obsolete_files(root: str, admin_dir: str | None) -> list[str]:
    candidates = list(OBSOLETE_FILES) + ([f"{admin_dir}/{path}" for path in ADMIN_OBSOLETE_FILES] if admin_dir else [])
    removed = []
    for relative in candidates:
        path = os.path.join(root, relative)
        if os.path.isfile(path) or os.path.islink(path):
            os.unlink(path)
            removed.append(relative)
    return removed


def clear_caches(root: str) -> int:
    """Empties the cache folders, keeping the folders and their index.php / .htaccess guards; returns entries removed."""
    removed = 0
    for relative in CACHE_DIRS:
        folder = os.path.join(root, relative)
        if not os.path.isdir(folder) or os.path.islink(folder):
            continue
        for entry in os.scandir(folder):
            if entry.name in KEPT_IN_CACHE:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
    return removed


def set_ps_version_db(connection: Any, prefix: str, target: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE `{prefix}configuration` SET value = %s WHERE name = 'PS_VERSION_DB'", (target,))


# --- the module ------------------------------------------------------------------------------------------------------


def run(module: AnsibleModule) -> dict[str, Any]:
    require_pymysql(module)
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    params = db_params(read_parameters(files.root)[1], db_overrides(module.params))
    workspace = Workspace.for_shop(files.root, module.params["workspace"])
    target = target_of(module.params, files)
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        return _run_connected(module, files, params, workspace, target, connection)
    except QUERY_ERRORS as exc:
        raise DbError(f"upgrading the database {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()


def _run_connected(module: AnsibleModule, files: Any, params: Any, workspace: Workspace, target: str, connection: Any) -> dict[str, Any]:
    from_version = global_configuration(connection, params, ["PS_VERSION_DB"])["PS_VERSION_DB"]
    if not from_version:
        raise ShopError(f"{table(params, 'configuration')} has no PS_VERSION_DB: is this a PrestaShop database?")
    result: dict[str, Any] = {"changed": False, "from_version": from_version, "target_version": target, "ps_version_db": from_version,
                              "migrations": [], "warnings_sql": [], "post_steps": {}, "journal": None, "language_packs": [],
                              "diff": {"before": {"ps_version_db": from_version}, "after": {"ps_version_db": from_version}}}
    comparison = php_version_compare(from_version, target)
    if comparison > 0:
        raise ShopError(f"the database is at {from_version}, newer than the target {target}: nothing can be migrated down")
    if comparison == 0:
        result["api_keys"] = api_keys_step(module, files.root, target, result)
        retry_language_packs(module, files.root, workspace, target, result)
        return result
    located = locate_migrations(module.params, workspace, target, module.tmpdir)
    path = journal_path(workspace.journals, from_version, target)
    result["journal"] = path
    names = select_migrations(migration_names(os.path.join(located["upgrade_dir"], "sql")), from_version, target)
    journal = read_journal(path, from_version, target, names)
    plan = build_plan(located["upgrade_dir"], from_version, target, params.prefix, params.engine, params.name, journal)
    result.update(changed=True, ps_version_db=target, migrations=describe_plan(plan, module.check_mode))
    result["diff"]["after"].update(ps_version_db=target)
    files_run = ", ".join(entry["name"] for entry in plan)
    result["diff"]["after_header"] = f"PS_VERSION_DB after {files_run}" if plan else "PS_VERSION_DB (no migration file to run)"
    if journal:
        result["warnings_sql"] = list(journal["warnings"])
    if module.check_mode:
        result["api_keys"] = api_keys_step(module, files.root, target, result)
        if language_packs_asked(module):
            result["language_packs"] = planned_packs(module.params, target, active_languages(connection, params.prefix, files.root))
        return result
    if files.admin_dir is None and any(step["kind"] == "php" for entry in plan for step in entry["steps"]):
        raise ShopError(f"the callbacks need the back-office folder and {files.root} has "
                        f"{len(files.admin_dir_candidates)} candidates ({', '.join(files.admin_dir_candidates)}): set admin_dir")
    # Before anything boots the target's kernel, as the upgrade module does (an 8.1+ kernel needs the keys).
    result["api_keys"] = api_keys_step(module, files.root, target, result)

    ensure_private_dir(workspace.root)
    ensure_private_dir(workspace.journals)
    remove_partials(workspace.journals)
    journal = journal or new_journal(from_version, target, names)
    save_journal(path, journal)
    # The old version's class index and container would be loaded by the new code the callbacks boot (8.0 writes
    # 'path' => '' where 8.1's autoloader then requires the shop root): they go before the first callback.
    result["pre_steps"] = {"files_removed": remove_obsolete_files(files.root, None),
                           "cache_entries_removed": clear_caches(files.root) if module.params["clear_cache"] else 0}
    runner = PhpRunner(module.params["php"], write_runner(module.tmpdir), {
        "shop_root": files.root, "admin_dir": files.admin_dir, "upgrade_dir": located["upgrade_dir"],
        "install_dir": located["install_dir"], "target_version": target, "boot_kernel": module.params["boot_kernel"]})
    try:
        Migrator(module, connection, params.prefix, runner, journal, path).run(plan, located["upgrade_dir"])
        journal["migrations_done"] = True
        save_journal(path, journal)
        htaccess = regenerate_htaccess(module, runner) if module.params["regenerate_htaccess"] and files.admin_dir else "not asked"
    except MigrationFailed as exc:
        module.fail_json(msg=str(exc), journal=path, failure=journal["failure"], warnings_sql=journal["warnings"],
                         migrations=describe_plan(plan, False), ps_version_db=from_version, php_stderr=runner.stderr_text())
    finally:
        runner.close()
    if runner.info:
        result["php"] = {key: runner.info.get(key) for key in ("php", "ps_version", "kernel")}
    schema = schema_update(module, files.root) if module.params["schema_update"] else "not asked"
    if language_packs_asked(module):
        languages = active_languages(connection, params.prefix, files.root)
        result["language_packs"] = update_language_packs(module.params, files.root, workspace.journals, target, languages, module.tmpdir, module.warn)["packs"]
    # Last, once no PHP of the shop runs any more: a booted kernel writes its container into var/cache.
    result["post_steps"] = {**post_steps(module, files, connection, params.prefix), "htaccess": htaccess, "schema_update": schema}
    set_ps_version_db(connection, params.prefix, target)
    journal["finished"] = utc_now()
    save_journal(path, journal)
    result["migrations"] = describe_plan(plan, False)
    result["warnings_sql"] = list(journal["warnings"])
    return result


def language_packs_asked(module: AnsibleModule) -> bool:
    # db_version shares this run without the language pack options: it never installs packs.
    return module.params.get("language_packs", "skip") == "update"


def retry_language_packs(module: AnsibleModule, root: str, workspace: Workspace, target: str, result: dict[str, Any]) -> None:
    """The database is at the target: install the language packs an earlier run could not (nothing when none)."""
    if not language_packs_asked(module) or not os.path.isdir(workspace.journals):
        return
    pending = pending_languages(workspace.journals, target)
    if not pending:
        return
    if module.check_mode:
        result["language_packs"] = planned_packs(module.params, target, pending)
        result["changed"] = True
        return
    outcome = update_language_packs(module.params, root, workspace.journals, target, pending, module.tmpdir, module.warn)
    result["language_packs"] = outcome["packs"]
    if outcome["changed"]:
        result["changed"] = True
        if module.params["clear_cache"]:
            # The translation catalogues cached by Symfony were built from the old files.
            result["post_steps"]["cache_entries_removed"] = clear_caches(root)


def api_keys_step(module: AnsibleModule, root: str, target: str, result: dict[str, Any]) -> str:
    """Generates the 8.1+ API keys when one is missing; a shop that has both keeps them. Returns what happened."""
    plan = plan_api_keys(root, target)
    if plan["status"] != "generate":
        if plan["status"].startswith("no "):
            module.warn(f"PrestaShop {target} reads api_public_key/api_private_key from {plan['status'][3:]}, which this shop does not have")
        return plan["status"]
    result["changed"] = True
    result["diff"]["before"]["api_keys"] = api_keys_diff(plan["missing"])["before"]
    result["diff"]["after"]["api_keys"] = api_keys_diff(plan["missing"])["after"]
    if module.check_mode:
        return "would generate"
    try:
        generate_api_keys(module, root, module.params["php"])
    except ApiKeyError as exc:
        raise ShopError(str(exc)) from None
    return "generated"


def regenerate_htaccess(module: AnsibleModule, runner: PhpRunner) -> str:
    try:
        reply = runner.action("htaccess")
    except PhpRunnerError as exc:
        reply = {"ok": False, "error": str(exc)}
    if reply.get("ok"):
        return str(reply.get("result"))
    module.warn(f".htaccess was not regenerated: {reply.get('error')}")
    return "failed"


SCHEMA_COMMAND = ("bin/console", "prestashop:schema:update-without-foreign", "--env=prod", "--no-interaction")


def schema_update(module: AnsibleModule, root: str) -> str:
    """The Doctrine schema update through the shop's console; a failure warns (the migrations themselves are done)."""
    command = [module.params["php"], *SCHEMA_COMMAND]
    if not os.path.isfile(os.path.join(root, SCHEMA_COMMAND[0])):
        module.warn(f"the Doctrine schema was not updated: {root} has no {SCHEMA_COMMAND[0]}")
        return "skipped"
    code, stdout, stderr = module.run_command(command, cwd=root)
    if code != 0:
        detail = " ".join((stderr or stdout).split())[-500:]
        module.warn(f"the Doctrine schema update failed (exit {code}): {detail}; retry with: cd {root} && {' '.join(command)}")
        return "failed"
    return "done"


def post_steps(module: AnsibleModule, files: Any, connection: Any, prefix: str) -> dict[str, Any]:
    steps: dict[str, Any] = {"recurrent_queries": recurrent_queries(connection, prefix), "files_removed": remove_obsolete_files(files.root, files.admin_dir)}
    steps["cache_entries_removed"] = clear_caches(files.root) if module.params["clear_cache"] else 0
    return steps
