"""The server's evidence keys: the one that signs checkpoints now, and retired ones.

Rotating makes a new key and retires the current one: its private half is
erased (nothing can be signed with it any more), its public half stays, so
every checkpoint it signed can still be verified.  The private key lives in
the database, so whoever can write the database could sign; docs/evidence.md
says what that means and how to keep the published keys elsewhere too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from server.infra.clock import utcnow
from server.infra.models import EvidenceKey
from server.infra.transactions import write_connection
from sync import signing

keys_table = EvidenceKey.__table__


@dataclass(frozen=True, kw_only=True)
class ServerKey:
    """A usable signing key: its id, public wire form and private key."""

    id: str
    public_key: str
    private: Any

    def sign(self, message: bytes) -> str:
        """An ES256 signature of ``message``."""
        return signing.sign(self.private, message)


def _insert_new(conn: Connection) -> ServerKey:
    private = signing.new_private_key()
    public = signing.public_key_text(private)
    key = ServerKey(id=signing.key_id(public), public_key=public, private=private)
    conn.execute(
        keys_table.insert().values(
            id=key.id,
            public_key=public,
            private_key=signing.private_key_pem(private),
            created_at=utcnow(),
        )
    )
    return key


def _current_row(conn: Connection) -> Any:
    return (
        conn.execute(
            select(keys_table)
            .where(keys_table.c.retired_at.is_(None))
            .order_by(keys_table.c.created_at.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )


def current(conn: Connection) -> ServerKey:
    """The signing key in use, made on first need (inside the caller's write transaction)."""
    row = _current_row(conn)
    if row is None:
        return _insert_new(conn)
    private = signing.load_private_key(row["private_key"])
    return ServerKey(id=row["id"], public_key=row["public_key"], private=private)


def ensure() -> str:
    """Make the first key if there is none yet; the current key's id."""
    with write_connection() as conn:
        return current(conn).id


def rotate() -> tuple[str | None, str]:
    """Retire the current key (erasing its private half) and make a new one; both ids."""
    with write_connection() as conn:
        row = _current_row(conn)
        if row is not None:
            conn.execute(
                update(keys_table)
                .where(keys_table.c.id == row["id"])
                .values(retired_at=utcnow(), private_key=None)
            )
        return (row["id"] if row is not None else None), _insert_new(conn).id


def public_keys(conn: Connection) -> list[dict[str, Any]]:
    """Every key, current and retired, as published (no private part)."""
    rows = conn.execute(select(keys_table).order_by(keys_table.c.created_at)).mappings()
    return [wire(row) for row in rows]


def wire(row: Any) -> dict[str, Any]:
    """The published form of a key row."""
    return {
        "key_id": row["id"],
        "alg": signing.ALG,
        "public_key": row["public_key"],
        "created_at": row["created_at"].isoformat().replace("+00:00", "Z"),
        "retired_at": row["retired_at"].isoformat().replace("+00:00", "Z")
        if row["retired_at"]
        else None,
    }


def published() -> dict[str, Any] | None:
    """The current key as ``/meta`` publishes it (None before the first one is made)."""
    from server.infra.db import db

    row = _current_row(db.session.connection())
    return wire(row) if row is not None else None
