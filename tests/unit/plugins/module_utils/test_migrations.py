# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils._migrations import (
    MigrationError,
    drop_before_create,
    journal_path,
    migration_names,
    natcasecmp,
    natcasesorted,
    new_journal,
    normalize_version,
    parse_callback,
    plan_migrations,
    read_journal,
    save_journal,
    select_migrations,
    split_statements,
    substitute,
)

# Names as they appear in PrestaShop/autoupgrade's upgrade/sql, plus a few that stress the natural order.
NAMES = ["1.7.0.5", "1.7.0.6", "1.7.1.0", "1.7.10.0", "1.7.2.0", "1.7.8.10", "1.7.8.2", "1.7.8.8", "8.0.0", "8.0.1", "8.1.0", "8.1.10",
         "8.1.3", "8.1.5", "8.1.6", "8.1.6-catchup", "8.1.7", "8.1.7-catchup", "8.2.0", "9.0.0", "9.0.0-catchup", "9.0.1", "8.1.7-Catchup2",
         "8.01.7", "8.1.07"]


def php(code: str) -> str:
    binary = shutil.which("php")
    assert binary, "php-cli is required (make deps installs it)"
    return subprocess.run([binary, "-r", code], capture_output=True, text=True, check=True, timeout=30).stdout


def test_natcasesort_orders_like_php_itself() -> None:
    ours = natcasesorted(NAMES)
    theirs = json.loads(php(f"$names = json_decode('{json.dumps(NAMES)}'); natcasesort($names); echo json_encode(array_values($names));"))
    assert ours == theirs
    assert ours.index("8.1.7") < ours.index("8.1.7-catchup") < ours.index("8.1.10")


@pytest.mark.parametrize("smaller,larger", [("8.1.9", "8.1.10"), ("8.1.7", "8.1.7-catchup"), ("A", "b"), ("x1", "X2")])
def test_natural_case_insensitive_comparison(smaller: str, larger: str) -> None:
    assert natcasecmp(smaller, larger) == -1 and natcasecmp(larger, smaller) == 1 and natcasecmp(smaller, smaller.upper()) == 0


def test_selection_uses_version_compare_and_order_uses_natcasesort() -> None:
    real_names = [name for name in NAMES if name not in ("8.01.7", "8.1.07", "8.1.7-Catchup2")]
    assert select_migrations(real_names, "8.1.5", "8.1.7") == ["8.1.6", "8.1.6-catchup", "8.1.7", "8.1.7-catchup"]
    # version_compare puts 8.1.7-catchup below 8.1.7: selected from 8.1.6, not from 8.1.7.
    assert select_migrations(["8.1.7", "8.1.7-catchup"], "8.1.6", "8.1.7") == ["8.1.7", "8.1.7-catchup"]
    assert select_migrations(["8.1.7", "8.1.7-catchup"], "8.1.7", "8.2.1") == []
    assert select_migrations(real_names, "1.7.8.8", "8.0.1") == ["1.7.8.10", "1.7.10.0", "8.0.0", "8.0.1"]
    assert select_migrations(real_names, "1.7.8", "1.7.8.8") == ["1.7.8.2", "1.7.8.8"]


def test_selection_matches_php_on_the_whole_list() -> None:
    for origin, target in (("8.1.5", "8.1.7"), ("1.7.8", "8.2.0"), ("8", "9.0.1"), ("1.7.0.5", "1.7.8.8")):
        code = (f"$names = json_decode('{json.dumps(NAMES)}'); natcasesort($names); $from = '{normalize_version(origin)}'; $out = [];"
                f"foreach ($names as $n) {{ if (version_compare($n, $from) == 1 && version_compare('{target}', $n) != -1) {{ $out[] = $n; }} }}"
                "echo json_encode($out);")
        assert select_migrations(NAMES, origin, target) == json.loads(php(code)), (origin, target)


def test_versions_are_padded_like_the_upgrade_module_pads_them() -> None:
    assert [normalize_version(v) for v in ("1.7", "1.7.8", "1.7.8.11", "8", "8.1", "8.1.7")] == ["1.7.0.0", "1.7.8.0", "1.7.8.11", "8.0.0", "8.1.0", "8.1.7"]


def test_placeholders_and_splitting() -> None:
    text = ("SET NAMES 'utf8mb4';\nCREATE TABLE `PREFIX_x` (a INT) ENGINE=ENGINE_TYPE;\r\n"
            "UPDATE `PREFIX_c` SET v = 'a; b' WHERE s = 'DB_NAME';  \n\n/* PHP:add_column('orders', 'x', 'INT'); */;\nSELECT 1;")
    statements = split_statements(substitute(text, "ps_", "InnoDB", "shop"))
    assert statements == ["SET NAMES 'utf8mb4'", "CREATE TABLE `ps_x` (a INT) ENGINE=InnoDB", "UPDATE `ps_c` SET v = 'a; b' WHERE s = 'shop'",
                          "/* PHP:add_column('orders', 'x', 'INT'); */", "SELECT 1"]
    assert substitute("ENGINE=ENGINE_TYPE", "ps_", "", "db") == "ENGINE=MyISAM"


def test_callbacks_are_parsed_and_object_methods_refused() -> None:
    assert parse_callback("SELECT 1") is None
    assert parse_callback("/* PHP:add_column('orders', 'note', 'TEXT AFTER `date_upd`'); */") == {
        "function": "add_column", "arguments": "'orders', 'note', 'TEXT AFTER `date_upd`'"}
    assert parse_callback("/* PHP:ps_811_update_redirect_type(); */") == {"function": "ps_811_update_redirect_type", "arguments": ""}
    with pytest.raises(MigrationError, match="object method"):
        parse_callback("/* PHP:Tab::resetStaticCache(); */")


def test_create_table_is_preceded_by_a_drop_like_prestashop() -> None:
    assert drop_before_create("CREATE TABLE `ps_thing` (\n id INT\n)", "ps_") == "DROP TABLE IF EXISTS `ps_thing`;"
    assert drop_before_create("CREATE TABLE IF NOT EXISTS `ps_thing` (\n id INT)", "ps_") == "DROP TABLE IF EXISTS `ps_thing`;"
    assert drop_before_create("CREATE TABLE other (id INT)", "ps_") is None
    assert drop_before_create("ALTER TABLE ps_x ADD y INT", "ps_") is None


def test_plan_reads_files_and_names(tmp_path: Path) -> None:
    sql = tmp_path / "sql"
    sql.mkdir()
    (sql / "8.1.7.sql").write_text("SET NAMES 'utf8mb4';\n/* PHP:f(1); */;\n")
    (sql / ".hidden").write_text("")
    assert migration_names(str(sql)) == ["8.1.7"]
    plan = plan_migrations(str(sql), ["8.1.7"], "ps_", "InnoDB", "db")
    assert [step["kind"] for step in plan[0]["steps"]] == ["sql", "php"] and plan[0]["steps"][1]["function"] == "f"
    (tmp_path / "empty").mkdir()
    with pytest.raises(MigrationError, match="no SQL file"):
        migration_names(str(tmp_path / "empty"))
    with pytest.raises(MigrationError, match="cannot read"):
        migration_names(str(tmp_path / "missing"))


def test_journal_round_trip_and_mismatch(tmp_path: Path) -> None:
    path = journal_path(str(tmp_path), "8.1.5", "8.1.7")
    assert path.endswith("upgrade_db-8.1.5-8.1.7.json")
    assert read_journal(path, "8.1.5", "8.1.7", ["8.1.7"]) is None
    journal = new_journal("8.1.5", "8.1.7", ["8.1.7"])
    journal["applied"]["8.1.7"] = 3
    save_journal(path, journal)
    assert read_journal(path, "8.1.5", "8.1.7", ["8.1.7"])["applied"] == {"8.1.7": 3}
    with pytest.raises(MigrationError, match="other migrations"):
        read_journal(path, "8.1.5", "8.1.7", ["8.1.7", "8.1.7-catchup"])
    Path(path).write_text('{"format": "something else"}')
    with pytest.raises(MigrationError, match="not an upgrade_db journal"):
        read_journal(path, "8.1.5", "8.1.7", ["8.1.7"])
