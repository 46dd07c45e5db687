"""Scheduled jobs: the once-only lease, failures outside the job logged, op-record pruning."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, insert, select, text, update

from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import OpRecord, Removal
from server.infra.transactions import write_connection
from server.jobs.catalog import default_registry
from server.jobs.registry import Job, Registry, UnknownJob
from server.reports.pull import encode_cursor
from server.reports.store import allocate_seqs
from tests.world import World


def _job(name: str, func: Callable[[Flask], dict[str, Any]], interval_s: int = 3600) -> Job:
    return Job(
        name=name, func=func, interval_key="X", default_interval_s=interval_s, description=name
    )


def test_job_runs_once_per_interval_across_processes(app: Flask) -> None:
    """A second scheduler firing within the interval does not run the job again."""
    calls = []
    probe = _job("probe", lambda a: calls.append(1) or {"n": len(calls)})
    first, second = Registry([probe]), Registry([probe])
    assert first.run(app, "probe") == {"n": 1}
    assert second.run(app, "probe") is None
    assert second.run(app, "probe", force=True) == {"n": 2}
    assert len(calls) == 2


def test_failing_job_is_recorded_and_lease_released(app: Flask) -> None:
    """A job that raises leaves its error in job_runs and can run again."""

    def boom(_app: Flask) -> dict:
        raise ValueError("disk full")

    with pytest.raises(ValueError, match="disk full"):
        Registry([_job("boom", boom, 60)]).run(app, "boom", force=True)
    assert _job_row(app, "boom") == ("failed", "ValueError: disk full", None)
    # Released, not held for the lease's 30 minutes: another process goes ahead.
    fixed = Registry([_job("boom", lambda _app: {"fixed": True}, 60)])
    assert fixed.run(app, "boom", force=True) == {"fixed": True}
    assert _job_row(app, "boom") == ("ok", None, None)


def _job_row(app: Flask, name: str) -> tuple:
    with app.app_context():
        return tuple(
            db.session.execute(
                db.text("SELECT last_status, last_error, lease_until FROM job_runs WHERE name=:n"),
                {"n": name},
            ).one()
        )


def _rename_job_runs(app: Flask, old: str, new: str) -> None:
    with app.app_context(), write_connection() as conn:
        conn.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))


def test_unknown_job_and_lease_failure_are_logged_not_swallowed(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """The scheduler's entry logs a failed lookup and a database error taking the lease."""
    calls: list[int] = []
    registry = Registry([_job("probe", lambda _a: calls.append(1) or {})])
    with pytest.raises(UnknownJob, match="There is no job 'nope'; the jobs are: probe."):
        registry.run(app, "nope")
    caplog.set_level(logging.ERROR, logger="patroli.jobs")
    registry.run_logged(app, "nope")
    _rename_job_runs(app, "job_runs", "job_runs_away")
    try:
        registry.run_logged(app, "probe")
    finally:
        _rename_job_runs(app, "job_runs_away", "job_runs")
    logged = [r for r in caplog.records if r.name == "patroli.jobs"]
    assert [r.getMessage() for r in logged] == [
        "scheduled run of job nope failed",
        "scheduled run of job probe failed",
    ]
    assert logged[0].exc_info[0] is UnknownJob and logged[1].exc_info is not None
    assert calls == []


def test_failed_release_does_not_hold_the_lease(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    """A release that cannot be written is logged; the same process runs the job again
    at its next turn, while other processes still respect the lease."""
    calls: list[int] = []

    def hides_its_table(_app: Flask) -> dict:
        calls.append(1)
        if len(calls) == 1:
            _rename_job_runs(app, "job_runs", "job_runs_away")
        return {"n": len(calls)}

    registry = Registry([_job("probe", hides_its_table, 60)])
    caplog.set_level(logging.ERROR, logger="patroli.jobs")
    try:
        assert registry.run(app, "probe") == {"n": 1}
    finally:
        _rename_job_runs(app, "job_runs_away", "job_runs")
    failures = [r.getMessage() for r in caplog.records if "releasing" in r.getMessage()]
    assert failures == [f"job probe: releasing its lease failed (attempt {n})" for n in (1, 2, 3)]
    status, _error, lease_until = _job_row(app, "probe")
    assert status is None and lease_until is not None  # the lease is still recorded
    other_process = Registry([_job("probe", hides_its_table, 60)])
    assert other_process.run(app, "probe", force=True) is None
    assert registry.run(app, "probe", force=True) == {"n": 2}
    assert _job_row(app, "probe") == ("ok", None, None)


def test_prune_ops_keeps_unacknowledged(app: Flask, world: World) -> None:
    """Only op records below the device's acknowledged HLC and past retention are pruned."""
    dev = world.devices["ofc.nnk.1"]
    dev.create()
    dev.create()
    with app.app_context(), write_connection() as conn:
        conn.execute(update(OpRecord.__table__).values(created_at=utcnow() - timedelta(days=60)))
    registry = default_registry()
    assert "prune-ops" in registry.names()
    summary = registry.run(app, "prune-ops", force=True)
    assert summary == {"removed": 1, "removals_removed": 0, "floor": 0}
    with app.app_context():
        left = db.session.execute(select(func.count()).select_from(OpRecord)).scalar()
    assert left == 1


def _add_removal(app: Flask, report_id: str, at: datetime) -> int:
    """A removal entry as a transfer would write it; its sequence value."""
    with app.app_context(), write_connection() as conn:
        (seq,) = allocate_seqs(conn, 1)
        conn.execute(
            insert(Removal.__table__).values(seq=seq, report_id=report_id, post_code="NNK", at=at)
        )
    return seq


def _pull(world: World, since: int) -> tuple[int, dict]:
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.get(
        "/api/v1/sync/pull", query_string={"cursor": encode_cursor(since)}, headers=dev.headers
    )
    return resp.status_code, resp.get_json()


def test_pruned_removals_raise_the_pull_floor(app: Flask, world: World) -> None:
    """Removals past retention go; a cursor below the newest pruned one answers 410
    cursor-expired, a cursor at it still sees every later removal."""
    world.devices["ofc.nnk.1"].create()
    long_ago = utcnow() - timedelta(days=120)
    _add_removal(app, "r-older", long_ago)
    old = _add_removal(app, "r-old", long_ago)
    recent = _add_removal(app, "r-recent", utcnow())
    assert _pull(world, old - 1)[0] == 200  # nothing pruned yet: the old cursor still works
    summary = default_registry().run(app, "prune-ops", force=True)
    assert summary == {"removed": 0, "removals_removed": 2, "floor": old}
    status, problem = _pull(world, old - 1)
    assert status == 410 and problem["type"] == "urn:patroli:problem:cursor-expired"
    status, page = _pull(world, old)
    assert status == 200
    assert [c["report_id"] for c in page["changes"]] == ["r-recent"]
    assert old < recent
