"""The devices page: sync health, revocation with a reason, enrollment codes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from server.devices import enrollment, field_link
from server.devices import status as device_status
from server.infra.db import db
from server.infra.models import Device, User
from server.web.access import current, page

bp = Blueprint("web_devices", __name__)

MANAGERS = ("commander", "admin")


@bp.get("/devices")
@page(*MANAGERS)
def index() -> ResponseReturnValue:
    """Devices of the person's post(s) and the enrollment-code form."""
    return render_template(
        "devices.html",
        devices=device_status.list_devices(current()),
        officers=device_status.officers(current()),
        silent_hours=device_status.silent_hours(),
    )


@bp.post("/devices/<device_id>/revoke")
@page(*MANAGERS)
def revoke(device_id: str) -> ResponseReturnValue:
    """Revoke a device of the person's post; a reason is required."""
    device = db.session.get(Device, device_id)
    user = db.session.get(User, device.user_id) if device else None
    if device is None or user is None or not current().sees_post(user.post_code or ""):
        abort(404)
    reason = (request.form.get("reason") or "").strip()[:500]
    if not reason:
        flash(_("Say why the device is revoked (lost, stolen, officer moved…)."), "error")
        return redirect(url_for("web_devices.index"))
    enrollment.revoke(device, current().name, reason)
    flash(_("Device %(name)s revoked. Its token stops working now.", name=device.name), "ok")
    return redirect(url_for("web_devices.index"))


@bp.post("/devices/enrollment-code")
@page(*MANAGERS)
def enrollment_code() -> ResponseReturnValue:
    """Issue a one-time code and show it this once (never stored in clear)."""
    username = request.form.get("username", "")
    user = next((u for u in device_status.officers(current()) if u.username == username), None)
    if user is None:
        abort(404)
    code, expires_at = enrollment.issue_code_with_expiry(user, current().name)
    link = field_link.enroll_link(request.host_url, code)
    resp = render_template(
        "enrollment_code.html",
        code=code,
        officer=user,
        expires_at=expires_at,
        link=link,
        qr_svg=Markup(field_link.qr_svg(link)),  # segno's own markup, no user text in it
    )
    return resp, 200, {"Cache-Control": "no-store"}
