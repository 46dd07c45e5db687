"""Who is calling: device tokens, people's API tokens, and role checks.

Tokens are random and stored only as SHA-256 hashes (they carry 256 bits
of entropy, so a slow password hash would add nothing but latency).
Passwords use werkzeug's salted, slow hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import ApiToken, Device, User
from server.infra.problems import Problem

DEVICE_TOKEN_PREFIX = "pd_"
USER_TOKEN_PREFIX = "pu_"

F = TypeVar("F", bound=Callable[..., Any])


def hash_secret(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (token or enrollment code)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token(prefix: str) -> str:
    """A fresh random bearer token."""
    return prefix + secrets.token_urlsafe(32)


@dataclass
class Principal:
    """The authenticated caller of a request."""

    user: User
    device: Device | None = None

    @property
    def role(self) -> str:
        """The caller's role; a device always acts as an officer."""
        return "officer" if self.device is not None else self.user.role

    @property
    def name(self) -> str:
        """The username, as recorded in histories."""
        return self.user.username

    def posts(self) -> set[str] | None:
        """Posts whose reports the caller sees; ``None`` means all posts."""
        if self.role in ("hq", "admin"):
            return None
        return {self.user.post_code} if self.user.post_code else set()

    def sees_post(self, post: str) -> bool:
        """True when reports of ``post`` are in the caller's scope."""
        posts = self.posts()
        return posts is None or post in posts


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unauthorized(detail: str) -> Problem:
    return Problem(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def _load_device(token: str) -> Principal:
    device = db.session.execute(
        db.select(Device).where(Device.token_hash == hash_secret(token))
    ).scalar_one_or_none()
    if device is None:
        raise _unauthorized("The token is not valid.")
    if device.revoked_at is not None:
        raise Problem(
            401,
            "device-revoked",
            "This device has been revoked; its data stays on the device. "
            "Ask your commander to enroll it again.",
            # RFC 6750 error attributes: a HEAD answer has no body to carry the
            # problem type, and a device must still tell revoked from mistyped.
            headers={
                "WWW-Authenticate": 'Bearer error="invalid_token", '
                'error_description="device-revoked"'
            },
        )
    user = db.session.get(User, device.user_id)
    if user is None or not user.active:
        raise _unauthorized("The officer of this device is no longer active.")
    return Principal(user, device)


def _load_user_token(token: str) -> Principal:
    row = db.session.get(ApiToken, hash_secret(token))
    if row is None or row.expires_at < utcnow():
        raise _unauthorized("The token is not valid or has expired; get a new one.")
    user = db.session.get(User, row.user_id)
    if user is None or not user.active:
        raise _unauthorized("This account is no longer active.")
    return Principal(user)


def current_principal() -> Principal | None:
    """The caller, from a bearer token or a signed-in web session (cached per request)."""
    if "principal" in g:
        return g.principal
    token = _bearer()
    principal = None
    if token is not None:
        if token.startswith(DEVICE_TOKEN_PREFIX):
            principal = _load_device(token)
        elif token.startswith(USER_TOKEN_PREFIX):
            principal = _load_user_token(token)
        else:
            raise _unauthorized("The token is not valid.")
    else:
        loader = g.get("session_principal_loader")
        principal = loader() if loader else None
    g.principal = principal
    return principal


def require(*roles: str) -> Callable[[F], F]:
    """Decorate a view: the caller must be authenticated and have one of ``roles``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = current_principal()
            if principal is None:
                raise _unauthorized("Sign in or send a bearer token.")
            if roles and principal.role not in roles:
                raise Problem(
                    403,
                    "forbidden",
                    f"This needs the role {' or '.join(roles)}; "
                    f"you are signed in as {principal.role}.",
                )
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_device(view: F) -> F:
    """Decorate a view: only an enrolled, unrevoked device may call it."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        principal = current_principal()
        if principal is None:
            raise _unauthorized("Send the device's bearer token.")
        if principal.device is None:
            raise Problem(403, "forbidden", "Only an enrolled field device may sync.")
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]
