#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_check
short_description: Where a PrestaShop shop would go, by which steps, and what blocks it (the UpgradeNow step)
version_added: 0.1.0
description:
  - Resolves the target release and the route through PrestaShop's documented upgrade steps, then runs the
    checklist that decides whether the upgrade may start. Changes nothing.
  - The target comes from a channel (V(minor), the newest stable release of the shop's major branch; V(major), the
    newest stable release) read from PrestaShop's release list, or from a release zip (V(archive)) or an unzipped
    release (V(directory)) on the host, whose version is read from the release itself.
  - The route follows the documented state diagram. A channel goes UpgradeNow, Download, Unzip, RemoveSamples,
    BackupFiles and on; an archive skips Download; an unzipped folder skips Download and Unzip.
  - The checklist covers downgrades, C(PS_VERSION_DB) against the code (the upgrade FAQ's mismatch), PHP against
    the target's range and extensions, writable folders, the shop's cache, maintenance, disk space for the backup,
    the release and the new files (estimated from the real sizes), a leftover install folder, and the shops of a
    multistore. Each item is V(ok), V(warning) or V(blocking).
  - Options not given are read from the shop's upgrade options (M(shopfleet.prestashop.upgrade_config)).
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._db
  - shopfleet.prestashop._workspace
  - shopfleet.prestashop._attributes
  - shopfleet.prestashop._attributes.INFO_MODULE
options:
  channel:
    description: Where the target comes from. Defaults to the stored upgrade options, else V(minor).
    type: str
    choices: [minor, major, archive, directory]
  target_version:
    description: Pin the target instead of the newest release of the channel.
    type: str
  archive:
    description: Release zip on the host (channel V(archive)).
    type: path
  release_dir:
    description: Unzipped release on the host (channel V(directory)).
    type: path
  metadata_url:
    description:
      - PrestaShop's release list (JSON), or a mirror of it; a local path or C(file://) URL works too.
    type: str
    default: https://api.prestashop-project.org/prestashop
  validate_certs:
    description: Verify the TLS certificate of O(metadata_url).
    type: bool
    default: true
  timeout:
    description: Seconds to wait for O(metadata_url).
    type: int
    default: 30
  ignore_checks:
    description:
      - Names of checklist items whose V(blocking) status is waived (for example V(php_version) on a PHP that the
        release's installer accepts but PrestaShop does not declare). They stay in RV(checklist).
    type: list
    elements: str
    default: []
  fail_on_blocking:
    description: Fail, naming every blocking item in one message, when an upgrade is needed and something blocks it.
    type: bool
    default: true
  php_executable:
    description: PHP command line of the host, found on E(PATH) when not a path.
    type: str
    default: php
notes:
  - The release list is read even in check mode (it only reads). The disk estimate walks the shop's files (sizes only).
seealso:
  - module: shopfleet.prestashop.upgrade_config
  - module: shopfleet.prestashop.shop_info
"""

EXAMPLES = r"""
- name: Where would each shop go, and what blocks it?
  shopfleet.prestashop.upgrade_check:
    shop_root: /var/www/shop
  register: preflight

- name: Check an upgrade to a given zip, accepting PHP 8.2 for an 8.x release
  shopfleet.prestashop.upgrade_check:
    shop_root: /var/www/shop
    channel: archive
    archive: /srv/releases/prestashop_8.2.1.zip
    ignore_checks:
      - php_version

- name: Use a mirror of PrestaShop's release list (air-gapped fleets)
  shopfleet.prestashop.upgrade_check:
    shop_root: /var/www/shop
    channel: minor
    metadata_url: https://mirror.example.com/prestashop/releases.json
"""

RETURN = r"""
version:
  description: The shop's code version.
  returned: success
  type: str
  sample: 8.1.5
db_version:
  description: C(PS_VERSION_DB).
  returned: success
  type: str
  sample: 8.1.5
target_version:
  description: The target, V(null) when the channel has nothing newer.
  returned: success
  type: str
  sample: 8.1.7
upgrade_needed:
  description:
    - Whether the target is newer than the shop's code or its database (C(PS_VERSION_DB)); a shop whose files reached
      the target in an interrupted run still needs the rest of the upgrade. V(false) is not an error.
  returned: success
  type: bool
  sample: true
channel:
  description: The channel used.
  returned: success
  type: str
  sample: minor
route:
  description: The documented steps to run, in order (empty when no upgrade is needed).
  returned: success
  type: list
  elements: str
  sample: [UpgradeNow, Download, Unzip, RemoveSamples, BackupFiles, BackupDb, UpgradeFiles, UpgradeDb, UpgradeModules, CleanDatabase, UpgradeComplete]
skipped_steps:
  description: Steps of the route that the upgrade options turn off (the backups, when backups are off).
  returned: success
  type: list
  elements: str
  sample: []
release:
  description: The target release as the release list describes it (URLs, md5, PHP range), or what the archive/folder says.
  returned: success
  type: dict
  sample: {"version": "8.1.7", "zip_download_url": "https://example.com/prestashop_8.1.7.zip", "php_min_version": "7.2.5", "php_max_version": "8.1"}
skipped_releases:
  description: Newer releases the channel passed over, and why (not stable, another branch, PHP).
  returned: success
  type: list
  elements: dict
  sample: [{"version": "9.0.0", "reason": "another major branch than 8 (channel minor)"}]
checklist:
  description: Every check with its status (ok, warning, blocking) and a message.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "version_match", "status": "ok", "message": "PS_VERSION_DB equals the code's version 8.1.5"}]
blocking:
  description: Names of the blocking items not waived by O(ignore_checks).
  returned: success
  type: list
  elements: str
  sample: ["disk_space"]
disk:
  description: Per filesystem, the bytes the upgrade needs there (backup, release, new files) and the bytes free.
  returned: success
  type: list
  elements: dict
  sample: [{"path": "/var/www/shop", "required_bytes": 1073741824, "free_bytes": 52345678912, "short": false, "needs": ["backup", "new files"]}]
workspace:
  description: The shop's folder in the workspace on the host, and where its backups go.
  returned: success
  type: dict
  sample: {"root": "/var/lib/shopfleet/var-www-shop-1a2b3c4d", "backups": "/var/lib/shopfleet/var-www-shop-1a2b3c4d/backups"}
unfinished_run:
  description:
    - The record of an upgrade run of the C(upgrade) role that did not finish (C(upgrade-run.json) in the shop's
      workspace - its target, backup name and start), V(null) when there is none. The role resumes it with the same
      backup instead of backing up a half-upgraded shop. During such a run to the same target, code and database
      disagreeing (C(version_match)) is a warning, not a blocking item - rerunning the upgrade is the repair.
  returned: success
  type: dict
  sample: {"target_version": "8.1.7", "from_version": "8.1.5", "backup_name": "V8.1.5_20241120-101010", "started": "2024-11-20T10:10:10Z"}
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import getpass
import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import QUERY_ERRORS, DbError, connect, fetch_value, query_error_message, require_pymysql
from ansible_collections.shopfleet.prestashop.plugins.module_utils._host import disk_space, php_facts, tree_size
from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_config import PhpConfigError, parse_defines
from ansible_collections.shopfleet.prestashop.plugins.module_utils._preflight import (
    UNKNOWN_RELEASE_ZIP_BYTES,
    UNZIPPED_PER_ZIPPED,
    WORKSPACE_MARGIN_BYTES,
    WRITABLE_FOLDERS,
    blocking,
    checklist,
    disk_needs,
    php_range_17,
    route,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import (
    DEFAULT_METADATA_URL,
    INSTALL_FOLDERS,
    ArchiveLimits,
    HttpSettings,
    ReleaseError,
    fetch_release_list,
    inspect_archive,
    open_release_archive,
    select_target,
    tree_version,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import (
    ShopError,
    cache_enabled,
    db_overrides,
    db_params,
    global_configuration,
    inspect_files,
    read_parameters,
    shop_argument_spec,
    shops,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    UPGRADE_RUN_FILE,
    Workspace,
    WorkspaceError,
    read_json,
    workspace_argument_spec,
)

# Left out of the size of a files backup, as backup_files leaves them out.
_NOT_BACKED_UP = ("var/cache", "app/cache", "cache/smarty/compile", "cache/smarty/cache", "img/tmp")


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec()
    argument_spec.update(workspace_argument_spec())
    argument_spec.update(
        channel={"type": "str", "choices": ["minor", "major", "archive", "directory"]},
        target_version={"type": "str"},
        archive={"type": "path"},
        release_dir={"type": "path"},
        metadata_url={"type": "str", "default": DEFAULT_METADATA_URL},
        validate_certs={"type": "bool", "default": True},
        timeout={"type": "int", "default": 30},
        ignore_checks={"type": "list", "elements": "str", "default": []},
        fail_on_blocking={"type": "bool", "default": True},
        php_executable={"type": "str", "default": "php"},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def stored_options(workspace: Workspace) -> dict[str, Any]:
    document = read_json(os.path.join(workspace.root, "upgrade-config.json"))
    return (document or {}).get("options") or {}


def php_range_of_release(read: Any) -> dict[str, Any]:
    """The PHP range a release's own install_version.php declares; `read(name)` returns a file's text or None."""
    for folder in INSTALL_FOLDERS:
        text = read(f"{folder}/install_version.php")
        if text is None:
            continue
        try:
            constants = parse_defines(text, "install_version.php")
        except PhpConfigError:
            return {}
        max_id = constants.get("_PS_INSTALL_MAXIMUM_PHP_VERSION_ID_")
        return {"php_min": constants.get("_PS_INSTALL_MINIMUM_PHP_VERSION_"), "php_max": constants.get("_PS_INSTALL_MAXIMUM_PHP_VERSION_"),
                "php_max_id": int(max_id) if isinstance(max_id, int) or str(max_id).isdigit() else None}
    return {}


def resolve_target(module: AnsibleModule, options: dict[str, Any], current: str, php: dict[str, Any] | None) -> dict[str, Any]:
    """{version, release, skipped, php_min, php_max, php_max_id, zip_bytes, unzipped_bytes}."""
    channel = options["channel"]
    if channel in ("minor", "major"):
        settings = HttpSettings(validate_certs=module.params["validate_certs"], timeout=module.params["timeout"])
        releases = fetch_release_list(module.params["metadata_url"], settings)
        choice = select_target(releases, current, channel, php["version"] if php else None, options.get("target_version"))
        release = choice.release
        return {"version": release.version if release else None, "release": release.as_dict() if release else None, "skipped": choice.skipped,
                "php_min": release.php_min_version if release else None, "php_max": release.php_max_version if release else None,
                "php_max_id": None, "zip_bytes": UNKNOWN_RELEASE_ZIP_BYTES, "unzipped_bytes": UNKNOWN_RELEASE_ZIP_BYTES * UNZIPPED_PER_ZIPPED}
    if channel == "archive":
        path = options.get("archive")
        if not path or not os.path.isfile(path):
            raise ShopError(f"channel archive needs an existing release zip (archive): {path!r} is not a file")
        contents = inspect_archive(path, ArchiveLimits())
        opened = open_release_archive(path, ArchiveLimits())
        try:
            names = set(opened.tree.namelist())

            def read(name: str) -> str | None:
                member = opened.prefix + name
                return opened.tree.read(member).decode("utf-8", "replace") if member in names else None

            php_range = php_range_of_release(read)
        finally:
            opened.close()
        if not contents.version:
            raise ShopError(f"{path} does not say which PrestaShop it holds (no install/install_version.php)")
        release = {"version": contents.version, "archive": path, "files": contents.files, "bytes": contents.bytes}
        return {"version": contents.version, "release": release, "skipped": [], "zip_bytes": 0, "unzipped_bytes": contents.bytes,
                **{"php_min": None, "php_max": None, "php_max_id": None, **php_range}}
    folder = options.get("release_dir")
    if not folder or not os.path.isdir(folder):
        raise ShopError(f"channel directory needs an unzipped release (release_dir): {folder!r} is not a folder")
    version = tree_version(folder)
    if not version:
        raise ShopError(f"{folder} does not look like an unzipped PrestaShop release: no version in it")

    def read_file(name: str) -> str | None:
        try:
            with open(os.path.join(folder, name), encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None

    php_range = php_range_of_release(read_file)
    return {"version": version, "release": {"version": version, "release_dir": folder}, "skipped": [], "zip_bytes": 0, "unzipped_bytes": 0,
            **{"php_min": None, "php_max": None, "php_max_id": None, **php_range}}


def database_facts(module: AnsibleModule, root: str) -> dict[str, Any]:
    require_pymysql(module)
    params = db_params(read_parameters(root)[1], db_overrides(module.params))
    connection = connect(params, module.params["db_connect_timeout"])
    try:
        like = params.prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "%"
        size = fetch_value(connection, "SELECT COALESCE(SUM(data_length + index_length), 0) FROM information_schema.TABLES "
                           "WHERE table_schema = DATABASE() AND table_name LIKE %s", (like,))
        return {"db_version": global_configuration(connection, params, ["PS_VERSION_DB"])["PS_VERSION_DB"], "shops": shops(connection, params),
                "db_bytes": int(size or 0)}
    except QUERY_ERRORS as exc:
        raise DbError(f"reading {params.describe()} failed: {query_error_message(exc)}") from None
    finally:
        connection.close()


def unwritable_folders(root: str, admin_dir: str | None) -> list[str]:
    found = []
    for folder in WRITABLE_FOLDERS:
        if folder == "<admin>":
            if not admin_dir:
                continue
            folder = admin_dir
        path = os.path.join(root, folder)
        if os.path.isdir(path) and not os.access(path, os.W_OK | os.X_OK):
            found.append(folder)
    return found


def disk_plan(root: str, workspace: Workspace, backup: bool, shop_bytes: int, db_bytes: int, target: dict[str, Any]) -> list[dict[str, Any]]:
    places = []

    def need(path: str, what: str, size: int) -> None:
        space = disk_space(path)
        places.append({"path": path, "device": space["device"], "free_bytes": space["free_bytes"], "required_bytes": size, "need": what})

    if backup:
        need(workspace.backups, "backup", shop_bytes + db_bytes)
    need(workspace.root, "release", target["zip_bytes"] + target["unzipped_bytes"] + WORKSPACE_MARGIN_BYTES)
    need(root, "new files", target["unzipped_bytes"] or UNKNOWN_RELEASE_ZIP_BYTES * UNZIPPED_PER_ZIPPED)
    return disk_needs(places)


def unfinished_run(workspace: Workspace) -> dict[str, Any] | None:
    document = read_json(os.path.join(workspace.root, UPGRADE_RUN_FILE))
    return document if isinstance(document, dict) and document.get("target_version") else None


def resumable(item: dict[str, Any], unfinished: dict[str, Any]) -> dict[str, Any]:
    """Code and database disagree in the middle of an upgrade to this very target: rerunning it is the repair."""
    if item["name"] != "version_match" or item["status"] != "blocking":
        return item
    return {**item, "status": "warning",
            "message": f"an upgrade from {unfinished.get('from_version')} to {unfinished['target_version']} did not finish "
                       f"({item['message'].split(' (')[0]}): running it again resumes it with backup {unfinished.get('backup_name')}"}


def run(module: AnsibleModule) -> dict[str, Any]:
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    workspace = Workspace.for_shop(files.root, module.params["workspace"], module.params["backup_dir"])
    stored = stored_options(workspace)
    options = {key: module.params.get(key) if module.params.get(key) is not None else stored.get(key)
               for key in ("channel", "target_version", "archive", "release_dir")}
    options["channel"] = options["channel"] or "minor"
    backup = stored.get("backup", True)
    database = database_facts(module, files.root)
    php = php_facts(module, module.params["php_executable"])
    target = resolve_target(module, options, files.version, php)
    if target["version"] and not (target["php_min"] or target["php_max"]):
        known = php_range_17(target["version"])
        target["php_min"], target["php_max"] = known or (None, None)
    _files, shop_bytes = tree_size(files.root, _NOT_BACKED_UP)
    facts = {
        "version": files.version, "target_version": target["version"], "db_version": database["db_version"], "php": php,
        "php_min": target["php_min"], "php_max": target["php_max"], "php_max_id": target["php_max_id"],
        "unwritable": unwritable_folders(files.root, files.admin_dir), "user": getpass.getuser(), "cache_enabled": cache_enabled(files.root),
        "shops": database["shops"], "install_dir": files.install_dir,
        "disk": disk_plan(files.root, workspace, backup, shop_bytes, database["db_bytes"], target),
    }
    items = checklist(facts)
    unfinished = unfinished_run(workspace)
    if unfinished and target["version"] and unfinished.get("target_version") == target["version"]:
        items = [resumable(item, unfinished) for item in items]
    needed = target["version"] is not None and any(
        php_version_compare(target["version"], have) > 0 for have in (files.version, database["db_version"]) if have)
    blocked = blocking(items, module.params["ignore_checks"])
    steps = route(options["channel"], backup) if needed else {"route": [], "skipped_steps": []}
    result = {
        "changed": False, "version": files.version, "db_version": database["db_version"], "target_version": target["version"],
        "upgrade_needed": needed, "channel": options["channel"], "release": target["release"], "skipped_releases": target["skipped"],
        "checklist": items, "blocking": [entry["name"] for entry in blocked], "ignored": module.params["ignore_checks"],
        "disk": facts["disk"], "workspace": {"root": workspace.root, "backups": workspace.backups},
        "unfinished_run": unfinished, **steps,
    }
    downgrade = target["version"] is not None and php_version_compare(target["version"], files.version) < 0
    if blocked and (needed or downgrade) and module.params["fail_on_blocking"]:
        where = f"{files.version} → {target['version']}"
        result["msg"] = f"the upgrade {where} is blocked: " + "; ".join(f"{entry['name']}: {entry['message']}" for entry in blocked)
        result["failed"] = True
    return result


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except (ShopError, DbError, ReleaseError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    if result.get("failed"):
        module.fail_json(**result)
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
