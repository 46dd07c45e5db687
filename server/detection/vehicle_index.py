"""Keep vehicle entries and links in step with report writes (beside ``index``).

``server.detection.index.refresh`` calls ``refresh`` with the reports whose
indexed content changed, inside the writer's transaction, so vehicle links
(and the ``vehicle_seen_before`` alerts read from them) commit or roll back
with the change that caused them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.engine import Connection

from server.detection.models import VehicleEntry, VehicleLink
from server.detection.vehicles import (
    VehicleMatch,
    VehicleRecord,
    compare,
    family,
    name_key,
    normal_boat_name,
    normal_registration,
)
from server.infra.bulk import bulk_write
from server.infra.clock import occurred_utc

entries_t = VehicleEntry.__table__
links_t = VehicleLink.__table__

#: Values per IN list (SQLite allows 32766 bound values per statement).
_CHUNK = 500


def entry_rows(report_id: str, post: str, device_doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``vehicle_entries`` row per vehicle; none for a retracted report."""
    if device_doc.get("retracted"):
        return []
    occurred_at = occurred_utc(device_doc.get("occurred_at"))
    rows = []
    for vehicle_id, vehicle in sorted((device_doc.get("vehicles") or {}).items()):
        if not isinstance(vehicle, dict):
            continue
        kin = family(vehicle.get("type"))
        name_norm = normal_boat_name(vehicle.get("name"))[:200] if kin == "boat" else ""
        rows.append(
            {
                "report_id": report_id,
                "vehicle_id": vehicle_id,
                "post_code": post,
                "kind": device_doc.get("kind") or "",
                "occurred_at": occurred_at,
                "family": kin,
                "registration": vehicle.get("registration"),
                "reg_norm": normal_registration(vehicle.get("registration"))[:64] or None,
                "name_norm": name_norm,
                "name_key": name_key(name_norm),
            }
        )
    return rows


def refresh(conn: Connection, states: list[Any]) -> None:
    """Re-index the vehicles of these (changed) reports and re-match them."""
    stored = sorted({s.id for s in states if not s.is_new})
    forget(conn, stored)
    entries = [row for s in states for row in entry_rows(s.id, s.post, s.device_doc)]
    if not entries:
        return
    links = match_entries(conn, entries)
    bulk_write(conn, entries_t, entries)
    bulk_write(conn, links_t, links)


def forget(conn: Connection, ids: list[str]) -> None:
    """Drop the vehicle entries and links (both ways) of these reports."""
    for part in _chunks(ids):
        either = or_(links_t.c.report_id.in_(part), links_t.c.other_report_id.in_(part))
        conn.execute(delete(links_t).where(either))
        conn.execute(delete(entries_t).where(entries_t.c.report_id.in_(part)))


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _blocks(row: Any) -> list[tuple[str, str, str]]:
    """The blocks a vehicle is compared within: its registration, and a boat's name key."""
    found = []
    if row["reg_norm"]:
        found.append(("reg", row["family"], row["reg_norm"]))
    if row["family"] == "boat" and row["name_key"]:
        found.append(("name", row["family"], row["name_key"]))
    return found


def candidates(conn: Connection, entries: list[dict[str, Any]]) -> list[Any]:
    """Stored vehicles sharing a registration or a boat-name key with any of ``entries``."""
    found: dict[tuple[str, str], Any] = {}
    for column, kind in ((entries_t.c.reg_norm, "reg"), (entries_t.c.name_key, "name")):
        wanted = sorted({(f, v) for e in entries for k, f, v in _blocks(e) if k == kind})
        for part in _chunks(wanted):
            cond = or_(*(and_(column == value, entries_t.c.family == fam) for fam, value in part))
            for row in conn.execute(select(entries_t).where(cond)):
                found[(row.report_id, row.vehicle_id)] = row._mapping
    return list(found.values())


def match_entries(conn: Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Link rows (both ways) for every entry that matches a stored vehicle or another
    entry of another report."""
    by_block: dict[tuple[str, str, str], list[Any]] = {}
    for row in [*candidates(conn, entries), *entries]:
        for block in _blocks(row):
            by_block.setdefault(block, []).append(row)
    seen: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    rows = []
    for entry in entries:
        a = (entry["report_id"], entry["vehicle_id"])
        for block in _blocks(entry):
            for other in by_block.get(block, []):
                b = (other["report_id"], other["vehicle_id"])
                pair = (min(a, b), max(a, b))
                if b[0] == a[0] or pair in seen:
                    continue
                seen.add(pair)
                verdict = compare(_record(entry), _record(other))
                if verdict is not None and verdict.linked:
                    rows += [_link_row(entry, other, verdict), _link_row(other, entry, verdict)]
    return rows


def _record(row: Any) -> VehicleRecord:
    return VehicleRecord(
        family=row["family"],
        registration=row["registration"],
        reg_norm=row["reg_norm"] or "",
        name_norm=row["name_norm"] or "",
    )


def _link_row(mine: Any, theirs: Any, verdict: VehicleMatch) -> dict[str, Any]:
    return {
        "report_id": mine["report_id"],
        "vehicle_id": mine["vehicle_id"],
        "occurred_at": mine["occurred_at"],
        "other_report_id": theirs["report_id"],
        "other_vehicle_id": theirs["vehicle_id"],
        "other_post": theirs["post_code"],
        "other_kind": theirs["kind"],
        "other_occurred_at": theirs["occurred_at"],
        "basis": verdict.basis,
        "score": verdict.score,
        "explanation": verdict.explanation,
    }
