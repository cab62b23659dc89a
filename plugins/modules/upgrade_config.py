#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: upgrade_config
short_description: Store the options of a shop's upgrade (the UpdateConfig step)
version_added: 0.1.0
description:
  - Keeps the options of a shop's upgrade in a file of the shop's workspace, where the upgrade steps read them;
    where the release comes from (channel, archive or unzipped folder), backups, images, custom modules, mails,
    theme and overrides.
  - Options given override the stored ones, the stored ones override the defaults; an option not given keeps its
    stored value.
  - Reads and writes the JSON that the official upgrade module's C(--from) / C(--config-file-path) option takes,
    so an existing configuration carries over and ours can be handed back to it.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._shop
  - shopfleet.prestashop._attributes
options:
  channel:
    description:
      - Where the target release comes from. V(minor) is the newest stable release of the shop's major branch,
        V(major) the newest stable release; V(archive) a release zip on the host (O(archive)); V(directory) a
        release already unzipped on the host (O(release_dir)).
    type: str
    choices: [minor, major, archive, directory]
  target_version:
    description:
      - Pin the target version instead of the newest one of the channel.
    type: str
  archive:
    description: Release zip on the host, for O(channel=archive).
    type: path
  archive_xml:
    description: Checksum XML of that release (PrestaShop's md5 list), for O(channel=archive).
    type: path
  archive_version:
    description: Version of the release in O(archive), when it is to be checked against what the zip says.
    type: str
  release_dir:
    description: An unzipped release on the host, for O(channel=directory).
    type: path
  release_version:
    description: Version of the release in O(release_dir).
    type: str
  backup:
    description: Back up files and database before upgrading. Turning it off also turns off rollback on error.
    type: bool
  keep_images:
    description: Include C(img/) in the files backup. V(false) leaves the product images out of the backup (they are kept in the shop).
    type: bool
  disable_custom_modules:
    description:
      - Disable the modules that are not part of PrestaShop during the upgrade (their C(module) and C(module_shop)
        rows are saved first so they can be enabled again exactly).
      - Off by default, unlike the official module, whose default also disables modules a release bundles.
    type: bool
  keep_mails:
    description: Keep the shop's mail templates instead of upgrading them.
    type: bool
  change_default_theme:
    description: Switch the shop to the release's default theme.
    type: bool
  update_default_theme:
    description: Upgrade the files of the default theme (C(classic)); V(false) keeps the shop's edits to it.
    type: bool
  update_rtl_files:
    description: Regenerate the right-to-left stylesheets when an RTL language is installed.
    type: bool
  disable_overrides:
    description: Disable the shop's class and controller overrides (C(PS_DISABLE_OVERRIDES)) for the upgrade.
    type: bool
  import_from:
    description:
      - A JSON file on the host in the official module's format (keys such as C(channel), C(archive_zip),
        C(PS_AUTOUP_BACKUP), C(PS_DISABLE_OVERRIDES)). Its values override the stored ones; options given to this
        module override both.
      - File names of archives are taken relative to the official module's C(<admin>/autoupgrade/download/).
    type: path
  export_to:
    description: Also write the resulting options as a JSON file in the official module's format (0600).
    type: path
  workspace:
    description:
      - Root of the workspaces on the host; the options are C(upgrade-config.json) in the shop's own folder inside it.
      - Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
  run:
    description:
      - Also record the upgrade run under way, as C(upgrade-run.json) next to the options (0600) - the C(upgrade) role
        gives its target, the version it started from, the name of its backup and when it began. While the record
        exists, M(shopfleet.prestashop.upgrade_check) returns it as RV(shopfleet.prestashop.upgrade_check#module:unfinished_run)
        and a rerun resumes with the same backup; M(shopfleet.prestashop.upgrade_complete) removes it when the run ends.
    type: dict
    suboptions:
      target_version:
        description: The version the run goes to.
        type: str
        required: true
      from_version:
        description: The version the shop had when the run began.
        type: str
        required: true
      backup_name:
        description: The name of the run's backup.
        type: str
        required: true
      started:
        description: When the run began (ISO 8601).
        type: str
        required: true
attributes:
  check_mode:
    support: full
    details:
      - Computes the resulting options and what would change; writes nothing.
  diff_mode:
    support: full
    details:
      - The stored options before and after (only the keys that change differ).
notes:
  - Idempotent; the file is rewritten only when a value changes.
"""

EXAMPLES = r"""
- name: Upgrade this shop from a zip pushed by the controller, without disabling any module
  shopfleet.prestashop.upgrade_config:
    shop_root: /var/www/shop
    channel: archive
    archive: /srv/releases/prestashop_8.2.1.zip
    archive_xml: /srv/releases/prestashop_8.2.1.xml

- name: Carry over the configuration used with the official module
  shopfleet.prestashop.upgrade_config:
    shop_root: /var/www/shop
    import_from: /var/www/shop/admin123/autoupgrade/config.json
"""

RETURN = r"""
config:
  description: The shop's upgrade options after the run (what they would be, in check mode).
  returned: success
  type: dict
  sample: {"channel": "minor", "backup": true, "keep_images": true, "disable_custom_modules": false, "keep_mails": false}
changed_keys:
  description: The options whose value changed (from the defaults, on the first run).
  returned: success
  type: list
  elements: str
  sample: ["channel", "archive"]
path:
  description: The file holding the options.
  returned: success
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/upgrade-config.json
run_path:
  description: The record of the run under way, when O(run) was given.
  returned: when O(run) is given
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/upgrade-run.json
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import json
import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, inspect_files, shop_argument_spec
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    UPGRADE_RUN_FILE,
    Workspace,
    WorkspaceError,
    atomic_write,
    ensure_private_dir,
    read_json,
    write_json,
)

CONFIG_FORMAT = "shopfleet.upgrade_config/1"
DEFAULTS: dict[str, Any] = {
    "channel": "minor", "target_version": None, "archive": None, "archive_xml": None, "archive_version": None,
    "release_dir": None, "release_version": None, "backup": True, "keep_images": True, "disable_custom_modules": False,
    "keep_mails": False, "change_default_theme": False, "update_default_theme": True, "update_rtl_files": True,
    "disable_overrides": False,
}
BOOLEAN_OPTIONS = [name for name, value in DEFAULTS.items() if isinstance(value, bool)]

# The official module's boolean keys and ours.
OFFICIAL_BOOLEANS = {
    "PS_AUTOUP_BACKUP": "backup", "PS_AUTOUP_KEEP_IMAGES": "keep_images", "PS_AUTOUP_CUSTOM_MOD_DESACT": "disable_custom_modules",
    "PS_AUTOUP_KEEP_MAILS": "keep_mails", "PS_AUTOUP_CHANGE_DEFAULT_THEME": "change_default_theme",
    "PS_AUTOUP_UPDATE_DEFAULT_THEME": "update_default_theme", "PS_AUTOUP_UPDATE_RTL_FILES": "update_rtl_files",
    "PS_DISABLE_OVERRIDES": "disable_overrides",
}
# Keys of the official module that mean nothing here: its own web-request batching.
OFFICIAL_IGNORED = ("PS_AUTOUP_PERFORMANCE",)
_TRUE = ("1", "true", "on", "yes")
_FALSE = ("0", "false", "off", "no", "")


RUN_KEYS = ("target_version", "from_version", "backup_name", "started")


def create_module() -> AnsibleModule:
    argument_spec = shop_argument_spec(database=False)
    argument_spec.update(
        channel={"type": "str", "choices": ["minor", "major", "archive", "directory"]},
        target_version={"type": "str"},
        archive={"type": "path"},
        archive_xml={"type": "path"},
        archive_version={"type": "str"},
        release_dir={"type": "path"},
        release_version={"type": "str"},
        import_from={"type": "path"},
        export_to={"type": "path"},
        workspace={"type": "path"},
        run={"type": "dict", "options": {name: {"type": "str", "required": True} for name in RUN_KEYS}},
        **{name: {"type": "bool"} for name in BOOLEAN_OPTIONS},
    )
    return AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)


def official_boolean(key: str, value: Any) -> bool:
    # Like PHP's FILTER_VALIDATE_BOOLEAN, which the official module uses.
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ShopError(f"{key} is {value!r} in the imported configuration: expected a boolean")


def from_official(document: dict[str, Any], download_dir: str, latest_dir: str) -> tuple[dict[str, Any], list[str]]:
    """Our options from the official module's JSON, and the keys we did not take (for a warning)."""
    options: dict[str, Any] = {}
    leftovers = []

    def in_download(name: Any) -> str:
        return name if os.path.isabs(str(name)) else os.path.join(download_dir, str(name))

    for key, value in document.items():
        if key in OFFICIAL_BOOLEANS:
            options[OFFICIAL_BOOLEANS[key]] = official_boolean(key, value)
        elif key == "channel":
            channel = {"online": "minor", "local": "archive"}.get(str(value), str(value))
            if channel not in ("minor", "major", "archive", "directory"):
                raise ShopError(f"the imported channel {value!r} is not supported: use minor, major, archive or directory")
            options["channel"] = channel
        elif key in ("archive_zip", "archive_prestashop", "archive.filename"):
            options["archive"] = in_download(value)
        elif key in ("archive_xml", "archive.xml"):
            options["archive_xml"] = in_download(value)
        elif key in ("archive_version_num", "archive.version_num"):
            options["archive_version"] = str(value)
        elif key in ("directory_num", "directory.version_num"):
            options.update(channel="directory", release_dir=latest_dir, release_version=str(value))
        elif key not in OFFICIAL_IGNORED:
            leftovers.append(key)
    return options, leftovers


def to_official(config: dict[str, Any]) -> dict[str, Any]:
    """The official module's JSON for our options (its newer keys: channel online|local, archive_zip, ...)."""
    document: dict[str, Any] = {key: int(bool(config[ours])) for key, ours in OFFICIAL_BOOLEANS.items()}
    if config["channel"] == "archive":
        document.update(channel="local", archive_zip=config["archive"], archive_xml=config["archive_xml"])
        if config["archive_version"]:
            document["archive_version_num"] = config["archive_version"]
    else:
        document["channel"] = "online"
    return document


def merge(stored: dict[str, Any] | None, imported: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    config = dict(DEFAULTS)
    config.update({key: value for key, value in (stored or {}).items() if key in DEFAULTS})
    config.update(imported)
    config.update({key: value for key, value in given.items() if value is not None})
    return config


def validate(config: dict[str, Any]) -> None:
    if config["channel"] == "archive" and not config["archive"]:
        raise ShopError("channel archive needs archive (the release zip on the host)")
    if config["channel"] == "directory" and not config["release_dir"]:
        raise ShopError("channel directory needs release_dir (the unzipped release on the host)")


def run(module: AnsibleModule) -> dict[str, Any]:
    files = inspect_files(module.params["shop_root"], module.params["admin_dir"])
    workspace = Workspace.for_shop(files.root, module.params["workspace"])
    path = os.path.join(workspace.root, "upgrade-config.json")
    document = read_json(path)
    if document is not None and document.get("format") != CONFIG_FORMAT:
        raise WorkspaceError(f"{path} is not an upgrade configuration of ours: move it away")
    stored = document["options"] if document else None
    imported: dict[str, Any] = {}
    if module.params["import_from"]:
        official_dir = os.path.join(files.root, files.admin_dir or "admin", "autoupgrade")
        try:
            with open(module.params["import_from"], encoding="utf-8") as handle:
                official = json.load(handle)
        except (OSError, ValueError) as exc:
            raise ShopError(f"cannot read {module.params['import_from']}: {exc}") from None
        if not isinstance(official, dict):
            raise ShopError(f"{module.params['import_from']} does not hold a JSON object")
        imported, leftovers = from_official(official, os.path.join(official_dir, "download"), os.path.join(official_dir, "latest"))
        if leftovers:
            module.warn(f"keys not taken from {module.params['import_from']}: {', '.join(sorted(leftovers))}")
    config = merge(stored, imported, {key: module.params[key] for key in DEFAULTS})
    validate(config)
    before = merge(stored, {}, {})
    changed_keys = sorted(key for key in DEFAULTS if before[key] != config[key])
    write_config = stored is None or bool(changed_keys)
    export = (json.dumps(to_official(config), indent=2, sort_keys=True) + "\n").encode()
    export_path = module.params["export_to"]
    write_export = bool(export_path) and _content(export_path) != export
    if not module.check_mode:
        if write_config:
            ensure_private_dir(workspace.root)
            write_json(path, {"format": CONFIG_FORMAT, "shop_root": files.root, "options": config})
        if write_export:
            atomic_write(export_path, export)
    result = {"changed": write_config or write_export, "config": config, "changed_keys": changed_keys, "path": path,
              "diff": {"before": before if stored is not None else {}, "after": config}}
    if module.params["run"]:
        result["run_path"] = os.path.join(workspace.root, UPGRADE_RUN_FILE)
        if read_json(result["run_path"]) != module.params["run"]:
            result["changed"] = True
            if not module.check_mode:
                ensure_private_dir(workspace.root)
                write_json(result["run_path"], module.params["run"])
    return result


def _content(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except (ShopError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff")
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
