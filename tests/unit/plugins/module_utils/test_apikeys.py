# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._apikeys import (
    ApiKeyError,
    api_keys_diff,
    generate_api_keys,
    missing_api_keys,
    needs_api_keys,
    plan_api_keys,
)

PARAMETERS = """<?php return array (
  'parameters' =>
  array (
    'database_host' => '127.0.0.1',
    'database_password' => 'it''s %%secret',
    'database_port' => '',
    'ps_cache_enable' => false,
EXTRA  ),
);
"""


class FakeModule:
    """What generate_api_keys uses of AnsibleModule: a temporary folder and run_command (really running PHP)."""

    def __init__(self, tmpdir: Path) -> None:
        self.tmpdir = str(tmpdir)

    def run_command(self, argv: list[str], binary_data: bool = False) -> tuple[int, str, str]:
        completed = subprocess.run(argv, capture_output=True, text=True, check=False)
        return completed.returncode, completed.stdout, completed.stderr


def shop_with(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "shop" / "app" / "config"
    config.mkdir(parents=True)
    (config / "parameters.php").write_text(PARAMETERS.replace("it''s", "it\\'s").replace("EXTRA", extra))
    return tmp_path / "shop"


def test_keys_are_needed_from_8_1_0_and_missing_when_one_is_absent_or_empty(tmp_path: Path) -> None:
    assert not needs_api_keys("8.0.5") and needs_api_keys("8.1.0") and needs_api_keys("9.0.0")
    shop = shop_with(tmp_path, "    'api_public_key' => 'x',\n    'api_private_key' => '',\n")
    assert missing_api_keys(str(shop)) == ["api_private_key"]
    assert plan_api_keys(str(shop), "8.1.7") == {"status": "generate", "missing": ["api_private_key"]}
    assert plan_api_keys(str(shop), "8.0.5")["status"] == "not needed"
    assert missing_api_keys(str(tmp_path / "nowhere")) is None
    assert "not shown" in api_keys_diff(["api_private_key"])["after"]["api_private_key"]


@pytest.mark.skipif(shutil.which("php") is None, reason="needs the php CLI (Debian package php-cli), which makes the keys")
def test_generated_keys_are_rsa_pem_and_every_other_value_is_kept(tmp_path: Path) -> None:
    shop = shop_with(tmp_path)
    module: Any = FakeModule(tmp_path)
    generate_api_keys(module, str(shop), "php")
    assert missing_api_keys(str(shop)) == []
    dumped = subprocess.run(["php", "-r", "var_export((require $argv[1])['parameters']['database_password']);",
                             str(shop / "app/config/parameters.php")], capture_output=True, text=True, check=True).stdout
    assert dumped == "'it\\'s %%secret'"


def test_a_failing_php_leaves_parameters_as_they_were(tmp_path: Path) -> None:
    shop = shop_with(tmp_path)
    before = (shop / "app/config/parameters.php").read_bytes()
    module: Any = FakeModule(tmp_path)
    with pytest.raises(ApiKeyError, match="failed"):
        generate_api_keys(module, str(shop), "false")
    assert (shop / "app/config/parameters.php").read_bytes() == before
