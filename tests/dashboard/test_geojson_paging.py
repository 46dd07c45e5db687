"""GeoJSON is never silently partial: streamed whole, or paged with a count and next links."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.reports import geojson
from tests.world import World, incident

URL = "/api/v1/reports.geojson"


def _seed(world: World) -> dict[str, dict[str, Any]]:
    """Reports of two posts at spread points and days (a few across the antimeridian),
    plus two without a location; returns each located report's lon, lat, day and post."""
    located: dict[str, dict[str, Any]] = {}
    for post, count in (("nnk", 14), ("dum", 7)):
        device = world.devices[f"ofc.{post}.1"]
        for i in range(count):
            lon = (100.5 + 2.25 * i) if i % 5 else (179.5 if i % 2 else -179.5)
            lat = -8.0 + 1.5 * i
            day = date(2026, 10, 1 + i)
            fields = incident(
                occurred_at=f"{day.isoformat()}T10:00:00+07:00",
                location={"lat": lat, "lon": lon, "accuracy_m": 10, "place": f"P{i}"},
            )
            report_id, _ = device.create(fields)
            located[report_id] = {"lon": lon, "lat": lat, "day": day, "post": post.upper()}
        device.create(incident(location=None, title="No point"))
    return located


def _get(world: World, url: str, **params: Any) -> Any:
    """GET as HQ; expect 200 GeoJSON; the parsed body."""
    resp = world.client.get(url, query_string=params or None, headers=world.token("hq.1"))
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/geo+json"
    return resp.get_json()


def _follow(world: World, **params: Any) -> tuple[list[str], list[int]]:
    """Every page from the first one through the next links: feature ids and numberMatched."""
    body = _get(world, URL, **params)
    ids, matched = [], []
    for _ in range(1000):
        ids += [f["id"] for f in body["features"]]
        matched.append(body["numberMatched"])
        assert body["numberReturned"] == len(body["features"]) <= params["limit"]
        following = [link for link in body["links"] if link["rel"] == "next"]
        if not following:
            return ids, matched
        href = urlsplit(following[0]["href"])
        assert href.scheme == "http" and href.netloc  # absolute, as QGIS needs
        body = _get(world, f"{href.path}?{href.query}")
    raise AssertionError("the next links never ended")


def test_pages_return_every_feature_once_and_equal_the_stream(world: World) -> None:
    """Whatever the page size, following next links yields each feature exactly once,
    numberMatched is the total, and the streamed whole is the union of the pages."""
    located = _seed(world)
    whole = _get(world, URL)
    streamed = [f["id"] for f in whole["features"]]
    assert sorted(streamed) == sorted(located) and whole["numberReturned"] == len(located)

    @settings(max_examples=25, deadline=None)
    @given(
        limit=st.integers(min_value=1, max_value=len(located) + 3),
        post=st.sampled_from(["", "NNK"]),
    )
    def pages_cover_everything(limit: int, post: str) -> None:
        wanted = sorted(r for r, v in located.items() if post in ("", v["post"]))
        ids, matched = _follow(world, limit=limit, **({"post": post} if post else {}))
        assert ids == wanted  # every one, once, in id order
        assert set(matched) == {len(wanted)}

    pages_cover_everything()
    assert _get(world, URL, limit=10_000)["features"] == whole["features"]


def test_the_stream_is_read_in_chunks_and_never_cut(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More features than one chunk still all come back (the export used to stop at a cap)."""
    located = _seed(world)
    monkeypatch.setattr(geojson, "CHUNK", 4)
    resp = world.client.get(URL, headers=world.token("hq.1"))
    assert resp.status_code == 200 and resp.is_streamed
    ids = [f["id"] for f in resp.get_json()["features"]]
    assert len(ids) == len(set(ids)) == len(located)


def test_bbox_and_dates_filter_exactly(world: World) -> None:
    """bbox (also across the antimeridian) and from/to keep exactly the features inside."""
    located = _seed(world)

    @settings(max_examples=30, deadline=None)
    @given(
        west=st.floats(-180, 180),
        east=st.floats(-180, 180),
        lats=st.tuples(st.floats(-90, 90), st.floats(-90, 90)).map(sorted),
        days=st.tuples(st.integers(1, 25), st.integers(1, 25)).map(sorted),
    )
    def filters_keep_the_inside(west: float, east: float, lats: list, days: list) -> None:
        south, north = lats
        first, last = date(2026, 10, days[0]), date(2026, 10, days[1])

        def inside(v: dict[str, Any]) -> bool:
            in_lon = west <= v["lon"] <= east if west <= east else not east < v["lon"] < west
            return in_lon and south <= v["lat"] <= north and first <= v["day"] <= last

        params = {
            "bbox": f"{west!r},{south!r},{east!r},{north!r}",
            "from": first.isoformat(),
            "to": last.isoformat(),
        }
        ids = {f["id"] for f in _get(world, URL, **params)["features"]}
        assert ids == {r for r, v in located.items() if inside(v)}

    filters_keep_the_inside()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"bbox": "1,2,3"}, "bbox"),
        ({"bbox": "a,b,c,d"}, "bbox"),
        ({"bbox": "100,10,110,5"}, "bbox"),  # south above north
        ({"bbox": "181,0,182,1"}, "bbox"),
        ({"bbox": "nan,0,1,1"}, "bbox"),
        ({"limit": "0"}, "limit"),
        ({"limit": "10001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "abc"}, "cursor"),  # a cursor needs its limit
        ({"from": "2026-13-01"}, "from"),
        ({"kind": "boat"}, "kind"),
    ],
)
def test_bad_parameters_are_a_problem_and_nothing_else(
    world: World, params: dict, field: str
) -> None:
    """A bad parameter is a 400 problem naming it, with no feature in the answer."""
    world.devices["ofc.nnk.1"].create()
    resp = world.client.get(URL, query_string=params, headers=world.token("hq.1"))
    assert resp.status_code == 400 and resp.mimetype == "application/problem+json"
    body = resp.get_json()
    assert body["type"] == "urn:patroli:problem:validation-failed"
    assert field in body["errors"] and "features" not in body
