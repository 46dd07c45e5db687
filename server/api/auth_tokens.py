"""``POST /api/v1/auth/token``: a bearer token for scripts acting as a person."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from werkzeug.security import check_password_hash

from server.http.auth import USER_TOKEN_PREFIX, hash_secret, new_token
from server.http.request_body import json_object
from server.infra.clock import iso_ms, utcnow
from server.infra.db import db
from server.infra.models import ApiToken, User
from server.infra.problems import Problem
from server.infra.transactions import write_session
from server.openapi.requests import TokenRequestSchema
from sync.errors import flatten_errors

bp = Blueprint("auth_tokens", __name__)


_SCHEMA = TokenRequestSchema()


@bp.post("/auth/token")
def issue_token() -> ResponseReturnValue:
    """Exchange a password for an expiring bearer token."""
    body = json_object()
    errors = _SCHEMA.validate(body)
    if errors:
        raise Problem(
            400, "validation-failed", "Send username and password.", errors=flatten_errors(errors)
        )
    user = db.session.execute(
        db.select(User).where(User.username == body["username"])
    ).scalar_one_or_none()
    if (
        user is None
        or not user.active
        or not user.password_hash
        or not check_password_hash(user.password_hash, body["password"])
    ):
        raise Problem(401, "unauthorized", "Wrong username or password.")
    if user.role == "officer":
        # Officers act through their enrolled devices only.
        raise Problem(403, "forbidden", "Officers sign in through an enrolled device.")
    token, now = new_token(USER_TOKEN_PREFIX), utcnow()
    expires = now + timedelta(seconds=current_app.config["PATROLI_TOKEN_TTL_S"])
    user_id, role = user.id, user.role
    with write_session():
        db.session.add(
            ApiToken(
                token_hash=hash_secret(token), user_id=user_id, created_at=now, expires_at=expires
            )
        )
    return jsonify(token=token, role=role, expires_at=iso_ms(expires))
