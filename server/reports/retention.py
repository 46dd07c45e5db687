"""What the server stops keeping: acknowledged op records and old removals.

Op records answer replays; a device that acknowledged an op (DESIGN §3
"Push") can no longer send it again, so its record may go once past
``PATROLI_OP_RETENTION_DAYS``.

Removals (a report leaving a post's scope) are pull entries.  One pruned
after ``PATROLI_REMOVAL_RETENTION_DAYS`` raises the ``floor`` counter to
its sequence value: a device whose cursor is below the floor may have
missed it, so its pull answers 410 ``cursor-expired`` and it downloads its
scope again from the start, keeping its unsent edits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.engine import Connection

from server.infra.models import Counter, Device, OpRecord, Removal

ops = OpRecord.__table__
devices = Device.__table__
removals = Removal.__table__
counters = Counter.__table__


def prune_op_records(conn: Connection, before: datetime) -> int:
    """Delete acknowledged op records created before ``before``; return how many."""
    acked = conn.execute(
        select(devices.c.id, devices.c.acked_hlc).where(devices.c.acked_hlc.is_not(None))
    ).all()
    removed = 0
    for device_id, acked_hlc in acked:
        # The device pushes its outbox in HLC order, so an op below the
        # smallest HLC of its latest batch has left its outbox: a replay
        # of it can no longer arrive, and its record may go.
        removed += conn.execute(
            delete(ops).where(
                and_(
                    ops.c.device_id == device_id,
                    ops.c.sent_hlc < acked_hlc,
                    ops.c.created_at < before,
                )
            )
        ).rowcount
    return removed


def _counter(conn: Connection, name: str) -> int:
    value = conn.execute(select(counters.c.value).where(counters.c.name == name)).scalar()
    return int(value or 0)


def prune_removals(conn: Connection, before: datetime) -> dict[str, Any]:
    """Delete removals older than ``before`` and raise the pull floor past them."""
    prunable = removals.c.at < before
    top = conn.execute(select(func.max(removals.c.seq)).where(prunable)).scalar()
    floor = _counter(conn, "floor")
    if top is None:
        return {"removals_removed": 0, "floor": floor}
    removed = conn.execute(delete(removals).where(prunable, removals.c.seq <= top)).rowcount
    if top > floor:
        conn.execute(update(counters).where(counters.c.name == "floor").values(value=top))
        floor = top
    return {"removals_removed": removed, "floor": floor}
