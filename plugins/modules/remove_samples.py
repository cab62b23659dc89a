#!/usr/bin/python
# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: remove_samples
short_description: Remove from an unpacked release the sample files that must not overwrite the shop's (the RemoveSamples step)
version_added: 0.1.0
description:
  - Deletes from an unpacked release (see M(shopfleet.prestashop.release_unzip)) the files that PrestaShop's
    upgrade rules keep from the merchant, so that copying the release over the shop can never replace them.
  - "The files: the demo images C(img/{c,cms,l,m,os,p,s,scenes,st,su}/**/*.jpg); C(img/404.gif),
    C(img/favicon.ico), C(img/logo.jpg), C(img/logo_stores.gif); C(modules/editorial/homepage_logo.jpg); every
    C(override/**/*.php); and C(app/config/parameters.php) / C(parameters.yml) should a release ever carry them
    (they hold the shop's database credentials)."
  - Only the release is changed, never the shop. Running it again finds nothing more to remove.
author:
  - shopfleet developers (@shopfleet)
extends_documentation_fragment:
  - shopfleet.prestashop._attributes
options:
  release_dir:
    description:
      - The unpacked release (its root, holding C(index.php) and C(classes/)).
      - Defaults to C(releases/<version>/release) in the workspace of O(shop_root).
    type: path
  shop_root:
    description:
      - The shop whose workspace holds the release, with O(version). Not needed when O(release_dir) is given.
    type: path
  version:
    description:
      - The release's version, to find it in the shop's workspace.
    type: str
  workspace:
    description:
      - Root of the workspaces on the host. Defaults to C(/var/lib/shopfleet) as root, C(~/.local/share/shopfleet) otherwise.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - Lists the files that would be removed; removes nothing.
  diff_mode:
    support: full
    details:
      - The removed files, one per line.
seealso:
  - module: shopfleet.prestashop.release_unzip
"""

EXAMPLES = r"""
- name: Keep the shop's logo, demo images and overrides out of the release
  shopfleet.prestashop.remove_samples:
    shop_root: /var/www/shop
    version: 8.2.1

- name: The same on a release unpacked elsewhere
  shopfleet.prestashop.remove_samples:
    release_dir: /srv/releases/8.2.1/release
"""

RETURN = r"""
release_dir:
  description: The unpacked release.
  returned: success
  type: str
removed:
  description: The files removed (or that would be), relative to the release, with the rule that selects each.
  returned: success
  type: list
  elements: dict
  sample: [{"path": "img/logo.jpg", "rule": "img/logo.jpg"}, {"path": "override/index.php", "rule": "override/**/*.php"}]
count:
  description: How many files that is.
  returned: success
  type: int
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

from ansible_collections.shopfleet.prestashop.plugins.module_utils._release import ReleaseError, missing_release_markers, sample_files
from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace


def create_module() -> AnsibleModule:
    return AnsibleModule(
        argument_spec={
            "release_dir": {"type": "path"},
            "shop_root": {"type": "path"},
            "version": {"type": "str"},
            "workspace": {"type": "path"},
        },
        required_one_of=[["release_dir", "shop_root"]],
        supports_check_mode=True,
    )


def release_folder(params: dict[str, Any]) -> str:
    if params["release_dir"]:
        folder = os.path.abspath(params["release_dir"])
    elif not params["version"]:
        raise ReleaseError("give version with shop_root (or release_dir) to say which release to clean")
    else:
        folder = os.path.join(Workspace.for_shop(params["shop_root"], params["workspace"]).root, "releases", params["version"], "release")
    if not os.path.isdir(folder):
        raise ReleaseError(f"{folder} does not exist: unpack the release first (release_unzip)")
    missing = missing_release_markers(folder)
    if missing:
        raise ReleaseError(f"{folder} is not an unpacked PrestaShop release: it has no {', '.join(missing)}")
    return folder


def run(module: AnsibleModule) -> dict[str, Any]:
    folder = release_folder(module.params)
    samples = sample_files(folder)
    if not module.check_mode:
        for sample in samples:
            try:
                os.unlink(os.path.join(folder, sample["path"]))
            except FileNotFoundError:
                pass
    listing = "".join(sample["path"] + "\n" for sample in samples)
    return {"changed": bool(samples), "release_dir": folder, "removed": samples, "count": len(samples),
            "diff": {"before": listing, "after": "", "before_header": f"{folder} (samples)", "after_header": f"{folder} (samples)"}}


def main() -> None:
    started = time.monotonic()
    module = create_module()
    try:
        result = run(module)
    except ReleaseError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"removing the samples failed: {exc}")
    if not module._diff:
        result.pop("diff")
    result.setdefault("duration_s", round(time.monotonic() - started, 3))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
