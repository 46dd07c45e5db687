"""The OpenAPI 3.1 document of ``/api/v1``, generated with apispec from marshmallow schemas.

Request bodies come from the schemas the views validate with (``sync.wire``,
``server.api.*``); answers and query strings from the schemas that describe
what the views assemble (``server.openapi_schemas``, ``sync.report_schema``).
Every error is ``application/problem+json`` (DESIGN §3).  The document is
built on the first request for it, from the app's own limits, and kept.
"""

from __future__ import annotations

from typing import Any

import orjson
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask
from marshmallow import fields

from server.api.auth_tokens import TokenRequestSchema
from server.api.devices import EnrollmentCodeSchema, EnrollSchema, RevokeSchema
from server.api.reports import ReviewSchema
from server.infra.problems import PROBLEM_MIME
from server.openapi import schemas as S
from sync import PROTOCOL_VERSION, wire
from sync import hlc as H

OPENAPI_VERSION = "3.1.0"
PREFIX = "/api/v1"
_CACHE_KEY = "patroli.openapi"
JSON = "application/json"
BINARY = {"type": "string", "format": "binary"}

#: Every error status the API answers, with the problem slugs it carries.
ERRORS = {
    400: (
        "BadRequest",
        "malformed-body (not JSON, not an object, bad gzip, a NUL character) or "
        "validation-failed, with `errors` per field",
    ),
    401: ("Unauthorized", "unauthorized (no, wrong or expired credentials) or device-revoked"),
    403: ("Forbidden", "forbidden: the caller's role may not do this"),
    404: ("NotFound", "not-found; also what exists outside the caller's scope"),
    409: ("Conflict", "stale-revision, or conflict (already done, or an upload out of order)"),
    410: ("Gone", "cursor-expired: download the scope again without a cursor"),
    413: ("PayloadTooLarge", "payload-too-large (see /api/v1/meta for the limits)"),
    415: ("UnsupportedMediaType", "unsupported-media-type (content type or encoding)"),
    416: ("RangeNotSatisfiable", "range-not-satisfiable"),
    422: ("Unprocessable", "validation-failed (a value not valid here) or hash-mismatch"),
    429: ("RateLimited", "rate-limited: too many failed attempts from this address"),
}
_BODY_ERRORS = (400, 413, 415)


def _wire_formats(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """apispec attribute function: the formats that wire fields check by code."""
    if isinstance(field, wire.HLCString):
        return {"pattern": H.PATTERN}
    if isinstance(field, wire.UUIDString):
        return {"format": "uuid"}
    return {}


def _json(schema: Any, description: str, mime: str = JSON) -> dict[str, Any]:
    """A success answer with a body of ``schema``."""
    return {"description": description, "content": {mime: {"schema": schema}}}


def _body(schema: Any, required: bool = True) -> dict[str, Any]:
    """A JSON request body of ``schema``."""
    return {"required": required, "content": {JSON: {"schema": schema}}}


def _path(name: str, description: str, **schema: Any) -> dict[str, Any]:
    """A path parameter (a string, narrowed by ``schema``)."""
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def _query(schema: Any) -> dict[str, Any]:
    """Query parameters, one per field of a marshmallow schema (apispec expands them)."""
    return {"in": "query", "schema": schema}


def _op(
    summary: str,
    tag: str,
    ok: dict[str, Any],
    errors: tuple[int, ...] = (),
    *,
    body: dict[str, Any] | None = None,
    params: list[dict[str, Any]] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    """One operation: its answers, the problems it can answer, its inputs and security."""
    codes = set(errors) | (set(_BODY_ERRORS) if body else set())
    if params:
        codes.add(400)  # a NUL anywhere in the path or query is refused (server.input_guard)
    if not public:
        codes.add(401)
    op: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {**ok, **{str(c): ERRORS[c][0] for c in sorted(codes)}},
        "security": [] if public else [{"bearer": []}],
    }
    if body:
        op["requestBody"] = body
    if params:
        op["parameters"] = params
    return op


def _paths(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation of ``/api/v1``, by path (relative to the prefix) and method."""
    report_id = _path("report_id", "the report's UUID", format="uuid")
    sha = _path("sha256", "sha256 of the content, lowercase hex", pattern="^[0-9a-f]{64}$")
    pull_limit = {
        "in": "query",
        "name": "limit",
        "schema": {"type": "integer", "minimum": 1, "maximum": config["PATROLI_PULL_MAX_LIMIT"]},
        "description": f"changes per page (default {config['PATROLI_PULL_LIMIT']})",
    }
    cursor = {"in": "query", "name": "cursor", "schema": {"type": "string"}}
    blob_ok = {m: {"schema": BINARY} for m in ("image/*", "application/pdf")}
    upload_offset = {"Upload-Offset": {"schema": {"type": "integer"}}}
    return {
        "/meta": {
            "get": _op(
                "Protocol version, limits and server time",
                "meta",
                {"200": _json(wire.MetaSchema, "limits")},
                public=True,
            )
        },
        "/openapi.json": {
            "get": _op(
                "This document",
                "meta",
                {"200": _json({"type": "object"}, "the OpenAPI document")},
                public=True,
            )
        },
        "/auth/token": {
            "post": _op(
                "A bearer token for a commander, HQ analyst or admin",
                "auth",
                {"200": _json(S.TokenResponseSchema, "an expiring token")},
                (401, 403, 429),
                body=_body(TokenRequestSchema),
                public=True,
            )
        },
        "/devices/enroll": {
            "post": _op(
                "Enroll a device with a one-time code",
                "devices",
                {"201": _json(S.EnrollResponseSchema, "enrolled")},
                (401, 429),
                body=_body(EnrollSchema),
                public=True,
            )
        },
        "/devices": {
            "get": _op(
                "Devices of the caller's post(s) with their sync health",
                "devices",
                {"200": _json(S.DeviceListSchema, "devices")},
                (403,),
            )
        },
        "/devices/enrollment-codes": {
            "post": _op(
                "Issue a one-time enrollment code for an officer",
                "devices",
                {"201": _json(S.EnrollmentCodeResponseSchema, "the code, shown only here")},
                (403, 404),
                body=_body(EnrollmentCodeSchema),
            )
        },
        "/devices/{device_id}/revoke": {
            "post": _op(
                "Revoke a device: its token stops working at once",
                "devices",
                {"200": _json(S.DeviceOneSchema, "the revoked device")},
                (403, 404),
                body=_body(RevokeSchema, required=False),
                params=[_path("device_id", "the device's UUID", format="uuid")],
            )
        },
        "/sync/push": {
            "post": _op(
                "Push a batch of ops; one result per op, in order",
                "sync",
                {"200": _json(wire.PushResponseSchema, "a result per op")},
                (403,),
                body=_body(wire.PushRequestSchema),
            )
        },
        "/sync/pull": {
            "get": _op(
                "Every report of the device's post changed after the cursor",
                "sync",
                {"200": _json(wire.PullResponseSchema, "a page of changes")},
                (403, 410),
                params=[cursor, pull_limit],
            )
        },
        "/reports": {
            "get": _op(
                "The review queue, filtered and paginated",
                "reports",
                {"200": _json(S.QueuePageSchema, "a page of the queue")},
                params=[_query(S.QueueQuerySchema)],
            )
        },
        "/reports.geojson": {
            "get": _op(
                "Reports with a location as GeoJSON, same filters as the queue",
                "reports",
                {"200": _json(S.FeatureCollectionSchema, "features", "application/geo+json")},
                params=[_query(S.QueueQuerySchema)],
            )
        },
        "/reports/{report_id}": {
            "get": _op(
                "One report with its history and conflicts",
                "reports",
                {"200": _json(S.ReportViewSchema, "the report")},
                (404,),
                params=[report_id],
            )
        },
        "/reports/{report_id}/review": {
            "post": _op(
                "A commander's review decision on the revision looked at",
                "reports",
                {"200": _json(S.ReportOnlySchema, "the reviewed document")},
                (403, 404, 409, 422),
                body=_body(ReviewSchema),
                params=[report_id],
            )
        },
        "/conflicts": {
            "get": _op(
                "Conflict records of the caller's post(s)",
                "conflicts",
                {"200": _json(S.ConflictListSchema, "conflicts, oldest first")},
                params=[_query(S.ConflictsQuerySchema)],
            )
        },
        "/conflicts/{conflict_id}": {
            "get": _op(
                "One conflict record",
                "conflicts",
                {"200": _json(S.ConflictOneSchema, "the conflict")},
                (404,),
                params=[_path("conflict_id", "the conflict's id")],
            )
        },
        "/conflicts/{conflict_id}/resolve": {
            "post": _op(
                "Resolve a conflict: keep a side or write a value (a new revision)",
                "conflicts",
                {"200": _json(S.ResolutionSchema, "the new document and the conflict")},
                (403, 404, 409, 422),
                body=_body(S.ResolveRequestSchema),
                params=[_path("conflict_id", "the conflict's id")],
            )
        },
        "/aggregates": {
            "get": _op(
                "Counts for HQ, grouped, as JSON or CSV",
                "aggregates",
                {
                    "200": {
                        "description": "rows (CSV: the same columns, group columns first)",
                        "content": {
                            JSON: {"schema": S.AggregatesSchema},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    }
                },
                (403,),
                params=[_query(S.AggregatesQuerySchema)],
            )
        },
        "/blobs/{sha256}": {
            "head": _op(
                "Is the blob stored? (devices: upload status; people: as GET, without the bytes)",
                "blobs",
                {
                    "200": {"description": "stored", "headers": upload_offset},
                    "206": {"description": "people: the requested range"},
                    "304": {"description": "people: not modified (If-None-Match)"},
                },
                (404, 416),
                params=[sha],
            ),
            "get": _op(
                "The blob's bytes, for a caller whose scope references it (ranges supported)",
                "blobs",
                {
                    "200": {
                        "description": "the bytes",
                        "content": {**blob_ok, "application/octet-stream": {"schema": BINARY}},
                    },
                    "206": {"description": "the requested range", "content": blob_ok},
                    "304": {"description": "not modified (If-None-Match)"},
                },
                (404, 416),
                params=[sha],
            ),
            "put": _op(
                "Upload a blob whole, or a chunk of a resumable upload (Content-Range)",
                "blobs",
                {
                    "200": _json(S.BlobStoredSchema, "already stored"),
                    "201": _json(S.BlobStoredSchema, "stored"),
                    "202": _json(S.BlobPartialSchema, "chunk committed; resume at Upload-Offset"),
                },
                (403, 409, 422),
                body={"required": True, "content": blob_ok},
                params=[
                    sha,
                    {
                        "in": "header",
                        "name": "Content-Range",
                        "schema": {"type": "string", "pattern": r"^bytes \d+-\d+/\d+$"},
                        "description": "bytes FIRST-LAST/TOTAL for a chunk",
                    },
                ],
            ),
        },
    }


def build(app: Flask) -> dict[str, Any]:
    """Generate the document from the schemas and the app's limits."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Patroli API",
        version=str(PROTOCOL_VERSION),
        openapi_version=OPENAPI_VERSION,
        plugins=[plugin],
        info={
            "description": "Offline-first field reporting with sync (docs/protocol.md). "
            "Bodies are JSON and may be gzip-compressed; errors are RFC 9457 problems "
            "of type urn:patroli:problem:<slug>."
        },
    )
    plugin.converter.add_attribute_function(_wire_formats)
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "a device token (enrollment) or a person's token (/auth/token)",
        },
    )
    spec.components.schema("Problem", schema=S.ProblemSchema)
    problem = {"$ref": "#/components/schemas/Problem"}
    for _status, (name, description) in ERRORS.items():
        spec.components.response(
            name, {"description": description, "content": {PROBLEM_MIME: {"schema": problem}}}
        )
    spec.components.schema("Change", schema=wire.ChangeSchema)
    for path, operations in _paths(app.config).items():
        spec.path(path=PREFIX + path, operations=operations)
    doc = spec.to_dict()
    # The envelope takes any objects as changes (wire.PushRequestSchema): each
    # is judged on its own and a bad one is rejected in its result, so the
    # batch goes on.  What a client must send is a Change.
    changes = doc["components"]["schemas"]["PushRequest"]["properties"]["changes"]
    changes["items"] = {"$ref": "#/components/schemas/Change"}
    changes["description"] = "each a Change; an invalid one is rejected in its own result"
    return doc


def document_bytes(app: Flask) -> bytes:
    """The document as JSON, built once per app."""
    cached = app.extensions.get(_CACHE_KEY)
    if cached is None:
        cached = app.extensions[_CACHE_KEY] = orjson.dumps(build(app))
    return cached
