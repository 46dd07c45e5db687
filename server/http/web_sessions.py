"""Server-side records of page sessions: open one, find its person, end one or all.

The session cookie is signed but a copy of it would stay valid until it
expires; the cookie therefore carries a random session id whose hash is a
row here, and a session lives exactly as long as its row.  Finding the
person of a request is one read by primary key (joined to ``users``).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete

from server.http.auth import hash_secret
from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import ApiToken, User, WebSession
from server.infra.transactions import write_session


def open_session(user_id: int, now: datetime, hours: int) -> str:
    """Record a new session of ``user_id`` lasting ``hours`` from ``now``; return its id."""
    session_id = secrets.token_urlsafe(32)
    with write_session():
        # Expired rows (anyone's) go here, so the table never outgrows the
        # sessions people actually hold; it stays small enough to scan.
        db.session.execute(delete(WebSession).where(WebSession.expires_at <= now))
        db.session.add(
            WebSession(
                id_hash=hash_secret(session_id),
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return session_id


def person_of(session_id: str) -> User | None:
    """The person whose unexpired session ``session_id`` is, else None."""
    row = db.session.execute(
        db.select(User, WebSession.expires_at)
        .join(WebSession, WebSession.user_id == User.id)
        .where(WebSession.id_hash == hash_secret(session_id))
    ).first()
    if row is None or row.expires_at <= utcnow():
        return None
    return row.User


def end_session(session_id: str) -> None:
    """End one session (signing out elsewhere keeps the person's other sessions)."""
    with write_session():
        db.session.execute(delete(WebSession).where(WebSession.id_hash == hash_secret(session_id)))


def end_all(user_id: int) -> tuple[int, int]:
    """End every page session and API token of a person, inside the caller's write.

    Returns how many sessions and tokens ended.
    """
    sessions = db.session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    tokens = db.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id))
    return sessions.rowcount, tokens.rowcount
