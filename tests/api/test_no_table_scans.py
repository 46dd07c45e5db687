"""No write path, and no device sync, reads a whole table that grows with the reports.

SQLite's plans (EXPLAIN QUERY PLAN) of every statement that a push of
creations, edits and a conflict, a commander's review, a conflict's
resolution, the device pulls and a report's detail really send. A scan of a
table that holds a row per report or per revision costs a little at demo
size and, at a million reports, most of the write: the evidence chain's head
lookup once planned a scan of every revision for each batch that carried an
edit (0.6 s of CPU per batch at a million reports, the write lock held
throughout). Speed is measured in bench/, never here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests import query_plans
from tests.world import World, incident

#: Tables that grow with reports, revisions, ops or persons.
GROWING = (
    "reports",
    "report_revisions",
    "ops",
    "conflicts",
    "removals",
    "report_blobs",
    "person_entries",
    "person_name_keys",
    "person_links",
    "person_alerts",
    "vehicle_entries",
    "vehicle_links",
    "aggregate_cells",
    "aggregate_post_periods",
    "aggregate_place_periods",
)
#: A plan line that reads a whole table or a whole index of one (SEARCH is a lookup).
SCAN = re.compile(r"\bSCAN (\w+)")


@pytest.fixture
def sqlite_only(database_url: str) -> None:
    """Plans are SQLite's: the PostgreSQL half has nothing to check."""
    query_plans.require_sqlite(database_url)


def _reads_a_table(statement: str) -> bool:
    verb = statement.lstrip().split(None, 1)[0].upper()
    return verb in ("SELECT", "UPDATE", "DELETE", "WITH") or " SELECT " in statement


def _scans(world: World, sent: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """(statement, plan) of each statement whose plan scans a growing table."""
    return [
        (statement, plan)
        for statement, plan in query_plans.plans(world.app, sent)
        if any(name in GROWING for name in SCAN.findall(plan))
    ]


def test_pushes_reviews_and_resolutions_read_no_whole_table(
    world: World, sqlite_only: None
) -> None:
    """Creations, clean edits, a concurrent edit that conflicts, a review and a resolution."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    ids = [a.create(incident(title=f"Report {n}"))[0] for n in range(3)]
    cmd = world.token("cmd.nnk")
    with query_plans.sent(world.app, _reads_a_table) as sent:
        new_id, result = a.create(incident(title="Created while watched"))
        assert result["status"] == "applied"
        edits = a.push(*(a.op(rid, {"route": "Sungai Pancang"}, 1) for rid in ids))
        assert [r["status"] for r in edits] == ["applied"] * 3
        (late,) = b.push(b.op(ids[0], {"route": "Jalur lain"}, 1))
        assert late["status"] == "conflict"
        (conflict,) = late["conflicts"]
        review = world.client.post(
            f"/api/v1/reports/{ids[1]}/review",
            headers=cmd,
            json={"status": "in_review", "rev": 2},
        )
        assert review.status_code == 200, review.get_json()
        resolved = world.client.post(
            f"/api/v1/conflicts/{conflict['id']}/resolve", headers=cmd, json={"choose": "lost"}
        )
        assert resolved.status_code == 200, resolved.get_json()
        assert resolved.get_json()["report"]["route"] == conflict["lost"]
    assert new_id not in ids and len(sent) > 10  # the statements were seen
    assert _scans(world, sent) == []


def test_device_syncs_and_report_reads_read_no_whole_table(world: World, sqlite_only: None) -> None:
    """A fresh pull, an echo-free pull, an idle pull and one report's page of detail."""
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    ids = [a.create(incident(title=f"Report {n}"))[0] for n in range(3)]
    a.push(a.op(ids[0], {"route": "Sungai Pancang"}, 1))
    with query_plans.sent(world.app, _reads_a_table) as sent:
        fresh, cursor = b.pull_all(limit=2)
        assert {c["report"]["id"] for c in fresh} == set(ids)
        echo, cursor = a.pull_all(skip_echo=True)
        assert echo == []
        idle, _ = b.pull_all(cursor)
        assert idle == []
        detail = world.client.get(f"/api/v1/reports/{ids[0]}", headers=world.token("cmd.nnk"))
        assert detail.status_code == 200 and len(detail.get_json()["history"]) == 2
    assert len(sent) > 5
    assert _scans(world, sent) == []
