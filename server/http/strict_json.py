"""JSON as I-JSON (RFC 7493): valid UTF-8, no NaN, no lone surrogates, unique keys.

orjson does the parsing (it refuses NaN, lone surrogates, invalid UTF-8
and absurd nesting) but, like most parsers, keeps the last of two equal
keys: ``{"report_id": "A", "report_id": "B"}`` would create B while a
reviewer's tool shows A.  The standard library's C scanner hands each
object's pairs to a hook before they become a dict, so a second pass over
the same bytes finds the duplicates.  That pass costs about 7 µs per report
of a push (orjson's own parse about 5; a signed report's whole push about
450 µs, docs/benchmarks.md).
"""

from __future__ import annotations

import json
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


def _shown(key: str) -> str:
    return repr(key if len(key) <= 40 else key[:40] + "…")


def loads(data: bytes | str) -> Any:
    """Parse ``data``; raise InvalidJSON for invalid JSON or a key given twice in an object."""
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidJSON(f"The body is not valid JSON: {exc}.") from None
    # Only objects can repeat a key; a body without one needs no second pass.
    text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
    if "{" not in text:
        return value
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
