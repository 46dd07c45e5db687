"""``/sync/push`` and ``/sync/pull`` for enrolled devices."""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, current_app, request

from server.http.auth import current_principal, require_device
from server.http.request_body import json_object
from server.infra.problems import Problem
from server.infra.transactions import read_snapshot
from server.reports import pull as pull_service
from server.reports import push as push_service

bp = Blueprint("sync", __name__)


def _json(payload: bytes, status: int = 200) -> Response:
    return Response(payload, status=status, mimetype="application/json")


@bp.post("/sync/push")
@require_device
def push() -> Response:
    """Apply a batch of ops from the device; one result per op, in order."""
    body = json_object()
    response = push_service.push(current_principal(), body)
    return _json(orjson.dumps(response))


def _limit() -> int:
    cfg = current_app.config
    raw = request.args.get("limit")
    if raw is None:
        return cfg["PATROLI_PULL_LIMIT"]
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= cfg["PATROLI_PULL_MAX_LIMIT"]:
        raise Problem(
            400,
            "validation-failed",
            "limit is out of range.",
            errors={"limit": [f"must be between 1 and {cfg['PATROLI_PULL_MAX_LIMIT']}"]},
        )
    return value


def _skip_echo() -> bool:
    """``skip_echo=1``: the device keeps its applied ops' results (docs/protocol.md)."""
    raw = request.args.get("skip_echo", "0")
    if raw not in ("0", "1"):
        raise Problem(
            400,
            "validation-failed",
            "skip_echo is not 0 or 1.",
            errors={"skip_echo": ["must be 0 or 1"]},
        )
    return raw == "1"


@bp.get("/sync/pull")
@require_device
def pull() -> Response:
    """Every report of the device's post changed after the cursor, each once."""
    principal = current_principal()
    limit = _limit()
    skip_echo_of = principal.device.id if _skip_echo() else None
    # One snapshot: the page, its conflicts and the counters agree.
    with read_snapshot() as conn:
        payload = pull_service.pull(
            conn, principal.posts(), request.args.get("cursor"), limit, skip_echo_of
        )
    pull_service.record_pull(principal.device)
    return _json(payload)
