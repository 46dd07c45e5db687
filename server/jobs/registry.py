"""Scheduled jobs: a registry of them, a once-only database lease, and the scheduler.

Every server process runs the scheduler (gunicorn starts it in each worker
after the fork, never at import time or in ``create_app``).  A job run
first takes its row in ``job_runs``: the update succeeds for one process
only while the lease is free and the previous start is at least
``MIN_GAP_SHARE`` of an interval old, so with N processes a job still runs
once per interval.  A failing job is logged and recorded; the server keeps
serving.

The registry is an object its owner builds from an explicit list of jobs
(``server.jobs.catalog.default_registry``); nothing registers itself on
import, so a test builds the registry it needs.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import update

from server.infra.clock import utcnow
from server.infra.db import insert_if_absent
from server.infra.models import JobRun
from server.infra.transactions import write_connection

log = logging.getLogger("patroli.jobs")
job_runs = JobRun.__table__

LEASE = timedelta(minutes=30)
#: Share of its interval that must pass between two starts of a job.  The
#: schedulers of N processes fire at unrelated phases; with a half-interval
#: gap two of them half an interval apart would both run it every time.
#: The 10% slack absorbs a scheduler firing a little early.
MIN_GAP_SHARE = 0.9
#: Attempts at writing a job's outcome before the lease is left to expire.
RELEASE_ATTEMPTS = 3


@dataclass(frozen=True, kw_only=True)
class Job:
    """A job: what it does and how often (seconds, from config)."""

    name: str
    func: Callable[[Flask], dict[str, Any]]
    interval_key: str
    default_interval_s: int
    description: str


def job_of(
    func: Callable[[Flask], dict[str, Any]], *, name: str, interval_key: str, default_s: int
) -> Job:
    """A ``Job`` for ``func(app) -> summary dict``, described by its docstring's first line."""
    return Job(
        name=name,
        func=func,
        interval_key=interval_key,
        default_interval_s=default_s,
        description=(func.__doc__ or "").strip().splitlines()[0],
    )


class UnknownJob(LookupError):
    """No job of that name in this registry."""


class Registry:
    """The jobs one process runs, their lease in ``job_runs``, and their scheduler."""

    def __init__(self, jobs: Iterable[Job], *, clock: Callable[[], datetime] = utcnow):
        self._jobs = {j.name: j for j in jobs}
        self._clock = clock
        self._running: set[str] = set()
        self._running_lock = threading.Lock()
        # Names this registry's leases in ``job_runs.holder``.
        self._holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}:"

    def names(self) -> list[str]:
        """Names of every job, sorted."""
        return sorted(self._jobs)

    def get(self, name: str) -> Job:
        """The job called ``name``; ``UnknownJob`` names the known ones."""
        try:
            return self._jobs[name]
        except KeyError:
            known = ", ".join(self.names())
            raise UnknownJob(f"There is no job {name!r}; the jobs are: {known}.") from None

    def interval_s(self, app: Flask, entry: Job) -> int:
        """The job's interval in seconds (``PATROLI_JOB_<NAME>_S`` or its default)."""
        return int(
            app.config.get(entry.interval_key)
            or os.environ.get(entry.interval_key)
            or entry.default_interval_s
        )

    def run(self, app: Flask, name: str, force: bool = False) -> dict[str, Any] | None:
        """Run one job if no other process holds it; ``None`` when it was not this one's turn.

        ``force`` (``patroli jobs run``) skips the once-per-interval gap but
        never runs a job that another process is running right now.
        """
        entry = self.get(name)
        with app.app_context():
            gap = timedelta(0)
            if not force:
                gap = timedelta(seconds=self.interval_s(app, entry) * MIN_GAP_SHARE)
            with self._running_lock:
                if name in self._running:
                    return None
                self._running.add(name)
            try:
                return self._run_leased(entry, gap, app)
            finally:
                with self._running_lock:
                    self._running.discard(name)

    def _run_leased(self, entry: Job, gap: timedelta, app: Flask) -> dict[str, Any] | None:
        if not self._acquire(entry.name, gap):
            return None
        try:
            summary = entry.func(app)
        except Exception as exc:
            log.exception("job %s failed", entry.name)
            self._release(entry.name, "failed", f"{type(exc).__name__}: {exc}"[:500])
            raise
        self._release(entry.name, "ok", None)
        log.info("job %s: %s", entry.name, summary)
        return summary

    def run_logged(self, app: Flask, name: str) -> None:
        """The scheduler's entry: run ``name``, log any failure, never raise."""
        try:
            self.run(app, name)
        except Exception:
            # The job's own failure was logged by run(); this also covers the
            # lease, the lookup and the release, which happen outside the job.
            log.exception("scheduled run of job %s failed", name)

    def _acquire(self, name: str, min_gap: timedelta) -> bool:
        now = self._clock()
        with write_connection() as conn:
            # Processes starting together all try to create the row; one does.
            conn.execute(insert_if_absent(job_runs).values(name=name))
        lease = job_runs.c.lease_until
        # A lease this registry holds while not running the job is left over
        # from a release that failed: it is free again for this registry.
        ours = job_runs.c.holder.startswith(self._holder, autoescape=True)
        with write_connection() as conn:
            taken = conn.execute(
                update(job_runs)
                .where(
                    job_runs.c.name == name,
                    lease.is_(None) | (lease < now) | ours,
                    (job_runs.c.started_at.is_(None)) | (job_runs.c.started_at <= now - min_gap),
                )
                .values(
                    holder=f"{self._holder}{threading.get_ident()}",
                    started_at=now,
                    lease_until=now + LEASE,
                )
            ).rowcount
        return taken == 1

    def _release(self, name: str, status: str, error: str | None) -> None:
        for attempt in range(1, RELEASE_ATTEMPTS + 1):
            try:
                with write_connection() as conn:
                    conn.execute(
                        update(job_runs)
                        .where(job_runs.c.name == name)
                        .values(
                            finished_at=self._clock(),
                            lease_until=None,
                            last_status=status,
                            last_error=error,
                        )
                    )
                return
            except Exception:
                log.exception("job %s: releasing its lease failed (attempt %d)", name, attempt)
        # Other processes wait for the lease to expire; this one takes it back
        # at its next run (see _acquire).

    def start_scheduler(self, app: Flask) -> Any:
        """Start a background APScheduler running every job at its interval."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(daemon=True, timezone="UTC")
        for name, entry in self._jobs.items():
            scheduler.add_job(
                self.run_logged,
                "interval",
                seconds=self.interval_s(app, entry),
                args=(app, name),
                id=name,
                max_instances=1,
                coalesce=True,
            )
        scheduler.start()
        log.info("scheduler started with jobs: %s", ", ".join(self.names()))
        return scheduler
