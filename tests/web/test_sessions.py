"""Page sessions end on the server: sign-out, a disabled account, a new password, everywhere."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from patroli.cli import main
from server.http import sessions
from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import ApiToken, User, WebSession
from tests.web.pages import post_form, sign_in
from tests.world import PASSWORD, World

UNAUTHORIZED = "urn:patroli:problem:unauthorized"


def _signed_in(world: World, username: str) -> FlaskClient:
    """A fresh client signed in as ``username``."""
    client = world.app.test_client()
    assert sign_in(client, username).status_code == 302
    return client


def _copy(world: World, original: FlaskClient) -> FlaskClient:
    """Another client holding a copy of ``original``'s session cookie (as a thief would)."""
    cookie = original.get_cookie("session")
    assert cookie is not None
    thief = world.app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _admin(database_url: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """Run ``patroli admin ARGS`` against the test's database."""
    monkeypatch.setenv("PATROLI_DATABASE_URL", database_url)
    return CliRunner().invoke(main, ["admin", *args])


def _opens_pages(client: FlaskClient) -> bool:
    """True when ``client``'s session opens the queue and the reports API; else it must
    get the sign-in redirect and a 401 problem (anything else fails the test)."""
    page = client.get("/queue")
    api = client.get("/api/v1/reports")
    if page.status_code == 200 and api.status_code == 200:
        return True
    assert page.status_code == 302 and page.headers["Location"].startswith("/sign-in")
    assert api.status_code == 401 and api.mimetype == "application/problem+json"
    assert api.get_json()["type"] == UNAUTHORIZED
    return False


def _token_works(world: World, token: dict[str, str]) -> bool:
    """True when a person's bearer token still reads reports (401 problem otherwise)."""
    resp = world.client.get("/api/v1/reports", headers=token)
    if resp.status_code == 200:
        return True
    assert resp.status_code == 401 and resp.get_json()["type"] == UNAUTHORIZED
    return False


def _end(event: str, world: World, victim: FlaskClient, url: str, mp: pytest.MonkeyPatch) -> None:
    """End cmd.nnk's session(s) by ``event``."""
    if event == "sign-out":
        assert post_form(victim, "/queue", "/sign-out", {}).status_code == 302
        return
    args = {
        "disable-user": ["disable-user", "cmd.nnk"],
        "set-password": ["set-password", "cmd.nnk", "--password", "a new one entirely"],
        "sign-out-everywhere": ["sign-out-everywhere", "cmd.nnk"],
    }[event]
    result = _admin(url, mp, *args)
    assert result.exit_code == 0, result.output
    assert "Ended 2 web session(s) and 1 API token(s)." in result.output


@pytest.mark.parametrize(
    "event", ["sign-out", "disable-user", "set-password", "sign-out-everywhere"]
)
def test_a_copied_cookie_dies_with_its_session(
    event: str, world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After each event the copied cookie gets the sign-in redirect and 401; other
    people's sessions live on, and the person's own other session and token survive
    only a plain sign-out."""
    victim = _signed_in(world, "cmd.nnk")
    copied = _copy(world, victim)
    second = _signed_in(world, "cmd.nnk")
    token = world.token("cmd.nnk")
    others = [_signed_in(world, "hq.1"), _signed_in(world, "cmd.dum")]
    other_token = world.token("hq.1")
    assert _opens_pages(copied) and _opens_pages(second) and _token_works(world, token)

    _end(event, world, victim, database_url, monkeypatch)

    assert not _opens_pages(copied)
    assert not _opens_pages(victim)
    survives = event == "sign-out"
    assert _opens_pages(second) is survives
    assert _token_works(world, token) is survives
    assert all(_opens_pages(other) for other in others)
    assert _token_works(world, other_token)


def test_a_new_password_and_enabling_again_let_the_person_back_in(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The new password signs in (the old one no longer does); an enabled account signs in."""
    assert _admin(database_url, monkeypatch, "set-password", "cmd.nnk").exit_code == 0
    client = world.app.test_client()
    assert sign_in(client, "cmd.nnk", PASSWORD).status_code == 401
    result = _admin(database_url, monkeypatch, "set-password", "cmd.nnk", "--password", "pw 2")
    assert result.exit_code == 0, result.output
    assert sign_in(client, "cmd.nnk", "pw 2").status_code == 302
    assert _admin(database_url, monkeypatch, "disable-user", "hq.1").exit_code == 0
    assert sign_in(client, "hq.1").status_code == 401
    result = _admin(database_url, monkeypatch, "enable-user", "hq.1")
    assert result.exit_code == 0 and "Enabled hq.1." in result.output
    assert sign_in(client, "hq.1").status_code == 302


def _accounts(app: Flask) -> tuple[Any, ...]:
    """Every user's password hash and active flag, and the session and token counts."""
    with app.app_context():
        users = db.session.execute(
            select(User.username, User.password_hash, User.active).order_by(User.username)
        ).all()
        sessions = db.session.scalar(select(func.count()).select_from(WebSession))
        tokens = db.session.scalar(select(func.count()).select_from(ApiToken))
        db.session.remove()
    return tuple(users), sessions, tokens


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["set-password", "nobody", "--password", "x"], "There is no user nobody."),
        (["disable-user", "nobody"], "There is no user nobody."),
        (["enable-user", "nobody"], "There is no user nobody."),
        (["sign-out-everywhere", "nobody"], "There is no user nobody."),
        (["set-password", "cmd.nnk", "--password", ""], "A password cannot be empty."),
        (["set-password", "ofc.nnk.1", "--password", "x"], "ofc.nnk.1 is an officer"),
    ],
)
def test_account_commands_refuse_with_a_sentence_and_change_nothing(
    args: list[str],
    message: str,
    world: World,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Unknown users, empty passwords and officers' passwords are refused; nothing changes."""
    _signed_in(world, "cmd.nnk")
    world.token("cmd.nnk")
    before = _accounts(world.app)
    result = _admin(database_url, monkeypatch, *args)
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output
    assert _accounts(world.app) == before


def test_session_rows_hold_only_hashes_and_a_session_check_is_one_query(
    world: World,
) -> None:
    """The cookie's session id is not stored; a page request reads the session once."""
    client = _signed_in(world, "cmd.nnk")
    with client.session_transaction() as session:
        session_id = session["sid"]
    with world.app.app_context():
        stored = db.session.scalars(select(WebSession.id_hash)).all()
        db.session.remove()
    assert len(stored) == 1 and session_id not in stored[0]
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with world.app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/api/v1/reports").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert sum("web_sessions" in s for s in statements) == 1


def test_a_sign_in_clears_expired_session_rows(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows of sessions past their end go at the next sign-in, anyone's; live ones stay."""
    _signed_in(world, "cmd.nnk")
    later = utcnow() + timedelta(hours=7)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    _signed_in(world, "hq.1")
    assert _accounts(world.app)[1] == 2
    monkeypatch.setattr(sessions, "utcnow", lambda: later + timedelta(hours=2))
    _signed_in(world, "cmd.dum")
    with world.app.app_context():
        owners = db.session.scalars(
            select(User.username).join(WebSession, WebSession.user_id == User.id)
        ).all()
        db.session.remove()
    assert sorted(owners) == ["cmd.dum", "hq.1"]
