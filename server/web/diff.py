"""Showing two values of one field side by side, with what differs marked.

Text is compared word by word (difflib); objects (a person, a location)
key by key; lists item by item.  The output is plain data for the
template, which escapes every piece.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

_TOKENS = re.compile(r"\s+|[^\s]+")


def words(a: str, b: str) -> tuple[list[tuple[bool, str]], list[tuple[bool, str]]]:
    """Both texts as ``(changed, piece)`` lists, differing words marked on each side."""
    left_tokens, right_tokens = _TOKENS.findall(a), _TOKENS.findall(b)
    matcher = difflib.SequenceMatcher(a=left_tokens, b=right_tokens, autojunk=False)
    left: list[tuple[bool, str]] = []
    right: list[tuple[bool, str]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        same = tag == "equal"
        if i2 > i1:
            left.append((not same, "".join(left_tokens[i1:i2])))
        if j2 > j1:
            right.append((not same, "".join(right_tokens[j1:j2])))
    return left, right


def _show(value: Any) -> str:
    """A value as short plain text."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    return str(value)


def fields(a: Any, b: Any) -> list[dict[str, Any]]:
    """Rows ``{key, left, right, changed}`` for two objects, keys in a stable order."""
    a, b = a or {}, b or {}
    keys = list(a) + [k for k in b if k not in a]
    return [
        {
            "key": k,
            "left": _show(a.get(k)),
            "right": _show(b.get(k)),
            "changed": a.get(k) != b.get(k),
        }
        for k in keys
    ]


def items(a: Any, b: Any) -> tuple[list[tuple[bool, str]], list[tuple[bool, str]]]:
    """Two lists with the items only one side has marked."""
    a, b = list(a or []), list(b or [])
    return [(x not in b, _show(x)) for x in a], [(x not in a, _show(x)) for x in b]


def compare(a: Any, b: Any) -> dict[str, Any]:
    """How to show the two values: ``text``, ``fields``, ``items`` or ``plain``."""
    if isinstance(a, str | None) and isinstance(b, str | None) and (a or b):
        left, right = words(a or "", b or "")
        return {"mode": "text", "left": left, "right": right}
    if isinstance(a, dict | None) and isinstance(b, dict | None) and (a or b):
        return {"mode": "fields", "rows": fields(a, b)}
    if isinstance(a, list | None) and isinstance(b, list | None):
        left, right = items(a, b)
        return {"mode": "items", "left": left, "right": right}
    return {"mode": "plain", "left": _show(a), "right": _show(b)}
