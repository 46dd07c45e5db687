"""Building blocks of the OpenAPI operations: answers, bodies, parameters, error responses."""

from __future__ import annotations

from typing import Any

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
    503: ("Unavailable", "not-configured: the server lacks a setting this needs"),
}
BODY_ERRORS = (400, 413, 415)


def json_answer(schema: Any, description: str, mime: str = JSON) -> dict[str, Any]:
    """A success answer with a body of ``schema``."""
    return {"description": description, "content": {mime: {"schema": schema}}}


def json_body(schema: Any, required: bool = True) -> dict[str, Any]:
    """A JSON request body of ``schema``."""
    return {"required": required, "content": {JSON: {"schema": schema}}}


def path_param(name: str, description: str, **schema: Any) -> dict[str, Any]:
    """A path parameter (a string, narrowed by ``schema``)."""
    return {
        "in": "path",
        "name": name,
        "required": True,
        "description": description,
        "schema": {"type": "string", **schema},
    }


def query_params(schema: Any) -> dict[str, Any]:
    """Query parameters, one per field of a marshmallow schema (apispec expands them)."""
    return {"in": "query", "schema": schema}


def operation(
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
    codes = set(errors) | (set(BODY_ERRORS) if body else set())
    if params:
        codes.add(400)  # a NUL anywhere in the path or query is refused (server.http.input_guard)
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
