"""Commander decisions on reports: review status changes (DESIGN §3 "Review")."""

from __future__ import annotations

from typing import Any

from server.http.auth import Principal
from server.infra.clock import utcnow
from server.infra.problems import Problem
from server.infra.transactions import write_connection
from server.reports import store

DECISIONS = ("in_review", "approved", "needs_info", "rejected")
NOTE_REQUIRED = ("needs_info", "rejected")


def load_for_change(conn: Any, principal: Principal, report_id: str) -> store.ReportState:
    """Lock and load a report the commander may change; 404 when out of scope."""
    state = store.load(conn, [report_id]).get(report_id)
    if state is None or not principal.sees_post(state.post):
        raise Problem(404, "not-found", "No such report in your post(s).")
    return state


def decide(
    principal: Principal, report_id: str, status: str, note: str | None, rev: int
) -> dict[str, Any]:
    """Record a review decision made on revision ``rev``; return the new document."""
    if status in NOTE_REQUIRED and not (note or "").strip():
        raise Problem(
            422,
            "validation-failed",
            "Say what is needed or why it is rejected.",
            errors={"note": [f"is required when the status is {status}"]},
        )
    now = utcnow()
    with write_connection() as conn:
        state = load_for_change(conn, principal, report_id)
        if rev != state.rev:
            # Nobody approves content they have not seen.
            raise Problem(
                409,
                "stale-revision",
                f"You reviewed revision {rev}, but the report is now at revision "
                f"{state.rev}; look at it again.",
                current_rev=state.rev,
            )
        state.row.update(
            review_status=status,
            review_note=note,
            review_by=principal.name,
            review_at=now,
            status_since=now if status != state.row["review_status"] else state.row["status_since"],
            rev=state.rev + 1,
        )
        state.revisions.append(
            store.revision_row(
                state,
                at=now,
                by=principal.name,
                action="review",
                changes={"review.status": status, "review.note": note},
            )
        )
        state.dirty = True
        store.save(conn, [state], now)
        return state.document()
