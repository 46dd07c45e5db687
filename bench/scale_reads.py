"""The reads HQ and a commander make, timed at one size: aggregates, pages, GeoJSON.

Each read is repeated and its median kept (the first answer may warm a
cache the later ones use; the median is what a person sees on the second
look).  Times are wall times on loopback, to the last byte of the answer;
every answer's status is checked, so an error page cannot score.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
import requests

from bench.scale_docs import POSTS, ROUTES, TEXT_WORD
from bench.workload import BenchError

#: Every ``group_by`` the aggregates serve alone, and the pairs HQ's dashboard asks for.
GROUPINGS = (
    "post",
    "kind",
    "week",
    "month",
    "destination_country",
    "modus",
    "post,week",
    "post,kind,week",
)
#: The queue's filters, one at a time, as a commander uses them (``q`` is the text search).
QUEUE_FILTERS: dict[str, dict[str, str]] = {
    "none": {},
    "status": {"status": "submitted"},
    "kind": {"kind": "incident"},
    "dates": {"from": "2026-01-01", "to": "2026-01-31"},
    "route": {"route": f"{POSTS[0][1]} {ROUTES[0]}"},
    "alert": {"alert": "seen_before"},
    "text_search": {"q": TEXT_WORD},
}
GEOJSON_PAGE = 10_000


@dataclass(kw_only=True)
class Reader:
    """Who reads, and how often each read is repeated."""

    url: str
    hq_headers: dict[str, str]
    hq_web: requests.Session
    commander_web: requests.Session
    repeats: int = 3


def _timed_get(
    session: Any, url: str, headers: dict[str, str] | None = None
) -> tuple[float, bytes]:
    """Seconds to the last byte of a GET, and the body; anything but 200 is an error."""
    start = time.perf_counter()
    resp = session.get(url, headers=headers or {}, timeout=600)
    body = resp.content
    elapsed = time.perf_counter() - start
    if resp.status_code != 200:
        raise BenchError(f"GET {url} answered {resp.status_code}: {resp.text[:300]}")
    return elapsed, body


def _p50_ms(session: Any, url: str, repeats: int, headers: dict[str, str] | None = None) -> float:
    """Median milliseconds of ``repeats`` GETs."""
    times = [_timed_get(session, url, headers)[0] for _ in range(repeats)]
    return round(statistics.median(times) * 1000, 1)


def aggregates(r: Reader) -> dict[str, float]:
    """Every grouping as JSON and as CSV: ``{"post,week json": ms, ...}``."""
    out = {}
    for grouping in GROUPINGS:
        for fmt in ("json", "csv"):
            query = urlencode({"group_by": grouping, "format": fmt})
            url = f"{r.url}/api/v1/aggregates?{query}"
            out[f"{grouping} {fmt}"] = _p50_ms(requests, url, r.repeats, r.hq_headers)
    return out


def dashboard(r: Reader) -> float:
    """HQ's signed-in ``/dashboard`` page, in ms."""
    return _p50_ms(r.hq_web, f"{r.url}/dashboard", r.repeats)


def queue(r: Reader) -> dict[str, float]:
    """The commander's ``/queue`` page with each filter, in ms."""
    return {
        name: _p50_ms(r.commander_web, f"{r.url}/queue?{urlencode(args)}", r.repeats)
        for name, args in QUEUE_FILTERS.items()
    }


def geojson(r: Reader, expected: int) -> dict[str, Any]:
    """The whole export, then the paged one when the server pages; features counted."""
    seconds, body = _timed_get(requests, f"{r.url}/api/v1/reports.geojson", r.hq_headers)
    whole = orjson.loads(body)
    out: dict[str, Any] = {
        "expected": expected,
        "whole_ms": round(seconds * 1000, 1),
        "whole_features": len(whole.get("features", [])),
        "whole_mib": round(len(body) / 2**20, 1),
    }
    out["paged"] = _paged(r, expected)
    return out


def _paged(r: Reader, expected: int) -> dict[str, Any]:
    """Follow the ``next`` links of ``limit`` pages; "not supported" when there are none."""
    url: str | None = f"{r.url}/api/v1/reports.geojson?limit={GEOJSON_PAGE}"
    ids: set[str] = set()
    received = pages = 0
    matched = None
    start = time.perf_counter()
    for _ in range(expected // GEOJSON_PAGE + 3):  # bounded: one page too many at most
        resp = requests.get(url, headers=r.hq_headers, timeout=600)
        if resp.status_code != 200:
            return {"supported": False, "note": f"limit answered {resp.status_code}"}
        page = orjson.loads(resp.content)
        if "numberMatched" not in page and "links" not in page:
            return {"supported": False, "note": "not supported (no numberMatched, no links)"}
        pages += 1
        matched = page.get("numberMatched", matched)
        features = page.get("features", [])
        received += len(features)
        ids.update(str(f.get("id")) for f in features)
        url = next(
            (link["href"] for link in page.get("links", []) if link.get("rel") == "next"), None
        )
        if url is None:
            break
    return {
        "supported": True,
        "pages": pages,
        "ms": round((time.perf_counter() - start) * 1000, 1),
        "features": received,
        "distinct": len(ids),
        "number_matched": matched,
        "complete": url is None and len(ids) == received == expected,
    }
