"""The pull service: every change in the caller's scope after a cursor (DESIGN §3 "Pull").

Reports carry the change-sequence value of their latest write (``seq``,
allocated in commit order by ``report_store.allocate_seqs``), so "changed
after the cursor" is ``seq > cursor`` and a report appears once, at its
latest state.  Removals (a report leaving a post) come from the same
sequence.  The answer is assembled from the stored JSON text of each
document without decoding it (``documents.served``: only a document an
older version stored, without the fields never sent, is parsed and made full).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Connection

from server.infra.clock import utcnow
from server.infra.models import Conflict, Counter, Device, Removal, Report
from server.infra.problems import Problem
from server.infra.transactions import write_connection
from server.reports.document import served
from sync import hlc

reports = Report.__table__
removals = Removal.__table__
conflicts = Conflict.__table__
counters = Counter.__table__

_CURSOR_PREFIX = b"p1:"


#: A device pulling page after page is recorded once a minute, not on
#: every page (each record is a write transaction).
PULL_RECORD_INTERVAL = timedelta(seconds=60)


def record_pull(device: Device) -> None:
    """Note when the device last pulled (for "not synced for too long")."""
    now = utcnow()
    if device.last_pull_at is not None and now - device.last_pull_at < PULL_RECORD_INTERVAL:
        return
    devices = Device.__table__
    with write_connection() as conn:
        conn.execute(update(devices).where(devices.c.id == device.id).values(last_pull_at=now))


def encode_cursor(seq: int) -> str:
    """The opaque cursor for a sequence value."""
    return base64.urlsafe_b64encode(_CURSOR_PREFIX + str(seq).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The sequence value inside a cursor; 400 problem when it is not one of ours."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if raw.startswith(_CURSOR_PREFIX):
            value = int(raw[len(_CURSOR_PREFIX) :])
            if value >= 0:
                return value
    except (binascii.Error, ValueError):
        pass
    raise Problem(
        400,
        "validation-failed",
        "The cursor is not one this server issued.",
        errors={"cursor": ["is not a valid cursor; start again without one"]},
    )


def _counter(conn: Connection, name: str) -> int:
    value = conn.execute(select(counters.c.value).where(counters.c.name == name)).scalar()
    return value or 0


def conflicts_by_report(conn: Connection, ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Open conflict records of these reports, in the wire shape."""
    out: dict[str, list[dict[str, Any]]] = {}
    if not ids:
        return out
    rows = conn.execute(
        select(conflicts)
        .where(conflicts.c.report_id.in_(ids), conflicts.c.status == "open")
        .order_by(conflicts.c.rev, conflicts.c.id)
    ).mappings()
    for row in rows:
        out.setdefault(row["report_id"], []).append(conflict_wire(row))
    return out


def conflict_wire(row: Any) -> dict[str, Any]:
    """A ``conflicts`` row in the shape of DESIGN §3."""
    return {
        "id": row["id"],
        "field": row["field"],
        "kept": row["kept"],
        "lost": row["lost"],
        "kept_by": row["kept_by"],
        "lost_by": row["lost_by"],
        "kept_hlc": row["kept_hlc"],
        "lost_hlc": row["lost_hlc"],
        "rev": row["rev"],
        "status": row["status"],
    }


def pull(
    conn: Connection,
    posts: set[str] | None,
    cursor: str | None,
    limit: int,
    skip_echo_of: str | None = None,
) -> bytes:
    """The pull answer as JSON bytes for a caller who sees ``posts`` (None = all).

    With ``skip_echo_of`` (a device id), a report whose latest change is
    that device's own op applied cleanly is left out: the device built the
    same document from the op and its push result (``server_fields``).
    """
    since = decode_cursor(cursor)
    floor, top = _counter(conn, "floor"), _counter(conn, "seq")
    if since and (since < floor or since > top):
        raise Problem(
            410,
            "cursor-expired",
            "This cursor is older than the changes the server still keeps (or from "
            "another server); download your scope again from the start.",
        )
    entries = _changed(conn, Window(since, top, limit, posts, skip_echo_of))
    has_more = len(entries) > limit
    entries = entries[:limit]
    open_ids = [r.id for _, r in entries if getattr(r, "open_conflicts", 0)]
    open_map = conflicts_by_report(conn, open_ids)
    parts = []
    for _, row in entries:
        if hasattr(row, "doc"):
            extra = orjson.dumps(open_map.get(row.id, []))
            parts.append(b'{"report":' + served(row.doc) + b',"open_conflicts":' + extra + b"}")
        else:
            parts.append(orjson.dumps({"report_id": row.report_id, "removed": True}))
    # A last page covered every value up to `top`, skipped echoes included:
    # the cursor moves there, so the next pull does not look at them again.
    last = entries[-1][0] if has_more else top
    tail = orjson.dumps(
        {
            "cursor": encode_cursor(last),
            "has_more": has_more,
            "server_time": hlc.format_server_time(),
        }
    )
    return b'{"changes":[' + b",".join(parts) + b"]," + tail[1:]


@dataclass(frozen=True)
class Window:
    """Which changes a pull page looks at: after ``since``, up to ``top``."""

    since: int
    top: int
    limit: int
    posts: set[str] | None
    skip_echo_of: str | None


def _changed(conn: Connection, w: Window) -> list[tuple[int, Any]]:
    """Up to ``limit + 1`` report and removal rows of the window, in seq order."""
    since, top, limit, posts, skip_echo_of = w.since, w.top, w.limit, w.posts, w.skip_echo_of
    # Bound both queries by the counter value read first. The caller's
    # snapshot (infra.transactions.read_snapshot) already gives every statement the same
    # cut; the bound keeps that true even without one (READ COMMITTED gives
    # each statement a newer snapshot): a transaction that committed after
    # `top` was read holds only values above it, so the cursor cannot jump
    # over a value one of the queries did not see.
    query = (
        select(reports.c.id, reports.c.seq, reports.c.doc, reports.c.open_conflicts)
        .where(reports.c.seq > since, reports.c.seq <= top)
        .order_by(reports.c.seq)
        .limit(limit + 1)
    )
    gone = (
        select(removals.c.report_id, removals.c.seq)
        .where(removals.c.seq > since, removals.c.seq <= top)
        .order_by(removals.c.seq)
        .limit(limit + 1)
    )
    if skip_echo_of is not None:
        # echo_seq is set together with echo_device_id and only counts while
        # it is the report's seq: any later write made the report news again.
        query = query.where(
            or_(
                reports.c.echo_device_id.is_(None),
                reports.c.echo_device_id != skip_echo_of,
                reports.c.echo_seq != reports.c.seq,
            )
        )
    if posts is not None:
        query = query.where(reports.c.post_code.in_(sorted(posts)))
        gone = gone.where(removals.c.post_code.in_(sorted(posts)))
    entries = [(r.seq, r) for r in conn.execute(query)]
    entries += [(r.seq, r) for r in conn.execute(gone)]
    entries.sort(key=lambda e: e[0])
    return entries
