"""Aggregates equal counts computed independently from the reports the test inserted."""

from __future__ import annotations

import csv
import io
import json
import random
from collections import defaultdict
from datetime import date
from typing import Any

import pytest
from flask import jsonify

from tests.world import World, incident

MEASURES = (
    "reports",
    "persons",
    "victims",
    "victims_minor",
    "victims_female",
    "suspects",
    "witnesses",
    "foreign_nationals",
    "applicants",
)
ROLES = {
    "victim": "victims",
    "suspect": "suspects",
    "witness": "witnesses",
    "foreign_national": "foreign_nationals",
    "applicant": "applicants",
}
MODUS = ["fake_job_offer", "posing_as_tourist", "transit_route", "unofficial_crossing"]


def _random_report(rng: random.Random) -> dict[str, Any]:
    """A random incident with persons, modus and destination."""
    persons = {}
    for i in range(rng.randint(0, 4)):
        person: dict[str, Any] = {"role": rng.choice(list(ROLES)), "sex": rng.choice("FMX")}
        if rng.random() < 0.8:
            person["age"] = rng.randint(5, 60)
        persons[f"p{i}"] = person
    day = rng.randint(1, 60)
    occurred = date.fromordinal(date(2026, 10, 1).toordinal() + day)
    hour = rng.choice(["01:00:00+08:00", "23:30:00+07:00", "12:00:00+09:00"])
    return incident(
        occurred_at=f"{occurred.isoformat()}T{hour}",
        modus=rng.sample(MODUS, rng.randint(0, 2)),
        destination_country=rng.choice(["MY", "SG", "HK", None]),
        persons=persons,
    )


def _keys(doc: dict[str, Any], post: str, group_by: list[str]) -> list[tuple]:
    """The group keys of one document, computed without the server's code."""
    day = date.fromisoformat(doc["occurred_at"][:10])  # the officer's own local date
    values = {
        "post": [post],
        "kind": [doc["kind"]],
        "week": [f"{day.isocalendar()[0]}-W{day.isocalendar()[1]:02d}"],
        "month": [doc["occurred_at"][:7]],
        "destination_country": [doc.get("destination_country")],
        "modus": sorted(set(doc.get("modus") or [])) or [None],
    }
    keys: list[tuple] = [()]
    for g in group_by:
        keys = [k + (v,) for k in keys for v in values[g]]
    return keys


def expected_rows(
    docs: dict[str, tuple[str, dict, str]], group_by: list[str], statuses: set[str] | None = None
) -> dict[tuple, dict[str, int]]:
    """Counts straight from the documents, written independently of the server."""
    out: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for post, doc, status in docs.values():
        if doc.get("retracted") or (statuses and status not in statuses):
            continue
        for key in _keys(doc, post, group_by):
            row = out[key]
            row["reports"] += 1
            for p in (doc.get("persons") or {}).values():
                row["persons"] += 1
                row[ROLES[p["role"]]] += 1
                if p["role"] == "victim":
                    row["victims_minor"] += p.get("age") is not None and p["age"] < 18
                    row["victims_female"] += p.get("sex") == "F"
    return dict(out)


def _actual(world: World, **params: Any) -> dict[tuple, dict[str, int]]:
    """The API's rows keyed by their group values."""
    resp = world.client.get("/api/v1/aggregates", query_string=params, headers=world.token("hq.1"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    groups = body["group_by"]
    return {tuple(r[g] for g in groups): {m: r[m] for m in MEASURES} for r in body["rows"]}


@pytest.fixture
def corpus(world: World) -> dict[str, tuple[str, dict, str]]:
    """40 random reports over two posts, some retracted, some approved."""
    rng = random.Random(7)
    docs = {}
    for i in range(40):
        dev = world.devices["ofc.nnk.1" if i % 3 else "ofc.dum.1"]
        fields = _random_report(rng)
        report_id, _ = dev.create(fields)
        docs[report_id] = (dev.post, fields, "submitted")
    ids = list(docs)
    for report_id in ids[:4]:
        dev = world.devices["ofc.nnk.1" if docs[report_id][0] == "NNK" else "ofc.dum.1"]
        dev.push(dev.op(report_id, {"retracted": True, "retract_reason": "duplicate"}, base_rev=1))
        docs[report_id][1]["retracted"] = True
    for report_id in ids[4:10]:
        post = docs[report_id][0]
        world.client.post(
            f"/api/v1/reports/{report_id}/review",
            headers=world.token(f"cmd.{post.lower()}"),
            json={"status": "approved", "rev": 1},
        )
        docs[report_id] = (post, docs[report_id][1], "approved")
    return docs


GROUPINGS = [
    [],
    ["post"],
    ["kind"],
    ["week"],
    ["month"],
    ["destination_country"],
    ["modus"],
    ["post", "week"],
    ["post", "kind", "week"],
    ["post", "modus", "month"],
    ["destination_country", "kind", "post"],
]


@pytest.mark.parametrize("group_by", GROUPINGS, ids=lambda g: ",".join(g) or "total")
def test_counts_equal_independent_computation(world: World, corpus: dict, group_by: list) -> None:
    """Every grouping matches the counts computed from the inserted documents."""
    assert _actual(world, group_by=",".join(group_by)) == expected_rows(corpus, group_by)


def test_status_and_date_filters(world: World, corpus: dict) -> None:
    """status= and from/to (the officer's local date, inclusive) narrow the counts."""
    assert _actual(world, group_by="post", status="approved") == expected_rows(
        corpus, ["post"], {"approved"}
    )
    inside = {
        k: v for k, v in corpus.items() if "2026-10-15" <= v[1]["occurred_at"][:10] <= "2026-11-05"
    }
    assert _actual(world, group_by="week", **{"from": "2026-10-15", "to": "2026-11-05"}) == (
        expected_rows(inside, ["week"])
    )


def test_counts_are_never_stale(world: World, corpus: dict) -> None:
    """Moving, retracting, editing and adding reports count at once, in every table."""
    groupings = (["post", "week"], ["modus"], ["month", "destination_country"], ["post", "modus"])
    ids = [k for k, v in corpus.items() if not v[1].get("retracted")]
    nnk = world.devices["ofc.nnk.1"]
    mine = [i for i in ids if corpus[i][0] == "NNK"]
    moved, retracted, edited = mine[0], mine[1], mine[2]
    changes = {
        moved: {"occurred_at": "2026-12-24T10:00:00+07:00"},
        retracted: {"retracted": True, "retract_reason": "wrong post"},
        edited: {
            "persons.px": {"role": "victim", "sex": "F", "age": 12},
            "modus": ["other"],
            "destination_country": "SA",
        },
    }
    for g in groupings:
        assert _actual(world, group_by=",".join(g)) == expected_rows(corpus, g)
    for report_id, fields in changes.items():
        base = world.report(report_id)["report"]["rev"]
        (result,) = nnk.push(nnk.op(report_id, fields, base_rev=base))
        assert result["status"] == "applied", result
        doc = corpus[report_id][1]
        for unit, value in fields.items():
            if unit.startswith("persons."):
                doc.setdefault("persons", {})[unit.split(".", 1)[1]] = value
            else:
                doc[unit] = value
    new_id, _ = nnk.create(incident(occurred_at="2026-10-20T09:00:00+08:00", persons={}))
    corpus[new_id] = (
        "NNK",
        incident(occurred_at="2026-10-20T09:00:00+08:00", persons={}),
        "submitted",
    )
    for g in groupings:
        assert _actual(world, group_by=",".join(g)) == expected_rows(corpus, g)


# Ranges that start and end inside periods, on their edges, inside one
# period, across a month that splits an ISO week (2026-10-26..11-01).
RANGES = [
    ("2026-10-15", "2026-11-05"),
    ("2026-10-26", "2026-11-01"),
    ("2026-10-28", "2026-10-30"),
    ("2026-10-31", "2026-11-02"),
    ("2026-11-01", "2026-11-30"),
    ("2026-10-02", None),
    (None, "2026-11-17"),
]


@pytest.mark.parametrize(("first", "last"), RANGES)
def test_date_ranges_are_exact_in_every_table(
    world: World, corpus: dict, first: str | None, last: str | None
) -> None:
    """Whole periods and edge days add up to the range, whichever table answers."""
    inside = {
        k: v
        for k, v in corpus.items()
        if (first is None or first <= v[1]["occurred_at"][:10])
        and (last is None or v[1]["occurred_at"][:10] <= last)
    }
    params = {k: v for k, v in (("from", first), ("to", last)) if v}
    groupings = (["week"], ["month", "post"], ["post", "kind", "week"], ["modus"], [])
    for g in (*groupings, ["kind", "destination_country"]):
        actual = _actual(world, group_by=",".join(g), **params)
        assert actual == expected_rows(inside, g), (g, first, last)


def test_min_count_blanks_small_counts(world: World, corpus: dict) -> None:
    """Counts below k are null in JSON and empty in CSV; others are untouched."""
    expected = expected_rows(corpus, ["post", "kind"])
    actual = _actual(world, group_by="post,kind", min_count=5)
    for key, row in expected.items():
        for m in MEASURES:
            assert actual[key][m] == (row[m] if row[m] >= 5 else None)
    resp = world.client.get(
        "/api/v1/aggregates?group_by=post,kind&min_count=5&format=csv", headers=world.token("hq.1")
    )
    rows = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
    for row in rows:
        exp = expected[(row["post"], row["kind"])]
        for m in MEASURES:
            assert row[m] == ("" if exp[m] < 5 else str(exp[m]))


def test_min_count_blanks_the_summed_count(world: World) -> None:
    """A week split by a month end is blanked by its whole count, not by its parts."""
    dev = world.devices["ofc.nnk.1"]
    # ISO week 2026-W44 runs from Monday 26 October to Sunday 1 November:
    # two periods, each with one report, so the week has two.
    for day in ("2026-10-30", "2026-11-01"):
        dev.create(incident(occurred_at=f"{day}T10:00:00+08:00", persons={}))
    for k, reports in ((2, 2), (3, None)):
        rows = _actual(world, group_by="post,kind,week", min_count=k)
        assert rows == {
            ("NNK", "incident", "2026-W44"): {**dict.fromkeys(MEASURES), "reports": reports}
        }


@pytest.mark.parametrize("group_by", ["destination_country,modus", "post,kind,week", "modus,post"])
def test_rows_come_in_group_order_nulls_last(world: World, corpus: dict, group_by: str) -> None:
    """Rows are ordered by their group values, the null group (none given) after the others."""
    resp = world.client.get(
        "/api/v1/aggregates", query_string={"group_by": group_by}, headers=world.token("hq.1")
    )
    groups = group_by.split(",")
    keys = [tuple(row[g] for g in groups) for row in resp.get_json()["rows"]]
    assert len(keys) == len(set(keys)) > 5
    assert keys == sorted(keys, key=lambda k: [(v is None, v or "") for v in k])
    if "modus" in groups:
        assert any(None in k for k in keys) and keys[-1][groups.index("modus")] is None


def test_json_is_compact_with_group_columns_first(world: World, corpus: dict) -> None:
    """The JSON answer is written as the app's jsonify writes it: keys in the order the
    rows are built (group columns, then the measures), no spaces."""
    resp = world.client.get(
        "/api/v1/aggregates?group_by=post,kind,week", headers=world.token("hq.1")
    )
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    body = resp.get_json()
    assert len(body["rows"]) > 10
    assert list(body["rows"][0])[:3] == ["post", "kind", "week"]
    assert resp.data == (json.dumps(body, separators=(",", ":")) + "\n").encode()
    with world.app.test_request_context():
        assert resp.data == jsonify(body).get_data()


def test_csv_parses_with_group_columns_first(world: World, corpus: dict) -> None:
    """CSV has the JSON rows, group columns first, then every measure."""
    resp = world.client.get(
        "/api/v1/aggregates?group_by=month,post&format=csv", headers=world.token("hq.1")
    )
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    reader = csv.reader(io.StringIO(resp.get_data(as_text=True)))
    header = next(reader)
    assert header == ["month", "post", *MEASURES]
    parsed = {(r[0], r[1]): dict(zip(MEASURES, map(int, r[2:]), strict=True)) for r in reader}
    assert parsed == expected_rows(corpus, ["month", "post"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"group_by": "post,colour"}, "group_by"),
        ({"group_by": "post,post"}, "group_by"),
        ({"status": "done"}, "status"),
        ({"min_count": "0"}, "min_count"),
        ({"min_count": "x"}, "min_count"),
        ({"format": "xml"}, "format"),
        ({"from": "nope"}, "from"),
    ],
)
def test_bad_parameters(world: World, params: dict, field: str) -> None:
    """Each bad parameter is a 400 naming it."""
    resp = world.client.get("/api/v1/aggregates", query_string=params, headers=world.token("hq.1"))
    assert resp.status_code == 400 and field in resp.get_json()["errors"]


def test_minor_boundary(world: World) -> None:
    """A 17-year-old victim is a minor, an 18-year-old is not, no age is not."""
    dev = world.devices["ofc.nnk.1"]
    dev.create(
        incident(
            persons={
                "a": {"role": "victim", "age": 17, "sex": "M"},
                "b": {"role": "victim", "age": 18, "sex": "F"},
                "c": {"role": "victim"},
            }
        )
    )
    (row,) = _actual(world).values()
    assert row["victims"] == 3 and row["victims_minor"] == 1 and row["victims_female"] == 1
