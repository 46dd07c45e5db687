"""Composing a report's stored document and the columns derived from it."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sync import hlc as H
from sync.units import SERVER_FIELDS


@lru_cache(maxsize=1024)
def iso_ms(value: datetime | None) -> str | None:
    """A stored time as RFC 3339 UTC with milliseconds (the ``server_time`` format)."""
    # Cached: every document of a batch carries the batch's own time.
    if value is None:
        return None
    return H.format_server_time(int(value.timestamp() * 1000))


def parse_occurred_at(value: Any) -> datetime | None:
    """``occurred_at`` as a datetime for the indexed column (already validated)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


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
    """The full current document: ``id``, device fields, then server fields."""
    doc = {"id": report_id}
    doc.update(device_doc)
    doc.update(server_fields(row))
    return doc


def device_part(full: dict[str, Any]) -> dict[str, Any]:
    """Strip the server-owned fields (and ``id``) from a full document."""
    return {k: v for k, v in full.items() if k != "id" and k not in SERVER_FIELDS}


def derived_columns(device_doc: dict[str, Any]) -> dict[str, Any]:
    """Columns kept beside the document for filters and counts."""
    return {
        "kind": device_doc.get("kind") or "",
        "occurred_at": parse_occurred_at(device_doc.get("occurred_at")),
        "retracted": bool(device_doc.get("retracted")),
    }
