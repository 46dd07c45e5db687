"""A real ``patroli serve`` on 127.0.0.1 for the benchmarks, on SQLite or PostgreSQL.

On PostgreSQL everything happens in a schema of its own (``patroli_bench``)
inside the database the URL names, selected through the connection's
``search_path``; it is dropped afterwards, and nothing else is touched.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from patroli import serve_process
from patroli.serve_process import free_port
from server import create_app
from server.devices import seed_people
from server.infra.db import db, upgrade_schema
from server.infra.models import User

POST = "NNK"
PG_SCHEMA = "patroli_bench"


def in_schema(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema``."""
    parsed = make_url(url)
    parsed = parsed.update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def reset_schema(url: str, schema: str, drop_only: bool = False) -> None:
    """Drop ``schema`` (ours alone) and, unless ``drop_only``, create it empty."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        if not drop_only:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def postgres_version(url: str) -> str:
    """The server version string, e.g. ``16.4``."""
    engine = create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return str(version).split()[0]


@dataclass
class Credentials:
    """An enrolled device: its id and auth header."""

    device_id: str
    headers: dict[str, str]


@dataclass
class BenchServer:
    """One seeded server process (gunicorn master plus ``workers`` workers)."""

    workdir: Path
    postgres_url: str | None = None
    workers: int = 1
    threads: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        """The database the server uses."""
        if self.postgres_url:
            return in_schema(self.postgres_url, PG_SCHEMA)
        return f"sqlite:///{self.workdir / 'bench.sqlite3'}"

    def seed(self, officers: int) -> list[str]:
        """A fresh database with one post and ``officers`` officers; their enrollment codes."""
        if self.postgres_url:
            reset_schema(self.postgres_url, PG_SCHEMA)
        app = self._app()
        upgrade_schema(app)
        with app.app_context():
            seed_people.seed([(POST, "Nunukan", "Asia/Makassar")], [], None)
            db.engine.dispose()
        return [self.officer_code(f"ofc.bench.{i}") for i in range(officers)]

    def officer_code(self, username: str) -> str:
        """A one-time enrollment code for officer ``username`` (created when new)."""
        with self._app().app_context():
            if (
                db.session.execute(
                    db.select(User).where(User.username == username)
                ).scalar_one_or_none()
                is None
            ):
                seed_people.add_people([(username, "officer", POST)], None)
                db.session.commit()
            code = seed_people.enrollment_codes([username], "bench")[username]
            db.engine.dispose()
        return code

    def _app(self) -> Any:
        """An app on the bench database, for seeding."""
        return create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": "bench"})

    def start(self) -> None:
        """Start ``patroli serve`` and wait until it answers."""
        env = dict(
            os.environ,
            PATROLI_DATABASE_URL=self.database_url,
            PATROLI_SECRET_KEY="bench-secret",
            PATROLI_BLOB_DIR=str(self.workdir / "blobs"),
        )
        self.process = serve_process.start(
            env,
            self.workdir / "server.log",
            port=self.port,
            workers=self.workers,
            threads=self.threads,
        )

    def enroll(self, codes: list[str]) -> list[Credentials]:
        """Enroll one device per code."""
        out = []
        for code in codes:
            resp = requests.post(
                f"{self.url}/api/v1/devices/enroll",
                timeout=30,
                json={"enrollment_code": code, "device_name": "bench"},
            )
            resp.raise_for_status()
            body = resp.json()
            out.append(Credentials(body["device_id"], {"Authorization": f"Bearer {body['token']}"}))
        return out

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in path.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far.

        Rates on a shared machine move with its load; the server's own CPU
        per report does much less, so the suite reports both.
        """
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")

    def peak_rss(self) -> dict[str, Any]:
        """Peak resident memory (VmHWM) of each worker and of the master, in MiB."""
        workers = [vm_hwm_mib(pid) for pid in self.worker_pids()]
        master = vm_hwm_mib(self.process.pid) if self.process else None
        workers = [w for w in workers if w is not None]
        return {
            "worker_mib": workers,
            "max_worker_mib": max(workers, default=None),
            "master_mib": master,
        }

    def stop(self) -> None:
        """Stop the server, then drop the PostgreSQL schema."""
        if self.process:
            serve_process.stop(self.process, grace_s=15)
        if self.postgres_url:
            reset_schema(self.postgres_url, PG_SCHEMA, drop_only=True)


def vm_hwm_mib(pid: int) -> float | None:
    """Peak resident memory of a process in MiB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None
