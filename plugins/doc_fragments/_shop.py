# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options shared by every module that works on one shop. PRIVATE to the collection: not part of its public API.
    DOCUMENTATION = r"""
options:
  shop_root:
    description:
      - Absolute path of the shop's root folder on the host (the folder holding C(index.php), C(config/) and C(app/)).
    type: path
    required: true
  admin_dir:
    description:
      - Name of the shop's back-office folder, relative to O(shop_root).
      - By default the one top-level folder that looks like a back office, whatever it was renamed to.
    type: str
"""
