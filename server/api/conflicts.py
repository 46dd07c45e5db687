"""Conflict records for people: list, one, and a commander's resolution."""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from server.http.auth import current_principal, require
from server.http.request_body import json_object
from server.infra.problems import Problem
from server.review import conflicts as service

bp = Blueprint("conflicts", __name__)
STATUSES = ("open", "resolved")


@bp.get("/conflicts")
@require("officer", "commander", "hq", "admin")
def list_conflicts() -> ResponseReturnValue:
    """Conflicts of the caller's post(s), filtered by status, post and report."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise Problem(
            400,
            "validation-failed",
            "Unknown conflict status.",
            errors={"status": ["must be open or resolved"]},
        )
    found = service.list_conflicts(
        current_principal(), status, request.args.get("post"), request.args.get("report_id")
    )
    return jsonify(conflicts=found)


@bp.get("/conflicts/<conflict_id>")
@require("officer", "commander", "hq", "admin")
def get_conflict(conflict_id: str) -> ResponseReturnValue:
    """One conflict record with both sides."""
    return jsonify(conflict=service.get_conflict(current_principal(), conflict_id))


@bp.post("/conflicts/<conflict_id>/resolve")
@require("commander")
def resolve(conflict_id: str) -> ResponseReturnValue:
    """Keep one side or write a merged value; a new revision that devices pull."""
    body = json_object()
    document = service.resolve(current_principal(), conflict_id, body)
    return jsonify(report=document, conflict=service.get_conflict(current_principal(), conflict_id))
