"""Web sessions for people: Flask-Login sign-in, CSRF, expiry, and the API hook.

Pages use a signed session cookie (HttpOnly, SameSite=Lax) that expires
``PATROLI_SESSION_HOURS`` after sign-in, however active the person is.
The JSON API accepts the same session (``g.session_principal_loader``,
read by ``server.auth.current_principal``) so that the dashboard's export
links work; a state-changing API call made with a cookie must carry the
CSRF token in ``X-CSRFToken``, since a cookie is an ambient credential
and a bearer token is not.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from server.auth import Principal
from server.db import db
from server.models import User
from server.problems import Problem

login_manager = LoginManager()
csrf = CSRFProtect()

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PEOPLE_ROLES = ("commander", "hq", "admin")


class WebUser:
    """A signed-in person as Flask-Login sees them."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User):
        """Wrap a user row."""
        self.user = user

    @property
    def is_active(self) -> bool:
        """Deactivated accounts lose their session at the next request."""
        return bool(self.user.active)

    def get_id(self) -> str:
        """The id kept in the session cookie."""
        return str(self.user.id)


def _load_user(user_id: str) -> WebUser | None:
    """Flask-Login's user loader: the session's person while the session is young enough."""
    signed_in_at = session.get("signed_in_at")
    limit = current_app.config["PATROLI_SESSION_HOURS"] * 3600
    if not isinstance(signed_in_at, int | float) or time.time() - signed_in_at > limit:
        return None
    try:
        user = db.session.get(User, int(user_id))
    except ValueError:
        return None
    if user is None or not user.active or user.role not in PEOPLE_ROLES:
        return None
    return WebUser(user)


def sign_in(user: User) -> None:
    """Start a fresh session for ``user`` (a new session defeats fixation)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session["signed_in_at"] = int(time.time())
    session.permanent = True
    login_user(WebUser(user))


def sign_out() -> None:
    """End the session, keeping only the language choice."""
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


def web_principal() -> Principal | None:
    """The signed-in person of this request, or None (pages ignore bearer tokens)."""
    if current_user.is_authenticated:
        return Principal(current_user.user)
    return None


def _session_principal() -> Principal | None:
    """The API's view of a signed-in session (CSRF-checked for changes)."""
    principal = web_principal()
    if principal is not None and request.method not in SAFE_METHODS:
        try:
            csrf.protect()
        except CSRFError:
            raise Problem(
                403,
                "forbidden",
                "A request made with a session cookie needs the X-CSRFToken header; "
                "scripts should use a bearer token from /api/v1/auth/token.",
            ) from None
    return principal


def _install_loader() -> None:
    """Let ``current_principal`` fall back to the web session."""
    g.session_principal_loader = _session_principal


def init_app(app: Flask, api_blueprints: Any) -> None:
    """Configure sessions, Flask-Login and CSRF (API blueprints check CSRF themselves)."""
    hours = app.config["PATROLI_SESSION_HOURS"]
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=hours))
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SECURE", app.config["PATROLI_SESSION_COOKIE_SECURE"])
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", hours * 3600)
    login_manager.login_view = "web_auth.sign_in"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.init_app(app)
    csrf.init_app(app)
    for bp in api_blueprints:
        csrf.exempt(bp)
    app.before_request(_install_loader)
