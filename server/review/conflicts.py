"""Conflict records: listing them and a commander's resolution (DESIGN §3).

A resolution is a new revision written through ``report_store``, so devices
pull it like any other change.  The chosen value is stamped as a server
write (``sync.merge.stamp_units`` with no device): an officer's edit made
offline from a revision before the resolution is then a concurrent edit
and leaves a conflict record instead of silently undoing the decision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from server.http.auth import Principal
from server.infra.clock import clock, iso_ms, utcnow
from server.infra.db import db, is_postgres
from server.infra.models import Conflict, Device, Report
from server.infra.problems import Problem
from server.infra.transactions import write_connection
from server.reports import store
from server.reports.pull import conflict_wire
from sync import merge, report_schema, units

conflicts_table = Conflict.__table__
reports_table = Report.__table__
CHOICES = ("kept", "lost")


def wire(row: Any) -> dict[str, Any]:
    """A conflict row as the API shows it to people (with devices, post and resolution)."""
    out = conflict_wire(row)
    out.update(
        report_id=row["report_id"],
        post=row["post_code"],
        kept_device=row["kept_device"],
        lost_device=row["lost_device"],
        created_at=_iso(row["created_at"]),
        resolved_at=_iso(row["resolved_at"]),
        resolved_by=row["resolved_by"],
        resolved_rev=row["resolved_rev"],
    )
    return out


def _iso(value: Any) -> str | None:
    """A stored time as RFC 3339 UTC."""
    return iso_ms(value)


def list_conflicts(
    principal: Principal, status: str | None, post: str | None, report_id: str | None = None
) -> list[dict[str, Any]]:
    """Conflicts in the caller's scope, oldest first, with each report's title."""
    query = select(conflicts_table, reports_table.c.title).join(
        reports_table, reports_table.c.id == conflicts_table.c.report_id
    )
    visible = principal.posts()
    if visible is not None:
        query = query.where(conflicts_table.c.post_code.in_(sorted(visible)))
    if post:
        query = query.where(conflicts_table.c.post_code == post.upper())
    if status:
        query = query.where(conflicts_table.c.status == status)
    if report_id:
        query = query.where(conflicts_table.c.report_id == report_id)
    query = query.order_by(conflicts_table.c.created_at, conflicts_table.c.id)
    return [
        dict(wire(row), report_title=row["title"]) for row in db.session.execute(query).mappings()
    ]


def get_conflict(principal: Principal, conflict_id: str) -> dict[str, Any]:
    """One conflict in the caller's scope; 404 otherwise (same answer as unknown)."""
    row = (
        db.session.execute(select(conflicts_table).where(conflicts_table.c.id == conflict_id))
        .mappings()
        .first()
    )
    if row is None or not principal.sees_post(row["post_code"]):
        raise Problem(404, "not-found", "No such conflict in your post(s).")
    return wire(row)


def device_names(ids: list[str | None]) -> dict[str, str]:
    """Device names by id, for showing where each side of a conflict came from."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = db.session.execute(select(Device.id, Device.name).where(Device.id.in_(wanted)))
    return {device_id: name for device_id, name in rows}


def _chosen_value(conflict: Any, body: dict[str, Any]) -> Any:
    """The value a resolution body asks for, validated for the conflict's unit."""
    if ("choose" in body) == ("value" in body):
        raise Problem(
            400,
            "validation-failed",
            'Send either {"choose": "kept"|"lost"} or {"value": ...}.',
            errors={"choose": ["send choose or value, not both and not neither"]},
        )
    if "choose" in body:
        if body["choose"] not in CHOICES:
            raise Problem(
                400,
                "validation-failed",
                "choose must be kept or lost.",
                errors={"choose": ["must be one of: kept, lost"]},
            )
        return conflict[body["choose"]]
    value = body["value"]
    errors = report_schema.validate_units({conflict["field"]: value})
    if errors:
        raise Problem(
            422, "validation-failed", "The merged value is not valid for this field.", errors=errors
        )
    return value


def _check_rev(body: dict[str, Any], state: store.ReportState) -> None:
    """409 stale-revision when the body names a revision that is no longer current."""
    rev = body.get("rev")
    if rev is None:
        return
    if isinstance(rev, bool) or not isinstance(rev, int):
        raise Problem(
            400, "validation-failed", "rev must be a number.", errors={"rev": ["must be a number"]}
        )
    if rev != state.rev:
        raise Problem(
            409,
            "stale-revision",
            f"You looked at revision {rev}, but the report is now at revision {state.rev}; "
            "look at the conflict again.",
            current_rev=state.rev,
        )


def resolve(principal: Principal, conflict_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Resolve a conflict with a side or a written value; return the new document."""
    conflict = get_conflict(principal, conflict_id)
    value = _chosen_value(conflict, body)
    unit = conflict["field"]
    now = utcnow()
    with write_connection() as conn:
        state = store.load(conn, [conflict["report_id"]], lock=is_postgres())[conflict["report_id"]]
        _check_rev(body, state)
        # The conditional update is the once-only guard: of two commanders
        # resolving at the same moment, one changes the row, the other 409s.
        taken = conn.execute(
            update(conflicts_table)
            .where(conflicts_table.c.id == conflict_id, conflicts_table.c.status == "open")
            .values(status="resolved", resolved_at=now, resolved_by=principal.name)
        ).rowcount
        if taken != 1:
            raise Problem(409, "conflict", "This conflict has already been resolved.")
        doc = dict(state.device_doc)
        for name in units.MAP_FIELDS:
            if isinstance(doc.get(name), dict):
                doc[name] = dict(doc[name])
        units.put(doc, unit, value)
        if doc.get("retracted") is True and not doc.get("retract_reason"):
            raise Problem(
                422,
                "validation-failed",
                "A retraction needs a reason.",
                errors={"retract_reason": ["a retraction needs a reason"]},
            )
        new_rev = state.rev + 1
        state.device_doc = doc
        state.meta = merge.stamp_units(
            state.meta, [unit], new_rev, str(clock.now()), principal.name
        )
        state.row["rev"] = new_rev
        state.row["open_conflicts"] = max(0, state.row["open_conflicts"] - 1)
        state.revisions.append(
            store.revision_row(
                state, at=now, by=principal.name, action="resolve", changes={unit: value}
            )
        )
        state.dirty = True
        conn.execute(
            update(conflicts_table)
            .where(conflicts_table.c.id == conflict_id)
            .values(resolved_rev=new_rev)
        )
        store.save(conn, [state], now)
        return state.document()
