"""Posts and people in bulk: what the demo, the benchmarks and the tests seed.

Everything here runs inside an app context and leaves committing to
``seed`` (or the caller), so a failed seed stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from server.devices.enrollment import issue_code
from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import Post, User

# (username, role, post code or None for HQ and admins)
Person = tuple[str, str, str | None]


def add_posts(posts: Iterable[tuple[str, str, str]]) -> None:
    """Add posts given as ``(code, name, IANA time zone)``."""
    now = utcnow()
    for code, name, tz in posts:
        db.session.add(Post(code=code, name=name, tz=tz, created_at=now))
    db.session.flush()


def add_people(people: Iterable[Person], password_hash: str | None) -> None:
    """Add active users; all get the same password hash (None: no web sign-in)."""
    now = utcnow()
    for username, role, post in people:
        db.session.add(
            User(
                username=username,
                role=role,
                post_code=post,
                active=True,
                password_hash=password_hash,
                created_at=now,
            )
        )
    db.session.flush()


def seed(
    posts: Iterable[tuple[str, str, str]], people: Iterable[Person], password_hash: str | None
) -> None:
    """Add posts and people in one transaction."""
    add_posts(posts)
    add_people(people, password_hash)
    db.session.commit()


def enrollment_codes(
    usernames: Iterable[str], label: str, ttl_s: int | None = None
) -> dict[str, str]:
    """A fresh one-time enrollment code for each officer named."""
    codes = {}
    for username in usernames:
        user = db.session.execute(db.select(User).where(User.username == username)).scalar_one()
        codes[username] = issue_code(user, label, ttl_s)
    return codes
