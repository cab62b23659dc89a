#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: release_download
short_description: Download a PrestaShop release zip and its checksum list (the Download step)
version_added: 0.1.0
description:
  - Fetches a release zip, and the md5 checksum list (XML) published with it, into the shop's workspace
    (C(<workspace>/<shop>/releases/<version>/)) or any folder given with O(dest).
  - The URLs and the zip's md5 come from PrestaShop's public release list for O(version), or from O(url),
    O(xml_url) and O(checksum). The zip is verified against its checksum; on a mismatch the file is removed and
    the module fails.
  - Streams to disk. An interrupted download is kept as C(<zip>.download) and resumed with an HTTP Range
    request, within the run (O(retries)) or by the next run.
  - A zip already there with the right checksum is not downloaded again (C(changed=false)).
  - Uses Ansible's own HTTP client on the host (no extra package), with TLS verification on by default and the
    proxies of the C(https_proxy)/C(http_proxy)/C(no_proxy) environment variables.
  - For a fleet, download once on the controller (O(dest), C(delegate_to)) and copy to the hosts, or let each
    host fetch.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._attributes
options:
  shop_root:
    description:
      - The shop whose workspace receives the release. Needed unless O(dest) is given.
    type: path
  workspace:
    description:
      - Root of the workspaces on the host; the release goes to C(releases/<version>/) in the shop's folder inside it.
      - Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
  version:
    description:
      - The PrestaShop version to download, looked up in the release list (O(metadata_url)) unless O(url) is given.
      - Needed unless O(url) and O(dest) are both given.
    type: str
  url:
    description:
      - URL of the release zip, instead of the one the release list gives for O(version).
    type: str
  xml_url:
    description:
      - URL of the release's md5 checksum list (XML), instead of the one the release list gives.
      - When neither gives one, no checksum list is downloaded.
    type: str
  checksum:
    description:
      - Expected checksum of the zip, as V(md5:<hex>), V(sha256:<hex>) or a bare hex digest (32 digits md5, 64 sha256).
      - Defaults to the C(zip_md5) of the release list.
    type: str
  require_checksum:
    description:
      - Fail when no checksum is known for the zip. V(false) accepts an unverified download.
    type: bool
    default: true
  metadata_url:
    description:
      - PrestaShop's release list (JSON), or a local mirror of it (an C(http(s)://) or C(file://) URL, or a path on the host).
    type: str
    default: https://api.prestashop-project.org/prestashop
  dest:
    description:
      - Folder receiving the zip and the checksum list, instead of the shop's workspace. Created 0700 when missing.
    type: path
  filename:
    description:
      - Name of the zip in the folder. Defaults to C(prestashop_<version>.zip), or the URL's file name when the
        version is not known.
    type: str
  force:
    description:
      - Download again even when a verified zip is already there.
    type: bool
    default: false
  validate_certs:
    description:
      - Verify the server's TLS certificate. Turn off only for a mirror you trust; prefer O(ca_path).
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of certificate authorities to trust (for a mirror with its own CA).
    type: path
  use_proxy:
    description:
      - Use the proxy named by the environment (C(https_proxy), C(http_proxy), C(no_proxy)).
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the server to answer or to send more data.
    type: int
    default: 30
  retries:
    description:
      - How many times a failed or interrupted request is tried again (resuming where it stopped). HTTP 4xx
        answers are not retried.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds between two tries.
    type: int
    default: 3
attributes:
  check_mode:
    support: full
    details:
      - Reads the release list and asks the server for the zip's size (HTTP HEAD); downloads and writes nothing.
  diff_mode:
    support: none
notes:
  - Files are written 0600 in folders created 0700; the zip appears under its final name only once verified.
seealso:
  - module: shopfleet.prestashop.release_unzip
"""

EXAMPLES = r"""
- name: Download PrestaShop 8.2.1 into the shop's workspace
  shopfleet.prestashop.release_download:
    shop_root: /var/www/shop
    version: 8.2.1

- name: Download once on the controller, from a local mirror of the release list
  shopfleet.prestashop.release_download:
    version: 8.2.1
    metadata_url: https://mirror.example.com/prestashop/releases.json
    ca_path: /etc/ssl/certs/example-ca.pem
    dest: /srv/releases/8.2.1
  delegate_to: localhost
  run_once: true

- name: A zip from anywhere, with its checksum
  shopfleet.prestashop.release_download:
    shop_root: /var/www/shop
    version: 8.1.7
    url: https://mirror.example.com/prestashop_8.1.7.zip
    checksum: md5:0c5ac1bdbb5e2d1b9b1e5c5c7d2a3f10
"""

RETURN = r"""
path:
  description: The release zip on the host.
  returned: success
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/releases/8.2.1/prestashop_8.2.1.zip
xml_path:
  description: The checksum list on the host, or null when none was published or given.
  returned: success
  type: str
  sample: /var/lib/shopfleet/var-www-shop-1a2b3c4d/releases/8.2.1/prestashop_8.2.1.xml
dest:
  description: The folder holding both.
  returned: success
  type: str
version:
  description: The release version (null when only O(url) and O(dest) were given).
  returned: success
  type: str
  sample: 8.2.1
url:
  description: Where the zip comes from.
  returned: success
  type: str
xml_url:
  description: Where the checksum list comes from (null when none).
  returned: success
  type: str
checksum:
  description: The checksum the zip was verified against, and where it came from (V(option) or V(release list)).
  returned: success
  type: dict
  sample: {"algorithm": "md5", "value": "0c5ac1bdbb5e2d1b9b1e5c5c7d2a3f10", "source": "release list"}
bytes:
  description: Size of the zip (in check mode, what the server announced; null when it did not say).
  returned: success
  type: int
md5:
  description: md5 of the zip on the host (not in check mode before a download).
  returned: success
  type: str
sha256:
  description: sha256 of the zip on the host (not in check mode before a download).
  returned: success
  type: str
downloaded:
  description: What was (or, in check mode, would be) downloaded, among V(zip) and V(xml).
  returned: success
  type: list
  elements: str
resumed_from:
  description: Bytes already on the host from an interrupted download when this run resumed it (0 for a fresh one).
  returned: success
  type: int
attempts:
  description: HTTP requests made for the zip (more than 1 when it was resumed within the run).
  returned: success
  type: int
duration_s:
  description: Seconds the module took.
  returned: success
  type: float
  sample: 2.5
"""

import hashlib
import http.client
import io
import os
import time
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import (
    DEFAULT_METADATA_URL,
    HttpFailure,
    HttpSettings,
    ReleaseError,
    fetch_release_list,
    find_release,
    http_get,
    http_open,
    parse_checksum_xml,
)
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import (
    PRIVATE_FILE_MODE,
    Workspace,
    WorkspaceError,
    atomic_write,
    ensure_private_dir,
    fsync_dir,
)

PARTIAL_SUFFIX = ".download"
_READ_SIZE = 1 << 16
# Client errors that may pass when asked again.
_RETRYABLE_STATUS = (408, 425, 429)


def create_module() -> AnsibleModule:
    return AnsibleModule(
        argument_spec={
            "shop_root": {"type": "path"},
            "workspace": {"type": "path"},
            "version": {"type": "str"},
            "url": {"type": "str"},
            "xml_url": {"type": "str"},
            "checksum": {"type": "str"},
            "require_checksum": {"type": "bool", "default": True},
            "metadata_url": {"type": "str", "default": DEFAULT_METADATA_URL},
            "dest": {"type": "path"},
            "filename": {"type": "str"},
            "force": {"type": "bool", "default": False},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
            "use_proxy": {"type": "bool", "default": True},
            "timeout": {"type": "int", "default": 30},
            "retries": {"type": "int", "default": 3},
            "retry_delay": {"type": "int", "default": 3},
        },
        required_one_of=[["shop_root", "dest"], ["version", "url"]],
        supports_check_mode=True,
    )


def parse_checksum(text: str) -> dict[str, str]:
    """md5:<hex>, sha256:<hex> or a bare digest whose length tells the algorithm."""
    algorithm, _colon, value = text.strip().rpartition(":")
    value = value.strip().lower()
    algorithm = algorithm.strip().lower() or {32: "md5", 64: "sha256"}.get(len(value), "")
    expected_length = {"md5": 32, "sha256": 64}.get(algorithm)
    if expected_length is None or len(value) != expected_length or any(char not in "0123456789abcdef" for char in value):
        raise ReleaseError(f"checksum {text!r} is not md5:<32 hex digits> or sha256:<64 hex digits>")
    return {"algorithm": algorithm, "value": value}


def http_settings(params: dict[str, Any]) -> HttpSettings:
    return HttpSettings(validate_certs=params["validate_certs"], timeout=params["timeout"], use_proxy=params["use_proxy"],
                        ca_path=params["ca_path"])


def plan_download(params: dict[str, Any]) -> dict[str, Any]:
    """Where the release comes from and where it goes, as plain data."""
    settings = http_settings(params)
    version, url, xml_url = params["version"], params["url"], params["xml_url"]
    checksum = {**parse_checksum(params["checksum"]), "source": "option"} if params["checksum"] else None
    if not url:
        release = find_release(fetch_release_list(params["metadata_url"], settings), version)
        if release is None:
            raise ReleaseError(f"PrestaShop {version} is not in the release list {params['metadata_url']}")
        version = release.version
        url = release.zip_url
        xml_url = xml_url or release.xml_url
        if checksum is None and release.zip_md5:
            checksum = {"algorithm": "md5", "value": release.zip_md5, "source": "release list"}
        if not url:
            raise ReleaseError(f"the release list gives no zip_download_url for PrestaShop {version}: give url")
    if checksum is None and params["require_checksum"]:
        raise ReleaseError(f"no checksum is known for {url}: give checksum, or set require_checksum: false to accept it unverified")
    if params["dest"]:
        dest = os.path.abspath(params["dest"])
    elif version:
        dest = os.path.join(Workspace.for_shop(params["shop_root"], params["workspace"]).root, "releases", version)
    else:
        raise ReleaseError("give version (or dest) to say where the release goes")
    filename = params["filename"] or (f"prestashop_{version}.zip" if version else _url_basename(url))
    if not filename or "/" in filename or filename in (".", ".."):
        raise ReleaseError(f"cannot name the zip after {url}: give filename")
    path = os.path.join(dest, filename)
    xml_path = os.path.splitext(path)[0] + ".xml" if xml_url else None
    return {"version": version, "url": url, "xml_url": xml_url, "checksum": checksum, "dest": dest, "path": path,
            "xml_path": xml_path, "partial": path + PARTIAL_SUFFIX}


def _url_basename(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def file_digests(path: str) -> dict[str, str]:
    md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            md5.update(chunk)
            sha256.update(chunk)
    return {"md5": md5.hexdigest(), "sha256": sha256.hexdigest()}


def verified(digests: dict[str, str], checksum: dict[str, str] | None) -> bool:
    return checksum is None or digests[checksum["algorithm"]] == checksum["value"]


def announced_size(url: str, settings: HttpSettings) -> int | None:
    """What the server says the zip weighs (HEAD); a missing file fails, a server that does not answer HEAD does not."""
    try:
        response = http_open(url, settings, method="HEAD")
    except HttpFailure as exc:
        if exc.status in (404, 410) or exc.status is None:
            raise
        return None
    try:
        length = response.headers.get("Content-Length")
        return int(length) if length and length.isdigit() else None
    finally:
        response.close()


class Downloader:
    """Streams a URL into a partial file, resuming it with Range requests across interruptions and runs."""

    def __init__(self, url: str, partial: str, settings: HttpSettings, retries: int, retry_delay: int) -> None:
        self.url = url
        self.partial = partial
        self.settings = settings
        self.retries = max(0, retries)
        self.retry_delay = max(0, retry_delay)
        self.attempts = 0
        self.resumed_from = 0

    def run(self) -> None:
        while True:
            self.attempts += 1
            try:
                self._one_attempt()
                return
            except HttpFailure as exc:
                if exc.status is not None and exc.status < 500 and exc.status not in _RETRYABLE_STATUS:
                    raise
                if self.attempts > self.retries:
                    raise ReleaseError(f"{exc} (after {self.attempts} tries; rerun to resume)") from None
            except _Interrupted as exc:
                if self.attempts > self.retries:
                    raise ReleaseError(f"the download of {self.url} was interrupted ({exc}); "
                                       f"{_size(self.partial)} bytes are kept in {self.partial}: rerun to resume") from None
            time.sleep(self.retry_delay)

    def _one_attempt(self) -> None:
        offset = _size(self.partial)
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            response = http_open(self.url, self.settings, headers=headers)
        except HttpFailure as exc:
            if exc.status == 416 and offset:
                return  # the partial file already holds everything: the checksum decides
            raise
        try:
            status = getattr(response, "status", None) or response.getcode()
            append = bool(offset) and status == 206 and _range_start(response.headers.get("Content-Range")) == offset
            if append and not self.resumed_from:
                self.resumed_from = offset
            expected = response.headers.get("Content-Length")
            self._receive(response, append, int(expected) if expected and expected.isdigit() else None)
        finally:
            response.close()

    def _receive(self, response: Any, append: bool, expected: int | None) -> None:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        received = 0
        with os.fdopen(os.open(self.partial, flags, PRIVATE_FILE_MODE), "wb") as handle:
            try:
                while True:
                    chunk = response.read(_READ_SIZE)
                    if not chunk:
                        break
                    handle.write(chunk)
                    received += len(chunk)
            except (OSError, ValueError, http.client.HTTPException) as exc:
                raise _Interrupted(f"{type(exc).__name__}: {exc}") from None
            finally:
                handle.flush()
                os.fsync(handle.fileno())
        if expected is not None and received < expected:
            raise _Interrupted(f"the connection closed after {received} of {expected} bytes")


class _Interrupted(Exception):
    pass


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _range_start(content_range: str | None) -> int | None:
    if not content_range or not content_range.startswith("bytes "):
        return None
    start = content_range[len("bytes "):].split("-", 1)[0]
    return int(start) if start.isdigit() else None


def fetch_checksum_list(plan: dict[str, Any], settings: HttpSettings, check_mode: bool) -> bool:
    """Download the checksum list when it is not there yet; True when it is (or would be) written."""
    if not plan["xml_url"] or os.path.isfile(plan["xml_path"]):
        return False
    if check_mode:
        return True
    data = http_get(plan["xml_url"], settings)
    version, _checksums = parse_checksum_xml(io.BytesIO(data), plan["xml_url"])
    if plan["version"] and version and php_version_compare(version, plan["version"]) != 0:
        raise ReleaseError(f"{plan['xml_url']} is the checksum list of PrestaShop {version}, not {plan['version']}")
    atomic_write(plan["xml_path"], data)
    return True


def run(module: AnsibleModule) -> dict[str, Any]:
    params = module.params
    settings = http_settings(params)
    plan = plan_download(params)
    result = {key: plan[key] for key in ("version", "url", "xml_url", "checksum", "dest", "path", "xml_path")}
    result.update(downloaded=[], resumed_from=0, attempts=0, bytes=None)
    need_zip = True
    if os.path.isfile(plan["path"]) and not params["force"]:
        digests = file_digests(plan["path"])
        if verified(digests, plan["checksum"]):
            need_zip = False
            result.update(digests, bytes=_size(plan["path"]))
        else:
            module.warn(f"{plan['path']} does not match its checksum: downloading it again")
    if need_zip:
        result["downloaded"].append("zip")
    if module.check_mode:
        if need_zip:
            result["bytes"] = announced_size(plan["url"], settings)
            result["resumed_from"] = _size(plan["partial"])
        if fetch_checksum_list(plan, settings, check_mode=True):
            result["downloaded"].append("xml")
        return {"changed": bool(result["downloaded"]), **result}
    ensure_private_dir(plan["dest"])
    if need_zip:
        result.update(download_zip(plan, settings, params))
    if fetch_checksum_list(plan, settings, check_mode=False):
        result["downloaded"].append("xml")
    return {"changed": bool(result["downloaded"]), **result}


def download_zip(plan: dict[str, Any], settings: HttpSettings, params: dict[str, Any]) -> dict[str, Any]:
    downloader = Downloader(plan["url"], plan["partial"], settings, params["retries"], params["retry_delay"])
    downloader.run()
    digests = file_digests(plan["partial"])
    if not verified(digests, plan["checksum"]):
        os.unlink(plan["partial"])
        checksum = plan["checksum"]
        raise ReleaseError(f"checksum mismatch for {plan['url']}: expected {checksum['algorithm']} {checksum['value']}, "
                           f"got {digests[checksum['algorithm']]}; the downloaded file was removed")
    os.replace(plan["partial"], plan["path"])
    fsync_dir(plan["dest"])
    return {**digests, "bytes": _size(plan["path"]), "resumed_from": downloader.resumed_from, "attempts": downloader.attempts}


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except (ReleaseError, WorkspaceError) as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"writing the release failed: {exc}")
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
