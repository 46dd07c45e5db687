"""The ``prune-ops`` job: acknowledged op records and old removals (``reports.retention``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from server.infra.clock import utcnow
from server.infra.transactions import write_connection
from server.jobs.registry import job_of
from server.reports import retention


def prune_ops(app: Flask) -> dict[str, Any]:
    """Delete acknowledged op records and removals older than their retention."""
    now = utcnow()
    ops_before = now - timedelta(days=int(app.config.get("PATROLI_OP_RETENTION_DAYS", 30)))
    removals_before = now - timedelta(
        days=int(app.config.get("PATROLI_REMOVAL_RETENTION_DAYS", 90))
    )
    with write_connection() as conn:
        removed = retention.prune_op_records(conn, ops_before)
        return {"removed": removed, **retention.prune_removals(conn, removals_before)}


JOB = job_of(
    prune_ops, name="prune-ops", interval_key="PATROLI_JOB_PRUNE_OPS_S", default_s=6 * 3600
)
