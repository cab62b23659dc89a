# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Upgrading a shop's modules: where new versions come from, which upgrade scripts run, in which order, and the
snapshot that lets disabled modules be enabled again exactly.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import zipfile
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import fetch_all, quote_identifier
from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import HttpSettings, ReleaseError, http_open
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import module_version_on_disk
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import PhpVersion, php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import PARTIAL_MARK

SNAPSHOT_NAME = "disabled-modules.json"
SNAPSHOT_FORMAT = "shopfleet.disabled_modules/1"
# Never upgraded nor disabled by us: the official upgrade module manages itself.
NEVER_TOUCHED = frozenset({"autoupgrade"})
_UPGRADE_SCRIPT = re.compile(r"^upgrade-(?P<version>[0-9][0-9A-Za-z.\-_]*)\.php$")
_MODULE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
# A zip larger than this once extracted is refused: marketplace modules are a few MB, vendor/ included.
MAX_ZIP_EXTRACTED_BYTES = 512 << 20


class ModuleUpgradeError(Exception):
    """A module source or upgrade problem, with a one-line reason."""


# --- upgrade scripts ----------------------------------------------------------------------------------------------


def upgrade_script_versions(module_folder: str) -> list[str]:
    """Versions X of the module's upgrade/upgrade-X.php scripts, in no particular order."""
    folder = os.path.join(module_folder, "upgrade")
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [match.group("version") for match in map(_UPGRADE_SCRIPT.match, names) if match and os.path.isfile(os.path.join(folder, match.group(0)))]


def select_upgrade_scripts(versions: list[str], from_version: str, to_version: str) -> list[str]:
    """The scripts PrestaShop runs to bring a module from `from_version` (database) to `to_version` (files).

    A script runs when version_compare puts it above the database version and not above the new version; they run
    in version_compare order.
    """
    selected = [version for version in versions
                if php_version_compare(version, from_version) > 0 and php_version_compare(version, to_version) <= 0]
    return sorted(selected, key=PhpVersion)


def upgrade_function(version: str) -> str:
    """The function upgrade-X.php must define: PrestaShop replaces the dots of X by underscores."""
    return "upgrade_module_" + version.replace(".", "_")


# --- where new versions come from -----------------------------------------------------------------------------------


def release_sources(release_dir: str | None) -> dict[str, dict[str, Any]]:
    """The modules an unzipped release ships: name -> {path, version, origin}."""
    sources: dict[str, dict[str, Any]] = {}
    if not release_dir:
        return sources
    modules_dir = os.path.join(release_dir, "modules")
    if not os.path.isdir(modules_dir):
        raise ModuleUpgradeError(f"{release_dir} is not an unzipped release: it has no modules/ folder")
    for name in sorted(os.listdir(modules_dir)):
        folder = os.path.join(modules_dir, name)
        version = module_version_on_disk(folder, name) if os.path.isdir(folder) else None
        if version and _MODULE_NAME.match(name):
            sources[name] = {"path": folder, "version": version, "origin": "release"}
    return sources


def zip_sources(zip_dir: str | None, staging: str) -> dict[str, dict[str, Any]]:
    """Modules from a folder of zips (each holding one top folder `<name>/`), extracted under `staging`."""
    sources: dict[str, dict[str, Any]] = {}
    if not zip_dir:
        return sources
    if not os.path.isdir(zip_dir):
        raise ModuleUpgradeError(f"module source {zip_dir} is not a folder")
    for entry in sorted(os.listdir(zip_dir)):
        if not entry.endswith(".zip"):
            continue
        name, folder = extract_module_zip(os.path.join(zip_dir, entry), staging)
        version = module_version_on_disk(folder, name)
        if not version:
            raise ModuleUpgradeError(f"{entry}: modules/{name}/{name}.php declares no version")
        candidate = {"path": folder, "version": version, "origin": f"zip:{entry}"}
        if name not in sources or php_version_compare(version, sources[name]["version"]) > 0:
            sources[name] = candidate
    return sources


def url_sources(urls: dict[str, Any] | None, staging: str, settings: HttpSettings) -> dict[str, dict[str, Any]]:
    """Modules from a map name -> URL of its zip (or {url, sha256}): downloaded, checked, extracted under `staging`."""
    sources: dict[str, dict[str, Any]] = {}
    downloads = os.path.join(staging, "downloads")
    for name, spec in sorted((urls or {}).items()):
        url, expected = (spec.get("url"), spec.get("sha256")) if isinstance(spec, dict) else (spec, None)
        if not _MODULE_NAME.match(str(name)) or not isinstance(url, str) or not url:
            raise ModuleUpgradeError(f"module_urls: {name!r} needs a module name and a URL (or url and sha256)")
        os.makedirs(downloads, 0o700, exist_ok=True)
        zip_path = os.path.join(downloads, f"{name}.zip")
        digest = _download(url, zip_path, settings)
        if expected and digest != str(expected).lower():
            raise ModuleUpgradeError(f"{url}: sha256 {digest} is not the expected {expected}")
        found, folder = extract_module_zip(zip_path, os.path.join(staging, "from-urls"))
        if found != name:
            raise ModuleUpgradeError(f"{url} holds module {found!r}, not {name!r}")
        version = module_version_on_disk(folder, name)
        if not version:
            raise ModuleUpgradeError(f"{url}: {name}/{name}.php declares no version")
        sources[name] = {"path": folder, "version": version, "origin": f"url:{url}"}
    return sources


def _download(url: str, path: str, settings: HttpSettings) -> str:
    digest = hashlib.sha256()
    written = 0
    try:
        response = http_open(url, settings)
        with open(path, "wb") as handle:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                written += len(chunk)
                if written > MAX_ZIP_EXTRACTED_BYTES:
                    raise ModuleUpgradeError(f"{url}: larger than {MAX_ZIP_EXTRACTED_BYTES >> 20} MB")
                digest.update(chunk)
                handle.write(chunk)
    except ReleaseError as exc:
        raise ModuleUpgradeError(str(exc)) from None
    except OSError as exc:
        raise ModuleUpgradeError(f"{url}: download failed ({exc})") from None
    return digest.hexdigest()


def extract_module_zip(zip_path: str, staging: str) -> tuple[str, str]:
    """Extract a module zip into its own folder under `staging`; return (module name, its folder). Hostile zips refused."""
    label = os.path.basename(zip_path)
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = archive.infolist()
            name = _single_top_folder(members, label)
            if sum(member.file_size for member in members) > MAX_ZIP_EXTRACTED_BYTES:
                raise ModuleUpgradeError(f"{label}: more than {MAX_ZIP_EXTRACTED_BYTES >> 20} MB once extracted")
            destination = os.path.join(staging, os.path.splitext(label)[0])
            if os.path.isdir(destination):
                shutil.rmtree(destination)
            os.makedirs(destination, 0o700)
            for member in members:
                _extract_member(archive, member, destination, label)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModuleUpgradeError(f"{label}: not a readable zip ({exc})") from None
    return name, os.path.join(destination, name)


def _single_top_folder(members: list[zipfile.ZipInfo], label: str) -> str:
    tops = set()
    for member in members:
        parts = member.filename.replace("\\", "/").split("/")
        if member.filename.startswith("/") or ".." in parts or any(":" in part for part in parts):
            raise ModuleUpgradeError(f"{label}: unsafe path {member.filename!r}")
        tops.add(parts[0])
    if len(tops) != 1:
        raise ModuleUpgradeError(f"{label}: a module zip holds exactly one top folder, this one holds {len(tops)}")
    name = tops.pop()
    if not _MODULE_NAME.match(name):
        raise ModuleUpgradeError(f"{label}: {name!r} is not a module name")
    return name


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, destination: str, label: str) -> None:
    target = os.path.join(destination, member.filename)
    file_type = stat.S_IFMT(member.external_attr >> 16)
    if file_type == stat.S_IFLNK:
        raise ModuleUpgradeError(f"{label}: symbolic link {member.filename!r} refused")
    if member.is_dir():
        os.makedirs(target, 0o755, exist_ok=True)
        return
    os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
    with archive.open(member) as source, open(target, "wb") as handle:
        shutil.copyfileobj(source, handle, 1 << 20)
    os.chmod(target, 0o644)


def merge_sources(*groups: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One source per module: the highest version wins, the earlier group on a tie."""
    merged: dict[str, dict[str, Any]] = {}
    for group in groups:
        for name, source in group.items():
            if name not in merged or php_version_compare(source["version"], merged[name]["version"]) > 0:
                merged[name] = source
    return merged


# --- the plan ---------------------------------------------------------------------------------------------------------


def read_installed(connection: Any, prefix: str) -> list[dict[str, Any]]:
    """Rows of <prefix>module: id_module, name, active, version."""
    rows = fetch_all(connection, f"SELECT id_module, name, active, version FROM {quote_identifier(prefix + 'module')} ORDER BY name")
    return [{"id_module": int(row["id_module"]), "name": row["name"], "active": int(row["active"]), "version": row["version"]} for row in rows]


def plan_module(row: dict[str, Any], shop_root: str, source: dict[str, Any] | None) -> dict[str, Any]:
    """What to do for one installed module: files to replace, scripts to run, version to record, warnings."""
    name = row["name"]
    folder = os.path.join(shop_root, "modules", name)
    disk_version = module_version_on_disk(folder, name) if os.path.isdir(folder) else None
    entry: dict[str, Any] = {"name": name, "version_db": row["version"], "version_disk": disk_version, "source": None,
                             "version_source": None, "version_new": disk_version, "files": [], "scripts": [], "record_version": False,
                             "warnings": []}
    if source is not None:
        entry["version_source"] = source["version"]
        if disk_version is None or php_version_compare(source["version"], disk_version) > 0:
            entry.update(source=source["origin"], version_new=source["version"], files=files_to_copy(source["path"], folder, name))
        elif php_version_compare(source["version"], disk_version) < 0:
            entry["warnings"].append(f"{name}: the files ({disk_version}) are newer than {source['origin']} ({source['version']}): kept")
    if entry["version_new"] is None:
        entry["warnings"].append(f"{name}: installed but its files are missing or declare no version: skipped")
        return entry
    comparison = php_version_compare(entry["version_new"], row["version"])
    if comparison > 0:
        scripts_folder = source["path"] if entry["source"] and source else folder
        entry["scripts"] = select_upgrade_scripts(upgrade_script_versions(scripts_folder), row["version"], entry["version_new"])
        entry["record_version"] = True
    elif comparison < 0:
        entry["warnings"].append(f"{name}: the database records {row['version']}, newer than its files ({entry['version_new']}): left alone")
    return entry


def plan_modules(installed: list[dict[str, Any]], shop_root: str, sources: dict[str, dict[str, Any]],
                 only: list[str] | None = None, exclude: list[str] | None = None) -> list[dict[str, Any]]:
    """The plan of every installed module that has something to do or to say (plain data, asserted by unit tests)."""
    plan = []
    for row in installed:
        name = row["name"]
        if name in NEVER_TOUCHED or (only and name not in only) or name in (exclude or []):
            continue
        entry = plan_module(row, shop_root, sources.get(name))
        if entry["files"] or entry["record_version"] or entry["warnings"]:
            plan.append(entry)
    return plan


def files_to_copy(source: str, target: str, name: str) -> list[str]:
    """Relative paths whose content differs between the new module folder and the shop's; the main class comes last.

    The main class declares the version, so a run killed while copying still sees the old version and copies again.
    """
    changed = []
    for current, directories, names in os.walk(source):
        directories.sort()
        for filename in sorted(names):
            path = os.path.join(current, filename)
            relative = os.path.relpath(path, source)
            if os.path.islink(path) or PARTIAL_MARK in filename:
                continue
            if not _same_content(path, os.path.join(target, relative)):
                changed.append(relative)
    last = [relative for relative in changed if relative in (name + ".php", "config.xml")]
    return [relative for relative in changed if relative not in last] + sorted(last, key=lambda relative: relative == name + ".php")


def _same_content(left: str, right: str) -> bool:
    try:
        if os.path.getsize(left) != os.path.getsize(right) or os.path.islink(right):
            return False
        with open(left, "rb") as one, open(right, "rb") as other:
            while True:
                chunk = one.read(1 << 20)
                if chunk != other.read(1 << 20):
                    return False
                if not chunk:
                    return True
    except OSError:
        return False


def copy_module_files(source: str, target: str, relatives: list[str]) -> None:
    """Copy files into the shop's module folder in the given order: temp + rename, modes and owner of what was there kept."""
    owner = _owner_of(target) or _owner_of(os.path.dirname(target))
    for relative in relatives:
        origin, destination = os.path.join(source, relative), os.path.join(target, relative)
        _make_dirs(os.path.dirname(destination), owner)
        try:
            mode = stat.S_IMODE(os.stat(destination).st_mode)
            file_owner = _owner_of(destination)
        except FileNotFoundError:
            mode, file_owner = 0o644 | (stat.S_IMODE(os.stat(origin).st_mode) & 0o111), owner
        temporary = f"{destination}{PARTIAL_MARK}{os.getpid()}"
        if os.path.isdir(destination) and not os.path.islink(destination):
            shutil.rmtree(destination)
        shutil.copyfile(origin, temporary)
        os.chmod(temporary, mode)
        _chown(temporary, file_owner)
        os.replace(temporary, destination)


def _owner_of(path: str) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    return info.st_uid, info.st_gid


def _chown(path: str, owner: tuple[int, int] | None) -> None:
    # Only root can give files away; as anybody else the files are ours, like the rest of the shop.
    if owner is not None and os.geteuid() == 0:
        os.chown(path, *owner)


def _make_dirs(path: str, owner: tuple[int, int] | None) -> None:
    if os.path.isdir(path):
        return
    _make_dirs(os.path.dirname(path), owner)
    os.mkdir(path, 0o755)
    _chown(path, owner)


# --- disabling custom modules and enabling them again ---------------------------------------------------------------


def custom_module_names(installed: list[dict[str, Any]], native: set[str]) -> list[str]:
    """Installed modules the target release does not ship (ours to disable during the upgrade)."""
    return sorted(row["name"] for row in installed if row["name"] not in native and row["name"] not in NEVER_TOUCHED)


def read_module_rows(connection: Any, prefix: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """name -> {"module": its row, "module_shop": every row of it, all columns}, as a snapshot keeps them."""
    if not names:
        return {}
    module_table, shop_table = quote_identifier(prefix + "module"), quote_identifier(prefix + "module_shop")
    placeholders = ", ".join(["%s"] * len(names))
    modules = fetch_all(connection, f"SELECT * FROM {module_table} WHERE name IN ({placeholders}) ORDER BY name", names)
    result: dict[str, dict[str, Any]] = {}
    for row in modules:
        shop_rows = fetch_all(connection, f"SELECT * FROM {shop_table} WHERE id_module = %s ORDER BY id_shop", (row["id_module"],))
        result[row["name"]] = {"module": _plain(row), "module_shop": [_plain(shop_row) for shop_row in shop_rows]}
    return result


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value if isinstance(value, (int, str)) or value is None else str(value) for key, value in row.items()}


def is_disabled(rows: dict[str, Any]) -> bool:
    """Disabled as PrestaShop sees it: inactive and attached to no shop."""
    return not int(rows["module"]["active"]) and not rows["module_shop"]


def plan_disable(current: dict[str, dict[str, Any]], snapshot: dict[str, Any] | None, reason: str) -> dict[str, Any]:
    """Modules to disable now and the snapshot to write first (the existing one, extended; never overwritten)."""
    saved = dict((snapshot or {}).get("modules", {}))
    to_disable = sorted(name for name, rows in current.items() if not is_disabled(rows))
    for name in to_disable:
        # A module the snapshot already holds was enabled again by hand: its first saved state is what we restore.
        saved.setdefault(name, {**current[name], "reason": reason})
    return {"disable": to_disable, "modules": saved}


def disable_modules(connection: Any, prefix: str, ids: list[int]) -> None:
    """What the official module does: inactive, and no longer attached to any shop (its rows are in the snapshot)."""
    if not ids:
        return
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        connection.begin()
        try:
            cursor.execute(f"UPDATE {quote_identifier(prefix + 'module')} SET active = 0 WHERE id_module IN ({placeholders})", ids)
            cursor.execute(f"DELETE FROM {quote_identifier(prefix + 'module_shop')} WHERE id_module IN ({placeholders})", ids)
            connection.commit()
        except BaseException:
            connection.rollback()
            raise


def plan_reenable(current: dict[str, dict[str, Any]], snapshot: dict[str, Any]) -> dict[str, Any]:
    """Modules whose rows differ from the snapshot (to restore), and those that were uninstalled since (warnings)."""
    restore, gone = [], []
    for name, saved in sorted(snapshot.get("modules", {}).items()):
        rows = current.get(name)
        if rows is None or int(rows["module"]["id_module"]) != int(saved["module"]["id_module"]):
            gone.append(name)
        elif rows["module"]["active"] != saved["module"]["active"] or _shop_rows_key(rows["module_shop"]) != _shop_rows_key(saved["module_shop"]):
            restore.append(name)
    return {"restore": restore, "gone": gone}


def _shop_rows_key(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(sorted(row.items())) for row in rows)


def restore_modules(connection: Any, prefix: str, saved: list[dict[str, Any]]) -> None:
    """Put back each module's saved `active` and exactly its saved module_shop rows, in one transaction."""
    module_table, shop_table = quote_identifier(prefix + "module"), quote_identifier(prefix + "module_shop")
    with connection.cursor() as cursor:
        connection.begin()
        try:
            for rows in saved:
                id_module = rows["module"]["id_module"]
                cursor.execute(f"UPDATE {module_table} SET active = %s WHERE id_module = %s", (rows["module"]["active"], id_module))
                cursor.execute(f"DELETE FROM {shop_table} WHERE id_module = %s", (id_module,))
                for shop_row in rows["module_shop"]:
                    columns = sorted(shop_row)
                    cursor.execute(f"INSERT INTO {shop_table} ({', '.join(map(quote_identifier, columns))}) "
                                   f"VALUES ({', '.join(['%s'] * len(columns))})", [shop_row[column] for column in columns])
            connection.commit()
        except BaseException:
            connection.rollback()
            raise


def record_version(connection: Any, prefix: str, name: str, version: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {quote_identifier(prefix + 'module')} SET version = %s WHERE name = %s", (version, name))
