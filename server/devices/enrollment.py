"""One-time enrollment codes and device enrollment."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import update

from server.http.auth import DEVICE_TOKEN_PREFIX, hash_secret, new_token
from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import Device, EnrollmentCode, User
from server.infra.problems import Problem
from server.infra.transactions import write_connection, write_session

# Crockford's base32 alphabet: no I, L, O or U, so a code read aloud over a
# bad radio link or typed on a phone keyboard is hard to get wrong.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def normalize_code(code: str) -> str:
    """A code as typed (any case, dashes, spaces) in its canonical form."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def issue_code(user: User, created_by: str, ttl_s: int | None = None) -> str:
    """Create a one-time code that enrolls one device for ``user``; return it."""
    return issue_code_with_expiry(user, created_by, ttl_s)[0]


def issue_code_with_expiry(
    user: User, created_by: str, ttl_s: int | None = None
) -> tuple[str, datetime]:
    """Create a one-time enrollment code for ``user``; return it and when it expires."""
    if user.role != "officer" or not user.post_code:
        raise Problem(
            400,
            "validation-failed",
            "Enrollment codes are for officers of a post.",
            errors={"username": ["is not an officer with a post"]},
        )
    ttl = ttl_s if ttl_s is not None else current_app.config["PATROLI_ENROLL_CODE_TTL_S"]
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    now = utcnow()
    expires_at = now + timedelta(seconds=ttl)
    user_id = user.id
    with write_session():
        db.session.add(
            EnrollmentCode(
                code_hash=hash_secret(raw),
                user_id=user_id,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
        )
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4)), expires_at


def enroll(code: str, device_name: str, public_key: str | None = None) -> dict[str, Any]:
    """Consume ``code`` and enroll a device; return the device id and its token.

    ``public_key`` (already checked) is the key the device signs its ops with.
    """
    code_hash = hash_secret(normalize_code(code))
    row = db.session.get(EnrollmentCode, code_hash)
    bad = Problem(
        401,
        "unauthorized",
        "The enrollment code is not valid, was already used, or has expired. "
        "Ask your commander for a new one.",
    )
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        raise bad
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise bad
    device_id, token, now = str(uuid.uuid4()), new_token(DEVICE_TOKEN_PREFIX), utcnow()
    codes = EnrollmentCode.__table__
    with write_connection() as conn:
        # Mark the code used only if nobody else did in the meantime: two
        # devices racing with one code get one enrollment between them.
        taken = conn.execute(
            update(codes)
            .where(codes.c.code_hash == code_hash, codes.c.used_at.is_(None))
            .values(used_at=now, device_id=device_id)
        ).rowcount
        if taken != 1:
            raise bad
        conn.execute(
            Device.__table__.insert().values(
                id=device_id,
                user_id=user.id,
                name=device_name,
                token_hash=hash_secret(token),
                created_at=now,
                public_key=public_key,
            )
        )
    return {
        "device_id": device_id,
        "token": token,
        "officer": user.username,
        "post": user.post_code,
    }


def revoke(device: Device, by: str, reason: str | None) -> None:
    """Revoke a device: its token stops working at once; its reports stay."""
    with write_session():
        # Read again under the write lock: another commander may have revoked it.
        if device.revoked_at is None:
            device.revoked_at = utcnow()
            device.revoked_by = by
            device.revoke_reason = reason
