"""The review-SLA job: reports waiting longer than ``PATROLI_REVIEW_SLA_HOURS``.

Reports submitted (or in review) for too long are logged per post, oldest
first, so that an operator's log watcher can alert the post; the queue
page marks the same reports as overdue whenever it is read.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from server.infra.clock import iso_ms
from server.infra.db import db
from server.jobs.registry import job_of
from server.review.queue import waiting_overdue

log = logging.getLogger("patroli.jobs.review_sla")
LOGGED_IDS = 5


def review_sla(app: Flask) -> dict[str, Any]:
    """Log reports that have waited longer than PATROLI_REVIEW_SLA_HOURS for review."""
    rows = db.session.execute(waiting_overdue().order_by("status_since")).all()
    by_post: dict[str, list[Any]] = {}
    for row in rows:
        by_post.setdefault(row.post_code, []).append(row)
    hours = app.config["PATROLI_REVIEW_SLA_HOURS"]
    for post, waiting in sorted(by_post.items()):
        log.warning(
            "post %s: %d report(s) waiting more than %s h for review; oldest since %s: %s",
            post,
            len(waiting),
            hours,
            iso_ms(waiting[0].status_since),
            ", ".join(r.id for r in waiting[:LOGGED_IDS]),
        )
    db.session.remove()
    return {"overdue": len(rows), "by_post": {p: len(w) for p, w in sorted(by_post.items())}}


JOB = job_of(review_sla, name="review-sla", interval_key="PATROLI_JOB_REVIEW_SLA_S", default_s=3600)
