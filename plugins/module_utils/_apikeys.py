# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The API keys PrestaShop 8.1+ reads from app/config/parameters.php (api_public_key / api_private_key, RSA 2048 PEM).

The upgrade module writes them before it boots an 8.1 kernel; its condition regenerates them even when both exist.
Here they are generated only when one of them is missing, and a shop that has both keeps them byte for byte.
The keys come from the shop's own PHP (openssl_pkey_new, as PrestaShop does: PHP is on every shop host, Python's
stdlib cannot make RSA keys) and the file is rewritten the way PrestaShop writes it (var_export), after checking that
every other parameter reads back unchanged. The new content travels on the PHP process's stdout, never on a command
line, and is never returned or printed.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import os
from typing import Any

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.shopfleet.prestashop.plugins.module_utils._langpacks import replace_file
from ansible_collections.shopfleet.prestashop.plugins.module_utils._php_config import PhpConfigError, parse_return_array
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError
from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import php_version_compare

API_KEYS = ("api_public_key", "api_private_key")
PARAMETERS_PHP = "app/config/parameters.php"
FIRST_VERSION = "8.1.0"
PEM_HEADERS = {"api_public_key": "-----BEGIN PUBLIC KEY-----", "api_private_key": "-----BEGIN PRIVATE KEY-----"}
REDACTED = "(generated: RSA 2048 PEM, not shown)"

KEYS_SOURCE = r"""<?php
/* shopfleet.prestashop: new API keys for parameters.php; prints the file's new content (written by the collection). */
$file = $argv[1];
$config = require $file;
if (!is_array($config) || !isset($config['parameters']) || !is_array($config['parameters'])) {
    fwrite(STDERR, $file . " does not return an array with a 'parameters' key\n");
    exit(2);
}
$key = openssl_pkey_new(['private_key_bits' => 2048, 'private_key_type' => OPENSSL_KEYTYPE_RSA]);
if ($key === false || !openssl_pkey_export($key, $private)) {
    fwrite(STDERR, 'openssl could not make an RSA key: ' . openssl_error_string() . "\n");
    exit(3);
}
$config['parameters']['api_public_key'] = openssl_pkey_get_details($key)['key'];
$config['parameters']['api_private_key'] = $private;
echo sprintf('<?php return %s;', var_export($config, true)), "\n";
"""


class ApiKeyError(Exception):
    """The keys could not be generated or written; parameters.php is left as it was."""


def needs_api_keys(target: str) -> bool:
    return php_version_compare(target, FIRST_VERSION) >= 0


def read_parameters_php(path: str) -> dict[str, Any]:
    """The 'parameters' mapping of parameters.php as stored (no '%%' undone)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = parse_return_array(handle.read(), PARAMETERS_PHP)
    except (OSError, UnicodeDecodeError, PhpConfigError) as exc:
        raise ShopError(f"cannot read {PARAMETERS_PHP}: {exc}") from None
    parameters = data.get("parameters") if isinstance(data, dict) else None
    if not isinstance(parameters, dict):
        raise ShopError(f"{PARAMETERS_PHP} does not return an array with a 'parameters' key")
    return parameters


def missing_api_keys(root: str) -> list[str] | None:
    """The API keys parameters.php lacks (empty ones count as missing); None when the shop has no parameters.php."""
    path = os.path.join(root, PARAMETERS_PHP)
    if not os.path.isfile(path):
        return None
    parameters = read_parameters_php(path)
    return [name for name in API_KEYS if not parameters.get(name)]


def plan_api_keys(root: str, target: str) -> dict[str, Any]:
    """{"status": ..., "missing": [...]}: what the API key step does for this shop and target (reads only)."""
    if not needs_api_keys(target):
        return {"status": "not needed", "missing": []}
    missing = missing_api_keys(root)
    if missing is None:
        return {"status": f"no {PARAMETERS_PHP}", "missing": list(API_KEYS)}
    return {"status": "generate" if missing else "kept", "missing": missing}


def generate_api_keys(module: AnsibleModule, root: str, php: str) -> None:
    """Writes a new key pair into parameters.php (atomically, owner and mode kept, every other value checked)."""
    path = os.path.join(root, PARAMETERS_PHP)
    before = read_parameters_php(path)
    script = os.path.join(module.tmpdir, "shopfleet_api_keys.php")
    with open(script, "w", encoding="utf-8") as handle:
        handle.write(KEYS_SOURCE)
    code, stdout, stderr = module.run_command([php, script, path], binary_data=True)
    if code != 0:
        detail = " ".join(str(stderr or "").split())[-300:]
        raise ApiKeyError(f"generating the API keys with {php} (openssl_pkey_new) failed (exit {code}): {detail}; {PARAMETERS_PHP} is unchanged")
    content = stdout if isinstance(stdout, str) else stdout.decode("utf-8")
    try:
        after = parse_return_array(content, PARAMETERS_PHP).get("parameters")
    except (PhpConfigError, AttributeError):
        after = None
    if not isinstance(after, dict) or not _only_keys_added(before, after):
        raise ApiKeyError(f"the rewritten {PARAMETERS_PHP} would not keep the other parameters as they are: left unchanged")
    replace_file(path, content.encode("utf-8"))


def _only_keys_added(before: dict[str, Any], after: dict[str, Any]) -> bool:
    kept = {name: value for name, value in after.items() if name not in API_KEYS}
    others = {name: value for name, value in before.items() if name not in API_KEYS}
    return kept == others and all(str(after.get(name, "")).startswith(header) for name, header in PEM_HEADERS.items())


def api_keys_diff(missing: list[str]) -> dict[str, dict[str, str]]:
    """Before/after for the diff, with the keys themselves never shown."""
    before = {name: "(absent)" if name in missing else "(kept)" for name in API_KEYS}
    return {"before": before, "after": {name: REDACTED for name in API_KEYS}}
