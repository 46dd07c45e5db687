"""The dashboard's jobs: each one's effect, and the once-only lease with two schedulers."""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import update

from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import Device, Report
from server.infra.transactions import write_connection
from server.jobs.catalog import default_registry
from server.jobs.registry import Job, Registry
from tests.world import World


def test_jobs_are_registered() -> None:
    """Every dashboard job can be run by name (patroli jobs run NAME)."""
    assert {"silent-devices", "review-sla", "prune-ops"} <= set(
        default_registry().names()
    )


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
        summary = default_registry().run(app, "silent-devices", force=True)
    assert summary == {"silent": 1, "newly_silent": 1, "back": 0}
    assert any(
        quiet.device_id in r.getMessage() and "ofc.nnk.2" in r.getMessage() for r in caplog.records
    )
    with app.app_context():
        since = db.session.get(Device, quiet.device_id).silent_since
    assert since is not None
    assert default_registry().run(app, "silent-devices", force=True)["newly_silent"] == 0
    quiet.pull_all()
    assert default_registry().run(app, "silent-devices", force=True) == {
        "silent": 0,
        "newly_silent": 0,
        "back": 1,
    }
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
        summary = default_registry().run(app, "review-sla", force=True)
    assert summary == {"overdue": 1, "by_post": {"NNK": 1}}
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert old in text and fresh not in text and decided not in text


def _probe(
    calls: list[object], stamp: Callable[[], object], hold: threading.Event | None = None
) -> Job:
    """A 1-second job that records ``stamp()`` when it runs, held until ``hold`` is set."""

    def run(_app: Flask) -> dict:
        """Record the run, then wait for the test's go-ahead."""
        calls.append(stamp())
        if hold is not None:
            assert hold.wait(timeout=30), "the test never released the job"
        return {"n": len(calls)}

    return Job(
        name="probe-lease",
        func=run,
        interval_key="PATROLI_JOB_PROBE_LEASE_S",
        default_interval_s=1,
        description="probe",
    )


def test_two_processes_racing_run_the_job_once(app: Flask) -> None:
    """A second runner while the job is running gets None; the job ran once.

    Each runner holds its own registry, as each process does, so only the
    database lease keeps them apart."""
    calls: list[object] = []
    hold = threading.Event()
    probe = _probe(calls, lambda: "run", hold)
    results: queue.Queue[object] = queue.Queue()

    def runner(registry: Registry) -> None:
        """Run the job and hand back what the registry answered."""
        results.put(registry.run(app, "probe-lease"))

    threads = [threading.Thread(target=runner, args=(Registry([probe]),)) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        # The job holds until released, so whichever runner is second finds
        # the lease taken and answers first, whatever the threads' timing.
        assert results.get(timeout=30) is None
        hold.set()
        assert results.get(timeout=30) == {"n": 1}
    finally:
        hold.set()
        for t in threads:
            t.join(timeout=30)
    assert calls == ["run"]


def test_two_schedulers_share_each_interval(app: Flask) -> None:
    """Two processes' schedulers fire a 1 s job at unrelated phases for 6 s: it runs 6
    times, once per interval, not 12, and never twice within 0.9 s (a clock, not a sleep)."""
    start = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
    now = [start]
    calls: list[object] = []
    probe = _probe(calls, lambda: now[0])
    a, b = (Registry([probe], clock=lambda: now[0]) for _ in range(2))
    # Scheduler A fires a little early each second (as APScheduler may);
    # scheduler B fires 0.3 s after A.
    fires = sorted([(k - 0.02, a) for k in range(1, 7)] + [(k + 0.3, b) for k in range(1, 7)])
    for at, registry in fires:
        now[0] = start + timedelta(seconds=at)
        registry.run_logged(app, "probe-lease")
    assert len(calls) == 6, calls
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert all(g >= timedelta(seconds=0.9) for g in gaps), gaps


def test_scheduler_fires_each_job_at_its_interval_one_at_a_time(app: Flask) -> None:
    """start_scheduler registers every job at its interval, one instance, missed runs merged."""
    app.config["PATROLI_JOB_PROBE_LEASE_S"] = 3600  # never due while the test looks
    registry = Registry([_probe([], lambda: None)])
    scheduler = registry.start_scheduler(app)
    try:
        (entry,) = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=True)
    assert entry.id == "probe-lease" and entry.args == (app, "probe-lease")
    assert entry.func == registry.run_logged
    assert entry.trigger.interval == timedelta(seconds=3600)
    assert entry.max_instances == 1 and entry.coalesce is True
