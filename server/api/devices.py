"""Devices: enrollment (by code), listing and revocation (by a commander)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from marshmallow import Schema, fields, validate

from server import enrollment
from server.auth import current_principal, require
from server.bodies import json_object
from server.db import db
from server.documents import iso_ms
from server.models import Device, User
from server.problems import Problem
from sync import hlc as H
from sync.errors import flatten_errors

bp = Blueprint("devices", __name__)


class EnrollSchema(Schema):
    """Body of ``POST /devices/enroll``."""

    enrollment_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    device_name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class RevokeSchema(Schema):
    """Body of ``POST /devices/<id>/revoke`` (optional)."""

    reason = fields.String(validate=validate.Length(max=500), allow_none=True)


_ENROLL, _REVOKE = EnrollSchema(), RevokeSchema()


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


def device_view(device: Device, user: User) -> dict[str, Any]:
    """A device as listed to commanders."""
    return {
        "id": device.id,
        "name": device.name,
        "officer": user.username,
        "post": user.post_code,
        "created_at": iso_ms(device.created_at),
        "last_push_at": iso_ms(device.last_push_at),
        "last_pull_at": iso_ms(device.last_pull_at),
        "revoked": device.revoked_at is not None,
        "revoked_at": iso_ms(device.revoked_at),
        "revoked_by": device.revoked_by,
        "revoke_reason": device.revoke_reason,
    }


@bp.post("/devices/enroll")
def enroll() -> ResponseReturnValue:
    """Enroll a device with a one-time code; answer its id and bearer token."""
    body = _validated(_ENROLL, json_object())
    result = enrollment.enroll(body["enrollment_code"], body["device_name"])
    result["server_time"] = H.format_server_time()
    return jsonify(result), 201


def _device_in_scope(device_id: str) -> tuple[Device, User]:
    principal = current_principal()
    device = db.session.get(Device, device_id)
    user = db.session.get(User, device.user_id) if device else None
    if device is None or user is None or not principal.sees_post(user.post_code or ""):
        raise Problem(404, "not-found", "No such device in your post(s).")
    return device, user


@bp.get("/devices")
@require("commander", "admin")
def list_devices() -> ResponseReturnValue:
    """Devices of the caller's post(s), newest first."""
    posts = current_principal().posts()
    query = db.select(Device, User).join(User, User.id == Device.user_id)
    if posts is not None:
        query = query.where(User.post_code.in_(sorted(posts)))
    rows = db.session.execute(query.order_by(Device.created_at.desc())).all()
    return jsonify(devices=[device_view(d, u) for d, u in rows])


@bp.post("/devices/<device_id>/revoke")
@require("commander", "admin")
def revoke(device_id: str) -> ResponseReturnValue:
    """Revoke a device of the caller's post; its token stops working at once."""
    device, user = _device_in_scope(device_id)
    body = _validated(_REVOKE, json_object()) if _has_body() else {}
    enrollment.revoke(device, current_principal().name, body.get("reason"))
    return jsonify(device=device_view(device, user))


def _has_body() -> bool:
    from flask import request

    return bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
