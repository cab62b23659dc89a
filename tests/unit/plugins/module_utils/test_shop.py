# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from pathlib import Path

import pytest

from ansible_collections.shopfleet.prestashop.plugins.module_utils import _shop
from ansible_collections.shopfleet.prestashop.plugins.module_utils._db import split_host
from ansible_collections.shopfleet.prestashop.plugins.module_utils._shop import ShopError, db_params, find_admin_dirs, inspect_files, read_parameters

FILE_PARAMETERS = {"host": "db.internal", "port": 3307, "socket": None, "name": "shop", "user": "shop", "password": "pw", "prefix": "ps_", "engine": "InnoDB"}
NO_OVERRIDES = dict.fromkeys(("host", "port", "socket", "name", "user", "password", "prefix"))


@pytest.mark.parametrize("server,expected", [
    ("localhost", ("localhost", None, None)),
    ("127.0.0.1:3307", ("127.0.0.1", 3307, None)),
    ("localhost:/run/mysqld/mysqld.sock", ("localhost", None, "/run/mysqld/mysqld.sock")),
    ("[::1]:3306", ("[::1]", 3306, None)),
])
def test_splits_the_server_the_way_prestashops_pdo_layer_does(server: str, expected: tuple) -> None:
    assert split_host(server) == expected


def test_parameters_come_from_the_shop_file_when_nothing_overrides_them() -> None:
    params = db_params(FILE_PARAMETERS, NO_OVERRIDES)
    assert (params.host, params.port, params.name, params.prefix) == ("db.internal", 3307, "shop", "ps_")


def test_each_override_replaces_only_its_own_value() -> None:
    params = db_params(FILE_PARAMETERS, {**NO_OVERRIDES, "name": "other", "prefix": "shop2_"})
    assert (params.host, params.port, params.name, params.prefix, params.password) == ("db.internal", 3307, "other", "shop2_", "pw")


def test_a_host_override_may_carry_its_port_and_then_drops_the_file_socket() -> None:
    params = db_params({**FILE_PARAMETERS, "host": "localhost:/tmp/x.sock", "port": None}, {**NO_OVERRIDES, "host": "10.0.0.5:3310"})
    assert (params.host, params.port, params.socket) == ("10.0.0.5", 3310, None)


def test_a_socket_override_wins_over_tcp() -> None:
    params = db_params(FILE_PARAMETERS, {**NO_OVERRIDES, "socket": "/srv/db.sock"})
    assert params.socket == "/srv/db.sock"


def test_a_portless_localhost_uses_the_system_socket_like_php(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    socket = tmp_path / "mysqld.sock"
    socket.touch()
    monkeypatch.setattr(_shop, "default_socket", lambda host, port, sock: str(socket) if host == "localhost" and not port else sock)
    assert db_params({**FILE_PARAMETERS, "host": "localhost", "port": ""}, NO_OVERRIDES).socket == str(socket)


def test_a_missing_database_name_is_an_error_that_names_the_option() -> None:
    with pytest.raises(ShopError, match="set db_name"):
        db_params({**FILE_PARAMETERS, "name": None}, NO_OVERRIDES)


def test_the_password_is_never_in_what_a_result_may_show() -> None:
    assert "pw" not in str(db_params(FILE_PARAMETERS, NO_OVERRIDES).public().values())


def make_admin(root: Path, name: str, markers: tuple[str, ...] = ("functions.php", "get-file-admin.php", "themes/new-theme/")) -> None:
    (root / name).mkdir(parents=True)
    (root / name / "index.php").write_text("<?php")
    for marker in markers:
        target = root / name / marker
        if marker.endswith("/"):
            target.mkdir(parents=True)
        else:
            target.write_text("<?php")


def test_finds_the_admin_folder_whatever_it_was_renamed_to(tmp_path: Path) -> None:
    make_admin(tmp_path, "admin842xkzqwpmvtbnrs")
    make_admin(tmp_path, "modules", ("functions.php", "init.php"))
    (tmp_path / "docs").mkdir()
    (tmp_path / "mytools").mkdir()
    (tmp_path / "mytools" / "index.php").write_text("<?php")
    assert find_admin_dirs(str(tmp_path)) == ["admin842xkzqwpmvtbnrs"]


def test_two_admin_looking_folders_leave_the_choice_to_the_user(tmp_path: Path) -> None:
    (tmp_path / "src/Core").mkdir(parents=True)
    (tmp_path / "src/Core/Version.php").write_text("<?php const VERSION = '8.1.7';")
    make_admin(tmp_path, "admin_live")
    make_admin(tmp_path, "admin_old_copy")
    files = inspect_files(str(tmp_path))
    assert files.admin_dir is None and files.admin_dir_candidates == ["admin_live", "admin_old_copy"]
    assert inspect_files(str(tmp_path), "admin_live").admin_dir == "admin_live"


def test_a_named_admin_folder_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "src/Core").mkdir(parents=True)
    (tmp_path / "src/Core/Version.php").write_text("<?php const VERSION = '8.1.7';")
    with pytest.raises(ShopError, match="admin folder 'nope' does not exist"):
        inspect_files(str(tmp_path), "nope")


def test_parameters_php_wins_over_yml_and_percent_escapes_are_undone(tmp_path: Path) -> None:
    (tmp_path / "app/config").mkdir(parents=True)
    (tmp_path / "app/config/parameters.yml").write_text("parameters:\n    database_name: from_yml\n")
    (tmp_path / "app/config/parameters.php").write_text(
        "<?php return ['parameters' => ['database_host' => 'h', 'database_name' => 'from_php', 'database_password' => '50%%']];")
    source, values = read_parameters(str(tmp_path))
    assert source == "app/config/parameters.php"
    assert (values["name"], values["password"]) == ("from_php", "50%")


def test_a_16_shop_reads_its_settings_file(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config/settings.inc.php").write_text(
        "<?php define('_DB_SERVER_', 'localhost'); define('_DB_NAME_', 'ps16'); define('_DB_USER_', 'u'); "
        "define('_DB_PASSWD_', 'p'); define('_DB_PREFIX_', 'ps_'); define('_PS_VERSION_', '1.6.1.24');")
    expected = {"host": "localhost", "name": "ps16", "user": "u", "password": "p", "prefix": "ps_", "engine": None}
    assert read_parameters(str(tmp_path)) == ("config/settings.inc.php", expected)


def test_unreadable_parameters_are_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "app/config").mkdir(parents=True)
    (tmp_path / "app/config/parameters.php").write_text("<?php return array('parameters' => array('database_host' => $host));")
    with pytest.raises(ShopError, match="cannot read the database parameters: app/config/parameters.php line 1"):
        read_parameters(str(tmp_path))


def test_no_parameters_at_all_is_an_error_naming_the_files_looked_for(tmp_path: Path) -> None:
    with pytest.raises(ShopError, match="no database parameters"):
        read_parameters(str(tmp_path))
