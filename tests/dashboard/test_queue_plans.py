"""Every queue filter reads through an index: no query scans the whole reports table.

SQLite's query plans (EXPLAIN QUERY PLAN) of the statements the queue and
the GeoJSON page really send; speed itself is measured in
bench/search_scale.py, never here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from server.infra.db import db
from tests import query_plans
from tests.world import World

# A plan line "SCAN reports" without "USING ... INDEX": every row read.
TABLE_SCAN = re.compile(r"SCAN reports\s*($|\|)")
FILTERS = [
    {},
    {"status": "submitted"},
    {"kind": "patrol"},
    {"from": "2026-11-01", "to": "2026-11-30"},
    {"q": "perahu"},
    {"status": "approved", "kind": "incident", "from": "2026-11-01", "q": "pas"},
    {"page": "3"},
]


def _selects_on_reports(statement: str) -> bool:
    return statement.lstrip().upper().startswith("SELECT") and "FROM reports" in statement


# The planner's statistics of bench/search_scale.py's million reports (20 posts):
# with them SQLite plans as it does at scale, where a tiny test table misleads it.
MILLION = [
    ("ix_reports_post_filters", "1000000 50000 12500 4167 7 3"),
    ("ix_reports_since", "1000000 2 1"),
    ("ix_reports_post_since", "1000000 50000 1 1"),
    ("ix_reports_status_since", "1000000 250000 2"),
    ("ix_reports_occurred_on", "1000000 1370"),
    ("ix_reports_post_seq", "1000000 50000 1"),
]


# And of their alerts (bench/queue_alert.py): ~240,000 person alerts of four
# types, ~1.2 per alerted report; ~60,000 vehicle links.
MILLION_ALERTS = [
    ("person_alerts", "ix_person_alerts_type_report", "240000 60000 1"),
    ("person_alerts", "ix_person_alerts_report_id", "240000 2"),
    ("vehicle_links", "ix_vehicle_links_report_id", "60000 2"),
    ("vehicle_links", "ix_vehicle_links_other_report_id", "60000 2"),
]


def _pretend_a_million(world: World) -> None:
    """Replace the statistics of reports and alerts by those of a million reports."""
    stats = [("reports", index, stat) for index, stat in MILLION] + MILLION_ALERTS
    with world.app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            for table in {table for table, _, _ in stats}:
                conn.exec_driver_sql("DELETE FROM sqlite_stat1 WHERE tbl = ?", (table,))
            for row in stats:
                conn.exec_driver_sql("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)", row)
        db.engine.dispose()  # new connections read the statistics


@pytest.mark.parametrize("stats", ["none", "million"])
@pytest.mark.parametrize("who", ["cmd.nnk", "hq.1"])
@pytest.mark.parametrize("params", FILTERS)
def test_queue_queries_never_scan_the_table(
    world: World, who: str, params: dict[str, str], stats: str, backend_is_sqlite: None
) -> None:
    """No query reads the whole table; a commander's search an index by post; HQ's counts
    without row filters are answered from an index alone."""
    world.devices["ofc.nnk.1"].create()
    if stats == "million":
        _pretend_a_million(world)
    with query_plans.sent(world.app, _selects_on_reports) as sent:
        resp = world.client.get("/api/v1/reports", query_string=params, headers=world.token(who))
        assert resp.status_code == 200
    plans = query_plans.plans(world.app, sent)
    assert len(plans) >= 2  # the counts and the page
    for statement, plan in plans:
        assert not TABLE_SCAN.search(plan), (statement, plan)
        if who == "cmd.nnk":
            # Through an index that starts with the post, never one of all posts.
            assert re.search(r"SEARCH reports USING .*\(post_code=\?", plan), (statement, plan)
        elif "GROUP BY" in statement and set(params) <= {"status", "page"}:
            # HQ's counts over every report: from the index, never the rows.
            assert "COVERING INDEX" in plan, (statement, plan)


ALERT_FILTERS = [
    {"alert": "seen_before"},
    {"alert": ["repeat_suspect", "vehicle_seen_before"]},
    {"alert": "deferred_applicant", "status": "submitted", "kind": "incident"},
]


@pytest.mark.parametrize("stats", ["none", "million"])
@pytest.mark.parametrize("params", ALERT_FILTERS)
def test_a_commanders_alert_filter_probes_the_posts_reports(
    world: World, params: dict[str, Any], stats: str, backend_is_sqlite: None
) -> None:
    """The post's reports are read through its index and each is probed for its alerts
    by report id: never every post's alerts of a type, nor every vehicle link; the
    counts take the ids from an index, not from the row of every report of the post."""
    world.devices["ofc.nnk.1"].create()
    if stats == "million":
        _pretend_a_million(world)
    with query_plans.sent(world.app, _selects_on_reports) as sent:
        resp = world.client.get(
            "/api/v1/reports", query_string=params, headers=world.token("cmd.nnk")
        )
        assert resp.status_code == 200
    plans = query_plans.plans(world.app, sent)
    assert len(plans) >= 2  # the counts and the page
    for statement, plan in plans:
        assert re.search(r"SEARCH (reports|probed) USING .*\(post_code=\?", plan), (statement, plan)
        if "GROUP BY" in statement:
            # The counts probe the ids of an index, reading only the alerted reports' rows.
            assert re.search(r"SEARCH probed USING COVERING INDEX \w+ \(post_code=\?", plan), (
                statement,
                plan,
            )
        alert_reads = re.findall(r"(?:SEARCH|SCAN) (?:person_alerts|vehicle_links)[^|]*", plan)
        assert alert_reads, (statement, plan)
        for read in alert_reads:
            assert "report_id=?" in read, (statement, plan)


@pytest.mark.parametrize("stats", ["none", "million"])
@pytest.mark.parametrize("params", ALERT_FILTERS)
def test_hqs_alert_filter_reads_the_alerts_not_every_report(
    world: World, params: dict[str, Any], stats: str, backend_is_sqlite: None
) -> None:
    """Over every post the alerts are read once, and no query walks all the reports (or
    an index of them) to probe each for its alerts."""
    world.devices["ofc.nnk.1"].create()
    if stats == "million":
        _pretend_a_million(world)
    with query_plans.sent(world.app, _selects_on_reports) as sent:
        resp = world.client.get("/api/v1/reports", query_string=params, headers=world.token("hq.1"))
        assert resp.status_code == 200
    plans = query_plans.plans(world.app, sent)
    assert len(plans) >= 2
    for statement, plan in plans:
        assert "SCAN reports" not in plan, (statement, plan)
        # The alerts are read once into a list, not probed row by row.
        assert "LIST SUBQUERY" in plan and "CORRELATED" not in plan, (statement, plan)


@pytest.fixture
def backend_is_sqlite(database_url: str) -> None:
    """Plans are SQLite's: the PostgreSQL half has nothing to check."""
    query_plans.require_sqlite(database_url)
