# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options of the modules that keep material in the shop's workspace. PRIVATE to the collection.
    DOCUMENTATION = r"""
options:
  workspace:
    description:
      - Root of the workspaces on the host; the shop's own folder inside it is named after O(shop_root).
      - Defaults to C(/var/lib/shopfleet) when the module runs as root, C(~/.local/share/shopfleet) otherwise.
      - Holds customer data (backups), so keep it outside the web root. Folders are created 0700, files 0600.
    type: path
  backup_dir:
    description:
      - Folder holding the shop's backups, one sub-folder per backup. Defaults to C(backups/) in the shop's workspace.
    type: path
"""
