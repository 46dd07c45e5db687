"""A real ``patroli serve`` process on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from werkzeug.security import generate_password_hash

from server import create_app
from server.auth import utcnow
from server.db import db, upgrade_schema
from server.enrollment import issue_code
from server.models import Post, User
from tests import backends

PASSWORD = "correct horse battery"
_HASH = generate_password_hash(PASSWORD)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    """A running server process, its database and helpers to seed and restart it."""

    workdir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment of the server process."""
        env = dict(os.environ)
        env.update(
            {
                "PATROLI_DATABASE_URL": self.database_url,
                "PATROLI_SECRET_KEY": "e2e-secret-key",
                "PATROLI_BLOB_DIR": str(self.workdir / "blobs"),
            }
        )
        env.update(self.extra_env)
        return env

    def seed(self, posts: dict[str, list[str]]) -> None:
        """Create posts, a commander per post, officers, an HQ user and an admin."""
        app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": "seed"})
        upgrade_schema(app)
        with app.app_context():
            now = utcnow()
            for code, officers in posts.items():
                db.session.add(Post(code=code, name=code.title(), created_at=now))
                db.session.flush()
                for name in [*officers, f"cmd.{code.lower()}"]:
                    role = "commander" if name.startswith("cmd.") else "officer"
                    db.session.add(
                        User(
                            username=name,
                            role=role,
                            post_code=code,
                            password_hash=_HASH,
                            active=True,
                            created_at=now,
                        )
                    )
            for name, role in (("hq.1", "hq"), ("admin", "admin")):
                db.session.add(
                    User(username=name, role=role, password_hash=_HASH, active=True, created_at=now)
                )
            db.session.commit()
            db.engine.dispose()

    def code_for(self, username: str) -> str:
        """A fresh enrollment code for an officer."""
        app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": "seed"})
        with app.app_context():
            user = db.session.execute(db.select(User).where(User.username == username)).scalar()
            code = issue_code(user, "test")
            db.engine.dispose()
            return code

    def start(self) -> None:
        """Start ``patroli serve`` and wait until it answers /healthz."""
        cmd = [
            sys.executable,
            "-m",
            "patroli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
        ]
        with open(self.workdir / f"server-{self.port}.log", "ab") as log:
            self.process = subprocess.Popen(
                cmd, env=self.env(), stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_text()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_text()}")

    def log_text(self) -> str:
        """Everything the server logged so far."""
        return (self.workdir / f"server-{self.port}.log").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the server's whole process group (a power cut, as far as it knows)."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the server gracefully, or kill it after a few seconds."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def database_for(backend: str, directory: Path) -> str:
    """A fresh database URL of ``backend`` for a live server."""
    if backend == "sqlite":
        return f"sqlite:///{directory / 'live.sqlite3'}"
    return backends.fresh_postgres()


@contextmanager
def live_server(
    directory: Path, backend: str, posts: dict[str, list[str]], **kwargs: object
) -> Iterator[LiveServer]:
    """A seeded, running server that is stopped afterwards."""
    server = LiveServer(directory, database_for(backend, directory), **kwargs)  # type: ignore[arg-type]
    server.seed(posts)
    server.start()
    try:
        yield server
    finally:
        server.stop()
