"""The officers' field app: the static app shell of a PWA under ``/field/``.

The app is plain ES modules in ``server/static/field``; nothing here renders
reports or touches the database.  The service worker is served from
``/field/sw.js`` so its scope covers the whole app, and it is stamped with
the shell's file list and a version derived from their contents: any change
to a shell file gives the worker new bytes, so browsers install it as an
update and it fills a fresh cache.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory
from flask.typing import ResponseReturnValue

FIELD_DIR = Path(__file__).resolve().parent.parent / "static" / "field"
WORKER = "sw.js"
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".webmanifest": "application/manifest+json",
    ".html": "text/html; charset=utf-8",
}

bp = Blueprint("field", __name__, url_prefix="/field")


@cache
def shell() -> tuple[str, tuple[str, ...]]:
    """The shell's version and the URLs the service worker precaches."""
    digest = hashlib.sha256()
    names = []
    for path in sorted(p for p in FIELD_DIR.rglob("*") if p.is_file()):
        name = path.relative_to(FIELD_DIR).as_posix()
        if name == WORKER:
            continue
        names.append(name)
        digest.update(name.encode() + b"\0" + path.read_bytes())
    urls = ("/field/", *(f"/field/{n}" for n in names if n != "index.html"))
    return digest.hexdigest()[:16], urls


def _headers(resp: Response) -> Response:
    resp.headers["Content-Security-Policy"] = CSP
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    # Always revalidate: the service worker does the offline caching, and a
    # stale shell from the HTTP cache would hide an update from it.
    resp.headers["Cache-Control"] = "no-cache"
    return resp


bp.after_request(_headers)


@bp.get("/")
def index() -> ResponseReturnValue:
    """The app's one page."""
    return send_from_directory(FIELD_DIR, "index.html", mimetype=_TYPES[".html"])


@bp.get("/sw.js")
def worker() -> ResponseReturnValue:
    """The service worker, stamped with the shell version and precache list."""
    version, urls = shell()
    source = (FIELD_DIR / WORKER).read_text(encoding="utf-8")
    source = source.replace('"__SHELL_VERSION__"', json.dumps(version))
    source = source.replace('["__SHELL_URLS__"]', json.dumps(list(urls)))
    return Response(source, mimetype="text/javascript")


@bp.get("/<path:name>")
def asset(name: str) -> ResponseReturnValue:
    """A file of the app shell (modules, styles, icons, manifest)."""
    suffix = Path(name).suffix
    if suffix not in (".js", ".css", ".png", ".svg", ".webmanifest", ".html"):
        abort(404)
    return send_from_directory(FIELD_DIR, name, mimetype=_TYPES.get(suffix))
