# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""upgrade_modules: defaults read from upgrade_config's file, and files of the workspace that are not ours refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._workspace import Workspace, WorkspaceError
from ansible_collections.shopfleet.prestashop.plugins.modules import upgrade_modules


def workspace_with(tmp_path: Path, name: str, document: object) -> Workspace:
    workspace = Workspace.for_shop(str(tmp_path / "shop"), str(tmp_path / "ws"))
    Path(workspace.root).mkdir(parents=True)
    (Path(workspace.root) / name).write_text(json.dumps(document))
    return workspace


def test_defaults_come_from_upgrade_config(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, "upgrade-config.json", {"format": "shopfleet.upgrade_config/1",
                                                                 "options": {"disable_custom_modules": True, "release_dir": "/srv/release"}})

    assert upgrade_modules.stored_options(workspace) == {"disable_custom_modules": True, "release_dir": "/srv/release"}
    assert upgrade_modules.stored_options(Workspace.for_shop(str(tmp_path / "other"), str(tmp_path / "ws"))) == {}


def test_files_that_are_not_ours_are_refused(tmp_path: Path) -> None:
    workspace = workspace_with(tmp_path, "upgrade-config.json", {"channel": "minor"})
    with pytest.raises(WorkspaceError, match="not an upgrade configuration of ours"):
        upgrade_modules.stored_options(workspace)

    snapshot = workspace_with(tmp_path / "b", "disabled-modules.json", {"modules": {}})
    with pytest.raises(WorkspaceError, match="not a disabled-modules snapshot of ours"):
        upgrade_modules.read_snapshot(str(Path(snapshot.root) / "disabled-modules.json"))
