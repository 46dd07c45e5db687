"""The ``aggregate-rollup`` job (``server.aggregates.rollup_writer``)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from server.aggregates.rollup_writer import roll_up
from server.jobs.registry import job_of


def aggregate_rollup(app: Flask) -> dict[str, Any]:
    """Roll up report counts of closed weeks into the summary table the aggregates read."""
    return roll_up()


JOB = job_of(
    aggregate_rollup,
    name="aggregate-rollup",
    interval_key="PATROLI_JOB_AGGREGATE_ROLLUP_S",
    default_s=3600,
)
