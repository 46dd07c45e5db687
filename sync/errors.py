"""Field errors in the wire form ``{"a.b": ["plain message"]}``."""

from __future__ import annotations

from typing import Any


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested error dict as ``{"a.b": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for k, v in flatten_errors(value, name).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, str):
                out.setdefault(prefix, []).append(_plain(item))
            else:
                for k, v in flatten_errors(item, prefix).items():
                    out.setdefault(k, []).extend(v)
    else:
        out.setdefault(prefix, []).append(_plain(str(messages)))
    return out


_STOCK = {
    "Unknown field.": "unknown field",
    "Missing data for required field.": "is required",
    "Field may not be null.": "may not be null",
    "Not a valid string.": "must be text",
    "Not a valid list.": "must be a list",
    "Not a valid mapping type.": "must be an object",
    "Not a valid integer.": "must be a whole number",
    "Invalid input type.": "must be an object",
}


def _plain(message: str) -> str:
    # marshmallow's stock messages are capitalised sentences; ours are
    # lower-case clauses that read after the field name.
    return _STOCK.get(message, message)
