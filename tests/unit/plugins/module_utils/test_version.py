# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._version import (
    PhpVersion,
    declared_versions,
    major_branch,
    php_version_compare,
    version_from_files,
)

PHP_TABLE = json.loads((Path(__file__).parent / "fixtures" / "php_version_compare.json").read_text())["pairs"]


def test_compares_like_php_on_every_pair_of_the_table_php_produced() -> None:
    disagreements = [(left, right, expected, php_version_compare(left, right))
                     for left, right, expected in PHP_TABLE if php_version_compare(left, right) != expected]
    assert len(PHP_TABLE) > 2000
    assert disagreements == []


def test_catchup_release_sorts_after_the_previous_version_and_before_its_own() -> None:
    assert php_version_compare("8.1.7-catchup", "8.1.6") == 1
    assert php_version_compare("8.1.7-catchup", "8.1.7") == -1


def test_sorting_by_php_order_puts_catchup_before_its_release() -> None:
    versions = ["8.1.7", "8.1.10", "8.1.7-catchup", "8.1.6", "8.2.0-rc.1", "8.2.0"]
    assert sorted(versions, key=PhpVersion) == ["8.1.6", "8.1.7-catchup", "8.1.7", "8.1.10", "8.2.0-rc.1", "8.2.0"]


@pytest.mark.skipif(shutil.which("php") is None, reason="no php binary to compare with")
def test_agrees_with_the_php_binary_on_this_host() -> None:
    pairs = [["8.1.7-catchup", "8.1.7"], ["1.7.8.11", "8.0.0"], ["9.0.0-beta", "9.0.0-rc.1"], ["1.0pl1", "1.0"]]
    script = "$p = json_decode(stream_get_contents(STDIN)); echo json_encode(array_map(function ($x) { return version_compare($x[0], $x[1]); }, $p));"
    php = subprocess.run(["php", "-r", script], input=json.dumps(pairs), capture_output=True, text=True, check=True)
    assert [php_version_compare(a, b) for a, b in pairs] == json.loads(php.stdout)


@pytest.mark.parametrize("version,branch", [("1.7.8.11", "1.7"), ("1.6.1.24", "1.6"), ("8.1.7", "8"), ("9.0.0", "9")])
def test_major_branch_is_two_parts_for_1x_and_one_part_since_8(version: str, branch: str) -> None:
    assert major_branch(version) == branch


LAYOUTS = {
    "1.6": {"config/settings.inc.php": "<?php\ndefine('_DB_SERVER_', 'localhost');\ndefine('_PS_VERSION_', '1.6.1.24');\n"},
    "1.7.8": {"app/AppKernel.php": "<?php\nclass AppKernel extends Kernel\n{\n    const VERSION = '1.7.8.11';\n    const MAJOR_VERSION = 1;\n",
              "config/autoload.php": "<?php\ndefine('_PS_VERSION_', AppKernel::VERSION);\n"},
    "8.0": {"app/AppKernel.php": "<?php\nclass AppKernel extends Kernel\n{\n    const VERSION = '8.0.5';\n"},
    "8.1": {"app/AppKernel.php": "<?php\nclass AppKernel extends Kernel\n{\n    public const VERSION = Version::VERSION;\n",
            "src/Core/Version.php": "<?php\nfinal class Version\n{\n    public const VERSION = '8.1.7';\n    public const MAJOR_VERSION = 8;\n"},
    "9.0": {"app/AppKernel.php": "<?php\nabstract class AppKernel extends Kernel\n{\n    public const VERSION = Version::VERSION;\n",
            "src/Core/Version.php": "<?php\nfinal class Version\n{\n    public const VERSION = \"9.0.0\";\n"},
}
EXPECTED = {"1.6": ("1.6.1.24", "config/settings.inc.php"), "1.7.8": ("1.7.8.11", "app/AppKernel.php"), "8.0": ("8.0.5", "app/AppKernel.php"),
            "8.1": ("8.1.7", "src/Core/Version.php"), "9.0": ("9.0.0", "src/Core/Version.php")}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_reads_the_version_where_each_line_of_prestashop_writes_it(tmp_path: Path, layout: str) -> None:
    assert version_from_files(str(write_tree(tmp_path, LAYOUTS[layout]))) == EXPECTED[layout]


def test_a_leftover_settings_file_wins_as_it_does_for_prestashop_and_every_declaration_is_reported(tmp_path: Path) -> None:
    write_tree(tmp_path, {**LAYOUTS["8.1"], "config/settings.inc.php": "<?php define('_PS_VERSION_', '1.6.1.24');"})
    assert version_from_files(str(tmp_path)) == ("1.6.1.24", "config/settings.inc.php")
    assert declared_versions(str(tmp_path)) == {"config/settings.inc.php": "1.6.1.24", "src/Core/Version.php": "8.1.7"}


def test_a_folder_without_version_files_has_no_version(tmp_path: Path) -> None:
    assert version_from_files(str(write_tree(tmp_path, {"index.php": "<?php"}))) is None
