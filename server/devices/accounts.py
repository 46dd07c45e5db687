"""What an administrator does to a person's account, and what each act ends.

Disabling an account, giving it a new password and signing it out
everywhere all end the person's page sessions and API tokens in the same
transaction as the change, so no earlier cookie or token outlives it.
Device tokens belong to devices: a disabled officer's devices stop syncing
because the account is inactive, and are revoked on their own page.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.security import generate_password_hash

from server.http.web_sessions import end_all
from server.infra.db import db
from server.infra.models import User
from server.infra.transactions import write_session


class AccountError(Exception):
    """An account change that cannot be made; the message says why, in one sentence."""


@dataclass(frozen=True, kw_only=True)
class Ended:
    """How many page sessions and API tokens an account change ended."""

    sessions: int
    tokens: int


def _user(username: str) -> User:
    user = db.session.execute(db.select(User).where(User.username == username)).scalar()
    if user is None:
        raise AccountError(f"There is no user {username}.")
    return user


def sign_out_everywhere(username: str) -> Ended:
    """End every page session and API token of ``username``."""
    with write_session():
        sessions, tokens = end_all(_user(username).id)
    return Ended(sessions=sessions, tokens=tokens)


def set_active(username: str, active: bool) -> Ended:
    """Enable or disable ``username``; disabling ends their sessions and tokens."""
    with write_session():
        user = _user(username)
        user.active = active
        sessions, tokens = (0, 0) if active else end_all(user.id)
    return Ended(sessions=sessions, tokens=tokens)


def set_password(username: str, password: str) -> Ended:
    """Give ``username`` a new password and end their sessions and tokens."""
    if not password:
        raise AccountError("A password cannot be empty.")
    password_hash = generate_password_hash(password)
    with write_session():
        user = _user(username)
        if user.role == "officer":
            raise AccountError(
                f"{username} is an officer; officers sign in through enrolled devices, "
                "not with a password."
            )
        user.password_hash = password_hash
        sessions, tokens = end_all(user.id)
    return Ended(sessions=sessions, tokens=tokens)
