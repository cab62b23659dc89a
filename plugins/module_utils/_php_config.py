# Copyright (c) shopfleet developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read PrestaShop's PHP configuration files without running PHP.

`app/config/parameters.php` (1.7+) returns a nested array literal; `config/settings.inc.php` (1.6) is a list of
define() calls; `app/config/parameters.yml` is the older form that 1.7's bootstrap converts on first load. Only the
literal syntax those files use is understood (arrays, strings, numbers, booleans, null, comments); anything else
is reported with its line, never guessed.

PRIVATE to the collection: not part of its public API.
"""

from __future__ import annotations

import re
from typing import Any


class PhpConfigError(ValueError):
    """A configuration file that does not hold the literal PHP we can read."""


_DOUBLE_QUOTE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "v": "\v", "e": "\x1b", "f": "\f", "\\": "\\", "$": "$", '"': '"', "0": "\0"}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|\#[^\n]*|/\*.*?\*/)
  | (?P<open_tag><\?php|<\?)
  | (?P<close_tag>\?>)
  | (?P<single>'(?:[^'\\]|\\.)*')
  | (?P<double>"(?:[^"\\]|\\.)*")
  | (?P<number>-?(?:0x[0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?))
  | (?P<arrow>=>)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>[()\[\],;=.])
  | (?P<other>\$?[A-Za-z_][A-Za-z0-9_]*|.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _unquote_single(body: str) -> str:
    # In single quotes PHP knows only two escapes: \' and \\
    return re.sub(r"\\([\\'])", r"\1", body)


def _unquote_double(body: str) -> str:
    if re.search(r"\$[A-Za-z_{]", body):
        raise PhpConfigError("a double-quoted string interpolates a variable")

    def replace(match: re.Match) -> str:
        return _DOUBLE_QUOTE_ESCAPES.get(match.group(1), match.group(0))

    return re.sub(r"\\(.)", replace, body, flags=re.DOTALL)


class _Parser:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.tokens: list[tuple[str, str, int]] = []
        position, line = 0, 1
        while position < len(text):
            match = _TOKEN.match(text, position)
            if not match:
                raise PhpConfigError(f"{source} line {line}: unexpected {text[position:position + 20]!r}")
            kind = match.lastgroup or ""
            if kind not in ("space", "comment", "open_tag", "close_tag"):
                self.tokens.append((kind, match.group(0), line))
            line += match.group(0).count("\n")
            position = match.end()
        self.index = 0

    def peek(self) -> tuple[str, str, int]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "", -1)

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1].lower() != value.lower()):
            expected = repr(value) if value else "a value"
            raise PhpConfigError(f"{self.source} line {token[2]}: expected {expected}, found {token[1]!r}")
        self.index += 1
        return token

    def at(self, value: str) -> bool:
        return self.peek()[1].lower() == value.lower()

    def value(self) -> Any:
        kind, text, line = self.take()
        if kind == "single":
            result: Any = _unquote_single(text[1:-1])
        elif kind == "double":
            result = _unquote_double(text[1:-1])
        elif kind == "number":
            result = int(text, 0) if re.fullmatch(r"-?(0x[0-9a-fA-F]+|[0-9]+)", text) else float(text)
        elif kind == "word" and text.lower() in ("true", "false"):
            result = text.lower() == "true"
        elif kind == "word" and text.lower() == "null":
            result = None
        elif kind == "word" and text.lower() == "array" and self.at("("):
            result = self.array_items("(", ")")
        elif text == "[":
            self.index -= 1
            result = self.array_items("[", "]")
        else:
            raise PhpConfigError(f"{self.source} line {line}: {text!r} is not a literal value")
        if self.at("."):
            # 'a' . 'b': PHP concatenation of literals, seen in hand-edited files
            self.take(".")
            return f"{_as_php_string(result)}{_as_php_string(self.value())}"
        return result

    def array_items(self, opening: str, closing: str) -> Any:
        self.take(opening)
        items: list[tuple[Any, Any]] = []
        next_index = 0
        while not self.at(closing):
            first = self.value()
            if self.at("=>"):
                self.take("=>")
                key, item = first, self.value()
                if isinstance(key, int):
                    next_index = key + 1
            else:
                key, item = next_index, first
                next_index += 1
            items.append((key, item))
            if not self.at(closing):
                self.take(",")
        self.take(closing)
        if all(isinstance(key, int) for key, _item in items) and [key for key, _item in items] == list(range(len(items))):
            return [item for _key, item in items]
        return {str(key): item for key, item in items}


def _as_php_string(value: Any) -> str:
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    return str(value)


def parse_return_array(text: str, source: str = "parameters.php") -> Any:
    """The value of the file's `return <literal>;` statement."""
    parser = _Parser(text, source)
    while parser.peek()[0] != "end" and not parser.at("return"):
        parser.index += 1
    if parser.peek()[0] == "end":
        raise PhpConfigError(f"{source}: no `return` statement")
    parser.take("return")
    return parser.value()


def parse_defines(text: str, source: str = "settings.inc.php") -> dict[str, Any]:
    """The constants a file defines with define('NAME', literal), skipping any statement that is not one."""
    parser = _Parser(text, source)
    constants: dict[str, Any] = {}
    while parser.peek()[0] != "end":
        if parser.at("define") and parser.tokens[parser.index + 1][1] == "(":
            parser.take("define")
            parser.take("(")
            name = parser.value()
            parser.take(",")
            constants[str(name)] = parser.value()
            parser.take(")")
        else:
            parser.index += 1
    return constants


def parse_parameters_yml(text: str, source: str = "parameters.yml") -> dict[str, Any]:
    """The flat `parameters:` mapping of a Symfony parameters.yml (the only YAML shape PrestaShop writes there)."""
    parameters: dict[str, Any] = {}
    inside = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith(("'", '"')) else raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith((" ", "\t")):
            inside = line.strip() == "parameters:"
            continue
        if not inside:
            continue
        match = re.match(r"\s+([A-Za-z0-9_.\-]+)\s*:\s*(.*)$", line)
        if not match:
            raise PhpConfigError(f"{source} line {number}: cannot read {raw.strip()!r}")
        parameters[match.group(1)] = _yaml_scalar(match.group(2).strip())
    return parameters


def _yaml_scalar(text: str) -> Any:
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return _unquote_double(text[1:-1])
    lowered = text.lower()
    if lowered in ("", "~", "null"):
        return None
    if lowered in ("true", "false"):
        return lowered == "true"
    if re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    return text


def unescape_percent(value: Any) -> Any:
    """PrestaShop's bootstrap turns Symfony's escaped `%%` back into `%` in every parameter."""
    return value.replace("%%", "%") if isinstance(value, str) else value
