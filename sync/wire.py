"""Wire messages of the sync protocol (DESIGN §3) as marshmallow schemas.

The server validates push envelopes with these; the device engine builds
its requests to the same shapes; the OpenAPI document is generated from
them.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from sync.errors import flatten_errors  # noqa: F401  (re-exported for callers)
from sync.hlc import is_valid
from sync.report_schema import ReportDocumentSchema

_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def is_uuid(value: object) -> bool:
    """True when ``value`` is a string ``uuid.UUID`` accepts."""
    # The canonical form is what clients send; uuid.UUID (which also takes
    # braces, URNs and bare hex) is the slow path for everything else.
    if not isinstance(value, str):
        return False
    if _CANONICAL_UUID.fullmatch(value):
        return True
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


def _uuid(value: str) -> None:
    """marshmallow validator: a UUID string."""
    if not is_uuid(value):
        raise ValidationError("must be a UUID")


def _hlc(value: str) -> None:
    if not is_valid(value):
        raise ValidationError("must be an HLC: <16 digits>-<5 digits>-<device id>")


class UUIDString(fields.String):
    """A UUID kept as the string the client sent."""

    def __init__(self, **kwargs: Any):
        super().__init__(validate=_uuid, **kwargs)


class HLCString(fields.String):
    """A hybrid logical clock reading in its wire form (``sync.hlc``)."""

    def __init__(self, **kwargs: Any):
        """A string field checked with ``sync.hlc.is_valid``."""
        super().__init__(validate=_hlc, **kwargs)


class ChangeSchema(Schema):
    """One op of a push: a change to one report."""

    op_id = UUIDString(required=True)
    report_id = UUIDString(required=True)
    base_rev = fields.Integer(
        required=True,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, error="must be 0 or more"),
    )
    hlc = HLCString(required=True)
    #: ES256 signature (sync.signing) over the other five fields; required
    #: from a device that registered a public key, refused from one that did not.
    #: (Declared before ``fields``, whose name shadows the module below it.)
    signature = fields.String()
    fields = fields.Dict(required=True)


class PushRequestSchema(Schema):
    """``POST /api/v1/sync/push`` body."""

    batch_id = UUIDString(required=True)
    device_hlc = HLCString(allow_none=True)
    # Each change is judged on its own (ChangeSchema): a bad one is
    # rejected in its result, while the rest of the batch goes on.
    changes = fields.List(fields.Dict(), required=True)


class ConflictSchema(Schema):
    """A conflict record as reported in push results and report views."""

    id = fields.String()
    field = fields.String()
    kept = fields.Raw(allow_none=True)
    lost = fields.Raw(allow_none=True)
    kept_by = fields.String(allow_none=True)
    lost_by = fields.String(allow_none=True)
    kept_hlc = fields.String(allow_none=True)
    lost_hlc = fields.String(allow_none=True)
    rev = fields.Integer()
    status = fields.String(validate=validate.OneOf(["open", "resolved"]))


class OpResultSchema(Schema):
    """One entry of a push response's ``results``."""

    op_id = fields.String(required=True)
    report_id = fields.String(allow_none=True)
    status = fields.String(
        required=True, validate=validate.OneOf(["applied", "merged", "conflict", "rejected"])
    )
    rev = fields.Integer(allow_none=True)
    replayed = fields.Boolean(required=True)
    hlc_clamped = fields.Boolean()
    conflicts = fields.List(fields.Nested(ConflictSchema))
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    #: Only for ``applied``: the post and the server-owned fields of the
    #: document the op left (the device's own copy, without pulling it back).
    server_fields = fields.Dict(keys=fields.String())


class PushResponseSchema(Schema):
    """``POST /api/v1/sync/push`` answer."""

    batch_id = fields.String(required=True)
    server_time = fields.String(required=True)
    results = fields.List(fields.Nested(OpResultSchema), required=True)


class PullChangeSchema(Schema):
    """One entry of a pull page: a report at its latest state, or a removal."""

    report = fields.Nested(ReportDocumentSchema)
    open_conflicts = fields.List(fields.Nested(ConflictSchema))
    report_id = fields.String()
    removed = fields.Boolean()


class PullResponseSchema(Schema):
    """``GET /api/v1/sync/pull`` answer."""

    changes = fields.List(fields.Nested(PullChangeSchema), required=True)
    cursor = fields.String(required=True)
    has_more = fields.Boolean(required=True)
    server_time = fields.String(required=True)


class EvidenceKeySchema(Schema):
    """The server's current checkpoint-signing key, as ``/meta`` publishes it."""

    key_id = fields.String(required=True)
    alg = fields.String(required=True, validate=validate.OneOf(["ES256"]))
    public_key = fields.String(required=True)
    created_at = fields.String(required=True)
    retired_at = fields.String(allow_none=True)


class MetaSchema(Schema):
    """``GET /api/v1/meta`` answer."""

    protocol = fields.Integer(required=True)
    max_batch_ops = fields.Integer(required=True)
    max_batch_bytes = fields.Integer(required=True)
    max_blob_bytes = fields.Integer(required=True)
    server_time = fields.String(required=True)
    #: None until the server has made its first key (``patroli serve`` does).
    evidence_key = fields.Nested(EvidenceKeySchema, allow_none=True)


PUSH_REQUEST = PushRequestSchema()
CHANGE = ChangeSchema()
