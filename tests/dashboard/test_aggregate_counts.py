"""The maintained count tables equal a recount from ``reports`` after any sequence of changes.

Every path that writes a report is taken: creation and edits pushed by
devices, merges with conflicts, review decisions, conflict resolutions,
retractions; a transfer and a purge are written as those admin paths write
them (the row's post changes; the row is deleted), since the triggers see
rows, not code paths.  The recount here is written independently of the
triggers' SQL.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update

from server.aggregates.cells import MEASURES
from server.aggregates.models import AggregateCell, AggregatePlacePeriod, AggregatePostPeriod
from server.infra.db import db
from server.infra.models import Report
from server.infra.transactions import write_connection
from server.reports.store import allocate_seqs
from tests.world import World, incident

reports = Report.__table__
KEYS = {
    AggregateCell.__table__: (
        "day",
        "post_code",
        "kind",
        "review_status",
        "destination_country",
        "modus_key",
        "period",  # not part of the key, but always the day's period
    ),
    AggregatePostPeriod.__table__: ("period", "review_status", "post_code", "kind"),
    AggregatePlacePeriod.__table__: ("period", "review_status", "destination_country", "modus_key"),
}
NO_DAY = date(1, 1, 1)


def _period(day: date) -> date:
    """The later of the day's Monday and the first of its month."""
    monday = date.fromordinal(day.toordinal() - day.isoweekday() + 1)
    return monday if monday.month == day.month else date(day.year, day.month, 1)


def recount(world: World | Flask) -> dict[str, dict[tuple, tuple]]:
    """Each count table's expected content, summed in Python from the reports rows."""
    out: dict[str, dict[tuple, list[int]]] = {t.name: defaultdict(lambda: [0] * 9) for t in KEYS}
    app = world.app if isinstance(world, World) else world
    with app.app_context():
        rows = db.session.execute(select(reports)).mappings().all()
    for row in rows:
        if row["retracted"]:
            continue
        day = row["occurred_on"] or NO_DAY
        values = {
            "day": day,
            "period": _period(day),
            "post_code": row["post_code"],
            "kind": row["kind"],
            "review_status": row["review_status"],
            "destination_country": row["destination_country"] or "",
            "modus_key": row["modus_key"] or "",
        }
        counts = [1, *(row[m] for m in MEASURES[1:])]
        for table, keys in KEYS.items():
            cell = out[table.name][tuple(values[k] for k in keys)]
            cell[:] = [a + b for a, b in zip(cell, counts, strict=True)]
    return {name: {k: tuple(v) for k, v in cells.items()} for name, cells in out.items()}


def stored(world: World | Flask) -> dict[str, dict[tuple, tuple]]:
    """Each count table's content as maintained."""
    out = {}
    app = world.app if isinstance(world, World) else world
    with app.app_context():
        for table, keys in KEYS.items():
            rows = db.session.execute(select(table)).mappings().all()
            out[table.name] = {
                tuple(r[k] for k in keys): tuple(r[m] for m in MEASURES) for r in rows
            }
    return out


MODUS = ["fake_job_offer", "transit_route", "other"]
DAYS = st.integers(min_value=0, max_value=70).map(lambda n: date(2026, 9, 25) + timedelta(n))
PERSON = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["victim", "suspect", "witness", "foreign_national", "applicant"]),
        "sex": st.sampled_from(["F", "M", "X"]),
        "age": st.integers(min_value=5, max_value=60),
    }
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "occurred_at": DAYS.map(lambda d: f"{d.isoformat()}T23:30:00+07:00"),
        "kind": st.sampled_from(["incident", "patrol", "foreigner_check", "passport_deferral"]),
        "destination_country": st.sampled_from(["MY", "SG", "HK", None]),
        "modus": st.lists(st.sampled_from(MODUS), max_size=3),
        "persons.px": PERSON,
        "retracted": st.booleans(),
    },
)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.sampled_from(["ofc.nnk.1", "ofc.dum.1"]), FIELDS),
        st.tuples(st.just("edit"), st.integers(min_value=0), FIELDS),
        st.tuples(st.just("retract"), st.integers(min_value=0), st.booleans()),
        st.tuples(st.just("merge"), st.integers(min_value=0), st.sampled_from(["SG", "HK"])),
        st.tuples(
            st.just("review"),
            st.integers(min_value=0),
            st.sampled_from(["in_review", "approved", "needs_info", "rejected"]),
        ),
        st.tuples(st.just("resolve"), st.integers(min_value=0), st.sampled_from(["kept", "lost"])),
        st.tuples(st.just("transfer"), st.integers(min_value=0), st.none()),
        st.tuples(st.just("purge"), st.integers(min_value=0), st.none()),
    ),
    min_size=3,
    max_size=12,
)


class Scenario:
    """Applies steps to the world, remembering the reports and open conflicts it made."""

    def __init__(self, world: World) -> None:
        self.world = world
        # Reports of earlier examples stay in the database: work on them too.
        with world.app.app_context():
            rows = db.session.execute(select(reports.c.id, reports.c.post_code)).all()
        officers = {"NNK": "ofc.nnk.1", "DUM": "ofc.dum.1"}
        self.ids = [(report_id, officers[post]) for report_id, post in rows]
        self.conflicts: list[tuple[str, str]] = []  # (conflict id, commander)

    def _pick(self, n: int) -> tuple[str, str] | None:
        return self.ids[n % len(self.ids)] if self.ids else None

    def _fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        fields = dict(fields)
        if fields.get("retracted"):
            fields["retract_reason"] = "duplicate"
        return fields

    def _rev(self, report_id: str) -> int:
        return self.world.report(report_id, "admin")["report"]["rev"]

    def create(self, officer: str, fields: dict[str, Any]) -> None:
        dev = self.world.devices[officer]
        fields = incident(**self._fields(fields))
        if fields["kind"] == "passport_deferral":  # it needs a destination at creation
            fields["destination_country"] = fields["destination_country"] or "MY"
        report_id, result = dev.create(fields)
        assert result["status"] == "applied", result
        self.ids.append((report_id, officer))

    def edit(self, n: int, fields: dict[str, Any]) -> None:
        picked = self._pick(n)
        if picked is None or not fields:
            return
        report_id, officer = picked
        dev = self.world.devices[officer]
        dev.push(dev.op(report_id, self._fields(fields), base_rev=self._rev(report_id)))

    def retract(self, n: int, retracted: bool) -> None:
        """Retract the report (or take the retraction back), changing nothing else."""
        self.edit(n, {"retracted": retracted})

    def merge(self, n: int, value: str) -> None:
        """Two devices of the post edit the destination from one revision: a conflict."""
        picked = self._pick(n)
        if picked is None:
            return
        report_id, officer = picked
        other = officer[:-1] + "2" if officer.startswith("ofc.nnk") else None
        if other is None:
            return
        a, b = self.world.devices[officer], self.world.devices[other]
        base = self._rev(report_id)
        a.push(a.op(report_id, {"destination_country": "HK"}, base_rev=base))
        later = max(a.clock.ms, b.clock.ms if b.clock else 0) + 1000
        (result,) = b.push(b.op(report_id, {"destination_country": value}, base, b.hlc(later)))
        self.conflicts += [(c["id"], "cmd.nnk") for c in result.get("conflicts", [])]

    def review(self, n: int, status: str) -> None:
        picked = self._pick(n)
        if picked is None:
            return
        report_id, officer = picked
        resp = self.world.client.post(
            f"/api/v1/reports/{report_id}/review",
            headers=self.world.token("cmd." + officer.split(".")[1]),
            json={"status": status, "note": "checked", "rev": self._rev(report_id)},
        )
        assert resp.status_code in (200, 404), resp.get_json()  # 404: transferred away

    def resolve(self, n: int, choose: str) -> None:
        if not self.conflicts:
            return
        conflict_id, commander = self.conflicts.pop(n % len(self.conflicts))
        resp = self.world.client.post(
            f"/api/v1/conflicts/{conflict_id}/resolve",
            headers=self.world.token(commander),
            json={"choose": choose},
        )
        assert resp.status_code in (200, 404), resp.get_json()

    def transfer(self, n: int, _: None) -> None:
        """Move the report to the other post, as a commander's transfer writes the row."""
        picked = self._pick(n)
        if picked is None:
            return
        report_id, _officer = picked
        with self.world.app.app_context(), write_connection() as conn:
            post = conn.execute(select(reports.c.post_code).where(reports.c.id == report_id))
            target = "DUM" if post.scalar_one() == "NNK" else "NNK"
            (seq,) = allocate_seqs(conn, 1)
            conn.execute(
                update(reports).where(reports.c.id == report_id).values(post_code=target, seq=seq)
            )

    def purge(self, n: int, _: None) -> None:
        """Delete the report row, as an admin purge does."""
        picked = self._pick(n)
        if picked is None:
            return
        self.ids.remove(picked)
        self.conflicts = []  # their reports may be gone
        with self.world.app.app_context(), write_connection() as conn:
            conn.execute(delete(reports).where(reports.c.id == picked[0]))


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_counts_equal_a_recount_after_any_changes(world: World, steps: list[tuple]) -> None:
    """After every step the three count tables hold exactly what a recount gives."""
    scenario = Scenario(world)
    scenario.create("ofc.nnk.1", {})
    for name, arg, value in steps:
        getattr(scenario, name)(arg, value)
        assert stored(world) == recount(world), (name, arg, value)


def test_a_report_without_a_day_counts_only_without_dates(world: World) -> None:
    """A row stored without occurred_on (older versions) counts, but in no date range."""
    report_id, _ = world.devices["ofc.nnk.1"].create(incident())
    with world.app.app_context(), write_connection() as conn:
        conn.execute(update(reports).where(reports.c.id == report_id).values(occurred_on=None))
    assert stored(world) == recount(world)
    hq = world.token("hq.1")
    total = world.client.get("/api/v1/aggregates?group_by=week", headers=hq).get_json()
    assert total["rows"][0]["week"] is None and total["rows"][0]["reports"] == 1
    dated = world.client.get("/api/v1/aggregates?to=2030-01-01", headers=hq).get_json()
    assert dated["rows"] == []
