"""Device health for commanders: last sync, pending reviews, silence.

A device is *silent* when it has neither pushed nor pulled (nor, if it
never synced, been enrolled) for longer than ``PATROLI_SILENT_DEVICE_HOURS``.
The flag shown on the devices page is computed when the page is read, so it
is never stale; the ``silent-devices`` job logs each device when it first
goes silent and records when (``devices.silent_since``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import func, select, update

from server.http.auth import Principal
from server.infra.clock import iso_ms, utcnow
from server.infra.db import db
from server.infra.models import Device, Report, User
from server.infra.transactions import write_connection

# The silent-devices job's log, where operators look for silent devices.
log = logging.getLogger("patroli.jobs.silent_devices")
devices = Device.__table__
reports = Report.__table__
users = User.__table__

PENDING = ("submitted", "in_review")


def silent_hours(app: Flask | None = None) -> int:
    """Hours without contact after which a device counts as silent."""
    return int((app or current_app).config["PATROLI_SILENT_DEVICE_HOURS"])


def silent_cutoff(app: Flask | None = None) -> datetime:
    """Devices whose last contact is before this are silent."""
    config = (app or current_app).config
    return utcnow() - timedelta(hours=float(config["PATROLI_SILENT_DEVICE_HOURS"]))


def last_seen(device: Any) -> datetime | None:
    """The device's latest push, pull or (never synced) enrollment."""
    times = [t for t in (device.last_push_at, device.last_pull_at) if t is not None]
    return max(times) if times else device.created_at


def pending_counts(device_ids: list[str]) -> dict[str, int]:
    """Reports from each device still waiting for review."""
    if not device_ids:
        return {}
    query = (
        select(reports.c.device_id, func.count())
        .where(reports.c.device_id.in_(device_ids), reports.c.review_status.in_(PENDING))
        .group_by(reports.c.device_id)
    )
    return {device_id: n for device_id, n in db.session.execute(query)}


def device_view(device: Device, user: User, pending: int, cutoff: datetime) -> dict[str, Any]:
    """A device as commanders see it, with sync health."""
    seen = last_seen(device)
    return {
        "id": device.id,
        "name": device.name,
        "officer": user.username,
        "post": user.post_code,
        "created_at": iso_ms(device.created_at),
        "last_push_at": iso_ms(device.last_push_at),
        "last_pull_at": iso_ms(device.last_pull_at),
        "last_seen_at": iso_ms(seen),
        "pending_review": pending,
        "silent": device.revoked_at is None and seen is not None and seen < cutoff,
        "silent_since": iso_ms(device.silent_since),
        "revoked": device.revoked_at is not None,
        "revoked_at": iso_ms(device.revoked_at),
        "revoked_by": device.revoked_by,
        "revoke_reason": device.revoke_reason,
    }


def list_devices(principal: Principal) -> list[dict[str, Any]]:
    """Devices of the caller's post(s): active ones first, then newest."""
    posts = principal.posts()
    query = db.select(Device, User).join(User, User.id == Device.user_id)
    if posts is not None:
        query = query.where(User.post_code.in_(sorted(posts)))
    rows = db.session.execute(
        query.order_by(Device.revoked_at.is_not(None), Device.created_at.desc())
    ).all()
    pending = pending_counts([d.id for d, _ in rows])
    cutoff = silent_cutoff()
    return [device_view(d, u, pending.get(d.id, 0), cutoff) for d, u in rows]


def officers(principal: Principal) -> list[User]:
    """Active officers of the caller's post(s), for issuing enrollment codes."""
    query = db.select(User).where(User.role == "officer", User.active.is_(True))
    posts = principal.posts()
    if posts is not None:
        query = query.where(User.post_code.in_(sorted(posts)))
    return list(db.session.execute(query.order_by(User.post_code, User.username)).scalars())


def flag_silent(cutoff: datetime, now: datetime) -> dict[str, Any]:
    """Flag and log devices not seen since ``cutoff``; clear those back since."""
    # Few devices per deployment: the latest of push and pull is taken in
    # Python, where it is the same on every database.
    with write_connection() as conn:
        rows = conn.execute(
            select(devices, users.c.username, users.c.post_code)
            .join(users, users.c.id == devices.c.user_id)
            .where(devices.c.revoked_at.is_(None))
        ).all()
        newly, back, silent = [], [], 0
        for row in rows:
            seen = last_seen(row)
            if seen is not None and seen < cutoff:
                silent += 1
                if row.silent_since is None:
                    newly.append(row)
            elif row.silent_since is not None:
                back.append(row.id)
        if newly:
            conn.execute(
                update(devices)
                .where(devices.c.id.in_([r.id for r in newly]))
                .values(silent_since=now)
            )
        if back:
            conn.execute(update(devices).where(devices.c.id.in_(back)).values(silent_since=None))
    for row in newly:
        log.warning(
            "device %s (%s, officer %s, post %s) silent since %s",
            row.id,
            row.name,
            row.username,
            row.post_code,
            iso_ms(last_seen(row)),
        )
    return {"silent": silent, "newly_silent": len(newly), "back": len(back)}
