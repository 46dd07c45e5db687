"""The OpenAPI 3.1 document of ``/api/v1``, generated with apispec from marshmallow schemas.

Request bodies come from the schemas the views validate with (``sync.wire``,
``server.openapi.requests``); answers and query strings from the schemas that describe
what the views assemble (``server.openapi.schemas``, ``sync.report_schema``).
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

from server.infra.problems import PROBLEM_MIME
from server.openapi import schemas
from server.openapi.operations import ERRORS
from server.openapi.paths import paths
from sync import PROTOCOL_VERSION, hlc, wire

OPENAPI_VERSION = "3.1.0"
PREFIX = "/api/v1"
_CACHE_KEY = "patroli.openapi"
JSON = "application/json"


def _wire_formats(self: Any, field: fields.Field, **_: Any) -> dict[str, Any]:
    """apispec attribute function: the formats that wire fields check by code."""
    if isinstance(field, wire.HLCString):
        return {"pattern": hlc.PATTERN}
    if isinstance(field, wire.UUIDString):
        return {"format": "uuid"}
    return {}


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
    spec.components.schema("Problem", schema=schemas.ProblemSchema)
    problem = {"$ref": "#/components/schemas/Problem"}
    for _status, (name, description) in ERRORS.items():
        spec.components.response(
            name, {"description": description, "content": {PROBLEM_MIME: {"schema": problem}}}
        )
    spec.components.schema("Change", schema=wire.ChangeSchema)
    for path, operations in paths(app.config).items():
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
