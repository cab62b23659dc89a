# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tab renumbering plan of clean_database."""

from __future__ import annotations

from ansible_collections.shopfleet.prestashop.plugins.modules.clean_database import plan_tab_positions


def tab(id_tab: int, parent: int, position: int, class_name: str = "AdminThing") -> dict[str, object]:
    return {"id_tab": id_tab, "id_parent": parent, "position": position, "class_name": class_name}


def test_each_parent_is_numbered_on_its_own_the_dashboard_first() -> None:
    rows = [tab(1, 0, 5), tab(2, 0, 2, "AdminDashboard"), tab(3, 0, 5), tab(4, 7, 0), tab(5, 7, 1)]
    assert plan_tab_positions(rows, 0) == [
        {"id_tab": 2, "id_parent": 0, "class_name": "AdminDashboard", "before": 2, "after": 0},
        {"id_tab": 1, "id_parent": 0, "class_name": "AdminThing", "before": 5, "after": 1},
        {"id_tab": 3, "id_parent": 0, "class_name": "AdminThing", "before": 5, "after": 2},
    ]


def test_numbering_from_one_like_the_official_cleanup_changes_a_healthy_menu() -> None:
    rows = [tab(1, 0, 0), tab(2, 0, 1)]
    assert plan_tab_positions(rows, 0) == []
    assert [change["after"] for change in plan_tab_positions(rows, 1)] == [1, 2]
