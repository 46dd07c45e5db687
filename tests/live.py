"""A real ``patroli serve`` process on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests
from flask import Flask

from patroli import serve_process
from patroli.serve_process import free_port
from server import create_app
from server.devices import seed_people
from server.infra.db import db, upgrade_schema
from tests import backends
from tests.world import PASSWORD, PASSWORD_HASH

__all__ = ["PASSWORD", "LiveServer", "database_for", "live_server"]


@dataclass
class LiveServer:
    """A running server process, its database and helpers to seed and restart it."""

    workdir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    workers: int = 1
    extra_env: dict[str, str] = field(default_factory=dict)
    #: Post code → IANA time zone (posts not named here are on Jakarta time).
    zones: dict[str, str] = field(default_factory=dict)
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

    def _app(self) -> Flask:
        """An app on the server's database, for seeding from the test process."""
        return create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": "seed"})

    def seed(self, posts: dict[str, list[str]]) -> None:
        """Create posts, a commander per post, officers, an HQ user and an admin."""
        app = self._app()
        upgrade_schema(app)
        staff: list[seed_people.Person] = [("hq.1", "hq", None), ("admin", "admin", None)]
        for code, officers in posts.items():
            staff += [(name, "officer", code) for name in officers]
            staff.append((f"cmd.{code.lower()}", "commander", code))
        with app.app_context():
            rows = [(code, code.title(), self.zones.get(code, "Asia/Jakarta")) for code in posts]
            seed_people.seed(rows, staff, PASSWORD_HASH)
            db.engine.dispose()

    def code_for(self, username: str) -> str:
        """A fresh enrollment code for an officer."""
        with self._app().app_context():
            code = seed_people.enrollment_codes([username], "test")[username]
            db.engine.dispose()
            return code

    def auth_headers(self, username: str) -> dict[str, str]:
        """A bearer token header for a seeded person, from ``/api/v1/auth/token``."""
        resp = requests.post(
            f"{self.url}/api/v1/auth/token",
            json={"username": username, "password": PASSWORD},
            timeout=10,
        )
        resp.raise_for_status()
        return {"Authorization": f"Bearer {resp.json()['token']}"}

    def start(self) -> None:
        """Start ``patroli serve`` and wait until it answers /healthz."""
        log = self.workdir / f"server-{self.port}.log"
        try:
            self.process = serve_process.start(
                self.env(), log, port=self.port, workers=self.workers, timeout_s=30
            )
        except serve_process.ServerDidNotStart as exc:
            raise RuntimeError(f"{exc}:\n{self.log_text()}") from None

    def log_text(self) -> str:
        """Everything the server logged so far."""
        return (self.workdir / f"server-{self.port}.log").read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the server's whole process group (a power cut, as far as it knows)."""
        if self.process:
            serve_process.kill(self.process)

    def stop(self) -> None:
        """Stop the server gracefully, or kill it after a few seconds."""
        if self.process:
            serve_process.stop(self.process)


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
