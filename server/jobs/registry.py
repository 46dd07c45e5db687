"""Scheduled jobs: a registry, a once-only database lease, and the scheduler.

Every server process runs the scheduler (gunicorn starts it in each worker
after the fork, never at import time or in ``create_app``).  A job run
first takes its row in ``job_runs``: the update succeeds for one process
only while the lease is free and the previous start is at least
``MIN_GAP_SHARE`` of an interval old, so with N processes a job still runs
once per interval.  A failing job is logged and recorded; the server keeps
serving.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import update

from server.infra.clock import utcnow
from server.infra.db import insert_if_absent, write_connection
from server.infra.models import JobRun

log = logging.getLogger("patroli.jobs")
job_runs = JobRun.__table__

LEASE = timedelta(minutes=30)
#: Share of its interval that must pass between two starts of a job.  The
#: schedulers of N processes fire at unrelated phases; with a half-interval
#: gap two of them half an interval apart would both run it every time.
#: The 10% slack absorbs a scheduler firing a little early.
MIN_GAP_SHARE = 0.9


@dataclass(frozen=True)
class Job:
    """A registered job: what it does and how often (seconds, from config)."""

    name: str
    func: Callable[[Flask], dict[str, Any]]
    interval_key: str
    default_interval_s: int
    description: str


REGISTRY: dict[str, Job] = {}


def job(name: str, interval_key: str, default_interval_s: int) -> Callable[[Callable], Callable]:
    """Register ``func(app) -> summary dict`` as a job."""

    def decorator(func: Callable[[Flask], dict[str, Any]]) -> Callable:
        REGISTRY[name] = Job(
            name,
            func,
            interval_key,
            default_interval_s,
            (func.__doc__ or "").strip().splitlines()[0],
        )
        return func

    return decorator


def interval_s(app: Flask, entry: Job) -> int:
    """The job's interval in seconds (``PATROLI_JOB_<NAME>_S`` or its default)."""
    return int(
        app.config.get(entry.interval_key)
        or os.environ.get(entry.interval_key)
        or entry.default_interval_s
    )


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def _acquire(name: str, min_gap: timedelta) -> bool:
    now = utcnow()
    with write_connection() as conn:
        # Processes starting together all try to create the row; one does.
        conn.execute(insert_if_absent(job_runs).values(name=name))
    with write_connection() as conn:
        taken = conn.execute(
            update(job_runs)
            .where(
                job_runs.c.name == name,
                (job_runs.c.lease_until.is_(None)) | (job_runs.c.lease_until < now),
                (job_runs.c.started_at.is_(None)) | (job_runs.c.started_at <= now - min_gap),
            )
            .values(holder=_holder(), started_at=now, lease_until=now + LEASE)
        ).rowcount
    return taken == 1


def _release(name: str, status: str, error: str | None) -> None:
    with write_connection() as conn:
        conn.execute(
            update(job_runs)
            .where(job_runs.c.name == name)
            .values(finished_at=utcnow(), lease_until=None, last_status=status, last_error=error)
        )


def run_job(app: Flask, name: str, force: bool = False) -> dict[str, Any] | None:
    """Run one job if no other process holds it; ``None`` when it was not this one's turn.

    ``force`` (``patroli jobs run``) skips the once-per-interval gap but never
    runs a job that another process is running right now.
    """
    _load_job_modules()
    entry = REGISTRY[name]
    with app.app_context():
        gap = timedelta(0) if force else timedelta(seconds=interval_s(app, entry) * MIN_GAP_SHARE)
        if not _acquire(name, gap):
            return None
        try:
            summary = entry.func(app)
        except Exception as exc:
            log.exception("job %s failed", name)
            _release(name, "failed", f"{type(exc).__name__}: {exc}"[:500])
            raise
        _release(name, "ok", None)
        log.info("job %s: %s", name, summary)
        return summary


def _safe_run(app: Flask, name: str) -> None:
    try:
        run_job(app, name)
    except Exception:  # noqa: BLE001 - logged in run_job; the scheduler must live on
        pass


def start_scheduler(app: Flask) -> Any:
    """Start a background APScheduler running every registered job at its interval."""
    from apscheduler.schedulers.background import BackgroundScheduler

    _load_job_modules()
    scheduler = BackgroundScheduler(daemon=True, timezone="UTC")
    for name, entry in REGISTRY.items():
        scheduler.add_job(
            _safe_run,
            "interval",
            seconds=interval_s(app, entry),
            args=(app, name),
            id=name,
            max_instances=1,
            coalesce=True,
        )
    scheduler.start()
    log.info("scheduler started with jobs: %s", ", ".join(sorted(REGISTRY)))
    return scheduler


def _load_job_modules() -> None:
    # Jobs register themselves on import; import them here, not at start-up
    # of the package, so that importing server stays cheap.
    pass


def names() -> list[str]:
    """Names of every registered job."""
    _load_job_modules()
    return sorted(REGISTRY)
