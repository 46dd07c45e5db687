"""Web sessions for people: Flask-Login sign-in, CSRF, expiry, and the API hook.

Pages use a signed session cookie (HttpOnly, SameSite=Lax, Secure when
``PATROLI_SESSION_COOKIE_SECURE`` is set) that expires
``PATROLI_SESSION_HOURS`` after sign-in, however active the person is.
The cookie names a session recorded on the server (``server.http.web_sessions``),
so signing out, disabling the account, a new password or an admin's
sign-out-everywhere end it at once, copies of the cookie included.
The JSON API accepts the same session (``g.session_principal_loader``,
read by ``server.http.auth.current_principal``) so that the dashboard's export
links work; a state-changing API call made with a cookie must carry the
CSRF token in ``X-CSRFToken``, since a cookie is an ambient credential
and a bearer token is not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from server.http import web_sessions
from server.http.auth import Principal
from server.infra.clock import utcnow
from server.infra.models import User
from server.infra.problems import Problem

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
    """Flask-Login's user loader: the person of the session's server record, if it lives."""
    session_id = session.get("sid")
    if not isinstance(session_id, str):
        return None
    user = web_sessions.person_of(session_id)
    if user is None or str(user.id) != user_id:
        return None
    if not user.active or user.role not in PEOPLE_ROLES:
        return None
    return WebUser(user)


def sign_in(user: User) -> None:
    """Start a fresh session for ``user`` (a new session defeats fixation)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    # Whole seconds: the cookie's Expires has no finer grain, and the
    # cookie and the server record must end at the same moment.
    now = utcnow().replace(microsecond=0)
    user_id = user.id
    session["sid"] = web_sessions.open_session(
        user_id, now, current_app.config["PATROLI_SESSION_HOURS"]
    )
    session["signed_in_at"] = int(now.timestamp())
    session.permanent = True
    login_user(WebUser(user))


def sign_out() -> None:
    """End the session (its server record too), keeping only the language choice."""
    session_id = session.get("sid")
    if isinstance(session_id, str):
        web_sessions.end_session(session_id)
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


class FixedExpirySessionInterface(SecureCookieSessionInterface):
    """Signed cookies that expire when the signed-in session does, not a while after each use."""

    def get_expiration_time(self, app: Flask, session: SessionMixin) -> datetime | None:
        """Sign-in time plus the session length; browser-session cookies otherwise."""
        signed_in_at = session.get("signed_in_at")
        if not session.permanent or not isinstance(signed_in_at, int):
            return None
        return datetime.fromtimestamp(signed_in_at, UTC) + app.permanent_session_lifetime


def init_app(app: Flask, api_blueprints: Any) -> None:
    """Configure sessions, Flask-Login and CSRF (API blueprints check CSRF themselves)."""
    hours = app.config["PATROLI_SESSION_HOURS"]
    # Assigned, not setdefault: Flask defines these keys already (31 days,
    # no SameSite, never Secure), so setdefault would keep its defaults.
    app.config.update(
        PERMANENT_SESSION_LIFETIME=timedelta(hours=hours),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=app.config["PATROLI_SESSION_COOKIE_SECURE"],
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=hours * 3600,
    )
    app.session_interface = FixedExpirySessionInterface()
    login_manager.login_view = "web_auth.sign_in"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    login_manager.init_app(app)
    csrf.init_app(app)
    for bp in api_blueprints:
        csrf.exempt(bp)
    app.before_request(_install_loader)
