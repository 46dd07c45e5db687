"""Secrets never leak: not in the server log, not in the database, no default key in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from sqlalchemy import MetaData, create_engine, select

from tests.field import FieldDevice
from tests.live import PASSWORD, LiveServer, live_server
from tests.web.pages import csrf_token
from tests.world import incident

POSTS = {"NNK": ["ofc.1"]}


def _database_text(url: str) -> str:
    """Every value of every table, as one string to search."""
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    parts = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                parts.append(" ".join(str(v) for v in row))
    engine.dispose()
    return "\n".join(parts)


def _web_session_id(server: LiveServer) -> str:
    """Sign in through the form; the random session id inside the signed cookie."""
    web = requests.Session()
    form = web.get(f"{server.url}/sign-in", timeout=10)
    signed_in = web.post(
        f"{server.url}/sign-in",
        data={"username": "cmd.nnk", "password": PASSWORD, "csrf_token": csrf_token(form.text)},
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302
    reader = Flask(__name__)
    reader.secret_key = server.env()["PATROLI_SECRET_KEY"]
    serializer = SecureCookieSessionInterface().get_signing_serializer(reader)
    assert serializer is not None
    return serializer.loads(web.cookies["session"])["sid"]


def test_no_secret_in_log_or_database(tmp_path: Path, backend: str) -> None:
    """Enroll, sign in, push, pull, revoke, fail a sign-in, sign in on the web: no token,
    password, code or session id leaks."""
    env = {"PATROLI_LOG_LEVEL": "DEBUG"}
    with live_server(tmp_path, backend, POSTS, extra_env=env) as server:
        code = server.code_for("ofc.1")
        dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, code)
        device = dev.store.device()
        dev.create(incident())
        assert dev.sync().complete
        wrong_password = "Wrong-Password-77"
        bad = requests.post(
            f"{server.url}/api/v1/auth/token",
            json={"username": "cmd.nnk", "password": wrong_password},
            timeout=10,
        )
        assert bad.status_code == 401
        person = requests.post(
            f"{server.url}/api/v1/auth/token",
            json={"username": "cmd.nnk", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {person}"}
        revoked = requests.post(
            f"{server.url}/api/v1/devices/{device['device_id']}/revoke",
            json={"reason": "lost"},
            headers=headers,
            timeout=10,
        )
        assert revoked.status_code == 200
        assert not dev.sync(max_attempts=1).complete
        # With the form's CSRF token, so the password reaches the check (a 400
        # would be the CSRF refusal, before any password is read).
        web = requests.Session()
        form = web.get(f"{server.url}/sign-in", timeout=10)
        signin = web.post(
            f"{server.url}/sign-in",
            data={
                "username": "cmd.nnk",
                "password": wrong_password,
                "csrf_token": csrf_token(form.text),
            },
            timeout=10,
        )
        assert signin.status_code == 401
        assert "Nama pengguna atau kata sandi salah." in signin.text
        session_id = _web_session_id(server)
        log = server.log_text()
        db_text = _database_text(server.database_url)
    secrets = {
        "device token": device["token"],
        "person token": person,
        "enrollment code": code,
        "enrollment code (raw)": code.replace("-", ""),
        "password": PASSWORD,
        "wrong password": wrong_password,
        "web session id": session_id,
    }
    for name, secret in secrets.items():
        assert secret not in log, f"{name} appears in the server log"
    # Everything above is stored only as a hash, if at all.
    for name in secrets:
        assert secrets[name] not in db_text, f"{name} is stored in clear in the database"
    assert device["device_id"] in db_text  # the dump did read the tables


def test_serve_refuses_default_secret_key(tmp_path: Path) -> None:
    """Without PATROLI_SECRET_KEY, ``patroli serve`` exits non-zero with one clear sentence."""
    env = {k: v for k, v in os.environ.items() if k != "PATROLI_SECRET_KEY"}
    env["PATROLI_DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "patroli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "PATROLI_SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr
