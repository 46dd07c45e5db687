"""Every operation of ``/api/v1``, by path (relative to the prefix) and method.

Grouped by what they serve; the groups are merged in the order the document lists them.
"""

from __future__ import annotations

from typing import Any

from server.detection.api_schemas import paths as detection_paths
from server.openapi import geo_schemas, schemas
from server.openapi.operations import (
    BINARY,
    JSON,
    json_answer,
    json_body,
    operation,
    path_param,
    query_params,
)
from server.openapi.requests import (
    EnrollmentCodeSchema,
    EnrollSchema,
    ReviewSchema,
    RevokeSchema,
    TokenRequestSchema,
)
from sync import wire


def _meta_and_auth() -> dict[str, dict[str, Any]]:
    return {
        "/meta": {
            "get": operation(
                "Protocol version, limits and server time",
                "meta",
                {"200": json_answer(wire.MetaSchema, "limits")},
                public=True,
            )
        },
        "/openapi.json": {
            "get": operation(
                "This document",
                "meta",
                {"200": json_answer({"type": "object"}, "the OpenAPI document")},
                public=True,
            )
        },
        "/vocabularies": {
            "get": operation(
                "Report vocabularies with Indonesian and English labels, per-kind required fields",
                "meta",
                {"200": json_answer({"type": "object"}, "codes, labels, rules, post zones")},
                public=True,
            )
        },
        "/auth/token": {
            "post": operation(
                "A bearer token for a commander, HQ analyst or admin",
                "auth",
                {"200": json_answer(schemas.TokenResponseSchema, "an expiring token")},
                (401, 403, 429),
                body=json_body(TokenRequestSchema),
                public=True,
            )
        },
    }


def _devices() -> dict[str, dict[str, Any]]:
    return {
        "/devices/enroll": {
            "post": operation(
                "Enroll a device with a one-time code",
                "devices",
                {"201": json_answer(schemas.EnrollResponseSchema, "enrolled")},
                (401, 429),
                body=json_body(EnrollSchema),
                public=True,
            )
        },
        "/devices": {
            "get": operation(
                "Devices of the caller's post(s) with their sync health",
                "devices",
                {"200": json_answer(schemas.DeviceListSchema, "devices")},
                (403,),
            )
        },
        "/devices/enrollment-codes": {
            "post": operation(
                "Issue a one-time enrollment code for an officer",
                "devices",
                {
                    "201": json_answer(
                        schemas.EnrollmentCodeResponseSchema, "the code, shown only here"
                    )
                },
                (403, 404),
                body=json_body(EnrollmentCodeSchema),
            )
        },
        "/devices/{device_id}/revoke": {
            "post": operation(
                "Revoke a device: its token stops working at once",
                "devices",
                {"200": json_answer(schemas.DeviceOneSchema, "the revoked device")},
                (403, 404),
                body=json_body(RevokeSchema, required=False),
                params=[path_param("device_id", "the device's UUID", format="uuid")],
            )
        },
    }


def _sync(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    pull_limit = {
        "in": "query",
        "name": "limit",
        "schema": {"type": "integer", "minimum": 1, "maximum": config["PATROLI_PULL_MAX_LIMIT"]},
        "description": f"changes per page (default {config['PATROLI_PULL_LIMIT']})",
    }
    cursor = {"in": "query", "name": "cursor", "schema": {"type": "string"}}
    skip_echo = {
        "in": "query",
        "name": "skip_echo",
        "schema": {"type": "integer", "enum": [0, 1], "default": 0},
        "description": "1: leave out reports whose latest change is this device's own "
        "applied op (the device keeps that op's server_fields)",
    }
    return {
        "/sync/push": {
            "post": operation(
                "Push a batch of ops; one result per op, in order",
                "sync",
                {"200": json_answer(wire.PushResponseSchema, "a result per op")},
                (403,),
                body=json_body(wire.PushRequestSchema),
            )
        },
        "/sync/pull": {
            "get": operation(
                "Every report of the device's post changed after the cursor",
                "sync",
                {"200": json_answer(wire.PullResponseSchema, "a page of changes")},
                (403, 410),
                params=[cursor, pull_limit, skip_echo],
            )
        },
    }


def _reports() -> dict[str, dict[str, Any]]:
    report_id = path_param("report_id", "the report's UUID", format="uuid")
    return {
        "/reports": {
            "get": operation(
                "The review queue, filtered and paginated",
                "reports",
                {"200": json_answer(schemas.QueuePageSchema, "a page of the queue")},
                params=[query_params(schemas.QueueQuerySchema)],
            )
        },
        "/reports.geojson": {
            "get": operation(
                "Reports with a location as GeoJSON: streamed whole, or paged with limit",
                "reports",
                {
                    "200": json_answer(
                        geo_schemas.FeatureCollectionSchema,
                        "every feature (no limit), or a page with its count and next link",
                        "application/geo+json",
                    )
                },
                params=[query_params(geo_schemas.GeoQuerySchema)],
            )
        },
        "/reports/{report_id}": {
            "get": operation(
                "One report with its history and conflicts",
                "reports",
                {"200": json_answer(schemas.ReportViewSchema, "the report")},
                (404,),
                params=[report_id],
            )
        },
        "/reports/{report_id}/review": {
            "post": operation(
                "A commander's review decision on the revision looked at",
                "reports",
                {"200": json_answer(schemas.ReportOnlySchema, "the reviewed document")},
                (403, 404, 409, 422),
                body=json_body(ReviewSchema),
                params=[report_id],
            )
        },
    }


def _conflicts_and_aggregates() -> dict[str, dict[str, Any]]:
    return {
        "/conflicts": {
            "get": operation(
                "Conflict records of the caller's post(s)",
                "conflicts",
                {"200": json_answer(schemas.ConflictListSchema, "conflicts, oldest first")},
                params=[query_params(schemas.ConflictsQuerySchema)],
            )
        },
        "/conflicts/{conflict_id}": {
            "get": operation(
                "One conflict record",
                "conflicts",
                {"200": json_answer(schemas.ConflictOneSchema, "the conflict")},
                (404,),
                params=[path_param("conflict_id", "the conflict's id")],
            )
        },
        "/conflicts/{conflict_id}/resolve": {
            "post": operation(
                "Resolve a conflict: keep a side or write a value (a new revision)",
                "conflicts",
                {"200": json_answer(schemas.ResolutionSchema, "the new document and the conflict")},
                (403, 404, 409, 422),
                body=json_body(schemas.ResolveRequestSchema),
                params=[path_param("conflict_id", "the conflict's id")],
            )
        },
        "/aggregates": {
            "get": operation(
                "Counts for HQ, grouped, as JSON or CSV",
                "aggregates",
                {
                    "200": {
                        "description": "rows (CSV: the same columns, group columns first)",
                        "content": {
                            JSON: {"schema": schemas.AggregatesSchema},
                            "text/csv": {"schema": {"type": "string"}},
                        },
                    }
                },
                (403,),
                params=[query_params(schemas.AggregatesQuerySchema)],
            )
        },
    }


def _blobs() -> dict[str, dict[str, Any]]:
    sha = path_param("sha256", "sha256 of the content, lowercase hex", pattern="^[0-9a-f]{64}$")
    blob_ok = {m: {"schema": BINARY} for m in ("image/*", "application/pdf")}
    upload_offset = {"Upload-Offset": {"schema": {"type": "integer"}}}
    return {
        "/blobs/{sha256}": {
            "head": operation(
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
            "get": operation(
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
            "put": operation(
                "Upload a blob whole, or a chunk of a resumable upload (Content-Range)",
                "blobs",
                {
                    "200": json_answer(schemas.BlobStoredSchema, "already stored"),
                    "201": json_answer(schemas.BlobStoredSchema, "stored"),
                    "202": json_answer(
                        schemas.BlobPartialSchema, "chunk committed; resume at Upload-Offset"
                    ),
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


def paths(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every operation, by path and method, with the limits of ``config``."""
    return {
        **_meta_and_auth(),
        **_devices(),
        **_sync(config),
        **_reports(),
        **_conflicts_and_aggregates(),
        **_blobs(),
        **detection_paths(operation, json_answer, query_params),
    }
