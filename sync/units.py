"""The report document as a set of merge units (DESIGN §2).

Every top-level field is one unit; each element of a map field
(``persons``, ``actions``, ``attachments``, ``vehicles``) is its own unit, addressed as
``persons.<element id>``.  A ``null`` element value removes the element.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MAP_FIELDS = ("persons", "actions", "attachments", "vehicles")

SCALAR_FIELDS = (
    "post",
    "kind",
    "occurred_at",
    "ended_at",
    "location",
    "route",
    "title",
    "narrative",
    "modus",
    "destination_country",
    "agencies",
    "audience_size",
    "topics",
    "retracted",
    "retract_reason",
)

DEVICE_FIELDS = frozenset(SCALAR_FIELDS) | frozenset(MAP_FIELDS)

SERVER_FIELDS = frozenset(
    {"author", "device_id", "created_at", "received_at", "review", "rev", "missing_blobs"}
)

_ELEMENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class UnitError(ValueError):
    """Raised when an op's ``fields`` cannot be read as units; carries field errors."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def element_id_error(map_field: str, element_id: str) -> str | None:
    """Plain-words reason why ``element_id`` is not a valid key of ``map_field``."""
    if map_field == "attachments":
        if not _SHA256_RE.match(element_id):
            return "attachment keys must be the file's sha256 in lowercase hex"
        return None
    if not _ELEMENT_ID_RE.match(element_id):
        return "element ids are 1-64 letters, digits, '-' or '_'"
    return None


def expand(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Turn an op's ``fields`` into ``{unit: value}``; raise UnitError on bad keys.

    A whole map (``"persons": {id: {...}}``) expands to one unit per listed
    element; elements it does not list are left alone.
    """
    units: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in fields.items():
        head, dot, tail = key.partition(".")
        if head in SERVER_FIELDS:
            errors[key] = ["is set by the server and cannot be sent by a device"]
        elif dot and head in MAP_FIELDS:
            reason = element_id_error(head, tail)
            if reason:
                errors[key] = [reason]
            else:
                units[key] = value
        elif dot or head not in DEVICE_FIELDS:
            errors[key] = ["unknown field"]
        elif head in MAP_FIELDS:
            if not isinstance(value, Mapping):
                errors[key] = ["must be an object keyed by element id"]
                continue
            for element_id, element in value.items():
                reason = element_id_error(head, element_id)
                if reason:
                    errors[f"{head}.{element_id}"] = [reason]
                else:
                    units[f"{head}.{element_id}"] = element
        else:
            units[key] = value
    if errors:
        raise UnitError(errors)
    return units


def get(doc: Mapping[str, Any], unit: str) -> Any:
    """Current value of ``unit`` in ``doc`` (``None`` when absent)."""
    head, dot, tail = unit.partition(".")
    if dot:
        return (doc.get(head) or {}).get(tail)
    return doc.get(head)


def put(doc: dict[str, Any], unit: str, value: Any) -> None:
    """Write ``value`` to ``unit`` in ``doc`` in place; ``None`` removes an element."""
    head, dot, tail = unit.partition(".")
    if not dot:
        doc[head] = value
        return
    elements = doc.get(head)
    if elements is None:
        elements = doc[head] = {}
    if value is None:
        elements.pop(tail, None)
    else:
        elements[tail] = value


def apply_units(doc: dict[str, Any], units: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Write every ``(unit, value)`` pair into ``doc`` in order and return it."""
    for unit, value in units:
        put(doc, unit, value)
    return doc


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The units whose values differ between two documents, as ``{unit: new value}``."""
    changed: dict[str, Any] = {}
    for key in DEVICE_FIELDS:
        if key in MAP_FIELDS:
            a, b = old.get(key) or {}, new.get(key) or {}
            for element_id in a.keys() | b.keys():
                if a.get(element_id) != b.get(element_id):
                    changed[f"{key}.{element_id}"] = b.get(element_id)
        elif old.get(key) != new.get(key):
            changed[key] = new.get(key)
    return changed
