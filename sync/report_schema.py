"""Validation of report units with marshmallow, shared by server and device.

Only the units an op changes are validated (each against the schema of its
own field), so a 500-op batch pays for what it sends, not for whole
documents.  Values are validated, never converted: the JSON the device sent
is what is stored.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pycountry
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate

from sync import vocab
from sync.schema_compiler import compile_schema
from sync.units import MAP_FIELDS

_COUNTRIES = frozenset(c.alpha_2 for c in pycountry.countries)


class StrictFloat(fields.Float):
    """A number, refusing strings and booleans that marshmallow would coerce."""

    default_error_messages = {"invalid": "must be a number"}

    def _validated(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictInt(fields.Integer):
    """A whole number, refusing strings, floats and booleans."""

    default_error_messages = {"invalid": "must be a whole number"}

    def _validated(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictBool(fields.Boolean):
    """Only JSON ``true`` or ``false``."""

    default_error_messages = {"invalid": "must be true or false"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Text(fields.String):
    """A string of bounded length with a plain-words error."""

    default_error_messages = {"invalid": "must be text"}

    def __init__(self, max_len: int, min_len: int = 0, **kwargs: Any):
        msg = (
            f"must be {min_len} to {max_len} characters"
            if min_len
            else (f"must be at most {max_len} characters")
        )
        super().__init__(
            validate=[validate.Length(min=min_len, max=max_len, error=msg), _no_nul], **kwargs
        )


def _no_nul(value: str) -> None:
    """Refuse NUL characters: PostgreSQL text cannot hold them, and no officer types one."""
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


def _range(lo: float, hi: float) -> validate.Range:
    return validate.Range(min=lo, max=hi, error=f"must be between {lo:g} and {hi:g}")


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="must be one of: " + ", ".join(choices))


def _country(value: str) -> None:
    if value not in _COUNTRIES:
        raise ValidationError("must be an ISO 3166-1 alpha-2 country code, e.g. MY")


def _timestamp(value: str) -> None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            "must be an RFC 3339 date-time, e.g. 2026-11-20T03:15:00+08:00"
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError("must include a time zone offset, e.g. +08:00")


def _mime(value: str) -> None:
    if value in vocab.ATTACHMENT_MIMES or value.startswith(vocab.ATTACHMENT_MIME_PREFIXES):
        return
    raise ValidationError("must be an image type or application/pdf")


class LocationSchema(Schema):
    """A point on the map, with optional accuracy and place name."""

    lat = StrictFloat(required=True, validate=_range(-90, 90))
    lon = StrictFloat(required=True, validate=_range(-180, 180))
    accuracy_m = StrictFloat(validate=_range(0, 100_000), allow_none=True)
    place = Text(200, allow_none=True)


class IdentityDocumentSchema(Schema):
    """An identity or travel document seen on a person."""

    type = fields.String(required=True, validate=_one_of(vocab.DOCUMENT_TYPES))
    number = Text(64, allow_none=True)
    country = fields.String(validate=_country, allow_none=True)


class PersonSchema(Schema):
    """One person element of ``persons``."""

    role = fields.String(required=True, validate=_one_of(vocab.PERSON_ROLES))
    sex = fields.String(validate=_one_of(vocab.SEXES), allow_none=True)
    age = StrictInt(validate=_range(0, 120), allow_none=True)
    nationality = fields.String(validate=_country, allow_none=True)
    name = Text(200, allow_none=True)
    document = fields.Nested(IdentityDocumentSchema, allow_none=True)
    workplace = Text(200, allow_none=True)
    sponsor = Text(200, allow_none=True)
    note = Text(2000, allow_none=True)


class VehicleSchema(Schema):
    """One boat or vehicle element of ``vehicles`` (a registration or a name, or both)."""

    type = fields.String(required=True, validate=_one_of(vocab.VEHICLE_TYPES))
    registration = Text(64, allow_none=True)
    name = Text(200, allow_none=True)
    note = Text(2000, allow_none=True)


class ActionSchema(Schema):
    """One action element of ``actions``."""

    type = fields.String(required=True, validate=_one_of(vocab.ACTION_TYPES))
    agency = fields.String(validate=_one_of(vocab.AGENCIES), allow_none=True)
    note = Text(2000, allow_none=True)
    at = fields.String(validate=_timestamp, allow_none=True)


class AttachmentSchema(Schema):
    """One attachment element of ``attachments`` (keyed by its sha256)."""

    mime = fields.String(required=True, validate=_mime)
    bytes = StrictInt(required=True, validate=_range(0, 2**40))
    caption = Text(500, allow_none=True)


class ReportFieldsSchema(Schema):
    """The top-level device-writable fields (map fields are validated per element)."""

    post = fields.String(
        validate=validate.Regexp(r"^[A-Z0-9_-]{2,16}$", error="must be a post code such as NNK")
    )
    kind = fields.String(validate=_one_of(vocab.KINDS))
    occurred_at = fields.String(validate=_timestamp)
    ended_at = fields.String(validate=_timestamp, allow_none=True)
    location = fields.Nested(LocationSchema, allow_none=True)
    route = Text(200, allow_none=True)
    title = Text(200, min_len=1)
    narrative = Text(20_000, allow_none=True)
    modus = fields.List(fields.String(validate=_one_of(vocab.MODUS)), allow_none=True)
    destination_country = fields.String(validate=_country, allow_none=True)
    agencies = fields.List(fields.String(validate=_one_of(vocab.AGENCIES)), allow_none=True)
    audience_size = StrictInt(validate=_range(0, 1_000_000), allow_none=True)
    topics = fields.List(Text(200), allow_none=True)
    retracted = StrictBool()
    retract_reason = Text(2000, allow_none=True)


class ReviewStateSchema(Schema):
    """The server-owned review block of a report document."""

    status = fields.String(required=True, validate=_one_of(vocab.REVIEW_STATUSES))
    note = fields.String(required=True, allow_none=True)
    by = fields.String(required=True, allow_none=True)
    at = fields.String(required=True, allow_none=True)


class ReportDocumentSchema(ReportFieldsSchema):
    """The full report document (DESIGN §2), as pulls and the API answer it.

    It describes, never validates: devices send units (``validate_units``).
    Every field is always present (``sync.document.full``): unset ones are
    ``null``, ``retracted`` is ``false`` until a retraction; ``persons``,
    ``vehicles``, ``actions`` and ``attachments`` are maps keyed by element id (the sha256
    for attachments), ``{}`` when empty; the server-owned fields come last.
    """

    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True)
    persons = fields.Dict(keys=fields.String(), values=fields.Nested(PersonSchema), required=True)
    vehicles = fields.Dict(keys=fields.String(), values=fields.Nested(VehicleSchema), required=True)
    actions = fields.Dict(keys=fields.String(), values=fields.Nested(ActionSchema), required=True)
    attachments = fields.Dict(
        keys=fields.String(), values=fields.Nested(AttachmentSchema), required=True
    )
    author = fields.String(required=True)
    device_id = fields.String(required=True, allow_none=True)
    created_at = fields.String(required=True, allow_none=True)
    received_at = fields.String(required=True, allow_none=True)
    review = fields.Nested(ReviewStateSchema, required=True)
    rev = fields.Integer(required=True)


# The device fields, as a document has them: the same fields as in an op,
# but present always (copies: the op schema's fields stay optional).
for _name, _field in ReportFieldsSchema._declared_fields.items():
    _present = copy.copy(_field)
    _present.required = True
    ReportDocumentSchema._declared_fields[_name] = _present

FIELDS_SCHEMA = ReportFieldsSchema()
ELEMENT_SCHEMAS: dict[str, Schema] = {
    "persons": PersonSchema(),
    "actions": ActionSchema(),
    "attachments": AttachmentSchema(),
    "vehicles": VehicleSchema(),
}
_CHECK_FIELD = compile_schema(FIELDS_SCHEMA, partial=True)
_CHECK_ELEMENT = {name: compile_schema(schema) for name, schema in ELEMENT_SCHEMAS.items()}


def validate_units(units: Mapping[str, Any]) -> dict[str, list[str]]:
    """Validate ``{unit: value}``; return ``{path: [messages]}`` (empty when valid)."""
    errors: dict[str, list[str]] = {}
    scalars: dict[str, Any] = {}
    for unit, value in units.items():
        head, dot, _ = unit.partition(".")
        if not dot:
            scalars[unit] = value
        elif value is not None:  # null removes an element, always allowed
            _CHECK_ELEMENT[head](value, unit, errors)
            if head == "vehicles":
                _vehicle_identified(value, unit, errors)
    if scalars:
        _CHECK_FIELD(scalars, "", errors)
    return errors


def _vehicle_identified(value: Any, unit: str, errors: dict[str, list[str]]) -> None:
    # A vehicle with neither a registration nor a name cannot be matched or found again.
    if isinstance(value, Mapping) and not value.get("registration") and not value.get("name"):
        errors.setdefault(unit, []).append("needs a registration or a name")


def required_errors(doc: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per-kind required fields of a report being created (DESIGN §1-2)."""
    errors: dict[str, list[str]] = {}
    kind = doc.get("kind")
    needed = vocab.REQUIRED_ALWAYS + vocab.REQUIRED_BY_KIND.get(kind, ())
    for name in needed:
        value = doc.get(name)
        if value is None or value == "" or (name in MAP_FIELDS and not value):
            article = "an" if str(kind)[:1] in "aeiou" else "a"
            label = (
                f"is required for {article} {kind} report" if kind in vocab.KINDS else "is required"
            )
            errors[name] = [label]
    for flag, needs in vocab.REQUIRED_WHEN_TRUE.items():
        for name in needs:
            if doc.get(flag) is True and not doc.get(name):
                errors[name] = ["a retraction needs a reason"]
    return errors
