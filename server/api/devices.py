"""Devices: enrollment (by code), listing and revocation (by a commander)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema

from server.devices import enrollment
from server.devices import status as device_status
from server.http.auth import current_principal, require
from server.http.request_body import json_object
from server.infra.clock import iso_ms
from server.infra.db import db
from server.infra.models import Device, User
from server.infra.problems import Problem
from server.openapi.requests import EnrollmentCodeSchema, EnrollSchema, RevokeSchema
from sync import hlc
from sync.errors import flatten_errors

bp = Blueprint("devices", __name__)


_ENROLL, _REVOKE, _CODE = EnrollSchema(), RevokeSchema(), EnrollmentCodeSchema()


def _validated(schema: Schema, body: dict[str, Any]) -> dict[str, Any]:
    errors = schema.validate(body)
    if errors:
        raise Problem(
            400,
            "validation-failed",
            "Some fields are missing or wrong.",
            errors=flatten_errors(errors),
        )
    return body


@bp.post("/devices/enroll")
def enroll() -> ResponseReturnValue:
    """Enroll a device with a one-time code; answer its id and bearer token."""
    body = _validated(_ENROLL, json_object())
    result = enrollment.enroll(
        body["enrollment_code"], body["device_name"], public_key=body.get("public_key")
    )
    result["server_time"] = hlc.format_server_time()
    return jsonify(result), 201


def _device_in_scope(device_id: str) -> tuple[Device, User]:
    """A device of the caller's post(s) and its officer; 404 otherwise."""
    principal = current_principal()
    device = db.session.get(Device, device_id)
    user = db.session.get(User, device.user_id) if device else None
    if device is None or user is None or not principal.sees_post(user.post_code or ""):
        raise Problem(404, "not-found", "No such device in your post(s).")
    return device, user


@bp.get("/devices")
@require("commander", "admin")
def list_devices() -> ResponseReturnValue:
    """Devices of the caller's post(s) with last push/pull, pending reviews and silence."""
    return jsonify(devices=device_status.list_devices(current_principal()))


def officer_in_scope(username: str) -> User:
    """An active officer of the caller's post(s); 404 for anyone else."""
    user = db.session.execute(db.select(User).where(User.username == username)).scalar()
    principal = current_principal()
    if (
        user is None
        or user.role != "officer"
        or not user.active
        or not principal.sees_post(user.post_code or "")
    ):
        raise Problem(
            404,
            "not-found",
            "No such officer in your post(s).",
            errors={"username": ["is not an active officer of your post(s)"]},
        )
    return user


@bp.post("/devices/enrollment-codes")
@require("commander", "admin")
def issue_enrollment_code() -> ResponseReturnValue:
    """Issue a one-time, expiring enrollment code for an officer (shown only in this answer)."""
    body = _validated(_CODE, json_object())
    user = officer_in_scope(body["username"])
    ttl = body["ttl_hours"] * 3600 if body.get("ttl_hours") else None
    code, expires_at = enrollment.issue_code_with_expiry(user, current_principal().name, ttl)
    resp = jsonify(
        code=code, username=user.username, post=user.post_code, expires_at=iso_ms(expires_at)
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp, 201


@bp.post("/devices/<device_id>/revoke")
@require("commander", "admin")
def revoke(device_id: str) -> ResponseReturnValue:
    """Revoke a device of the caller's post; its token stops working at once."""
    device, user = _device_in_scope(device_id)
    body = _validated(_REVOKE, json_object()) if _has_body() else {}
    enrollment.revoke(device, current_principal().name, body.get("reason"))
    pending = device_status.pending_counts([device.id]).get(device.id, 0)
    view = device_status.device_view(device, user, pending, device_status.silent_cutoff())
    return jsonify(device=view)


def _has_body() -> bool:
    from flask import request

    return bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
