"""The dashboard's jobs: each one's effect, and the once-only lease with two schedulers."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update

from server.auth import utcnow
from server.db import db, write_connection
from server.jobs import REGISTRY, Job, names, run_job, start_scheduler
from server.models import AggregateRollup, Device, Report
from tests.world import World


def test_jobs_are_registered() -> None:
    """Every dashboard job can be run by name (patroli jobs run NAME)."""
    assert {"aggregate-rollup", "silent-devices", "review-sla", "prune-ops"} <= set(names())


def test_silent_devices_job_flags_logs_and_clears(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A device silent past the limit is flagged once and logged; syncing clears it."""
    quiet = world.devices["ofc.nnk.2"]
    table = Device.__table__
    with app.app_context(), write_connection() as conn:
        conn.execute(
            update(table)
            .where(table.c.id == quiet.device_id)
            .values(created_at=utcnow() - timedelta(hours=100))
        )
    with caplog.at_level(logging.WARNING, "patroli.jobs"):
        summary = run_job(app, "silent-devices", force=True)
    assert summary == {"silent": 1, "newly_silent": 1, "back": 0}
    assert any(
        quiet.device_id in r.getMessage() and "ofc.nnk.2" in r.getMessage() for r in caplog.records
    )
    with app.app_context():
        since = db.session.get(Device, quiet.device_id).silent_since
    assert since is not None
    assert run_job(app, "silent-devices", force=True)["newly_silent"] == 0
    quiet.pull_all()
    assert run_job(app, "silent-devices", force=True) == {"silent": 0, "newly_silent": 0, "back": 1}
    with app.app_context():
        assert db.session.get(Device, quiet.device_id).silent_since is None


def test_review_sla_job_logs_overdue_reports(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """Reports waiting past PATROLI_REVIEW_SLA_HOURS are logged per post; decided ones are not."""
    old, fresh = world.devices["ofc.nnk.1"].create()[0], world.devices["ofc.nnk.1"].create()[0]
    decided = world.devices["ofc.dum.1"].create()[0]
    table = Report.__table__
    with app.app_context(), write_connection() as conn:
        conn.execute(
            update(table)
            .where(table.c.id.in_([old, decided]))
            .values(status_since=utcnow() - timedelta(hours=49))
        )
    world.client.post(
        f"/api/v1/reports/{decided}/review",
        headers=world.token("cmd.dum"),
        json={"status": "rejected", "note": "duplicate", "rev": 1},
    )
    with caplog.at_level(logging.WARNING, "patroli.jobs"):
        summary = run_job(app, "review-sla", force=True)
    assert summary == {"overdue": 1, "by_post": {"NNK": 1}}
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert old in text and fresh not in text and decided not in text


def test_aggregate_rollup_job_fills_summary_table(app: Flask, world: World) -> None:
    """The roll-up job stores closed days' cells and the API still answers the same."""
    dev = world.devices["ofc.nnk.1"]
    dev.create()
    dev.create()
    before = world.client.get(
        "/api/v1/aggregates?group_by=week", headers=world.token("hq.1")
    ).get_json()["rows"]
    summary = run_job(app, "aggregate-rollup", force=True)
    assert summary["rows"] == 1
    with app.app_context():
        rows = db.session.execute(select(func.sum(AggregateRollup.reports))).scalar()
    assert rows == 2
    after = world.client.get(
        "/api/v1/aggregates?group_by=week", headers=world.token("hq.1")
    ).get_json()
    assert after["rows"] == before and after["source"]["rolled_until"] is not None


def _probe(calls: list[float], pause: float = 0.0) -> Job:
    """A registry entry that records when it ran."""

    def run(_app: Flask) -> dict:
        """Record the run."""
        calls.append(time.monotonic())
        time.sleep(pause)
        return {"n": len(calls)}

    return Job("probe-lease", run, "PATROLI_JOB_PROBE_LEASE_S", 1, "probe")


def test_two_processes_racing_run_the_job_once(app: Flask) -> None:
    """Two runners released at the same instant: one runs, the other gets None."""
    calls: list[float] = []
    names()
    REGISTRY["probe-lease"] = _probe(calls, pause=0.3)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def runner() -> None:
        """Start at the barrier together with the other runner."""
        barrier.wait(timeout=10)
        results.append(run_job(app, "probe-lease"))

    try:
        threads = [threading.Thread(target=runner) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        del REGISTRY["probe-lease"]
    assert len(calls) == 1
    assert sorted(results, key=lambda r: r is None) == [{"n": 1}, None]


def test_two_schedulers_share_each_interval(app: Flask) -> None:
    """Two schedulers firing a 1 s job for about 3.5 s run it about 3 times, not 6."""
    calls: list[float] = []
    names()
    saved = dict(REGISTRY)
    REGISTRY.clear()
    REGISTRY["probe-lease"] = _probe(calls)
    schedulers = []
    try:
        schedulers = [start_scheduler(app), start_scheduler(app)]
        time.sleep(3.5)
    finally:
        for s in schedulers:
            s.shutdown(wait=True)
        REGISTRY.clear()
        REGISTRY.update(saved)
    assert 2 <= len(calls) <= 4, calls
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert all(g >= 0.4 for g in gaps), gaps
