# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Language packs after the database upgrade, as the upgrade module installs them for 1.7.x to 9.x targets.

For each active language, PrestaShop downloads the Symfony translation pack
`<service>/<target version>/<locale>/<locale>.zip` into `translations/sf-<locale>.zip` (its cache) and extracts
it into `translations/` (Language::downloadLanguagePack + installSfLanguagePack). That is only files, so it is done
here in Python, exactly: same URL, same cache name, same extraction. A pack can also come from a local folder.

A pack that cannot be had is a warning naming the command to retry; the languages still pending are kept in the
workspace (journals/language_packs-<target>.json) so that running upgrade_db again installs only those.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
from typing import Any

from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import (
    ArchiveLimits,
    HttpSettings,
    ReleaseError,
    check_entries,
    http_open,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import WorkspaceError, fsync_dir, read_json, sha256_file, utc_now, write_json

# Language::SF_LANGUAGE_PACK_URL without its "/%version%/%locale%/%locale%.zip" tail: 1.7 and 8+ use different hosts.
SERVICE_17 = "https://i18n.prestashop.com/translations"
SERVICE_8 = "https://i18n.prestashop-project.org/translations"
# Language::PACK_DOWNLOAD_TIMEOUT.
DOWNLOAD_TIMEOUT = 20
MAX_PACK_BYTES = 256 << 20
PACK_LIMITS = ArchiveLimits(max_bytes=1 << 30, max_entries=20_000)
ZIP_MAGIC = b"PK\x03\x04"
ISO_CODE = re.compile(r"^[a-zA-Z]{2,3}$")
LOCALE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")
ALL_LANGUAGES = "app/Resources/all_languages.json"
TRANSLATIONS = "translations"


class LanguagePackError(Exception):
    """One pack could not be had or installed (a warning: the upgrade itself goes on)."""


def langpacks_argument_spec() -> dict[str, Any]:
    """The options of upgrade_db for the language packs."""
    return {
        "language_packs": {"type": "str", "choices": ["update", "skip"], "default": "update"},
        "language_packs_src": {"type": "path"},
        "language_packs_url": {"type": "str"},
    }


def default_service(target: str) -> str:
    return SERVICE_17 if php_version_compare(target, "8.0.0") < 0 else SERVICE_8


def pack_url(base: str, target: str, locale: str) -> str:
    return f"{base.rstrip('/')}/{target}/{locale}/{locale}.zip"


def cache_name(locale: str) -> str:
    """Where PrestaShop keeps a downloaded pack (Language::getPathToCachedTranslationPack), relative to the shop."""
    return f"{TRANSLATIONS}/sf-{locale}.zip"


def local_candidates(folder: str, target: str, locale: str) -> list[str]:
    """Names a pack may have in a local folder: the shop's cache name, the service's name, or a mirror of the service."""
    return [os.path.join(folder, f"sf-{locale}.zip"), os.path.join(folder, f"{locale}.zip"), os.path.join(folder, target, locale, f"{locale}.zip")]


# --- which languages ------------------------------------------------------------------------------------------------


def active_languages(connection: Any, prefix: str, root: str) -> list[dict[str, str]]:
    """The active languages with the locale PrestaShop asks the pack for (Language::getLangDetails: all_languages.json,
    else the lang row). Invalid ISO codes are skipped, as the upgrade module skips them."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT iso_code, locale FROM `{prefix}lang` WHERE active = 1 ORDER BY id_lang")
        rows = cursor.fetchall()
    known = _all_languages(root)
    languages = []
    for iso, locale in rows:
        iso = str(iso)
        if not ISO_CODE.match(iso):
            continue
        locale = str((known.get(iso) or {}).get("locale") or locale or "")
        if LOCALE.match(locale):
            languages.append({"iso": iso, "locale": locale})
    return languages


def _all_languages(root: str) -> dict[str, Any]:
    try:
        data = read_json(os.path.join(root, ALL_LANGUAGES))
    except (OSError, WorkspaceError):  # a broken list: the lang rows say the locale
        return {}
    return data if isinstance(data, dict) else {}


# --- the state kept between runs -----------------------------------------------------------------------------------


def state_path(journals: str, target: str) -> str:
    return os.path.join(journals, f"language_packs-{target}.json")


def pending_languages(journals: str, target: str) -> list[dict[str, str]]:
    """The languages an earlier run could not install for this target (empty when none, or no earlier run)."""
    try:
        state = read_json(state_path(journals, target))
    except (OSError, WorkspaceError):  # an unreadable state: nothing known to be pending
        return []
    pending = state.get("pending") if isinstance(state, dict) else None
    return [entry for entry in pending or [] if isinstance(entry, dict) and entry.get("iso") and entry.get("locale")]


def save_state(journals: str, target: str, pending: list[dict[str, str]], installed: dict[str, str]) -> None:
    write_json(state_path(journals, target), {"target": target, "pending": pending, "installed": installed, "updated": utc_now()})


# --- getting a pack ---------------------------------------------------------------------------------------------------


def source_of(options: dict[str, Any], target: str, locale: str) -> str:
    """The URL or local path the pack comes from (for check mode and messages)."""
    folder = options.get("language_packs_src")
    if folder:
        found = [path for path in local_candidates(folder, target, locale) if os.path.isfile(path)]
        return found[0] if found else local_candidates(folder, target, locale)[0]
    return pack_url(options.get("language_packs_url") or default_service(target), target, locale)


def fetch_pack(options: dict[str, Any], target: str, locale: str, scratch: str) -> str:
    """A local copy of the pack, checked to be a zip; raises LanguagePackError."""
    source = source_of(options, target, locale)
    if options.get("language_packs_src"):
        if not os.path.isfile(source):
            raise LanguagePackError(f"no pack for {locale} in {options['language_packs_src']} (looked for sf-{locale}.zip, {locale}.zip, "
                                    f"{target}/{locale}/{locale}.zip)")
        path = source
    else:
        path = os.path.join(scratch, f"sf-{locale}.zip")
        _download(source, path)
    with open(path, "rb") as handle:
        if ZIP_MAGIC not in handle.read(4096) or not zipfile.is_zipfile(path):
            raise LanguagePackError(f"{source} is not a zip archive (PrestaShop refuses it too)")
    return path


def _download(url: str, path: str) -> None:
    try:
        response = http_open(url, HttpSettings(timeout=DOWNLOAD_TIMEOUT))
    except ReleaseError as exc:
        raise LanguagePackError(str(exc)) from None
    written = 0
    try:
        with response, open(path, "wb") as target:
            while True:
                chunk = response.read(1 << 20)
                if not chunk:
                    break
                written += len(chunk)
                if written > MAX_PACK_BYTES:
                    raise LanguagePackError(f"{url} is larger than {MAX_PACK_BYTES} bytes: not a language pack")
                target.write(chunk)
    except (OSError, ValueError) as exc:
        raise LanguagePackError(f"reading {url} failed: {exc}") from None


# --- installing it --------------------------------------------------------------------------------------------------


def install_pack(root: str, locale: str, pack: str) -> int:
    """Caches the pack as translations/sf-<locale>.zip and extracts it into translations/, as installSfLanguagePack
    does; only files whose content differs are written. Returns how many files were written."""
    translations = os.path.join(root, TRANSLATIONS)
    written = 0
    try:
        owner = _owner(translations) if os.path.isdir(translations) else _owner(root)
        _make_dirs(translations, owner)
        with zipfile.ZipFile(pack) as archive:
            entries = check_entries(archive, PACK_LIMITS, label=f"the {locale} language pack")
            for entry in entries:
                if entry.kind == "link":
                    raise LanguagePackError(f"the {locale} language pack holds a link ({entry.path}): refused")
            for entry in entries:
                destination = os.path.join(translations, entry.path)
                if entry.kind == "dir":
                    _make_dirs(destination, owner)
                    continue
                _make_dirs(os.path.dirname(destination), owner)
                with archive.open(entry.info) as source:
                    written += _write_if_different(destination, source, owner)
        with open(pack, "rb") as source:
            written += _write_if_different(os.path.join(root, cache_name(locale)), source, owner)
    except (ReleaseError, zipfile.BadZipFile, OSError) as exc:
        raise LanguagePackError(f"installing the {locale} language pack failed: {exc}") from None
    return written


def _write_if_different(destination: str, source: Any, owner: tuple[int, int]) -> int:
    folder = os.path.dirname(destination)
    descriptor, temp = tempfile.mkstemp(prefix=".shopfleet-", dir=folder)
    digest = hashlib.sha256()
    try:
        with os.fdopen(descriptor, "wb") as target:
            while True:
                chunk = source.read(1 << 20)
                if not chunk:
                    break
                digest.update(chunk)
                target.write(chunk)
        if os.path.isfile(destination) and not os.path.islink(destination) and sha256_file(destination) == digest.hexdigest():
            os.unlink(temp)
            return 0
        _settle(temp, destination, owner)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise
    return 1


def replace_file(path: str, data: bytes, default_mode: int = 0o644) -> None:
    """Writes path atomically (same folder, synced, renamed), keeping the owner and mode of the file it replaces."""
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temp = tempfile.mkstemp(prefix=".shopfleet-", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as target:
            target.write(data)
            target.flush()
            os.fsync(target.fileno())
        _settle(temp, path, _owner(path) if os.path.exists(path) else _owner(folder), default_mode)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise
    fsync_dir(folder)


def _settle(temp: str, destination: str, owner: tuple[int, int], default_mode: int = 0o644) -> None:
    """Gives temp the mode and owner of what it replaces (else default_mode and the folder's owner), then renames it."""
    try:
        mode = stat.S_IMODE(os.lstat(destination).st_mode)
        owner = _owner(destination)
    except FileNotFoundError:
        mode = default_mode
    os.chmod(temp, mode)
    _chown(temp, owner)
    if os.path.isdir(destination) and not os.path.islink(destination):
        shutil.rmtree(destination)
    os.replace(temp, destination)


def _owner(path: str) -> tuple[int, int]:
    info = os.lstat(path)
    return info.st_uid, info.st_gid


def _chown(path: str, owner: tuple[int, int]) -> None:
    # Only root can give files away; anybody else writes files that are theirs, like the rest of the shop.
    if os.geteuid() == 0 and _owner(path) != owner:
        os.chown(path, *owner, follow_symlinks=False)


def _make_dirs(path: str, owner: tuple[int, int]) -> None:
    if os.path.isdir(path):
        return
    _make_dirs(os.path.dirname(path), owner)
    os.mkdir(path, 0o755)
    _chown(path, owner)


# --- the step ---------------------------------------------------------------------------------------------------------


def retry_command(root: str, target: str) -> str:
    return (f"ansible <host> -b -m shopfleet.prestashop.upgrade_db -a 'shop_root={root} target_version={target} "
            f"language_packs_src=<folder holding sf-<locale>.zip>' (or the same without language_packs_src once the translation service "
            f"is reachable): it installs only the pending language packs")


def update_language_packs(options: dict[str, Any], root: str, journals: str, target: str, languages: list[dict[str, str]],
                          scratch: str, warn: Any) -> dict[str, Any]:
    """Installs the packs of `languages`; returns {"changed", "packs": [{iso, locale, source, status, files_written}]}.

    Never raises for a pack: a failure is a warning (through `warn`) and the language stays pending in the state."""
    packs = []
    pending = []
    installed: dict[str, str] = {}
    for language in languages:
        row = {**language, "source": source_of(options, target, language["locale"]), "files_written": 0}
        try:
            pack = fetch_pack(options, target, language["locale"], scratch)
            row["files_written"] = install_pack(root, language["locale"], pack)
            row["status"] = "installed" if row["files_written"] else "unchanged"
            installed[language["locale"]] = sha256_file(pack)
        except LanguagePackError as exc:
            row.update(status="failed", error=str(exc))
            pending.append(language)
        packs.append(row)
    save_state(journals, target, pending, installed)
    if pending:
        names = ", ".join(f"{language['locale']} ({language['iso']})" for language in pending)
        errors = "; ".join(row["error"] for row in packs if row["status"] == "failed")
        warn(f"language packs not installed for {names}: {errors}. The database upgrade to {target} is complete without them; "
             f"retry with: {retry_command(root, target)}")
    return {"changed": any(row["files_written"] for row in packs), "packs": packs}


def planned_packs(options: dict[str, Any], target: str, languages: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Check mode: the packs that would be fetched, and from where."""
    return [{**language, "source": source_of(options, target, language["locale"]), "status": "would install", "files_written": 0}
            for language in languages]
