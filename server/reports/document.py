"""Composing a report's stored document and the columns derived from it."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from server.infra.clock import iso_ms, occurred_utc, parse_occurred_at
from server.reports import text_search
from sync import document
from sync.units import SERVER_FIELDS


def server_fields(row: dict[str, Any]) -> dict[str, Any]:
    """The server-owned part of a report document, from its row values."""
    return {
        "author": row["author"],
        "device_id": row["device_id"],
        "created_at": iso_ms(row["created_at"]),
        "received_at": iso_ms(row["created_at"]),
        "review": {
            "status": row["review_status"],
            "note": row["review_note"],
            "by": row["review_by"],
            "at": iso_ms(row["review_at"]),
        },
        "rev": row["rev"],
    }


def compose(report_id: str, device_doc: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """The full current document: ``id``, every device field, then the server fields."""
    return document.full({"id": report_id, **device_doc, **server_fields(row)})


def stored_text(doc: dict[str, Any]) -> str:
    """A document as ``reports.doc`` keeps it: full, as JSON text ending in a newline.

    The newline (orjson never writes one, and nothing else writes the
    column) marks a document stored full: rows written by older versions
    hold only the fields ever sent and lack it, so ``served`` can splice
    every other row into a pull answer without parsing it.
    """
    return orjson.dumps(document.full(doc), option=orjson.OPT_APPEND_NEWLINE).decode()


def served(stored: str) -> bytes:
    """A stored document's JSON text as it is served: full, whatever version stored it."""
    if stored.endswith("\n"):
        return stored.encode()[:-1]
    return orjson.dumps(document.full(orjson.loads(stored)))


def loaded(stored: str) -> dict[str, Any]:
    """A stored document, full, whatever version stored it."""
    return document.full(orjson.loads(stored))


def device_part(full: dict[str, Any]) -> dict[str, Any]:
    """Strip the server-owned fields (and ``id``) from a full document."""
    return {k: v for k, v in full.items() if k != "id" and k not in SERVER_FIELDS}


MINOR_AGE = 18

#: Per-report counts kept as columns, summed by the aggregates.
COUNT_COLUMNS = (
    "persons",
    "victims",
    "victims_minor",
    "victims_female",
    "suspects",
    "witnesses",
    "foreign_nationals",
    "applicants",
)

_ROLE_COLUMN = {
    "victim": "victims",
    "suspect": "suspects",
    "witness": "witnesses",
    "foreign_national": "foreign_nationals",
    "applicant": "applicants",
}


def person_counts(persons: Any) -> dict[str, int]:
    """How many persons of each role a report names; minors are under 18."""
    counts = dict.fromkeys(COUNT_COLUMNS, 0)
    for person in (persons or {}).values():
        if not isinstance(person, dict):
            continue
        counts["persons"] += 1
        column = _ROLE_COLUMN.get(person.get("role"))
        if column:
            counts[column] += 1
        if person.get("role") == "victim":
            age = person.get("age")
            if isinstance(age, int) and not isinstance(age, bool) and age < MINOR_AGE:
                counts["victims_minor"] += 1
            if person.get("sex") == "F":
                counts["victims_female"] += 1
    return counts


def occurred_on(value: Any) -> date | None:
    """The calendar date of ``occurred_at`` in the offset the officer recorded it in."""
    parsed = parse_occurred_at(value)
    return parsed.date() if parsed is not None else None


def modus_key(modus: Any) -> str:
    """The report's modus codes, sorted and comma-joined (``""`` for none)."""
    if not isinstance(modus, list):
        return ""
    return ",".join(sorted({m for m in modus if isinstance(m, str)}))


def search_text(device_doc: dict[str, Any]) -> str:
    """The words the queue's text search finds a report by (never person names)."""
    location = device_doc.get("location") or {}
    parts = [
        device_doc.get("title"),
        device_doc.get("route"),
        location.get("place") if isinstance(location, dict) else None,
        device_doc.get("narrative"),
    ]
    return text_search.indexed_text([p for p in parts if isinstance(p, str)])


def point(device_doc: dict[str, Any]) -> tuple[float, float] | tuple[None, None]:
    """The document's location as (lon, lat), or (None, None) without a usable one."""
    location = device_doc.get("location")
    if not isinstance(location, dict):
        return None, None
    lat, lon = location.get("lat"), location.get("lon")
    usable = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lon))
    return (float(lon), float(lat)) if usable else (None, None)


def derived_columns(device_doc: dict[str, Any]) -> dict[str, Any]:
    """Columns kept beside the document for filters and counts."""
    lon, lat = point(device_doc)
    columns = {
        "kind": device_doc.get("kind") or "",
        "occurred_at": occurred_utc(device_doc.get("occurred_at")),
        "occurred_on": occurred_on(device_doc.get("occurred_at")),
        "retracted": bool(device_doc.get("retracted")),
        "title": (device_doc.get("title") or "")[:200],
        "route": device_doc.get("route") or None,
        "search_text": search_text(device_doc),
        "lon": lon,
        "lat": lat,
        "destination_country": device_doc.get("destination_country") or None,
        "modus_key": modus_key(device_doc.get("modus"))[:200],
    }
    columns.update(person_counts(device_doc.get("persons")))
    return columns
