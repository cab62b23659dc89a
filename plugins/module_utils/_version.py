# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PrestaShop versions: PHP's version_compare semantics and the version a shop's files declare.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import os
import re

# PHP orders these "special forms" when a version part is not a number; anything unknown sorts below "dev".
# Matching is by prefix, in this order, so "alpha1" is "alpha" and "patch" is "p".
_SPECIAL_FORMS = (("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5), ("p", 5))
_NUMBER_FORM = "#N#"


def _special_form_order(part: str) -> int:
    for name, order in _SPECIAL_FORMS:
        if part.startswith(name):
            return order
    return -1


def _is_digit(char: str) -> bool:
    # C's isdigit/isalnum: ASCII only, unlike str.isdigit()
    return "0" <= char <= "9"


def _is_alnum(char: str) -> bool:
    return _is_digit(char) or "a" <= char <= "z" or "A" <= char <= "Z"


def _canonicalize(version: str) -> str:
    """Insert dots where PHP does: at -, _, + and other punctuation, and at every digit/non-digit boundary."""
    out = [version[0]]
    previous = version[0]
    for char in version[1:]:
        dot_written = out[-1] == "."
        crosses_digit_boundary = "." not in (previous, char) and _is_digit(previous) != _is_digit(char)
        if char in "-_+":
            if not dot_written:
                out.append(".")
        elif crosses_digit_boundary:
            if not dot_written:
                out.append(".")
            out.append(char)
        elif not _is_alnum(char):
            if not dot_written:
                out.append(".")
        else:
            out.append(char)
        previous = char
    return "".join(out)


def _sign(value: int) -> int:
    return (value > 0) - (value < 0)


def _leading_int(part: str) -> int:
    match = re.match(r"[0-9]+", part)
    return int(match.group(0)) if match else 0


def _compare_parts(left: str, right: str) -> int:
    left_is_number, right_is_number = _is_digit(left[:1]), _is_digit(right[:1])
    if left_is_number and right_is_number:
        return _sign(_leading_int(left) - _leading_int(right))
    if not left_is_number and not right_is_number:
        return _sign(_special_form_order(left) - _special_form_order(right))
    if left_is_number:
        return _sign(_special_form_order(_NUMBER_FORM) - _special_form_order(right))
    return _sign(_special_form_order(left) - _special_form_order(_NUMBER_FORM))


def _next_dot(text: str, start: int) -> int | None:
    position = text.find(".", start)
    return None if position < 0 else position


def php_version_compare(left: str, right: str) -> int:
    """Return -1, 0 or 1 exactly as PHP's version_compare($left, $right) does.

    PrestaShop selects its upgrade SQL files with it, so `8.1.7-catchup` sorts after 8.1.6 and before 8.1.7;
    packaging.version orders those differently. The walk mirrors PHP's own, edge cases included (empty parts,
    a trailing dot, operands starting with '#' that PHP does not canonicalize).
    """
    if not left or not right:
        return _sign(len(left) - len(right))
    left = left if left.startswith("#") else _canonicalize(left)
    right = right if right.startswith("#") else _canonicalize(right)
    left_pos = right_pos = 0
    left_dot: int | None = 0
    right_dot: int | None = 0
    result = 0
    while left_pos < len(left) and right_pos < len(right) and left_dot is not None and right_dot is not None:
        left_dot, right_dot = _next_dot(left, left_pos), _next_dot(right, right_pos)
        result = _compare_parts(left[left_pos:left_dot], right[right_pos:right_dot])
        if result:
            return result
        if left_dot is not None:
            left_pos = left_dot + 1
        if right_dot is not None:
            right_pos = right_dot + 1
    if left_dot is not None:
        return 1 if _is_digit(left[left_pos:left_pos + 1]) else php_version_compare(left[left_pos:], _NUMBER_FORM)
    if right_dot is not None:
        return -1 if _is_digit(right[right_pos:right_pos + 1]) else php_version_compare(_NUMBER_FORM, right[right_pos:])
    return 0


def php_version_key(version: str) -> "PhpVersion":
    """A sort key ordering versions as PHP's version_compare does."""
    return PhpVersion(version)


class PhpVersion:
    """A version string that compares with PHP's version_compare semantics."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __lt__(self, other: "PhpVersion") -> bool:
        return php_version_compare(self.text, other.text) < 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PhpVersion) and php_version_compare(self.text, other.text) == 0

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"PhpVersion({self.text!r})"


def major_branch(version: str) -> str:
    """PrestaShop's release branch: '1.7' for 1.7.x.y, '8' for 8.x.y, '9' for 9.x.y."""
    parts = version.split(".")
    return ".".join(parts[:2]) if parts[0] == "1" else parts[0]


# Where each PrestaShop line writes its version, in the order PrestaShop's own upgrade module reads them: the
# first literal found wins. config/autoload.php only ever holds a literal on hand-patched shops, but PrestaShop
# reads it, so we do too.
VERSION_FILES = ("config/settings.inc.php", "config/autoload.php", "app/AppKernel.php", "src/Core/Version.php")
_VERSION_PATTERNS = (
    re.compile(r"""define\(\s*["']_PS_VERSION_["']\s*,\s*["'](?P<version>[0-9][0-9A-Za-z.\-]*)["']\s*\)"""),
    re.compile(r"""const\s+VERSION\s*=\s*["'](?P<version>[0-9][0-9A-Za-z.\-]*)["']\s*;"""),
)


def declared_versions(shop_root: str) -> dict[str, str]:
    """Every version literal the shop's version files declare, keyed by the file's path relative to the root."""
    found = {}
    for relative in VERSION_FILES:
        path = os.path.join(shop_root, relative)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except (FileNotFoundError, NotADirectoryError):
            continue
        for pattern in _VERSION_PATTERNS:
            match = pattern.search(text)
            if match:
                found[relative] = match.group("version")
                break
    return found


def version_from_files(shop_root: str) -> tuple[str, str] | None:
    """The (version, relative source file) PrestaShop would report for these files, or None if none declares one."""
    for relative, version in declared_versions(shop_root).items():
        return version, relative
    return None
