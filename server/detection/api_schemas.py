"""marshmallow schemas of the early-detection answers and query strings, for OpenAPI.

Like ``server.openapi_schemas``, they describe what the views assemble;
the schemathesis run checks every answer against them.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from server.detection.alerts import ALERT_TYPES
from sync import vocab

_TIME = {"allow_none": True, "metadata": {"description": "RFC 3339 UTC, milliseconds"}}
_HIDDEN = "null when the caller's scope does not hold that report"


class PersonLinkSchema(Schema):
    """A person of this report taken for a person of another report."""

    report_id = fields.String(required=True, allow_none=True, metadata={"description": _HIDDEN})
    post = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocab.KINDS))
    occurred_at = fields.String(required=True, **_TIME)
    person_id = fields.String(required=True, allow_none=True, metadata={"description": _HIDDEN})
    basis = fields.String(required=True, validate=validate.OneOf(["document", "name"]))
    score = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    explanation = fields.String(required=True)


class VehicleLinkSchema(Schema):
    """A boat or vehicle of this report taken for one of another report."""

    report_id = fields.String(required=True, allow_none=True, metadata={"description": _HIDDEN})
    post = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocab.KINDS))
    occurred_at = fields.String(required=True, **_TIME)
    vehicle_id = fields.String(required=True, allow_none=True, metadata={"description": _HIDDEN})
    basis = fields.String(required=True, validate=validate.OneOf(["registration", "name"]))
    score = fields.Integer(required=True, validate=validate.Range(min=0, max=100))
    explanation = fields.String(required=True)


class AlertSchema(Schema):
    """An alert on a person (or, for ``vehicle_seen_before``, a vehicle) of this report,
    about the report that raised it."""

    type = fields.String(required=True, validate=validate.OneOf(ALERT_TYPES))
    person_id = fields.String(metadata={"description": "every type but vehicle_seen_before"})
    vehicle_id = fields.String(metadata={"description": "vehicle_seen_before only"})
    report_id = fields.String(required=True, allow_none=True, metadata={"description": _HIDDEN})
    post = fields.String(required=True)
    occurred_at = fields.String(required=True, **_TIME)


def person_links_field() -> fields.Field:
    """``person_links``: lists of links keyed by person element id."""
    return fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(PersonLinkSchema)), required=True
    )


def vehicle_links_field() -> fields.Field:
    """``vehicle_links``: lists of links keyed by vehicle element id."""
    return fields.Dict(
        keys=fields.String(), values=fields.List(fields.Nested(VehicleLinkSchema)), required=True
    )


def alerts_field() -> fields.Field:
    """``alerts`` of a report."""
    return fields.List(fields.Nested(AlertSchema), required=True)


def alert_types_field() -> fields.Field:
    """The alert types on a queue entry (its badges)."""
    return fields.List(fields.String(validate=validate.OneOf(ALERT_TYPES)), required=True)


class AppearanceSchema(Schema):
    """One appearance of a person (HQ)."""

    report_id = fields.String(required=True)
    post = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(vocab.KINDS))
    occurred_at = fields.String(required=True, **_TIME)
    person_id = fields.String(required=True)
    role = fields.String(required=True)
    basis = fields.String(required=True, validate=validate.OneOf(["document", "name"]))


class AppearancesSchema(Schema):
    """``GET /persons``."""

    appearances = fields.List(fields.Nested(AppearanceSchema), required=True)


class PersonsQuerySchema(Schema):
    """Parameters of ``GET /persons``."""

    document_number = fields.String(
        required=True, metadata={"description": "case, spaces and dashes ignored"}
    )
    document_type = fields.String(validate=validate.OneOf(vocab.DOCUMENT_TYPES))


class ExchangeQuerySchema(Schema):
    """Parameters of ``GET /exchange``."""

    from_ = fields.Date(data_key="from", metadata={"description": "occurred on or after"})
    to = fields.Date(metadata={"description": "occurred on or before"})


def paths(op: Any, json: Any, query: Any) -> dict[str, Any]:
    """The early-detection operations, built with ``server.openapi``'s helpers."""
    return {
        "/persons": {
            "get": op(
                "HQ: every appearance of the person carrying a document number",
                "persons",
                {"200": json(AppearancesSchema, "appearances, oldest first")},
                (403,),
                params=[query(PersonsQuerySchema)],
            )
        },
        "/exchange": {
            "get": op(
                "HQ: pseudonymous person keys for partner agencies, CSV, no names",
                "persons",
                {"200": json({"type": "string"}, "one row per appearance", "text/csv")},
                (403, 503),
                params=[query(ExchangeQuerySchema)],
            )
        },
    }
