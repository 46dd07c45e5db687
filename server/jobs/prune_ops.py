"""Pruning of op records that devices have acknowledged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import and_, delete, select

from server.infra.clock import utcnow
from server.infra.models import Device, OpRecord
from server.infra.transactions import write_connection
from server.jobs.registry import job_of

ops = OpRecord.__table__
devices = Device.__table__


def prune_ops(app: Flask) -> dict[str, Any]:
    """Delete op records a device has acknowledged and that are older than the retention."""
    keep = timedelta(days=int(app.config.get("PATROLI_OP_RETENTION_DAYS", 30)))
    cutoff = utcnow() - keep
    removed = 0
    with write_connection() as conn:
        acked = conn.execute(
            select(devices.c.id, devices.c.acked_hlc).where(devices.c.acked_hlc.is_not(None))
        ).all()
        for device_id, acked_hlc in acked:
            # The device pushes its outbox in HLC order, so an op below the
            # smallest HLC of its latest batch has left its outbox: a replay
            # of it can no longer arrive, and its record may go.
            removed += conn.execute(
                delete(ops).where(
                    and_(
                        ops.c.device_id == device_id,
                        ops.c.sent_hlc < acked_hlc,
                        ops.c.created_at < cutoff,
                    )
                )
            ).rowcount
    return {"removed": removed}


JOB = job_of(
    prune_ops, name="prune-ops", interval_key="PATROLI_JOB_PRUNE_OPS_S", default_s=6 * 3600
)
