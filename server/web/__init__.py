"""The web pages for commanders, HQ and admins, one blueprint per resource.

Pages call the same services as the JSON API; they only add forms, sign-in
and rendering.  Every form carries a CSRF token (Flask-WTF), every page is
rendered by Jinja with autoescaping, and every asset is served from
``server/static`` so the pages work with no internet.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from server.http import labels
from server.http.i18n import LANGUAGES
from server.http.sessions import web_principal
from server.infra import localtime
from server.infra.problems import Problem
from server.web import auth, conflicts, dashboard, devices, field, persons, queue
from server.web import evidence as evidence_web

BLUEPRINTS = (
    auth.bp,
    queue.bp,
    conflicts.bp,
    devices.bp,
    dashboard.bp,
    evidence_web.bp,
    persons.bp,
)

#: Pages each role may open, in navigation order: (endpoint, label).
NAVIGATION = {
    "commander": ("web_queue.index", "web_conflicts.index", "web_devices.index"),
    "hq": ("web_dashboard.index", "web_queue.index", "web_conflicts.index"),
    "admin": (
        "web_dashboard.index",
        "web_queue.index",
        "web_conflicts.index",
        "web_devices.index",
    ),
}

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _error_page(exc: Exception) -> tuple[str, int]:
    """An HTML error page for a page request (the API keeps problem+json)."""
    if isinstance(exc, Problem):
        status, detail = exc.status, exc.detail
    elif isinstance(exc, HTTPException):
        status, detail = exc.code or 500, None
    else:  # pragma: no cover - registered for Problem and HTTPException only
        raise exc
    titles = {
        400: _("The form could not be accepted"),
        403: _("You may not open this page"),
        404: _("Not found"),
        429: _("Too many attempts"),
    }
    messages = {
        400: _("The form expired or was sent twice. Go back, reload the page and try again."),
        403: _("Your role does not allow this. Sign in with another account if you need it."),
        404: _("There is nothing here, or it is not in your post(s)."),
        429: _("Too many attempts in a short time. Wait a minute, then try again."),
    }
    title = titles.get(status, _("Something went wrong"))
    body = messages.get(status, detail or _("The server could not finish this request."))
    return render_template("error.html", title=title, message=body, status=status), status


def _context() -> dict[str, Any]:
    """Values every template sees: the person, navigation, language, time helpers."""
    principal = web_principal()
    role = principal.role if principal else None
    return {
        "principal": principal,
        "navigation": NAVIGATION.get(role or "", ()),
        "languages": LANGUAGES,
        "local": localtime.local,
        "ago": localtime.ago,
        "lang": str(get_locale() or "id"),
        "current_endpoint": request.endpoint,
    }


def _headers(resp: Response) -> Response:
    """Security headers on every page response."""
    if request.blueprint and request.blueprint.startswith("web_"):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if g.get("principal_page"):
            # Pages show reports: keep them out of shared caches and history.
            resp.headers.setdefault("Cache-Control", "no-store")
    return resp


# Blueprints take handlers before their first registration, so this runs
# once at import; the API keeps answering problem+json.
for _bp in BLUEPRINTS:
    _bp.register_error_handler(Problem, _error_page)
    _bp.register_error_handler(HTTPException, _error_page)


def init_app(app: Flask) -> None:
    """Register the page blueprints, their error pages and template helpers."""
    for bp in BLUEPRINTS:
        app.register_blueprint(bp)
    # The field app is a static shell with its own headers, not a page.
    app.register_blueprint(field.bp)
    app.context_processor(_context)
    labels.register(app)
    app.after_request(_headers)
