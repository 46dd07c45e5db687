"""Scheduled jobs: the once-only lease and op-record pruning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from server.infra.clock import utcnow
from server.infra.db import db, write_connection
from server.infra.models import OpRecord
from server.jobs.registry import REGISTRY, names, run_job
from tests.world import World


def test_job_runs_once_per_interval_across_processes(app: Flask) -> None:
    """A second scheduler firing within half an interval does not run the job again."""
    calls = []
    names()
    REGISTRY["probe"] = REGISTRY["prune-ops"].__class__(
        "probe", lambda a: calls.append(1) or {"n": len(calls)}, "X", 3600, "probe"
    )
    try:
        assert run_job(app, "probe") == {"n": 1}
        assert run_job(app, "probe") is None
        assert run_job(app, "probe", force=True) == {"n": 2}
        assert len(calls) == 2
    finally:
        del REGISTRY["probe"]


def test_failing_job_is_recorded_and_lease_released(app: Flask) -> None:
    """A job that raises leaves its error in job_runs and can run again."""

    def boom(_app: Flask) -> dict:
        raise ValueError("disk full")

    names()
    job = REGISTRY["prune-ops"].__class__
    REGISTRY["boom"] = job("boom", boom, "X", 60, "boom")
    try:
        with pytest.raises(ValueError, match="disk full"):
            run_job(app, "boom", force=True)
        assert _job_row(app, "boom") == ("failed", "ValueError: disk full", None)
        # Released, not held for the lease's 30 minutes: the next run goes ahead.
        REGISTRY["boom"] = job("boom", lambda _app: {"fixed": True}, "X", 60, "boom")
        assert run_job(app, "boom", force=True) == {"fixed": True}
        assert _job_row(app, "boom") == ("ok", None, None)
    finally:
        del REGISTRY["boom"]


def _job_row(app: Flask, name: str) -> tuple:
    with app.app_context():
        return tuple(
            db.session.execute(
                db.text("SELECT last_status, last_error, lease_until FROM job_runs WHERE name=:n"),
                {"n": name},
            ).one()
        )


def test_prune_ops_keeps_unacknowledged(app: Flask, world: World) -> None:
    """Only op records below the device's acknowledged HLC and past retention are pruned."""
    dev = world.devices["ofc.nnk.1"]
    first_id, _ = dev.create()
    dev.create()
    with app.app_context(), write_connection() as conn:
        conn.execute(update(OpRecord.__table__).values(created_at=utcnow() - timedelta(days=60)))
    assert "prune-ops" in names()
    summary = run_job(app, "prune-ops", force=True)
    assert summary == {"removed": 1}
    with app.app_context():
        left = db.session.execute(select(func.count()).select_from(OpRecord)).scalar()
    assert left == 1
