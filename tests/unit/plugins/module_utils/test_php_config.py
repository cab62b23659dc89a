# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_config import (
    PhpConfigError,
    parse_defines,
    parse_parameters_yml,
    parse_return_array,
    unescape_percent,
)

PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"

# Shaped like what PrestaShop's installer writes (var_export style), with the values that trip naive regexes.
INSTALLER_PARAMETERS = """<?php return array (
  'parameters' =>
  array (
    'database_host' => '127.0.0.1',
    'database_port' => '',
    'database_name' => 'prestashop',
    'database_user' => 'shop',
    'database_password' => 'it\\'s a \\\\ "secret" => 100%%, ok',
    'database_prefix' => 'ps_',
    'database_engine' => 'InnoDB',
    'mailer_transport' => 'smtp',
    'mailer_password' => NULL,
    'ps_caching' => 'CacheMemcache',
    'ps_cache_enable' => false,
    'api_private_key' => '""" + PEM + """',
    'ps_creation_date' => '2024-01-31',
    'locale' => 'en-US',
    'use_debug_toolbar' => true,
    'cookie_key' => 'abc',
  ),
);
"""


def test_reads_the_array_the_installer_writes_including_multiline_and_escaped_values() -> None:
    parameters = parse_return_array(INSTALLER_PARAMETERS)["parameters"]
    assert parameters["database_password"] == "it's a \\ \"secret\" => 100%%, ok"
    assert parameters["api_private_key"] == PEM
    assert parameters["mailer_password"] is None
    assert parameters["ps_cache_enable"] is False and parameters["use_debug_toolbar"] is True
    assert parameters["database_port"] == ""


@pytest.mark.skipif(shutil.which("php") is None, reason="no php binary to compare with")
def test_reads_exactly_what_php_reads(tmp_path: Path) -> None:
    path = tmp_path / "parameters.php"
    path.write_text(INSTALLER_PARAMETERS)
    php = subprocess.run(["php", "-r", f'echo json_encode((require "{path}")["parameters"]);'], capture_output=True, text=True, check=True)
    assert parse_return_array(INSTALLER_PARAMETERS)["parameters"] == json.loads(php.stdout)


def test_reads_short_array_syntax_comments_numbers_and_concatenation() -> None:
    text = """<?php
    // edited by hand
    return [
        'parameters' => [  # hash comments too
            'database_port' => 3307, /* block */
            'database_name' => "shop" . '_prod',
            'ratio' => 1.5,
            'list' => ['a', 'b'],
            "escaped" => "tab\\there\\n",
        ],
    ];"""
    parameters = parse_return_array(text)["parameters"]
    assert parameters == {"database_port": 3307, "database_name": "shop_prod", "ratio": 1.5, "list": ["a", "b"], "escaped": "tab\there\n"}


def test_refuses_code_it_cannot_read_and_names_the_line() -> None:
    with pytest.raises(PhpConfigError, match="line 3"):
        parse_return_array("<?php\nreturn array(\n  'parameters' => getenv('DB'),\n);")


def test_refuses_double_quoted_interpolation_rather_than_guess() -> None:
    with pytest.raises(PhpConfigError, match="interpolates"):
        parse_return_array('<?php return ["parameters" => ["database_password" => "$secret"]];')


def test_a_file_without_return_is_an_error() -> None:
    with pytest.raises(PhpConfigError, match="no `return`"):
        parse_return_array("<?php $parameters = [];")


def test_reads_the_defines_of_a_16_settings_file_and_skips_other_statements() -> None:
    text = """<?php
define('_DB_SERVER_', 'db.internal:3307');
define('_DB_NAME_', 'shop16');
define('_DB_PASSWD_', 'p\\'w');
if (!defined('_PS_VERSION_'))
    define('_PS_VERSION_', '1.6.1.24');
define('_PS_CACHE_ENABLED_', '0');
"""
    constants = parse_defines(text)
    assert constants["_DB_SERVER_"] == "db.internal:3307"
    assert constants["_DB_PASSWD_"] == "p'w"
    assert constants["_PS_VERSION_"] == "1.6.1.24"


def test_reads_the_parameters_mapping_of_a_parameters_yml() -> None:
    text = """# This file is auto-generated during the composer install
parameters:
    database_host: 127.0.0.1
    database_port: ~
    database_name: 'shop''s db'
    database_password: "pa#ss"
    database_prefix: ps_   # the default
    ps_caching: CacheMemcache
other:
    key: value
"""
    assert parse_parameters_yml(text) == {"database_host": "127.0.0.1", "database_port": None, "database_name": "shop's db",
                                          "database_password": "pa#ss", "database_prefix": "ps_", "ps_caching": "CacheMemcache"}


def test_percent_escapes_are_undone_like_prestashops_bootstrap() -> None:
    assert unescape_percent("100%%") == "100%"
    assert unescape_percent(3306) == 3306
