# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PrestaShop releases: where they are published, which one a shop goes to, their archives and checksum lists.

- Release metadata: PrestaShop's JSON list of releases (version, stability, PHP range, zip/xml URLs, zip md5) and
  the older channel.xml; `select_target` picks the target of a channel with PHP's version_compare.
- HTTP: `http_get` over ansible.module_utils.urls (TLS verification, proxies from the environment, timeouts),
  and one-line messages for every way a request fails.
- Checksum lists: PrestaShop's md5 XML (`<checksum_list><ps_root_dir version><dir name><md5file name>md5`).
- Archives: both layouts (1.7+ outer zip holding prestashop.zip; 1.6 prestashop/ folder; a plain tree zipped),
  validated entry by entry before anything is written and extracted with nothing ever outside the destination.
- Release trees: the sample files that must not overwrite a merchant's, how a file is grouped (core / mail /
  translation), the comparison of a shop with its version's list, and the diff between two releases.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import fnmatch
import http.client
import json
import os
import posixpath
import re
import socket
import ssl
import stat
import zipfile
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Iterable
from urllib.error import HTTPError, URLError
from xml.etree import ElementTree

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, SSLValidationError

from ansible_collections.shopfleet.prestashop.plugins.module_utils._hashing import new_md5, walk_files
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import major_branch, php_version_compare, version_from_files

DEFAULT_METADATA_URL = "https://api.prestashop-project.org/prestashop"
DEFAULT_CHANNEL_XML_URL = "https://api.prestashop.com/xml/channel.xml"
INNER_ZIP = "prestashop.zip"
# Written by release_unzip at the root of an unpacked release, last: the files step must not copy it to the shop.
RELEASE_MARKER = ".shopfleet-release.json"
INSTALL_VERSION_FILE = "install/install_version.php"
# What PrestaShop's own upgrader requires of an unzipped release before copying it.
RELEASE_MARKERS = ("index.php", "config/defines.inc.php", "classes", "controllers")
# Renamed when a release is unpacked, as PrestaShop's release builder and upgrader do.
ADMIN_FOLDERS = ("admin", "admin-dev")
INSTALL_FOLDERS = ("install", "install-dev")
_MD5 = re.compile(r"^[0-9a-f]{32}$")
_INSTALL_VERSION = re.compile(r"""define\(\s*['"]_PS_INSTALL_VERSION_['"]\s*,\s*['"]([0-9][0-9A-Za-z.\-]*)['"]\s*\)""")


class ReleaseError(Exception):
    """A release, archive, checksum list or request that cannot be used, with a one-line reason."""


# --- release metadata -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseInfo:
    """One release as PrestaShop's release list describes it."""

    version: str
    stability: str = "stable"
    php_min_version: str | None = None
    php_max_version: str | None = None
    zip_url: str | None = None
    xml_url: str | None = None
    zip_md5: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "stability": self.stability, "php_min_version": self.php_min_version,
                "php_max_version": self.php_max_version, "zip_download_url": self.zip_url, "xml_download_url": self.xml_url,
                "zip_md5": self.zip_md5}


@dataclass(frozen=True)
class ChannelBranch:
    """One <branch> of channel.xml: the newest release of a branch in a channel."""

    channel: str
    branch: str
    available: bool
    version: str | None
    zip_url: str | None
    zip_md5: str | None


def _text_or_none(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def parse_release_list(text: str, source: str = "the release list") -> list[ReleaseInfo]:
    """PrestaShop's JSON release list (an array of objects, or an object holding one under `releases`)."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ReleaseError(f"{source} is not JSON: {exc}") from None
    if isinstance(document, dict):
        document = document.get("releases", document.get("prestashop"))
    if not isinstance(document, list):
        raise ReleaseError(f"{source} is not a list of releases")
    releases = []
    for entry in document:
        if not isinstance(entry, dict) or not _text_or_none(entry.get("version")):
            continue
        md5 = _text_or_none(entry.get("zip_md5"))
        releases.append(ReleaseInfo(
            version=str(entry["version"]).strip(),
            stability=(_text_or_none(entry.get("stability")) or "stable").lower(),
            php_min_version=_text_or_none(entry.get("php_min_version")),
            php_max_version=_text_or_none(entry.get("php_max_version")),
            zip_url=_text_or_none(entry.get("zip_download_url")),
            xml_url=_text_or_none(entry.get("xml_download_url")),
            zip_md5=md5.lower() if md5 else None,
        ))
    if not releases:
        raise ReleaseError(f"{source} lists no release")
    return releases


def parse_channel_xml(text: str, source: str = "channel.xml") -> list[ChannelBranch]:
    """Every <branch> of PrestaShop's channel.xml with its channel (alpha, beta, rc, stable)."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ReleaseError(f"{source} is not XML: {exc}") from None
    branches = []
    for channel in root.iter("channel"):
        channel_available = channel.get("available", "1") not in ("0", "false")
        for branch in channel.iter("branch"):
            download = branch.find("download")
            md5 = _text_or_none(download.findtext("md5")) if download is not None else None
            branches.append(ChannelBranch(
                channel=channel.get("name", ""),
                branch=branch.get("name", ""),
                available=channel_available and branch.get("available", "1") not in ("0", "false"),
                version=_text_or_none(branch.findtext("num")),
                zip_url=_text_or_none(download.findtext("link")) if download is not None else None,
                zip_md5=md5.lower() if md5 else None,
            ))
    return branches


def php_compatible(release: ReleaseInfo, php_version: str) -> bool:
    """Whether a PHP version runs the release: at least its minimum, and its major.minor at most the maximum's
    (a maximum of 8.1 admits 8.1.27). Unknown bounds do not restrict, as in PrestaShop's upgrader."""
    if release.php_min_version and php_version_compare(php_version, release.php_min_version) < 0:
        return False
    if release.php_max_version:
        php_minor = ".".join(php_version.split(".")[:2])
        max_minor = ".".join(release.php_max_version.split(".")[:2])
        if php_version_compare(php_minor, max_minor) > 0:
            return False
    return True


@dataclass
class TargetChoice:
    """The outcome of a target search: the release (or None) and why every other newer release was left out."""

    release: ReleaseInfo | None
    upgrade_needed: bool
    skipped: list[dict[str, str]] = field(default_factory=list)


def select_target(releases: Iterable[ReleaseInfo], current_version: str, channel: str = "minor", php_version: str | None = None,
                  target_version: str | None = None, branches: Iterable[str] | None = None) -> TargetChoice:
    """The release a shop at `current_version` goes to.

    `minor`: the newest stable release of the shop's major branch (1.7, 8, 9); `major`: the newest stable release.
    `php_version` leaves out releases that PHP cannot run; `branches` (from channel.xml) keeps only releases of
    those branches; `target_version` pins the target instead (it must be listed, stable or not).
    """
    if channel not in ("minor", "major"):
        raise ReleaseError(f"unknown channel {channel!r}: use minor or major")
    releases = list(releases)
    if target_version:
        pinned = [release for release in releases if php_version_compare(release.version, target_version) == 0]
        if not pinned:
            raise ReleaseError(f"PrestaShop {target_version} is not in the release list")
        release = pinned[0]
        needed = php_version_compare(current_version, release.version) < 0
        skipped = []
        if php_version and not php_compatible(release, php_version):
            skipped.append({"version": release.version, "reason": _php_reason(release, php_version)})
        return TargetChoice(release=release, upgrade_needed=needed, skipped=skipped)
    allowed_branches = set(branches) if branches is not None else None
    best: ReleaseInfo | None = None
    skipped = []
    for release in releases:
        if php_version_compare(release.version, current_version) <= 0:
            continue
        reason = None
        if release.stability != "stable":
            reason = f"not stable ({release.stability})"
        elif channel == "minor" and major_branch(release.version) != major_branch(current_version):
            reason = f"another major branch than {major_branch(current_version)} (channel minor)"
        elif allowed_branches is not None and major_branch(release.version) not in allowed_branches:
            reason = "its branch is not available in channel.xml"
        elif php_version and not php_compatible(release, php_version):
            reason = _php_reason(release, php_version)
        if reason:
            skipped.append({"version": release.version, "reason": reason})
        elif best is None or php_version_compare(release.version, best.version) > 0:
            best = release
    return TargetChoice(release=best, upgrade_needed=best is not None, skipped=skipped)


def _php_reason(release: ReleaseInfo, php_version: str) -> str:
    return f"needs PHP {release.php_min_version or '?'} to {release.php_max_version or '?'}, the host has {php_version}"


def find_release(releases: Iterable[ReleaseInfo], version: str) -> ReleaseInfo | None:
    return next((release for release in releases if php_version_compare(release.version, version) == 0), None)


# --- HTTP -------------------------------------------------------------------------------------------------------


@dataclass
class HttpSettings:
    """How to reach a server: ansible.module_utils.urls takes proxies from the environment when use_proxy is on."""

    validate_certs: bool = True
    timeout: int = 30
    use_proxy: bool = True
    ca_path: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def http_open(url: str, settings: HttpSettings, method: str = "GET", headers: dict[str, str] | None = None) -> Any:
    """Open a URL; every failure is a ReleaseError with one line naming the URL. HTTP errors keep their status in
    `.status` of the error (so 416 on a resumed download can be told apart)."""
    request = Request(use_proxy=settings.use_proxy, timeout=settings.timeout, validate_certs=settings.validate_certs,
                      ca_path=settings.ca_path, decompress=False, follow_redirects="safe")
    try:
        return request.open(method, url, headers={**settings.headers, **(headers or {})})
    except (OSError, UrlsConnectionError, http.client.HTTPException, ValueError) as exc:
        raise HttpFailure(describe_http_error(exc, url, settings), getattr(exc, "code", None)) from None


class HttpFailure(ReleaseError):
    """A request that failed; `status` is the HTTP status when the server answered."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def describe_http_error(exc: BaseException, url: str, settings: HttpSettings) -> str:
    """One line for a failed request: the HTTP status, a TLS problem with its fix, a timeout, a refused connection."""
    if isinstance(exc, HTTPError):
        return f"HTTP {exc.code} {exc.reason} for {url}"
    reason: Any = exc.reason if isinstance(exc, URLError) else exc
    text = str(getattr(reason, "reason", "") or reason)
    if isinstance(reason, (ssl.SSLCertVerificationError, SSLValidationError)) or "CERTIFICATE_VERIFY_FAILED" in text:
        detail = getattr(reason, "verify_message", None) or text
        return (f"TLS certificate verification failed for {url}: {detail}; give the CA with ca_path, or set "
                "validate_certs: false only for a mirror you trust")
    if isinstance(reason, ssl.SSLError):
        return f"TLS error talking to {url}: {text}"
    if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in text:
        return f"no answer from {url} within {settings.timeout} s"
    if isinstance(exc, UrlsConnectionError):
        return f"cannot reach {url}: {text}"
    if isinstance(reason, OSError) and reason.strerror:
        return f"cannot reach {url}: {reason.strerror}"
    return f"cannot reach {url}: {text or type(exc).__name__}"


def http_get(url: str, settings: HttpSettings, max_bytes: int = 32 << 20) -> bytes:
    """A small document (a release list, a checksum list) read in memory; a local path or file:// URL also works,
    for air-gapped mirrors."""
    local = url[len("file://"):] if url.startswith("file://") else url if url.startswith("/") else None
    if local is not None:
        try:
            with open(local, "rb") as handle:
                data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise ReleaseError(f"cannot read {local}: {exc.strerror or exc}") from None
    else:
        response = http_open(url, settings)
        try:
            data = response.read(max_bytes + 1)
        except (OSError, ValueError) as exc:
            raise ReleaseError(f"reading {url} failed: {exc}") from None
        finally:
            response.close()
    if len(data) > max_bytes:
        raise ReleaseError(f"{url} is larger than {max_bytes} bytes: not a release list or checksum list")
    return data


def fetch_release_list(url: str, settings: HttpSettings) -> list[ReleaseInfo]:
    return parse_release_list(http_get(url, settings).decode("utf-8", errors="replace"), url)


# --- checksum lists ---------------------------------------------------------------------------------------------


def parse_checksum_xml(source: str | IO[bytes], name: str | None = None) -> tuple[str, dict[str, str]]:
    """PrestaShop's md5 list: (version of ps_root_dir, {relative path: md5}), read as a stream."""
    label = name or (source if isinstance(source, str) else "the checksum list")
    checksums: dict[str, str] = {}
    folders: list[str] = []
    version = None
    in_root = False
    try:
        for event, element in ElementTree.iterparse(source, events=("start", "end")):
            if element.tag == "ps_root_dir":
                in_root = event == "start"
                if in_root:
                    version = element.get("version", "")
                continue
            if not in_root:
                continue
            if element.tag == "dir":
                if event == "start":
                    folders.append(_safe_component(element.get("name", ""), label))
                else:
                    folders.pop()
                    element.clear()
            elif element.tag == "md5file" and event == "end":
                relative = "/".join(folders + [_safe_component(element.get("name", ""), label)])
                digest = (element.text or "").strip().lower()
                if not _MD5.match(digest):
                    raise ReleaseError(f"{label}: {relative} has no valid md5 ({digest!r})")
                checksums[relative] = digest
                element.clear()
    except ElementTree.ParseError as exc:
        raise ReleaseError(f"{label} is not a valid checksum list: {exc}") from None
    except OSError as exc:
        raise ReleaseError(f"cannot read {label}: {exc.strerror or exc}") from None
    if version is None:
        raise ReleaseError(f"{label} has no <ps_root_dir>: not a PrestaShop checksum list")
    if not checksums:
        raise ReleaseError(f"{label} lists no file")
    return version, checksums


def _safe_component(name: str, label: str) -> str:
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        raise ReleaseError(f"{label} holds an unsafe name {name!r}")
    return name


# --- archives ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may hold before it is refused as hostile (a zip bomb, or a tree no release has)."""

    max_bytes: int = 4 << 30
    max_entries: int = 200_000
    max_ratio: int = 200
    # Small entries are never refused for their ratio alone: a bomb needs size, which max_bytes catches.
    ratio_min_bytes: int = 1 << 20


@dataclass
class ArchiveEntry:
    info: zipfile.ZipInfo
    path: str
    kind: str  # file | dir | link
    mode: int
    link_target: str | None = None


@dataclass
class ArchiveContents:
    """What an archive would extract to (paths relative to the release root), validated."""

    layout: str  # nested (1.7+), folder (1.6 prestashop/), flat
    entries: list[ArchiveEntry]
    files: int
    dirs: int
    links: int
    bytes: int
    version: str | None = None


def _zip_mode(info: zipfile.ZipInfo) -> int:
    # Only zips made on Unix carry a file mode (and so can declare a link or a device).
    return (info.external_attr >> 16) & 0xFFFF if info.create_system == 3 else 0


def _entry_kind(info: zipfile.ZipInfo) -> str | None:
    mode = _zip_mode(info)
    if info.is_dir() or stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "link"
    if mode == 0 or stat.S_ISREG(mode) or stat.S_IFMT(mode) == 0:
        return "file"
    return None


def safe_relative_path(name: str) -> str | None:
    """The normalised relative path of an archive name, or None when it could land outside the destination."""
    if not name or "\0" in name or "\\" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _detect_layout(names: list[str]) -> tuple[str, str]:
    """(layout, prefix to strip) of a release zip."""
    if INNER_ZIP in names:
        return "nested", ""
    files = [name for name in names if not name.endswith("/")]
    if files and all(name.startswith("prestashop/") for name in files):
        return "folder", "prestashop/"
    if "index.php" in names and any(name.startswith(("classes/", "config/")) for name in names):
        return "flat", ""
    raise ReleaseError("not a PrestaShop release archive: it holds neither prestashop.zip, nor a prestashop/ folder, "
                       "nor a release tree")


def check_entries(archive: zipfile.ZipFile, limits: ArchiveLimits, prefix: str = "", label: str = "the archive") -> list[ArchiveEntry]:
    """Every entry of a zip, validated: safe names, known kinds, no duplicates, links that stay inside, and sizes
    within the limits. Raises ReleaseError naming the first offending entry."""
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise ReleaseError(f"{label} holds {len(infos)} entries, more than the limit of {limits.max_entries}")
    entries: list[ArchiveEntry] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if prefix:
            if name.rstrip("/") + "/" == prefix:
                continue
            if not name.startswith(prefix):
                raise ReleaseError(f"{label}: {name!r} is outside the {prefix} folder")
            name = name[len(prefix):]
        relative = safe_relative_path(name)
        if relative is None:
            raise ReleaseError(f"{label}: refusing the unsafe path {info.filename!r} (absolute, '..' or odd characters)")
        kind = _entry_kind(info)
        if kind is None:
            raise ReleaseError(f"{label}: refusing {info.filename!r}, a special file (mode {oct(_zip_mode(info))})")
        if relative in seen:
            raise ReleaseError(f"{label}: {info.filename!r} appears twice")
        seen.add(relative)
        total += info.file_size
        if total > limits.max_bytes:
            raise ReleaseError(f"{label} expands to more than {limits.max_bytes} bytes (the limit): refusing a possible zip bomb")
        if info.file_size >= limits.ratio_min_bytes and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise ReleaseError(f"{label}: {info.filename!r} expands {info.file_size // max(info.compress_size, 1)} times "
                               f"(limit {limits.max_ratio}): refusing a possible zip bomb")
        entries.append(ArchiveEntry(info=info, path=relative, kind=kind, mode=_zip_mode(info) & 0o7777))
    _check_links(archive, entries, label)
    return entries


def _check_links(archive: zipfile.ZipFile, entries: list[ArchiveEntry], label: str) -> None:
    """Links must resolve inside the tree without passing through another link, and nothing may sit below one:
    then every path resolves exactly as it reads, and extraction cannot be steered outside."""
    links = {entry.path: entry for entry in entries if entry.kind == "link"}
    if not links:
        return
    for entry in entries:
        parents = entry.path.split("/")[:-1]
        for depth in range(1, len(parents) + 1):
            if "/".join(parents[:depth]) in links:
                raise ReleaseError(f"{label}: {entry.info.filename!r} lies below the link {'/'.join(parents[:depth])!r}")
    for path, entry in links.items():
        if entry.info.file_size > 4096:
            raise ReleaseError(f"{label}: the link {entry.info.filename!r} has an oversized target")
        target = archive.read(entry.info).decode("utf-8", errors="replace")
        resolved = _resolve_link(path, target, links)
        if resolved is None:
            raise ReleaseError(f"{label}: the link {entry.info.filename!r} -> {target!r} leads outside the release")
        entry.link_target = target


def _resolve_link(path: str, target: str, links: dict[str, ArchiveEntry]) -> str | None:
    if not target or target.startswith("/") or "\0" in target or "\\" in target:
        return None
    current = path.split("/")[:-1]
    parts = [part for part in target.split("/") if part not in ("", ".")]
    for index, part in enumerate(parts):
        if part == "..":
            if not current:
                return None
            current.pop()
        else:
            current.append(part)
        if index < len(parts) - 1 and "/".join(current) in links:
            return None
    return "/".join(current)


@dataclass
class OpenedArchive:
    """A release zip opened at the level that holds the tree (the inner zip for the 1.7+ layout)."""

    tree: zipfile.ZipFile
    layout: str
    prefix: str
    handles: list[Any]

    def close(self) -> None:
        for handle in reversed(self.handles):
            handle.close()


def open_release_archive(path: str, limits: ArchiveLimits, inner_copy: str | None = None) -> OpenedArchive:
    """Open a release zip; the inner prestashop.zip is read in place (no writes) unless `inner_copy` names a file to
    copy it to first, which is faster when every entry is going to be read."""
    try:
        outer = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise ReleaseError(f"{path} is not a readable zip: {exc}") from None
    handles: list[Any] = [outer]
    try:
        layout, prefix = _detect_layout(outer.namelist())
        if layout != "nested":
            return OpenedArchive(tree=outer, layout=layout, prefix=prefix, handles=handles)
        inner_info = outer.getinfo(INNER_ZIP)
        check_entries(outer, limits, label=os.path.basename(path))
        if inner_copy is not None:
            _copy_member(outer, inner_info, inner_copy, limits)
            inner_file: Any = open(inner_copy, "rb")
        else:
            inner_file = outer.open(inner_info)
        handles.append(inner_file)
        inner = zipfile.ZipFile(inner_file)
        handles.append(inner)
        return OpenedArchive(tree=inner, layout=layout, prefix="", handles=handles)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        _close_all(handles)
        raise ReleaseError(f"{path} is a damaged zip: {exc}") from None
    except ReleaseError:
        _close_all(handles)
        raise


def _close_all(handles: list[Any]) -> None:
    for handle in reversed(handles):
        try:
            handle.close()
        except OSError:
            pass


def _copy_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, dest: str, limits: ArchiveLimits) -> None:
    written = 0
    with archive.open(info) as source, open(dest, "wb") as target:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            written += len(chunk)
            if written > info.file_size or written > limits.max_bytes:
                raise ReleaseError(f"{info.filename} expands beyond its declared size: refusing a possible zip bomb")
            target.write(chunk)


def inspect_archive(path: str, limits: ArchiveLimits) -> ArchiveContents:
    """Validate a release zip and say what it holds, writing nothing (what check mode reports)."""
    opened = open_release_archive(path, limits)
    try:
        return _contents(opened, limits, path)
    finally:
        opened.close()


def _contents(opened: OpenedArchive, limits: ArchiveLimits, path: str) -> ArchiveContents:
    try:
        label = os.path.basename(path) + ("/" + INNER_ZIP if opened.layout == "nested" else "")
        entries = check_entries(opened.tree, limits, opened.prefix, label=label)
        version = None
        version_entry = next((entry for entry in entries if _unrenamed(entry.path) == INSTALL_VERSION_FILE), None)
        if version_entry is not None and version_entry.info.file_size < 65536:
            version = _install_version(opened.tree.read(version_entry.info).decode("utf-8", errors="replace"))
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ReleaseError(f"{path} is a damaged zip: {exc}") from None
    return ArchiveContents(
        layout=opened.layout, entries=entries, version=version,
        files=sum(entry.kind == "file" for entry in entries), dirs=sum(entry.kind == "dir" for entry in entries),
        links=sum(entry.kind == "link" for entry in entries), bytes=sum(entry.info.file_size for entry in entries if entry.kind == "file"),
    )


def _unrenamed(relative: str) -> str:
    head, _slash, rest = relative.partition("/")
    return "install/" + rest if head == "install-dev" else relative


def _install_version(text: str) -> str | None:
    match = _INSTALL_VERSION.search(text)
    return match.group(1) if match else None


def extract_archive(path: str, dest: str, limits: ArchiveLimits, scratch: str) -> ArchiveContents:
    """Validate, then extract a release zip into the empty folder `dest` (the release root). `scratch` is a file
    name for the inner zip's copy, removed afterwards. Sizes are enforced while writing too (headers can lie)."""
    opened = open_release_archive(path, limits, inner_copy=scratch)
    try:
        contents = _contents(opened, limits, path)
        try:
            _write_entries(opened.tree, contents.entries, dest, limits)
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise ReleaseError(f"extracting {path} failed: {exc}") from None
        return contents
    finally:
        opened.close()
        if os.path.exists(scratch):
            os.unlink(scratch)


def _write_entries(archive: zipfile.ZipFile, entries: list[ArchiveEntry], dest: str, limits: ArchiveLimits) -> None:
    made = {dest}
    total = 0
    # Files in the order they sit in the archive (one forward pass over it), links last so nothing is written
    # through them.
    for entry in sorted(entries, key=lambda item: item.info.header_offset):
        target = os.path.join(dest, entry.path)
        if entry.kind == "dir":
            _make_dirs(target, made)
            continue
        if entry.kind == "link":
            continue
        _make_dirs(os.path.dirname(target), made)
        total += _write_file(archive, entry, target, limits, total)
    for entry in entries:
        if entry.kind == "link":
            target = os.path.join(dest, entry.path)
            _make_dirs(os.path.dirname(target), made)
            os.symlink(entry.link_target or "", target)


def _make_dirs(folder: str, made: set[str]) -> None:
    if folder not in made:
        os.makedirs(folder, mode=0o755, exist_ok=True)
        made.add(folder)


def _write_file(archive: zipfile.ZipFile, entry: ArchiveEntry, target: str, limits: ArchiveLimits, written_before: int) -> int:
    # Group/other write, setuid and sticky bits never come from an archive; the executable bit does (bin/console).
    mode = 0o755 if entry.mode & 0o111 else 0o644
    written = 0
    with archive.open(entry.info) as source, open(target, "xb") as handle:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            written += len(chunk)
            if written > entry.info.file_size or written_before + written > limits.max_bytes:
                raise ReleaseError(f"{entry.info.filename} expands beyond its declared size: refusing a possible zip bomb")
            handle.write(chunk)
    os.chmod(target, mode)
    return written


def md5_of_archive(path: str, limits: ArchiveLimits, scratch: str | None = None) -> tuple[str | None, dict[str, str]]:
    """(version, {relative path: md5}) of every file of a release zip, admin/ and install/ as the release names
    them: the checksum list of that release, computed without unpacking it."""
    opened = open_release_archive(path, limits, inner_copy=scratch)
    try:
        contents = _contents(opened, limits, path)
        checksums = {}
        for entry in sorted(contents.entries, key=lambda item: item.info.header_offset):
            if entry.kind != "file":
                continue
            digest = new_md5()
            with opened.tree.open(entry.info) as source:
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    digest.update(chunk)
            checksums[_release_name(entry.path)] = digest.hexdigest()
        return contents.version, checksums
    except (OSError, zipfile.BadZipFile, EOFError) as exc:
        raise ReleaseError(f"reading {path} failed: {exc}") from None
    finally:
        opened.close()
        if scratch and os.path.exists(scratch):
            os.unlink(scratch)


def _release_name(relative: str) -> str:
    """The name PrestaShop's checksum lists give a path: admin/ and install/, whatever the git-tree names."""
    head, slash, rest = relative.partition("/")
    return {"admin-dev": "admin", "install-dev": "install"}.get(head, head) + slash + rest


# --- an unpacked release ----------------------------------------------------------------------------------------


def rename_special_folders(tree: str, admin_dir: str | None) -> list[list[str]]:
    """admin/ or admin-dev/ -> the shop's admin folder, install-dev/ -> install/; returns the renames done."""
    renames = []
    if admin_dir and admin_dir not in ADMIN_FOLDERS:
        source = next((name for name in ADMIN_FOLDERS if os.path.isdir(os.path.join(tree, name))), None)
        if source:
            renames.append([source, admin_dir])
    elif admin_dir == "admin" and os.path.isdir(os.path.join(tree, "admin-dev")) and not os.path.exists(os.path.join(tree, "admin")):
        renames.append(["admin-dev", "admin"])
    if os.path.isdir(os.path.join(tree, "install-dev")) and not os.path.exists(os.path.join(tree, "install")):
        renames.append(["install-dev", "install"])
    for source, target in renames:
        if os.path.exists(os.path.join(tree, target)):
            raise ReleaseError(f"cannot rename {source}/ to {target}/: the release already has a {target}/")
        os.rename(os.path.join(tree, source), os.path.join(tree, target))
    return renames


def missing_release_markers(tree: str) -> list[str]:
    return [marker for marker in RELEASE_MARKERS if not os.path.exists(os.path.join(tree, marker))]


def tree_version(tree: str) -> str | None:
    """The version an unpacked release declares: install/install_version.php, else its version files."""
    for name in INSTALL_FOLDERS:
        try:
            with open(os.path.join(tree, name, "install_version.php"), encoding="utf-8", errors="replace") as handle:
                version = _install_version(handle.read(65536))
        except OSError:
            continue
        if version:
            return version
    found = version_from_files(tree)
    return found[0] if found else None


# --- sample files -----------------------------------------------------------------------------------------------

# PrestaShop's upgrade rules keep these merchant files: the release's demo copies must never overwrite them.
SAMPLE_IMAGE_FOLDERS = ("c", "cms", "l", "m", "os", "p", "s", "scenes", "st", "su")
SAMPLE_FILES = ("img/404.gif", "img/favicon.ico", "img/logo.jpg", "img/logo_stores.gif", "modules/editorial/homepage_logo.jpg")
# Never shipped by a release; if one ever carries them they would replace the shop's database credentials.
CONFIG_FILES = ("app/config/parameters.php", "app/config/parameters.yml")


def sample_rule(relative: str) -> str | None:
    """Why a release file is a sample the merchant owns (the rule's name), or None for a file to upgrade."""
    parts = relative.split("/")
    if parts[0] == "img" and len(parts) >= 3 and parts[1] in SAMPLE_IMAGE_FOLDERS and relative.lower().endswith(".jpg"):
        return f"img/{parts[1]}/**/*.jpg"
    if relative in SAMPLE_FILES:
        return relative
    if parts[0] == "override" and relative.endswith(".php"):
        return "override/**/*.php"
    if relative in CONFIG_FILES:
        return relative
    return None


def sample_files(tree: str) -> list[dict[str, str]]:
    """The sample files of an unpacked release: [{path, rule}] in path order."""
    roots = [f"img/{name}" for name in SAMPLE_IMAGE_FOLDERS] + ["override"]
    found = []
    for root in roots:
        if os.path.isdir(os.path.join(tree, root)) and not os.path.islink(os.path.join(tree, root)):
            for relative, _size in walk_files(os.path.join(tree, root)):
                path = f"{root}/{relative}"
                rule = sample_rule(path)
                if rule:
                    found.append({"path": path, "rule": rule})
    for path in SAMPLE_FILES + CONFIG_FILES:
        if os.path.isfile(os.path.join(tree, path)) and not path.startswith(tuple(root + "/" for root in roots)):
            found.append({"path": path, "rule": path})
    return sorted(found, key=lambda item: item["path"])


# --- a shop against its checksum list -----------------------------------------------------------------------------

_MAIL = re.compile(r"(^|/)mails/")
_TRANSLATION = re.compile(r"(^|/)(translations|lang)/|^app/Resources/translations/|\.xlf$")
# Never compared: the installer never reaches a shop, and the upgrade module belongs to the shop, not the release.
NOT_IN_SHOPS = ("install", "install-dev", "modules/autoupgrade", "admin/autoupgrade")
# Folders whose files are the shop's own data or generated on the fly: never reported as added.
DATA_FOLDERS = ("img", "override", "upload", "download", "cache", "var", "log", "app/cache", "app/logs", "config/xml", "config/themes",
                "translations", "themes/*/cache", "themes/*/assets/cache", "modules/*/cache", "modules/*/logs")
# Files a running shop writes itself.
SHOP_FILES = ("app/config/parameters.php", "app/config/parameters.yml", "config/settings.inc.php", "config/settings_custom.inc.php",
              "config/defines_custom.inc.php", ".htaccess", "robots.txt", "admin/.htaccess", "app/config/parameters.php.bck")


def file_group(relative: str) -> str:
    """mail, translation or core, as PrestaShop's own check groups changed files."""
    if _MAIL.search(relative):
        return "mail"
    if _TRANSLATION.search(relative):
        return "translation"
    return "core"


def _under(relative: str, folders: Iterable[str]) -> bool:
    for folder in folders:
        if "*" in folder:
            depth = folder.count("/") + 1
            if fnmatch.fnmatchcase("/".join(relative.split("/")[:depth]), folder) and relative.count("/") >= depth:
                return True
        elif relative == folder or relative.startswith(folder + "/"):
            return True
    return False


def is_compared(release_path: str) -> bool:
    """Whether a path of a checksum list is compared with the shop: not the installer, the upgrade module, nor
    the merchant-owned samples (the shop's own logo is not a modified core file)."""
    return not _under(release_path, NOT_IN_SHOPS) and sample_rule(release_path) is None


def to_shop_path(release_path: str, admin_dir: str) -> str:
    head, slash, rest = release_path.partition("/")
    return admin_dir + slash + rest if head in ADMIN_FOLDERS and slash else release_path


def compare_with_list(shop_root: str, admin_dir: str, checksums: dict[str, str],
                      hasher: Callable[[list[str]], dict[str, str | None]]) -> dict[str, Any]:
    """The shop's files against its version's checksum list: modified, missing and added, grouped."""
    compared = {to_shop_path(path, admin_dir): digest for path, digest in checksums.items() if is_compared(path)}
    digests = hasher([os.path.join(shop_root, path) for path in compared])
    modified, missing = [], []
    for path, expected in compared.items():
        actual = digests.get(os.path.join(shop_root, path))
        if actual is None:
            missing.append(path)
        elif actual != expected:
            modified.append(path)
    added = _added_files(shop_root, admin_dir, compared)
    report = {"modified": _grouped(modified), "missing": _grouped(missing), "added": _grouped(added),
              "compared": len(compared), "ignored": len(checksums) - len(compared)}
    report["status"] = files_status(report)
    return report


def _added_files(shop_root: str, admin_dir: str, compared: dict[str, str]) -> list[str]:
    """Files sitting next to listed files, in a folder of the release, that the list does not know."""
    folders = {posixpath.dirname(path) for path in compared}
    ignored_shop_files = {to_shop_path(path, admin_dir) for path in SHOP_FILES}
    added = []
    for folder in sorted(folders):
        release_folder = "admin" + folder[len(admin_dir):] if folder == admin_dir or folder.startswith(admin_dir + "/") else folder
        if _under(release_folder, DATA_FOLDERS):
            continue
        try:
            entries = list(os.scandir(os.path.join(shop_root, folder)))
        except OSError:
            continue
        for entry in entries:
            path = f"{folder}/{entry.name}" if folder else entry.name
            if path in compared or path in ignored_shop_files or not entry.is_file(follow_symlinks=False):
                continue
            added.append(path)
    return sorted(added)


def _grouped(paths: list[str]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {"core": [], "mail": [], "translation": []}
    for path in sorted(paths):
        groups[file_group(path)].append(path)
    return groups


def files_status(report: dict[str, Any]) -> str:
    """error: a core file is modified or missing (the upgrade would overwrite or need it); warning: only mails or
    translations differ, or files were added; ok: the shop's files are exactly its release's."""
    if report["modified"]["core"] or report["missing"]["core"]:
        return "error"
    if any(report[kind][group] for kind in ("modified", "missing", "added") for group in ("mail", "translation", "core")):
        return "warning"
    return "ok"


# --- two releases -----------------------------------------------------------------------------------------------

# Folders holding packages a release bundles but a shop installs and keeps using on its own (modules, themes).
BUNDLED_PACKAGE_ROOTS = ("modules", "themes")


def bundled_package(release_path: str) -> str | None:
    """`modules/<name>` or `themes/<name>` for a path inside a bundled package, else None."""
    parts = release_path.split("/")
    if len(parts) >= 3 and parts[0] in BUNDLED_PACKAGE_ROOTS:
        return f"{parts[0]}/{parts[1]}"
    return None


def compare_releases(current: dict[str, str], target: dict[str, str]) -> dict[str, Any]:
    """What changes between two checksum lists, for the files step.

    A path listed for the current release and absent from the target's is obsolete, with these exceptions:
    - the installer and the upgrade module (never in a shop), and the samples the merchant owns (the shop's logo,
      demo images, overrides: a target unpacked and cleaned by remove_samples no longer has them);
    - any file of a module or theme that the target does not bundle at all: the shop installed it and keeps using
      it, so the whole package stays (listed under `packages_no_longer_bundled`). A package the target still
      bundles is upgraded by the release, so a file it no longer has is obsolete like any core file.
    """
    target_packages = {package for package in map(bundled_package, target) if package}
    obsolete, dropped = [], {}
    for path in current:
        if path in target or not is_compared(path):
            continue
        package = bundled_package(path)
        if package and package not in target_packages:
            dropped[package] = dropped.get(package, 0) + 1
            continue
        obsolete.append(path)
    current_dirs = _folders(path for path in current if path not in target)
    target_dirs = _folders(target)
    obsolete_dirs = sorted(folder for folder in current_dirs - target_dirs
                           if not _under(folder, NOT_IN_SHOPS) and folder not in BUNDLED_PACKAGE_ROOTS
                           and (bundled_package(folder + "/x") or "") not in dropped)
    return {
        "obsolete": sorted(obsolete),
        "obsolete_dirs": obsolete_dirs,
        "packages_no_longer_bundled": [{"package": package, "files": count} for package, count in sorted(dropped.items())],
        "added": sum(1 for path in target if path not in current),
        "changed": sum(1 for path, digest in target.items() if path in current and current[path] != digest),
    }


def _folders(paths: Iterable[str]) -> set[str]:
    folders = set()
    for path in paths:
        folder = posixpath.dirname(path)
        while folder and folder not in folders:
            folders.add(folder)
            folder = posixpath.dirname(folder)
    return folders


def classify_obsolete(obsolete: list[str], current: dict[str, str], shop_root: str, admin_dir: str,
                      hasher: Callable[[list[str]], dict[str, str | None]]) -> dict[str, list[str]]:
    """Split obsolete files by their state in the shop: `delete` (exactly the current release's file), `modified`
    (changed by the merchant, or owned by a newer version of a module: kept, reported) and `absent`."""
    shop_paths = {path: to_shop_path(path, admin_dir) for path in obsolete}
    digests = hasher([os.path.join(shop_root, shop_path) for shop_path in shop_paths.values()])
    result: dict[str, list[str]] = {"delete": [], "modified": [], "absent": []}
    for path, shop_path in shop_paths.items():
        actual = digests.get(os.path.join(shop_root, shop_path))
        if actual is None:
            result["absent"].append(shop_path)
        elif actual == current[path]:
            result["delete"].append(shop_path)
        else:
            result["modified"].append(shop_path)
    return {key: sorted(value) for key, value in result.items()}
