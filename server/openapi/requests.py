"""Request bodies the views validate with; the OpenAPI document describes the same schemas.

The push and pull bodies are the sync protocol's (``sync.wire``).
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from server.review import decisions
from sync import signing


class TokenRequestSchema(Schema):
    """Username and password of a commander, HQ analyst or admin."""

    username = fields.String(required=True)
    password = fields.String(required=True)


def _public_key(value: str) -> None:
    try:
        signing.load_public_key(value)
    except signing.SigningError as exc:
        raise ValidationError(str(exc)) from None


class EnrollSchema(Schema):
    """Body of ``POST /devices/enroll``."""

    enrollment_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    device_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    #: Optional (devices that predate signed ops leave it out): the device's
    #: ES256 public key; once given, every op of the device must be signed.
    public_key = fields.String(validate=[validate.Length(max=400), _public_key])


class RevokeSchema(Schema):
    """Body of ``POST /devices/<id>/revoke`` (optional)."""

    reason = fields.String(validate=validate.Length(max=500), allow_none=True)


class EnrollmentCodeSchema(Schema):
    """Body of ``POST /devices/enrollment-codes``."""

    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    ttl_hours = fields.Integer(strict=True, validate=validate.Range(min=1, max=24 * 30))


class ReviewSchema(Schema):
    """Body of ``POST /reports/<id>/review``."""

    status = fields.String(
        required=True,
        validate=validate.OneOf(
            decisions.DECISIONS, error="must be one of: " + ", ".join(decisions.DECISIONS)
        ),
    )
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))
    rev = fields.Integer(required=True, strict=True)
