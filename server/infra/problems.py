"""RFC 9457 problem details (``application/problem+json``) for every error."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

PROBLEM_MIME = "application/problem+json"

TITLES = {
    "malformed-body": "Malformed request body",
    "validation-failed": "Validation failed",
    "unauthorized": "Authentication required",
    "device-revoked": "This device has been revoked",
    "forbidden": "Not allowed",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "stale-revision": "The report changed since you looked at it",
    "conflict": "Conflict",
    "cursor-expired": "Cursor expired",
    "payload-too-large": "Payload too large",
    "unsupported-media-type": "Unsupported media type",
    "rate-limited": "Too many requests",
    "hash-mismatch": "Content does not match its hash",
    "range-not-satisfiable": "Range not satisfiable",
    "internal-error": "Internal server error",
    "not-configured": "Not configured on this server",
}

_BY_STATUS = {
    400: "malformed-body",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    410: "cursor-expired",
    413: "payload-too-large",
    415: "unsupported-media-type",
    416: "range-not-satisfiable",
    429: "rate-limited",
}

log = logging.getLogger("patroli.errors")


class Problem(Exception):
    """An error answered as problem+json; raise it anywhere in a request."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        errors: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail
        self.errors, self.headers, self.extra = errors, headers or {}, extra


def problem_response(problem: Problem) -> Response:
    """Render a Problem as an HTTP response."""
    body: dict[str, Any] = {
        "type": f"urn:patroli:problem:{problem.slug}",
        "title": TITLES.get(problem.slug, problem.slug),
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = problem.errors
    body.update(problem.extra)
    resp = Response(orjson.dumps(body), status=problem.status, mimetype=PROBLEM_MIME)
    for key, value in problem.headers.items():
        resp.headers[key] = value
    return resp


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    slug = _BY_STATUS.get(status, "internal-error" if status >= 500 else "malformed-body")
    detail = exc.description or TITLES.get(slug, "")
    if status == 413:
        detail = "The request body is larger than this server accepts (see /api/v1/meta)."
    problem = Problem(status, slug, detail)
    resp = problem_response(problem)
    if status == 405 and getattr(exc, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return problem_response(
        Problem(
            500,
            "internal-error",
            "The server hit an unexpected error; nothing was lost on your side, try again later.",
        )
    )


def init_app(app: Flask) -> None:
    """Answer every error with problem+json."""
    app.register_error_handler(Problem, problem_response)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
