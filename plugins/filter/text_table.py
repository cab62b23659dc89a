# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: text_table
short_description: Render a list of dictionaries as an aligned text table
version_added: 0.1.0
description:
  - Turns rows (dictionaries) into a plain-text table with a header line, one line per row, columns padded to
    their widest cell. Used for the fleet tables the playbooks print and write to reports.
author:
  - shopfleet developers (@shopfleet)
options:
  _input:
    description: The rows.
    type: list
    elements: dict
    required: true
  columns:
    description:
      - Keys to show, in order. Each is a key name, or a C(key=Header) string to give it another header.
      - By default the keys of the first row.
    type: list
    elements: str
  markdown:
    description: Render a Markdown table instead of an aligned text one.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Print the fleet
  ansible.builtin.debug:
    msg: "{{ rows | shopfleet.prestashop.text_table(columns=['host=Shop', 'version', 'db_version=PS_VERSION_DB']) }}"
"""

RETURN = r"""
_value:
  description: The table, lines separated by newlines, without a trailing newline.
  type: str
"""

from typing import Any

from ansible.errors import AnsibleFilterError


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(item) for item in value) or "-"
    return str(value).replace("\n", " ")


def text_table(rows: list[dict[str, Any]], columns: list[str] | None = None, markdown: bool = False) -> str:
    if not isinstance(rows, (list, tuple)) or not all(isinstance(row, dict) for row in rows):
        raise AnsibleFilterError("text_table expects a list of dictionaries")
    if columns is None:
        columns = list(rows[0]) if rows else []
    keys = [column.split("=", 1)[0] for column in columns]
    headers = [column.split("=", 1)[-1] for column in columns]
    cells = [[_cell(row.get(key)) for key in keys] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _header in headers) + "|"]
        lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |" for line in cells]
        return "\n".join(lines)
    widths = [max([len(header)] + [len(line[index]) for line in cells]) for index, header in enumerate(headers)]
    lines = ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in [headers] + cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


class FilterModule:
    def filters(self) -> dict[str, Any]:
        return {"text_table": text_table}
