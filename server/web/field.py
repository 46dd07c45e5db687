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
import mimetypes
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, abort
from flask.typing import ResponseReturnValue
from werkzeug.security import safe_join

FIELD_DIR = Path(__file__).resolve().parent.parent / "static" / "field"
WORKER = "sw.js"
#: What the shell is made of; anything else in the folder (the package.json
#: that tells Node the modules are ES modules) is neither served nor cached.
SUFFIXES = (".js", ".css", ".png", ".svg", ".webmanifest", ".html")
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; manifest-src 'self'; worker-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_TYPES = {
    ".js": "text/javascript",
    ".webmanifest": "application/manifest+json",
    ".html": "text/html",
}

bp = Blueprint("field", __name__, url_prefix="/field")


@cache
def shell() -> tuple[str, tuple[str, ...]]:
    """The shell's version and the URLs the service worker precaches."""
    digest = hashlib.sha256()
    names = []
    for path in sorted(p for p in FIELD_DIR.rglob("*") if p.is_file()):
        name = path.relative_to(FIELD_DIR).as_posix()
        if name == WORKER or path.suffix not in SUFFIXES:
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
    return _file("index.html")


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
    return _file(name)


def _file(name: str) -> Response:
    # Read whole: shell files are a few kilobytes, and the service worker,
    # not HTTP ranges or conditional requests, is what saves the phone's data.
    suffix = Path(name).suffix
    path = safe_join(str(FIELD_DIR), name)
    if suffix not in SUFFIXES or path is None or not Path(path).is_file():
        abort(404)
    mimetype = _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(Path(path).read_bytes(), mimetype=mimetype)
