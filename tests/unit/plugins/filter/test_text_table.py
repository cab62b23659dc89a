# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.shopfleet.prestashop.plugins.filter.text_table import text_table

ROWS = [{"host": "shop-a", "version": "8.1.5", "ok": True, "ips": ["127.0.0.1", "10.0.0.1"]},
        {"host": "shop-b-long-name", "version": None, "ok": False, "ips": []}]


def test_aligns_columns_under_renamed_headers() -> None:
    assert text_table(ROWS, ["host=Shop", "version", "ok", "ips=Maintenance IPs"]).splitlines() == [
        "Shop              version  ok   Maintenance IPs",
        "----------------  -------  ---  -------------------",
        "shop-a            8.1.5    yes  127.0.0.1, 10.0.0.1",
        "shop-b-long-name  -        no   -",
    ]


def test_renders_markdown_with_pipes_escaped() -> None:
    assert text_table([{"a": "x|y"}], markdown=True) == "| a |\n|---|\n| x\\|y |"


def test_refuses_what_is_not_a_list_of_rows() -> None:
    with pytest.raises(AnsibleFilterError):
        text_table("nope")  # type: ignore[arg-type]
