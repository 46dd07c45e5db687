"""JSON as I-JSON (RFC 7493): valid UTF-8, no NaN, no lone surrogates, unique keys.

orjson does the parsing (it refuses NaN, lone surrogates, invalid UTF-8
and absurd nesting) but, like most parsers, keeps the last of two equal
keys: ``{"report_id": "A", "report_id": "B"}`` would create B while a
reviewer's tool shows A.  A key given twice leaves fewer members in the
parsed objects than the text has, and every member of the text has its
``:`` outside strings: with the strings cut out of the bytes (one regular
expression, in C), counting colons proves a body free of repeats for about
half of what the standard library's second parse cost (7 µs per pushed
report).  Only a body that fails the count is parsed again, by the
standard library's scanner, which hands each object's pairs to a hook and
so names the repeated key.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson


class InvalidJSON(ValueError):
    """The text is not I-JSON; the message says why, in a sentence."""


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> None:
    # The second pass only looks: returning no object saves building them
    # (orjson's result is the one used).
    if len(pairs) > 1 and len(dict(pairs)) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)


_PAIRS = json.JSONDecoder(object_pairs_hook=_unique_pairs)
# A JSON string: no raw quote or backslash inside; an escape (a backslash and the
# character after it) taken whole.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _members(value: Any) -> int:
    """Members of every object in a parsed value."""
    kind = type(value)
    if kind is dict:
        count = len(value)
        for item in value.values():
            if type(item) is dict or type(item) is list:
                count += _members(item)
        return count
    if kind is list:
        return sum(_members(item) for item in value if type(item) is dict or type(item) is list)
    return 0


def _no_repeats(data: bytes, value: Any) -> bool:
    """True when the text of ``value`` (valid JSON) has no more members than its objects."""
    try:
        return _STRING.sub(b"", data).count(b":") == _members(value)
    except RecursionError:
        return False  # the second parse judges (and refuses) what is that deep


def _shown(key: str) -> str:
    return repr(key if len(key) <= 40 else key[:40] + "…")


def loads(data: bytes | str) -> Any:
    """Parse ``data``; raise InvalidJSON for invalid JSON or a key given twice in an object."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidJSON(f"The body is not valid JSON: {exc}.") from None
    raw = bytes(data) if isinstance(data, bytes | bytearray) else data.encode()
    # Only objects can repeat a key; a body without one needs no second pass.
    if b"{" not in raw or _no_repeats(raw, value):
        return value
    text = raw.decode("utf-8")
    try:
        _PAIRS.decode(text)
    except _DuplicateKey as exc:
        raise InvalidJSON(
            f"The body gives the key {_shown(exc.key)} twice in one object; "
            "every key of an object must be unique (I-JSON, RFC 7493)."
        ) from None
    except RecursionError:
        # orjson's limit (1024) is a little deeper than the interpreter's.
        raise InvalidJSON("The body is nested too deeply.") from None
    except ValueError as exc:
        # Whatever orjson took and the standard parser does not.
        raise InvalidJSON(f"The body is not valid JSON: {exc}.") from None
    return value
