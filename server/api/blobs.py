"""``HEAD/PUT/GET /api/v1/blobs/<sha256>``: evidence photos and scans (DESIGN §3 "Blobs").

Who may do what:

- ``PUT``: enrolled field devices only.  Officers are the only ones who add
  attachments (``attachments.<sha256>`` is a device-writable unit);
  commanders, HQ and admins cannot reference a blob in a report, so an
  upload from them could only ever be an orphan.
- ``HEAD`` from a device answers the upload protocol: 200 when the blob is
  stored, 404 (with ``Upload-Offset`` for a partial upload) when not,
  whatever post references it.  That tells a device only that a file it
  already holds is on the server, and it is what lets two devices that
  attach the same photo store it once.
- ``GET`` (and ``HEAD`` from a person) only for a caller whose scope holds a
  report that references the hash; everyone else gets the same 404 as for
  an unknown hash.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

from server.http.auth import Principal, current_principal, require, require_device
from server.infra import blobstore as bs
from server.infra.blob_files import store_for
from server.infra.db import db
from server.infra.problems import Problem
from server.reports import blob_refs
from sync import vocab

bp = Blueprint("blobs", __name__)

_CONTENT_RANGE = re.compile(r"bytes (\d{1,15})-(\d{1,15})/(\d{1,15})")
_NOT_FOUND = "No such blob."
# Served bytes are evidence, not pages: never sniffed, never run as script
# (an image/svg+xml upload could otherwise carry one).
_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "Cache-Control": "private, no-cache",
}


def _allowed_mime(mime: str) -> bool:
    return mime in vocab.ATTACHMENT_MIMES or mime.startswith(vocab.ATTACHMENT_MIME_PREFIXES)


def _offset_headers(offset: int, total: int | None = None) -> dict[str, str]:
    headers = {"Upload-Offset": str(offset)}
    if total is not None:
        headers["Upload-Length"] = str(total)
    return headers


def _not_found(headers: dict[str, str] | None = None) -> Problem:
    return Problem(404, "not-found", _NOT_FOUND, headers=headers)


# -- reading ---------------------------------------------------------------


@bp.route("/blobs/<sha256>", methods=["GET"])
@require("officer", "commander", "hq", "admin")
def get_blob(sha256: str) -> ResponseReturnValue:
    """The blob's bytes for a caller whose scope references it (HEAD: a device's upload check)."""
    principal = current_principal()
    if request.method == "HEAD" and principal.device is not None:
        return _upload_status(sha256)
    if not bs.is_sha256(sha256):
        raise _not_found()
    mime = _mime_in_scope(principal, sha256)
    try:
        f, size = store_for(current_app).open(sha256)
    except FileNotFoundError:
        raise Problem(404, "not-found", "That attachment has not been uploaded yet.") from None
    return _send(f, size, sha256, mime)


def _mime_in_scope(principal: Principal, sha256: str) -> str:
    """The media type recorded for the blob in a report the caller sees; 404 when none."""
    with db.engine.connect() as conn:
        posts = blob_refs.referencing_posts(conn, sha256)
    mimes = sorted(mime for post, mime in posts.items() if principal.sees_post(post))
    if not mimes:
        raise _not_found()
    usable = [m for m in mimes if _allowed_mime(m)]
    return usable[0] if usable else "application/octet-stream"


def _send(f: Any, size: int, sha256: str, mime: str) -> Response:
    resp = Response(wrap_file(request.environ, f), mimetype=mime, direct_passthrough=True)
    resp.call_on_close(f.close)
    resp.content_length = size
    resp.set_etag(sha256)
    resp.headers.update(_SAFE_HEADERS)
    try:
        return resp.make_conditional(request, accept_ranges=True, complete_length=size)
    except RequestedRangeNotSatisfiable:
        f.close()
        raise


def _upload_status(sha256: str) -> Response:
    """HEAD for devices: 200 stored, 404 unknown, 404 + Upload-Offset while partial."""
    if not bs.is_sha256(sha256):
        raise _not_found()
    store = store_for(current_app)
    # Partial first: an upload completing between the two looks complete,
    # never like a part file with every byte and no blob yet.
    partial = store.partial(sha256)
    size = store.size(sha256)
    if size is not None:
        resp = Response(status=200, headers=_offset_headers(size, size))
        resp.content_length = size
        return resp
    if partial is not None:
        raise Problem(
            404,
            "not-found",
            "The upload of this blob is incomplete; resume at Upload-Offset.",
            headers=_offset_headers(partial.offset, partial.total),
        )
    raise _not_found()


# -- uploading -------------------------------------------------------------


def _declared() -> tuple[int, int, int] | None:
    """``(first, last, total)`` from ``Content-Range``, ``None`` without one."""
    raw = request.headers.get("Content-Range")
    if raw is None:
        return None
    match = _CONTENT_RANGE.fullmatch(raw.strip())
    first, last, total = (int(g) for g in match.groups()) if match else (0, -1, 0)
    if not match or first > last or last >= total:
        raise Problem(
            400,
            "malformed-body",
            "Content-Range must be 'bytes FIRST-LAST/TOTAL' with FIRST <= LAST < TOTAL.",
            errors={"Content-Range": ["must be bytes FIRST-LAST/TOTAL"]},
        )
    return first, last, total


def _too_large(size: int, limit: int) -> Problem:
    return Problem(
        413,
        "payload-too-large",
        f"This blob is {size} bytes; the server accepts at most {limit} (max_blob_bytes).",
    )


def _check_request(sha256: str) -> str:
    """Refuse a bad name, media type or encoding before anything is read; return the type."""
    if not bs.is_sha256(sha256):
        raise Problem(
            400,
            "validation-failed",
            "A blob is named by the sha256 of its content in lowercase hex.",
            errors={"sha256": ["must be 64 lowercase hex digits"]},
        )
    mime = request.mimetype
    if not _allowed_mime(mime):
        raise Problem(
            415,
            "unsupported-media-type",
            "Attachments are images or application/pdf" + (f", not {mime}." if mime else "."),
        )
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise Problem(
            415,
            "unsupported-media-type",
            "Send blobs as they are (no Content-Encoding): they are stored byte for byte.",
        )
    return mime


@bp.put("/blobs/<sha256>")
@require_device
def put_blob(sha256: str) -> ResponseReturnValue:
    """Store a whole blob, or one chunk of a resumable upload (``Content-Range``)."""
    mime = _check_request(sha256)
    limit = current_app.config["PATROLI_MAX_BLOB_BYTES"]
    declared = _declared()
    length = request.content_length
    size = declared[2] if declared else length
    if size is not None and size > limit:
        raise _too_large(size, limit)
    # Flask's own limit is the push body's; ours bounds what is read (one
    # byte past the limit is how a body without Content-Length is caught).
    request.max_content_length = limit + 1
    store = store_for(current_app)
    try:
        if declared is None:
            return _put_whole(store, sha256, length, limit)
        return _put_chunk(store, sha256, mime, declared, length)
    except bs.HashMismatch as exc:
        raise Problem(
            422,
            "hash-mismatch",
            f"The content does not match its name: it hashes to {exc.actual}. "
            "The upload was discarded; hash the file again and re-send it.",
        ) from None
    except bs.TooLarge:
        raise _too_large(limit + 1, limit) from None
    except bs.OffsetMismatch as exc:
        raise Problem(
            409,
            "conflict",
            f"{str(exc).capitalize()}; resume at Upload-Offset {exc.offset}.",
            headers=_offset_headers(exc.offset),
            upload_offset=exc.offset,
        ) from None
    except bs.Busy as exc:
        raise Problem(
            409,
            "conflict",
            "Another upload of this blob is being written; retry shortly.",
            headers=dict(_offset_headers(exc.offset), **{"Retry-After": "1"}),
            upload_offset=exc.offset,
        ) from None
    except bs.BodyInterrupted as exc:
        raise Problem(
            400,
            "malformed-body",
            f"The body ended before its declared length; {exc.offset} bytes are committed.",
            headers=_offset_headers(exc.offset),
            upload_offset=exc.offset,
        ) from None


def _stored(sha256: str, size: int, status: int) -> ResponseReturnValue:
    body = jsonify(sha256=sha256, bytes=size, complete=True)
    return body, status, _offset_headers(size, size)


def _put_whole(
    store: bs.BlobStore, sha256: str, length: int | None, limit: int
) -> ResponseReturnValue:
    size = store.size(sha256)
    if size is not None:
        return _stored(sha256, size, 200)
    created = store.put_whole(sha256, request.stream, length, limit)
    return _stored(sha256, store.size(sha256) or 0, 201 if created else 200)


def _put_chunk(
    store: bs.BlobStore,
    sha256: str,
    mime: str,
    declared: tuple[int, int, int],
    length: int | None,
) -> ResponseReturnValue:
    first, last, total = declared
    want = last - first + 1
    if length is not None and length != want:
        raise Problem(
            400,
            "malformed-body",
            f"Content-Length is {length} but Content-Range covers {want} bytes.",
            errors={"Content-Length": [f"must be {want}"]},
        )
    outcome = store.put_chunk(sha256, first, total, mime, request.stream, want)
    if outcome.completed:
        return _stored(sha256, outcome.offset, 201 if outcome.created else 200)
    body = jsonify(sha256=sha256, offset=outcome.offset, total=total, complete=False)
    return body, 202, _offset_headers(outcome.offset, total)
