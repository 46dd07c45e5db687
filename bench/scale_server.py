"""A national-scale bench server: twenty posts, signed devices, a commander and HQ.

The process itself is :class:`bench.server.BenchServer` (a real
``patroli serve`` on 127.0.0.1); this module seeds the people the scale
run acts as and signs them in: devices enroll with an ES256 key, as the
field clients do, and HQ and the commander sign in through the same form
and token endpoint a person uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import requests
from werkzeug.security import generate_password_hash

from bench.scale_docs import POSTS, SignedDevice
from bench.server import PG_SCHEMA, BenchServer, reset_schema
from server.devices import seed_people
from server.infra.db import db, upgrade_schema
from sync import signing

PASSWORD = "bench-password-2468"
HQ = "hq.bench"
COMMANDER = "cmd.bench"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def officer(post: int, n: int) -> str:
    """The username of officer ``n`` of post ``POSTS[post]``."""
    return f"ofc.{POSTS[post][0].lower()}.{n}"


@dataclass(kw_only=True)
class ScaleServer:
    """A seeded server and the people the scale run acts as."""

    server: BenchServer
    #: Officers seeded per post (each device enrolls with its own officer).
    officers_per_post: int = 4
    _next: dict[int, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return self.server.url

    def seed(self) -> None:
        """A fresh database with every post, its officers, a commander of the first post and HQ."""
        if self.server.postgres_url:
            reset_schema(self.server.postgres_url, PG_SCHEMA)
        app = self.server._app()
        upgrade_schema(app)
        people = [
            (officer(p, n), "officer", POSTS[p][0])
            for p in range(len(POSTS))
            for n in range(self.officers_per_post)
        ]
        people += [(COMMANDER, "commander", POSTS[0][0]), (HQ, "hq", None)]
        with app.app_context():
            seed_people.seed([p[:3] for p in POSTS], [], None)
            seed_people.add_people([p for p in people if p[1] == "officer"], None)
            seed_people.add_people(
                [p for p in people if p[1] != "officer"], generate_password_hash(PASSWORD)
            )
            db.session.commit()
            db.engine.dispose()

    def enrollment_code(self, post: int) -> str:
        """A one-time code for the next officer of ``post``."""
        return self.enrollment_codes([post])[0]

    def enrollment_codes(self, posts: list[int]) -> list[str]:
        """One-time codes, one per entry of ``posts``; a post's officers take turns."""
        codes = []
        with self.server._app().app_context():
            for post in posts:
                n = self._next.get(post, 0)
                self._next[post] = n + 1
                username = officer(post, n % self.officers_per_post)
                codes += seed_people.enrollment_codes([username], "bench").values()
            db.engine.dispose()
        return codes

    def devices(self, posts: list[int]) -> list[SignedDevice]:
        """A freshly enrolled device for each entry of ``posts``."""
        return [
            self.device(post, code)
            for post, code in zip(posts, self.enrollment_codes(posts), strict=True)
        ]

    def device(self, post: int, code: str | None = None) -> SignedDevice:
        """A freshly enrolled device of ``post`` with its own signing key."""
        key = signing.new_private_key()
        resp = requests.post(
            f"{self.url}/api/v1/devices/enroll",
            timeout=30,
            json={
                "enrollment_code": code or self.enrollment_code(post),
                "device_name": "bench-scale",
                "public_key": signing.public_key_text(key),
            },
        )
        resp.raise_for_status()
        answer = resp.json()
        return SignedDevice(
            device_id=answer["device_id"], token=answer["token"], post=post, key=key
        )

    def api_headers(self, username: str = HQ) -> dict[str, str]:
        """A bearer token of ``username`` (HQ by default), as scripts get one."""
        resp = requests.post(
            f"{self.url}/api/v1/auth/token",
            timeout=30,
            json={"username": username, "password": PASSWORD},
        )
        resp.raise_for_status()
        return {"Authorization": f"Bearer {resp.json()['token']}"}

    def web_session(self, username: str) -> requests.Session:
        """A browser-like session signed in through the form."""
        session = requests.Session()
        page = session.get(f"{self.url}/sign-in", timeout=30)
        match = _CSRF.search(page.text)
        if match is None:
            raise RuntimeError("the sign-in page has no CSRF token")
        resp = session.post(
            f"{self.url}/sign-in",
            timeout=30,
            data={"username": username, "password": PASSWORD, "csrf_token": match.group(1)},
        )
        if resp.status_code != 200 or "sign-in" in resp.url:
            raise RuntimeError(f"signing in as {username} failed ({resp.status_code})")
        return session


def sqlite_files(workdir: Path) -> list[Path]:
    """The database file and its -wal and -shm companions."""
    base = workdir / "bench.sqlite3"
    return [base, base.with_name(base.name + "-wal"), base.with_name(base.name + "-shm")]
