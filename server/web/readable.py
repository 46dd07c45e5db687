"""A stored field value in the words a reader sees, for the side-by-side conflict view.

The conflict view compares two values of one unit; shown raw, a person reads
``role: victim, sex: F, nationality: ID``.  Here the keys and coded values
become the page language's words; the merge editor keeps the raw JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from server.http import labels


def value(unit: str, raw: Any) -> Any:
    """``raw`` (the value of ``unit``) with its codes and keys in words."""
    head = unit.partition(".")[0]
    if head == "persons" and isinstance(raw, dict):
        return _person(raw)
    if head == "actions" and isinstance(raw, dict):
        return _action(raw)
    if unit == "destination_country" and isinstance(raw, str):
        return labels.country(raw)
    if unit == "modus" and isinstance(raw, list):
        return [labels.modus(m) if isinstance(m, str) else m for m in raw]
    return raw


def _coded(label: Callable[[str], str]) -> Callable[[Any], Any]:
    """A converter giving ``label(code)`` for a code and anything else unchanged."""
    return lambda v: label(v) if isinstance(v, str) else v


def _document(raw: Any) -> Any:
    """An identity document as "Paspor A123" (anything else unchanged)."""
    if not isinstance(raw, dict):
        return raw
    parts = (labels.document_type(raw.get("type")), raw.get("number"))
    return " ".join(str(part) for part in parts if part)


def _person(raw: dict[str, Any]) -> dict[str, Any]:
    """A person's keys and codes in words; unknown keys are kept as they are."""
    shown = {
        "role": (_("Role"), _coded(labels.role)),
        "name": (_("Name"), None),
        "sex": (_("Sex"), _coded(labels.sex_name)),
        "age": (_("Age"), None),
        "nationality": (_("Nationality"), _coded(labels.country)),
        "document": (_("Document"), _document),
        "workplace": (_("Workplace"), None),
        "note": (_("Note"), None),
    }
    return _translated(raw, shown)


def _action(raw: dict[str, Any]) -> dict[str, Any]:
    """An action's keys and type in words."""
    shown = {
        "type": (_("Action"), _coded(labels.action_type)),
        "agency": (_("Agency"), None),
        "at": (_("When"), None),
        "note": (_("Note"), None),
    }
    return _translated(raw, shown)


def _translated(raw: dict[str, Any], shown: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    """``raw`` with each known key renamed and its value converted, in ``raw``'s order."""
    out: dict[str, Any] = {}
    for key, item in raw.items():
        name, convert = shown.get(key, (key, None))
        out[name] = convert(item) if convert and item is not None else item
    return out
