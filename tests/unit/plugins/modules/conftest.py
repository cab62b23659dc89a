# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module unit tests run modules in-process, where a module must behave as it does on a managed host."""

from __future__ import annotations

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.common import warnings


@pytest.fixture(autouse=True)
def as_on_a_managed_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # Once any test imports controller code (a filter plugin's test does), module.warn() goes to the controller's
    # display instead of the module's result; a module under test must return its warnings as on a host.
    monkeypatch.setattr(_internal, "is_controller", False)
    # Warnings and deprecations are process-wide and never cleared: one test's would leak into the next results.
    warnings._global_warnings.clear()
    warnings._global_deprecations.clear()
