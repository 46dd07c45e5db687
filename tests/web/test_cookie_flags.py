"""The session cookie: SameSite=Lax, HttpOnly, Secure when configured, and it expires
exactly when the signed-in session does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from server import create_app
from server.infra.db import db
from server.infra.models import WebSession
from tests.web.pages import post_form, sign_in
from tests.world import World


def _session_cookie(resp: Any) -> dict[str, str]:
    """The attributes of the response's ``session`` Set-Cookie (lower-case names)."""
    (header,) = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith("session=")]
    attributes = {}
    for part in header.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        attributes[name.lower()] = value
    return attributes


def _expires(cookie: dict[str, str]) -> datetime:
    return parsedate_to_datetime(cookie["expires"])


def _stored_session(app: Flask) -> WebSession:
    """The one session row of the test."""
    with app.app_context():
        row = db.session.execute(db.select(WebSession)).scalar_one()
        db.session.expunge(row)
        db.session.remove()
    return row


def test_default_cookie_is_lax_httponly_and_lives_the_session_length(world: World) -> None:
    """SameSite=Lax and HttpOnly, no Secure on plain HTTP, and Expires is the server
    session's end (8 hours after sign-in) on sign-in and on every later cookie."""
    client = world.app.test_client()
    resp = sign_in(client, "cmd.nnk")
    cookie = _session_cookie(resp)
    assert cookie["samesite"] == "Lax" and "httponly" in cookie and "secure" not in cookie
    row = _stored_session(world.app)
    assert row.expires_at - row.created_at == timedelta(hours=8)
    assert _expires(cookie) == row.expires_at
    # A later change to the session (the language switch) re-sends the cookie:
    # its end stays the sign-in's, not 8 hours after this request.
    switched = post_form(client, "/queue", "/language", {"lang": "en", "next": "/queue"})
    assert _expires(_session_cookie(switched)) == row.expires_at


@pytest.fixture
def secure_app(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """The app as ``PATROLI_SESSION_COOKIE_SECURE=1 PATROLI_SESSION_HOURS=3`` starts it."""
    monkeypatch.setenv("PATROLI_SESSION_COOKIE_SECURE", "1")
    monkeypatch.setenv("PATROLI_SESSION_HOURS", "3")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PATROLI_BLOB_DIR": str(tmp_path / "blobs"),
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_secure_setting_adds_secure_and_hours_set_the_lifetime(secure_app: Flask) -> None:
    """The environment's Secure flag reaches the cookie; its lifetime is the configured 3 hours."""
    World.build(secure_app, secure_app.test_client())
    client = secure_app.test_client()
    resp = sign_in(client, "cmd.nnk")
    assert resp.status_code == 302
    cookie = _session_cookie(resp)
    assert "secure" in cookie and cookie["samesite"] == "Lax"
    row = _stored_session(secure_app)
    assert row.expires_at - row.created_at == timedelta(hours=3)
    assert _expires(cookie) == row.expires_at
