"""Every job the server runs, listed once; ``default_registry`` is what processes hold."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from server.infra.clock import utcnow
from server.jobs import (
    blob_cleanup,
    evidence_checkpoint,
    prune_ops,
    review_sla,
    silent_devices,
)
from server.jobs.registry import Job, Registry

JOBS: tuple[Job, ...] = (
    blob_cleanup.JOB,
    prune_ops.JOB,
    review_sla.JOB,
    silent_devices.JOB,
    evidence_checkpoint.JOB,
)


def default_registry(clock: Callable[[], datetime] = utcnow) -> Registry:
    """A registry of every job in ``JOBS``."""
    return Registry(JOBS, clock=clock)
