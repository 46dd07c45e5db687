"""A push batch is matched at once: its links and alerts equal those of the same
reports saved one write at a time."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bench.person_matching import _doc, _variant
from server.detection.index import alerts_t, links_t
from server.infra.db import db
from server.reports import store
from tests.world import World

POSTS = ("NNK", "DUM")


def _reports(seed: int, count: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Reports from short name pools, some persons written again with a typo and no
    document, some with a document seen before: many links, by both bases."""
    rng = random.Random(seed)
    reports: list[tuple[str, str, dict[str, Any]]] = []
    for _ in range(count):
        doc = _doc(rng, rng.randint(1, 4), narrow=True)
        for role in ("victim", "suspect", "applicant"):
            if reports and rng.random() < 0.4:
                earlier = rng.choice(reports)[2]["persons"]
                person = _variant(rng, rng.choice(list(earlier.values())))
                if rng.random() < 0.5:
                    person = dict(earlier[rng.choice(list(earlier))])
                doc["persons"][f"again_{role}"] = {**person, "role": role}
        if rng.random() < 0.2:
            doc["kind"] = "passport_deferral"
        reports.append((str(uuid.uuid4()), rng.choice(POSTS), doc))
    return reports


def _save(conn: Connection, reports: list[tuple[str, str, dict[str, Any]]]) -> None:
    states = []
    for report_id, post, doc in reports:
        state = store.ReportState.new(report_id, post, "ofc.nnk.1", None, datetime.now(UTC))
        state.device_doc, state.row["rev"], state.dirty = doc, 1, True
        states.append(state)
    store.save(conn, states, datetime.now(UTC))


def _outcome(conn: Connection) -> tuple[list[tuple], list[tuple]]:
    links = conn.execute(
        select(
            links_t.c.report_id, links_t.c.person_id, links_t.c.other_report_id,
            links_t.c.other_person_id, links_t.c.basis, links_t.c.score, links_t.c.explanation,
        )
    )  # fmt: skip
    alerts = conn.execute(
        select(alerts_t.c.report_id, alerts_t.c.person_id, alerts_t.c.type,
               alerts_t.c.other_report_id)
    )  # fmt: skip
    return sorted(tuple(row) for row in links), sorted(tuple(row) for row in alerts)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_batch_links_and_alerts_as_one_write_at_a_time(world: World, seed: int) -> None:
    reports = _reports(seed, 60)
    with world.app.app_context():
        with db.engine.connect() as conn, conn.begin() as tx:
            _save(conn, reports)
            batched = _outcome(conn)
            tx.rollback()
        with db.engine.connect() as conn, conn.begin() as tx:
            for report in reports:
                _save(conn, [report])
            one_by_one = _outcome(conn)
            tx.rollback()
    links, alerts = batched
    # The set must be rich enough to mean something: links by both bases, and alerts.
    assert {link[4] for link in links} == {"document", "name"}
    assert alerts
    assert batched == one_by_one
