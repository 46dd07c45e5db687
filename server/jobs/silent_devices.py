"""The ``silent-devices`` job: flag devices that stopped syncing (``server.devices.status``)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from server.devices import status
from server.infra.clock import utcnow
from server.jobs.registry import job_of


def silent_devices(app: Flask) -> dict[str, Any]:
    """Flag and log devices that have not synced for PATROLI_SILENT_DEVICE_HOURS."""
    return status.flag_silent(status.silent_cutoff(app), utcnow())


JOB = job_of(
    silent_devices,
    name="silent-devices",
    interval_key="PATROLI_JOB_SILENT_DEVICES_S",
    default_s=3600,
)
