"""The ``evidence-checkpoint`` job (``server.evidence.checkpoints``)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from server.evidence.checkpoints import make
from server.infra.transactions import write_connection
from server.jobs.registry import job_of


def evidence_checkpoint(app: Flask) -> dict[str, Any]:
    """Sign a Merkle root over the revisions committed since the last checkpoint."""
    with write_connection() as conn:
        made = make(conn)
    if made is None:
        return {"checkpoint": None, "revisions": 0}
    return {"checkpoint": made["id"], "revisions": made["count"]}


JOB = job_of(
    evidence_checkpoint,
    name="evidence-checkpoint",
    interval_key="PATROLI_JOB_EVIDENCE_CHECKPOINT_S",
    default_s=3600,
)
