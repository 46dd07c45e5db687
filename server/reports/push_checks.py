"""What a push can judge without the database: the batch envelope and each change.

Parsing and validation do not depend on stored state, so they run before
the push's write transaction takes any lock (and once, however often the
batch is retried).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app

from server.infra.problems import Problem
from server.reports.signatures import DeviceKey, check_signature
from sync import report_schema, wire
from sync import units as sync_units
from sync.schema_compiler import validator

_CHECK_REQUEST = validator(wire.PUSH_REQUEST)
_CHECK_CHANGE = validator(wire.CHANGE)


def envelope(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The batch's changes, once the envelope, its size and every op_id are valid."""
    errors = _CHECK_REQUEST(body)
    if errors:
        raise Problem(
            400,
            "validation-failed",
            "The push body is not a valid batch.",
            errors=errors,
        )
    changes = body["changes"]
    limit = current_app.config["PATROLI_MAX_BATCH_OPS"]
    if len(changes) > limit:
        raise Problem(
            413,
            "payload-too-large",
            f"A batch may hold at most {limit} changes (max_batch_ops); "
            f"this one has {len(changes)}.",
        )
    bad = {}
    for i, change in enumerate(changes):
        if not wire.is_uuid(change.get("op_id")):
            bad[f"changes.{i}.op_id"] = ["must be a UUID (every change needs its own op_id)"]
    if bad:
        raise Problem(400, "validation-failed", "Every change needs an op_id.", errors=bad)
    return changes


@dataclass(frozen=True)
class Checked:
    """What can be known of a change without the database, in the order it is judged."""

    #: The change is not a well-formed op.
    errors: dict[str, list[str]] | None = None
    #: Its ``fields`` cannot be read as units (judged after scope and base_rev).
    unit_errors: dict[str, list[str]] | None = None
    #: The units, as sent (``post`` is settled against the report later).
    units: dict[str, Any] | None = None
    #: Values that break the report schema (judged after ``post``).
    value_errors: dict[str, list[str]] | None = None
    #: The op's canonical bytes, when its signature was checked over them.
    message: bytes | None = None


def check(change: dict[str, Any], key: DeviceKey) -> Checked:
    """Validate one change up front, outside the write transaction.

    Parsing and validation do not depend on stored state, so they run
    before any lock is taken (and once, however often the batch is retried).
    """
    errors = _CHECK_CHANGE(change)
    if errors:
        return Checked(errors=errors)
    errors, message = check_signature(key, change)
    if errors:
        return Checked(errors=errors)
    fields = change["fields"]
    if "id" in fields:
        fields = dict(fields)
        if fields.pop("id") != change["report_id"]:
            return Checked(unit_errors={"id": ["must equal report_id"]})
    try:
        units = sync_units.expand(fields)
    except sync_units.UnitError as exc:
        return Checked(unit_errors=exc.errors)
    value_errors = report_schema.validate_units(units) or None
    return Checked(units=units, value_errors=value_errors, message=message)


def result_of(change: dict[str, Any], status: str, rev: int | None, **extra: Any) -> dict[str, Any]:
    """One op's result as the push answer lists it."""
    result = {
        "op_id": change["op_id"],
        "report_id": change.get("report_id"),
        "status": status,
        "rev": rev,
        "replayed": False,
        "hlc_clamped": False,
        "conflicts": [],
        "errors": {},
    }
    result.update(extra)
    return result
