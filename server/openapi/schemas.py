"""marshmallow schemas of what the views assemble by hand, for the OpenAPI document.

Request bodies are validated with the schemas next to their views
(``server.api.*``) and the wire schemas of ``sync.wire``; the answers and
query strings below are built in code (``jsonify`` of dicts, hand-parsed
``request.args``), so these schemas *describe* them.  The schemathesis run
in ``tests/api/test_openapi.py`` checks that every answer matches them,
so a view that changes its answer without changing its schema fails there.

Schemas whose ``Meta.unknown`` is ``INCLUDE`` come out with
``additionalProperties: true``: the shape is open (the report document
holds whatever units the device sent); the rest are closed.
"""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from server.aggregates.query import GROUPS
from server.detection import api_schemas as detection
from sync import report_schema as rs
from sync import vocab, wire

_NULLABLE_TIME = {"allow_none": True, "metadata": {"description": "RFC 3339 UTC, milliseconds"}}
_TIME = {"metadata": {"description": "RFC 3339 UTC with milliseconds"}}


def nullable_time() -> fields.String:
    """A server time that may be null (never happened yet)."""
    return fields.String(required=True, **_NULLABLE_TIME)


def _time() -> fields.String:
    """A server time."""
    return fields.String(required=True, **_TIME)


# -- problems ----------------------------------------------------------------


class ProblemSchema(Schema):
    """RFC 9457 problem details (``application/problem+json``), DESIGN §3."""

    class Meta:
        unknown = INCLUDE  # some problems carry extras, e.g. current_rev, upload_offset

    type = fields.String(required=True, metadata={"description": "urn:patroli:problem:<slug>"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "field path -> plain-words messages"},
    )
    current_rev = fields.Integer(metadata={"description": "with stale-revision"})
    upload_offset = fields.Integer(metadata={"description": "with a blob upload conflict"})


# -- people and devices -------------------------------------------------------


class TokenResponseSchema(Schema):
    """``POST /auth/token`` answer."""

    token = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(["commander", "hq", "admin"]))
    expires_at = _time()


class EnrollResponseSchema(Schema):
    """``POST /devices/enroll`` answer: keep the token, it is shown once."""

    device_id = wire.UUIDString(required=True)
    token = fields.String(required=True)
    officer = fields.String(required=True)
    post = fields.String(required=True)
    server_time = _time()


class EnrollmentCodeResponseSchema(Schema):
    """``POST /devices/enrollment-codes`` answer (the code is shown only here)."""

    code = fields.String(required=True, metadata={"example": "7K2M-9QXR-4TNB"})
    username = fields.String(required=True)
    post = fields.String(required=True)
    expires_at = _time()


class DeviceSchema(Schema):
    """A device as commanders see it, with its sync health."""

    id = wire.UUIDString(required=True)
    name = fields.String(required=True)
    officer = fields.String(required=True)
    post = fields.String(required=True, allow_none=True)
    created_at = nullable_time()
    last_push_at = nullable_time()
    last_pull_at = nullable_time()
    last_seen_at = nullable_time()
    pending_review = fields.Integer(required=True)
    silent = fields.Boolean(required=True)
    silent_since = nullable_time()
    revoked = fields.Boolean(required=True)
    revoked_at = nullable_time()
    revoked_by = fields.String(required=True, allow_none=True)
    revoke_reason = fields.String(required=True, allow_none=True)


class DeviceListSchema(Schema):
    """``GET /devices`` answer."""

    devices = fields.List(fields.Nested(DeviceSchema), required=True)


class DeviceOneSchema(Schema):
    """``POST /devices/<id>/revoke`` answer."""

    device = fields.Nested(DeviceSchema, required=True)


# -- the report document ------------------------------------------------------


class ReportOnlySchema(Schema):
    """``{"report": {...}}``: the answer of a review."""

    report = fields.Nested(rs.ReportDocumentSchema, required=True)


class HistoryEntrySchema(Schema):
    """One revision of a report: who changed which units, and to what."""

    rev = fields.Integer(required=True)
    at = nullable_time()
    by = fields.String(required=True)
    device_id = fields.String(required=True, allow_none=True)
    action = fields.String(
        required=True, metadata={"description": "create, push, review, resolve, transfer"}
    )
    units = fields.List(fields.String(), required=True)
    changes = fields.Dict(keys=fields.String(), values=fields.Raw(allow_none=True), required=True)


class ConflictRecordSchema(wire.ConflictSchema):
    """A conflict record as people see it (with both devices)."""

    kept_device = fields.String(allow_none=True)
    lost_device = fields.String(allow_none=True)


class ConflictDetailSchema(ConflictRecordSchema):
    """A conflict with its report, post and resolution."""

    report_id = fields.String(required=True)
    post = fields.String(required=True)
    created_at = nullable_time()
    resolved_at = nullable_time()
    resolved_by = fields.String(required=True, allow_none=True)
    resolved_rev = fields.Integer(required=True, allow_none=True)
    report_title = fields.String(allow_none=True, metadata={"description": "in lists only"})


class ReportViewSchema(Schema):
    """``GET /reports/<id>``: document, full history, every conflict, blobs not yet uploaded."""

    report = fields.Nested(rs.ReportDocumentSchema, required=True)
    history = fields.List(fields.Nested(HistoryEntrySchema), required=True)
    conflicts = fields.List(fields.Nested(ConflictRecordSchema), required=True)
    missing_blobs = fields.List(fields.String(), required=True)
    person_links = detection.person_links_field()
    vehicle_links = detection.vehicle_links_field()
    alerts = detection.alerts_field()


class QueueEntrySchema(Schema):
    """One report in the review queue."""

    id = fields.String(required=True)
    post = fields.String(required=True)
    kind = fields.String(required=True)
    title = fields.String(required=True, allow_none=True)
    route = fields.String(required=True, allow_none=True)
    occurred_at = nullable_time()
    occurred_on = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    author = fields.String(required=True)
    device_id = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(vocab.REVIEW_STATUSES))
    status_since = nullable_time()
    updated_at = nullable_time()
    rev = fields.Integer(required=True)
    open_conflicts = fields.Integer(required=True)
    retracted = fields.Boolean(required=True)
    persons = fields.Integer(required=True)
    victims = fields.Integer(required=True)
    overdue = fields.Boolean(required=True)
    alerts = detection.alert_types_field()


class QueuePageSchema(Schema):
    """``GET /reports``: a page of the queue, its total and the counts per status."""

    reports = fields.List(fields.Nested(QueueEntrySchema), required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    has_more = fields.Boolean(required=True)


class ConflictListSchema(Schema):
    """``GET /conflicts`` answer."""

    conflicts = fields.List(fields.Nested(ConflictDetailSchema), required=True)


class ConflictOneSchema(Schema):
    """``GET /conflicts/<id>`` answer."""

    conflict = fields.Nested(ConflictDetailSchema, required=True)


class ResolutionSchema(Schema):
    """``POST /conflicts/<id>/resolve`` answer: the new document and the resolved conflict."""

    report = fields.Nested(rs.ReportDocumentSchema, required=True)
    conflict = fields.Nested(ConflictDetailSchema, required=True)


class ResolveRequestSchema(Schema):
    """Body of ``POST /conflicts/<id>/resolve``: exactly one of ``choose`` and ``value``."""

    choose = fields.String(validate=validate.OneOf(["kept", "lost"]))
    value = fields.Raw(
        allow_none=True, metadata={"description": "a value valid for the conflict's unit"}
    )
    rev = fields.Integer(metadata={"description": "the revision looked at (409 if stale)"})


# -- aggregates (GeoJSON: server.openapi.geo_schemas) --------------------------


class AggregateRowSchema(Schema):
    """One group of the aggregates: its group values, then the counts (null below min_count)."""

    class Meta:
        unknown = INCLUDE  # the group columns named in group_by

    reports = fields.Integer(required=True, allow_none=True)
    persons = fields.Integer(required=True, allow_none=True)
    victims = fields.Integer(required=True, allow_none=True)
    victims_minor = fields.Integer(required=True, allow_none=True)
    victims_female = fields.Integer(required=True, allow_none=True)
    suspects = fields.Integer(required=True, allow_none=True)
    witnesses = fields.Integer(required=True, allow_none=True)
    foreign_nationals = fields.Integer(required=True, allow_none=True)
    applicants = fields.Integer(required=True, allow_none=True)


class AggregateSourceSchema(Schema):
    """Which maintained count table answered, and how many edge days came from day cells."""

    table = fields.String(required=True)
    edge_days = fields.Integer(required=True)


class AggregatesSchema(Schema):
    """``GET /aggregates`` as JSON."""

    group_by = fields.List(fields.String(), required=True)
    from_ = fields.String(
        data_key="from", required=True, allow_none=True, metadata={"format": "date"}
    )
    to = fields.String(required=True, allow_none=True, metadata={"format": "date"})
    status = fields.List(fields.String(), required=True)
    min_count = fields.Integer(required=True, allow_none=True)
    rows = fields.List(fields.Nested(AggregateRowSchema), required=True)
    source = fields.Nested(AggregateSourceSchema, required=True)


class BlobStoredSchema(Schema):
    """A blob upload that completed (or was already complete)."""

    sha256 = fields.String(required=True)
    bytes = fields.Integer(required=True)
    complete = fields.Boolean(required=True)


class BlobPartialSchema(Schema):
    """A resumable blob upload after a chunk: resume at ``offset``."""

    sha256 = fields.String(required=True)
    offset = fields.Integer(required=True)
    total = fields.Integer(required=True)
    complete = fields.Boolean(required=True)


# -- query strings ---------------------------------------------------------------

_LIST = "one value, several comma-separated, or the parameter repeated"


def _list_of(choices: tuple[str, ...], description: str) -> fields.String:
    """A comma-separated list of ``choices`` (the server also takes spaces and repeats)."""
    one = "(" + "|".join(choices) + ")"
    return fields.String(
        validate=validate.Regexp(f"^{one}(,{one})*$"), metadata={"description": description}
    )


class QueueQuerySchema(Schema):
    """Filters of ``GET /reports`` and ``GET /reports.geojson``."""

    status = _list_of(vocab.REVIEW_STATUSES, f"review status; {_LIST}")
    kind = _list_of(vocab.KINDS, f"report kind; {_LIST}")
    post = fields.String(metadata={"description": f"post code; {_LIST}"})
    from_ = fields.Date(data_key="from", metadata={"description": "occurred on or after"})
    to = fields.Date(metadata={"description": "occurred on or before"})
    route = fields.String(metadata={"description": "part of the route, any case"})
    q = fields.String(metadata={"description": "text search (also as text=)"})
    page = fields.Integer(validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(validate=validate.Range(min=1, max=200))
    alert = _list_of(detection.ALERT_TYPES, f"reports with an alert of this type; {_LIST}")


class ConflictsQuerySchema(Schema):
    """Filters of ``GET /conflicts``."""

    status = fields.String(validate=validate.OneOf(["open", "resolved"]))
    post = fields.String()
    report_id = fields.String()


class AggregatesQuerySchema(Schema):
    """Parameters of ``GET /aggregates``."""

    group_by = _list_of(GROUPS, "distinct group names, comma-separated")
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    status = _list_of(vocab.REVIEW_STATUSES, "review statuses, comma-separated")
    min_count = fields.Integer(
        validate=validate.Range(min=1),
        metadata={"description": "counts below this are blanked (null, empty in CSV)"},
    )
    format = fields.String(validate=validate.OneOf(["json", "csv"]))
