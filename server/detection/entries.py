"""The person index rows of one report, built from its device document."""

from __future__ import annotations

from typing import Any

import orjson

from server.detection.matching import PersonRecord
from server.detection.names import blocking_keys, normal_document, normal_name
from server.infra.clock import occurred_utc


def signature(post: str, device_doc: dict[str, Any]) -> bytes:
    """What the indexes read of a report (persons, vehicles): when it is unchanged, nothing
    needs matching again."""
    read = [
        post,
        device_doc.get("kind"),
        device_doc.get("occurred_at"),
        bool(device_doc.get("retracted")),
        device_doc.get("persons") or {},
    ]
    # Only when there are vehicles: the signatures stored before vehicles
    # existed stay equal, so those reports are not re-indexed for nothing.
    if device_doc.get("vehicles"):
        read.append(device_doc["vehicles"])
    return orjson.dumps(read, option=orjson.OPT_SORT_KEYS)


def entry_rows(report_id: str, post: str, device_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``person_entries`` row per person; none for a retracted report."""
    if device_doc.get("retracted"):
        return []
    occurred_at = occurred_utc(device_doc.get("occurred_at"))
    rows = []
    for person_id, person in sorted((device_doc.get("persons") or {}).items()):
        if not isinstance(person, dict):
            continue
        document = person.get("document") or {}
        rows.append(
            {
                "report_id": report_id,
                "person_id": person_id,
                "post_code": post,
                "kind": device_doc.get("kind") or "",
                "role": person.get("role") or "",
                "occurred_at": occurred_at,
                "sex": person.get("sex"),
                "age": person.get("age"),
                "name_norm": normal_name(person.get("name"))[:200],
                "doc_type": document.get("type"),
                "doc_norm": normal_document(document.get("number"))[:64] or None,
            }
        )
    return rows


def birth_year(entry: dict[str, Any]) -> int | None:
    """The year the person was born, about: name matching needs ages that agree."""
    if entry["age"] is None or entry["occurred_at"] is None:
        return None
    return entry["occurred_at"].year - entry["age"]


def key_rows(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``person_name_keys`` rows of one entry (none without an age: no name match)."""
    born = birth_year(entry)
    if born is None:
        return []
    return [
        {
            "key": key,
            "birth_year": born,
            "report_id": entry["report_id"],
            "person_id": entry["person_id"],
        }
        for key in blocking_keys(entry["name_norm"], entry["sex"])
    ]


def record(entry: Any) -> PersonRecord:
    """A matching record from an entry row (a mapping or a row object)."""
    get = entry.get if hasattr(entry, "get") else entry._mapping.get
    return PersonRecord(
        report_id=get("report_id"),
        person_id=get("person_id"),
        sex=get("sex"),
        age=get("age"),
        occurred_at=get("occurred_at"),
        name_norm=get("name_norm") or "",
        doc_type=get("doc_type"),
        doc_norm=get("doc_norm") or "",
    )
