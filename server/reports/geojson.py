"""Reports as a GeoJSON FeatureCollection (RFC 7946) for GIS tools such as QGIS.

Only what a map needs leaves the server: no person names, documents,
narratives or attachments; persons appear as counts.

Never silently partial: without ``limit`` the whole filtered collection is
streamed, read in keyset chunks so that memory stays bounded whatever its
size; with ``limit`` one page is answered with ``numberMatched``,
``numberReturned`` and a ``next`` link while more remain (the OGC API
Features convention QGIS follows).  Features come in report-id order, the
keyset of both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.elements import ColumnElement

from server.http.auth import Principal
from server.http.params import bounded_int
from server.infra.clock import iso_ms
from server.infra.db import db
from server.infra.models import Report
from server.infra.problems import Problem
from server.reports.document import COUNT_COLUMNS
from server.reports.filters import ReportFilter, conditions, parse_filters

log = logging.getLogger(__name__)

reports = Report.__table__
MAX_LIMIT = 10_000
#: Rows read per query of a streamed collection (bounds the server's memory).
CHUNK = 1_000
_COLUMNS = ["id", "post_code", "kind", "doc", "review_status", "retracted", "updated_at"]
_COLUMNS += ["lon", "lat", *COUNT_COLUMNS]


@dataclass(kw_only=True)
class GeoQuery:
    """The queue's filters plus the export's own: a bounding box and paging."""

    filters: ReportFilter
    bbox: tuple[float, ...] | None = None
    limit: int | None = None
    cursor: str | None = None


def _bbox(raw: str | None, errors: dict[str, list[str]]) -> tuple[float, ...] | None:
    """``minLon,minLat,maxLon,maxLat`` (minLon > maxLon crosses the antimeridian)."""
    if not raw:
        return None
    try:
        box = tuple(float(v) for v in raw.split(","))
    except ValueError:
        box = ()
    lons_ok = len(box) == 4 and all(-180 <= box[i] <= 180 for i in (0, 2))
    lats_ok = len(box) == 4 and all(-90 <= box[i] <= 90 for i in (1, 3)) and box[1] <= box[3]
    if not (lons_ok and lats_ok):
        errors["bbox"] = [
            "must be minLon,minLat,maxLon,maxLat in degrees (longitudes -180 to 180, "
            "latitudes -90 to 90, minLat not above maxLat)"
        ]
        return None
    return box


def parse_query(args: Mapping[str, Any]) -> GeoQuery:
    """Read the export's parameters; one 400 problem lists every bad one."""
    errors: dict[str, list[str]] = {}
    try:
        filters = parse_filters(args)
    except Problem as exc:
        filters, errors = ReportFilter(), dict(exc.errors or {})
    box = _bbox(args.get("bbox"), errors)
    limit = None
    if args.get("limit") not in (None, ""):
        limit = bounded_int(args.get("limit"), "limit", 1, MAX_LIMIT, MAX_LIMIT, errors)
    cursor = args.get("cursor") or None
    if cursor is not None and (limit is None or len(cursor) > 64):
        errors["cursor"] = ["must be the cursor of a next link, with its limit"]
    if errors:
        raise Problem(400, "validation-failed", "Some filters are not valid.", errors=errors)
    return GeoQuery(filters=filters, bbox=box, limit=limit, cursor=cursor)


def _where(principal: Principal, q: GeoQuery) -> ColumnElement[bool]:
    """Reports with a location in the caller's scope that pass every filter."""
    conds = conditions(principal, q.filters)
    if q.filters.statuses:
        conds.append(reports.c.review_status.in_(q.filters.statuses))
    conds.append(reports.c.lat.is_not(None))
    if q.bbox is not None:
        west, south, east, north = q.bbox
        conds.append(reports.c.lat.between(south, north))
        if west <= east:
            conds.append(reports.c.lon.between(west, east))
        else:
            conds.append(or_(reports.c.lon >= west, reports.c.lon <= east))
    return and_(*conds)


def _rows(where: ColumnElement[bool], after: str | None, count: int) -> Select[Any]:
    """The next ``count`` matching rows in id order after ``after``."""
    if after is not None:
        where = and_(where, reports.c.id > after)
    query = select(*(reports.c[n] for n in _COLUMNS)).where(where)
    return query.order_by(reports.c.id).limit(count)


def _feature(row: Any) -> dict[str, Any]:
    """One report as a GeoJSON Feature."""
    doc = orjson.loads(row.doc)
    location = doc.get("location") or {}
    properties = {
        "id": row.id,
        "post": row.post_code,
        "kind": row.kind,
        "title": doc.get("title"),
        "occurred_at": doc.get("occurred_at"),
        "route": doc.get("route"),
        "place": location.get("place"),
        "accuracy_m": location.get("accuracy_m"),
        "modus": ",".join(doc.get("modus") or []) or None,
        "destination_country": doc.get("destination_country"),
        "review_status": row.review_status,
        "retracted": bool(row.retracted),
        "updated_at": iso_ms(row.updated_at),
    }
    properties.update({name: getattr(row, name) for name in COUNT_COLUMNS})
    return {
        "type": "Feature",
        "id": row.id,
        # GeoJSON order is longitude, latitude.
        "geometry": {"type": "Point", "coordinates": [row.lon, row.lat]},
        "properties": properties,
    }


def page(principal: Principal, q: GeoQuery, next_href: Callable[[str], str]) -> dict[str, Any]:
    """One page of ``q.limit`` features, the filter's total and the link to the next page."""
    assert q.limit is not None
    where = _where(principal, q)
    matched = db.session.execute(select(func.count()).select_from(reports).where(where)).scalar()
    rows = db.session.execute(_rows(where, q.cursor, q.limit + 1)).all()
    features = [_feature(row) for row in rows[: q.limit]]
    links = []
    if len(rows) > q.limit:
        href = next_href(features[-1]["id"])
        links.append({"rel": "next", "href": href, "type": "application/geo+json"})
    return {
        "type": "FeatureCollection",
        "features": features,
        "numberMatched": matched,
        "numberReturned": len(features),
        "links": links,
    }


def stream(principal: Principal, q: GeoQuery) -> Iterator[bytes]:
    """The whole collection as JSON text, chunk by chunk.

    The filter is built here, before the first byte leaves, so that a bad
    filter is still a 400; each chunk is then read in its own short
    transaction (a long-lived SQLite read would keep the WAL from being
    reset while a slow client downloads).
    """
    return _chunks(db.engine, _where(principal, q))


def _chunks(engine: Engine, where: ColumnElement[bool]) -> Iterator[bytes]:
    """The collection's text: opening, features in keyset chunks, closing."""
    yield b'{"type":"FeatureCollection","features":['
    after, sent = None, 0
    try:
        while True:
            with engine.connect() as conn:
                rows = conn.execute(_rows(where, after, CHUNK)).all()
            if not rows:
                break
            text = b",".join(orjson.dumps(_feature(row)) for row in rows)
            yield (b"," if sent else b"") + text
            sent += len(rows)
            after = rows[-1].id
    except Exception:
        # The 200 is already sent: the answer ends unclosed (invalid JSON, so
        # never mistaken for a whole collection) and the reason is logged.
        log.exception("GeoJSON stream failed after %d features", sent)
        raise
    yield b'],"numberReturned":' + str(sent).encode() + b"}"
