"""Reading request bodies: content type, gzip, size limits, JSON.

A body is read to its real end, or refused as soon as it passes the limit:
one ``read(n)`` of a WSGI stream may return fewer bytes than are coming (a
chunked body arrives chunk by chunk), and parsing what the first read gave
would apply a prefix of a larger, refused body.

The size limit holds after decompression too: a gzip body is inflated in
bounded steps and refused as soon as it would pass ``max_batch_bytes``, so
a gzip bomb costs the server at most that much memory.
"""

from __future__ import annotations

import zlib
from typing import Any

from flask import current_app, request

from server.http import strict_json
from server.http.input_guard import has_nul, nul_problem
from server.infra.problems import Problem

_CHUNK = 64 * 1024


def _too_large(limit: int) -> Problem:
    return Problem(
        413,
        "payload-too-large",
        f"The request body is larger than {limit} bytes (max_batch_bytes); "
        "send fewer changes per batch.",
    )


def _inflate(raw: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    data = raw
    try:
        while data:
            out += inflater.decompress(data, limit + 1 - len(out))
            if len(out) > limit:
                raise _too_large(limit)
            data = inflater.unconsumed_tail
        out += inflater.flush(limit + 1 - len(out))
    except zlib.error:
        raise Problem(400, "malformed-body", "The body is not valid gzip data.") from None
    if len(out) > limit:
        raise _too_large(limit)
    return bytes(out)


def _read_to_end(limit: int) -> bytes:
    """Every byte of the body, or a 413 once more than ``limit`` have come."""
    stream = request.stream
    out = bytearray()
    while True:
        piece = stream.read(min(_CHUNK, limit + 1 - len(out)))
        if not piece:
            return bytes(out)
        out += piece
        if len(out) > limit:
            raise _too_large(limit)


def raw_body(limit: int | None = None) -> bytes:
    """The request body, decompressed if gzip, refused past ``limit`` bytes."""
    limit = limit or current_app.config["PATROLI_MAX_BATCH_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise _too_large(limit)
    raw = _read_to_end(limit)
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding == "gzip":
        return _inflate(raw, limit)
    if encoding != "identity":
        raise Problem(
            415,
            "unsupported-media-type",
            f"Content-Encoding {encoding!r} is not supported; use gzip or none.",
        )
    return raw


def json_body(limit: int | None = None) -> Any:
    """The request body parsed as JSON, with clear problems for every way it can fail."""
    mime = request.mimetype
    if mime != "application/json":
        raise Problem(
            415,
            "unsupported-media-type",
            "Send the body as application/json" + (f" (got {mime})." if mime else "."),
        )
    data = raw_body(limit)
    if not data:
        raise Problem(400, "malformed-body", "The request body is empty; JSON was expected.")
    try:
        body = strict_json.loads(data)
    except strict_json.InvalidJSON as exc:
        raise Problem(400, "malformed-body", str(exc)) from None
    # orjson turns only the escape \u0000 into a NUL (a raw one is invalid JSON).
    if b"u0000" in data and has_nul(body):
        raise nul_problem()
    return body


def json_object(limit: int | None = None) -> dict[str, Any]:
    """The request body as a JSON object (not a list or a scalar)."""
    body = json_body(limit)
    if not isinstance(body, dict):
        raise Problem(400, "malformed-body", "The body must be a JSON object.")
    return body
