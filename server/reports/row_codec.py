"""How revisions and op records are stored: each piece of content once.

A pushed revision used to hold its content twice, in ``changes`` (the
units it wrote) and in ``op`` (the op as the device signed it, whose
``fields`` are those same units), and its op record a third time in part
(``result`` repeated the op id and report id beside their own columns,
and every default).  Stored now:

* ``op`` without ``op_id`` and ``report_id`` when they equal the row's
  own columns (a stored op with ``op_id`` is in the full form);
* ``changes`` of a revision that has an op as ``[omitted, extra]``: the
  op's units (its fields read as ``sync.units.expand`` reads them) minus
  the ``omitted`` ones (units the merge did not write), plus ``extra``
  (units the server added, e.g. ``post`` on creation or ``review.status``,
  and any unit whose value differs from the op's).  A JSON object is the
  full form.  The form is exact by construction, so the hash chain, which
  covers the decoded values, is unaffected;
* ``result`` without the op id, the report id (when equal to the row's)
  and the keys at their defaults; a stored result with ``op_id`` is full.

Every reader goes through the ``decode_*`` functions, which read both forms
(rows written before migration 1000 may still be in the full form).
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

#: The keys of an op result, in the order the push answer lists them, with
#: the default of each that has one (server.reports.push_checks.result_of).
_RESULT_DEFAULTS: dict[str, Any] = {
    "replayed": False,
    "hlc_clamped": False,
    "conflicts": [],
    "errors": {},
}


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _same(a: Any, b: Any) -> bool:
    # Python's == takes 1 for True and 1.0 for 1; JSON (and the chain's
    # canonical form) does not, so compare as JSON unless it is one object.
    return a is b or orjson.dumps(a) == orjson.dumps(b)


def encode_op(op: dict[str, Any] | None, op_id: str | None, report_id: str) -> str | None:
    """The stored form of a revision's signed op."""
    if op is None:
        return None
    if op_id is not None and op.get("op_id") == op_id and op.get("report_id") == report_id:
        op = {k: v for k, v in op.items() if k not in ("op_id", "report_id")}
    return _dumps(op)


def decode_op(text: str | None, op_id: str | None, report_id: str) -> dict[str, Any] | None:
    """A revision's signed op from its stored form (either form)."""
    if text is None:
        return None
    op = orjson.loads(text)
    if "op_id" in op:
        return op
    return {"op_id": op_id, "report_id": report_id, **op}


#: The fields whose value is a map of elements, each element its own unit
#: (sync.units), frozen here: stored rows must decode the same for ever, so
#: a map field added later is simply stored in ``extra``.
_MAP_FIELDS = frozenset({"persons", "actions", "attachments", "vehicles"})
_ABSENT = object()


def _op_units(op: dict[str, Any] | None) -> dict[str, Any] | None:
    """The units an op's fields stand for, as ``sync.units.expand`` reads a valid op.

    Encoding and decoding both use this reading, so a stored form is exact
    whatever the op holds; for the valid ops the push accepts it is the
    push's own reading, which is what makes ``omitted`` and ``extra`` small.
    """
    fields = op.get("fields") if op else None
    if not isinstance(fields, dict):
        return None
    units: dict[str, Any] = {}
    for key, value in fields.items():
        if key in _MAP_FIELDS and type(value) is dict:
            for element_id, element in value.items():
                units[f"{key}.{element_id}"] = element
        elif key != "id":
            units[key] = value
    return units


def encode_changes(changes: dict[str, Any], op: dict[str, Any] | None) -> str:
    """The stored form of a revision's changes, given its op (decoded)."""
    units = _op_units(op)
    if not units:
        return _dumps(changes)
    omitted = [unit for unit in units if unit not in changes]
    extra = {}
    for unit, value in changes.items():
        sent = units.get(unit, _ABSENT)
        if sent is not value and (sent is _ABSENT or not _same(sent, value)):
            extra[unit] = value
    return _dumps([omitted, extra])


def decode_changes(text: str, op: dict[str, Any] | None) -> dict[str, Any]:
    """A revision's changes from their stored form and its op (decoded)."""
    data = orjson.loads(text)
    if isinstance(data, dict):
        return data
    omitted, extra = data
    units = _op_units(op) or {}
    skip = set(omitted)
    changes = {unit: value for unit, value in units.items() if unit not in skip}
    changes.update(extra)
    return changes


def stored_revision(row: dict[str, Any]) -> dict[str, Any]:
    """A revision row as written: ``changes`` and ``op`` (decoded values) in stored form."""
    stored = dict(row)
    stored["op"] = encode_op(row["op"], row["op_id"], row["report_id"])
    stored["changes"] = encode_changes(row["changes"], row["op"])
    return stored


def decoded_revision(row: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The ``changes`` and ``op`` of a stored revision row."""
    op = decode_op(row["op"], row["op_id"], row["report_id"])
    return decode_changes(row["changes"], op), op


#: The keys of a result as ``result_of`` makes it, in its order.
_RESULT_KEYS = ["op_id", "report_id", "status", "rev", *_RESULT_DEFAULTS]


def encode_result(result: dict[str, Any], op_id: str, report_id: str | None) -> str:
    """The stored form of an op's result (the full one unless the short one reads back exactly)."""
    if list(result) != _RESULT_KEYS or result["op_id"] != op_id:
        # Not the shape the short form rebuilds (key order included: a
        # replay answers with exactly the bytes of the first answer).
        return _dumps(result)
    compact = {
        key: value
        for key, value in result.items()
        if key != "op_id"
        and not (key == "report_id" and report_id is not None and value == report_id)
        and not (key in _RESULT_DEFAULTS and _same(value, _RESULT_DEFAULTS[key]))
    }
    return _dumps(compact)


def decode_result(text: str, op_id: str, report_id: str | None) -> dict[str, Any]:
    """An op's result from its stored form (either form)."""
    data = orjson.loads(text)
    if "op_id" in data:
        return data
    result: dict[str, Any] = {"op_id": op_id, "report_id": report_id, "status": None, "rev": None}
    # Fresh containers: a caller may change the result it gets.
    result.update({key: copy.copy(value) for key, value in _RESULT_DEFAULTS.items()})
    result.update(data)
    return result
