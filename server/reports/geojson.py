"""Reports as a GeoJSON FeatureCollection (RFC 7946) for GIS tools such as QGIS.

Only what a map needs leaves the server: no person names, documents,
narratives or attachments; persons appear as counts.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import and_, select

from server.http.auth import Principal
from server.infra.clock import iso_ms
from server.infra.db import db
from server.infra.models import Report
from server.reports.document import COUNT_COLUMNS
from server.reports.filters import ReportFilter, conditions

reports = Report.__table__
MAX_FEATURES = 50_000


def _point(doc: dict[str, Any]) -> list[float] | None:
    """GeoJSON coordinates of a document's location, if it has one."""
    location = doc.get("location")
    if not isinstance(location, dict):
        return None
    lat, lon = location.get("lat"), location.get("lon")
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return None
    return [lon, lat]  # GeoJSON order is longitude, latitude


def _feature(row: Any) -> dict[str, Any] | None:
    """One report as a GeoJSON Feature (None without a location)."""
    doc = orjson.loads(row.doc)
    point = _point(doc)
    if point is None:
        return None
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
        "geometry": {"type": "Point", "coordinates": point},
        "properties": properties,
    }


def feature_collection(principal: Principal, f: ReportFilter) -> dict[str, Any]:
    """Reports with a location in the caller's scope, as one FeatureCollection."""
    conds = conditions(principal, f)
    if f.statuses:
        conds.append(reports.c.review_status.in_(f.statuses))
    columns = ["id", "post_code", "kind", "doc", "review_status", "retracted", "updated_at"]
    query = (
        select(*(reports.c[n] for n in columns + list(COUNT_COLUMNS)))
        .where(and_(*conds))
        .order_by(reports.c.occurred_at, reports.c.id)
        .limit(MAX_FEATURES)
    )
    features = [x for x in map(_feature, db.session.execute(query)) if x is not None]
    return {"type": "FeatureCollection", "features": features}
