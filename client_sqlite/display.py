"""How the field CLI shows things: report and status text, and the sync progress bar."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the engine pulls in requests, which a status or list never needs
    from sync.engine import ProgressFn

_SKIP = {"id", "persons", "actions", "attachments", "review"}


def short_id(full: str) -> str:
    """How the CLI shows an id: its last 8 characters.

    UUIDv7 ids begin with their timestamp, so ids recorded in the same
    minute share their first 8 characters; the end is random in every UUID.
    """
    return full[-8:]


def render_report(view: dict[str, Any]) -> str:
    """A report with its outbox entries and conflicts, as text for the officer."""
    doc = view["report"]
    lines = [f"Report {doc['id']}"]
    for key, value in doc.items():
        # Every field is in the document; the officer reads only those set
        # (``retracted`` is false until a retraction).
        if key not in _SKIP and value is not None and value is not False:
            lines.append(f"  {key}: {json.dumps(value, ensure_ascii=False)}")
    review = doc.get("review") or {}
    if review:
        note = f" — {review['note']}" if review.get("note") else ""
        lines.append(f"  review: {review.get('status')}{note}")
    for name in ("persons", "actions", "attachments"):
        for element_id, element in (doc.get(name) or {}).items():
            lines.append(f"  {name}.{element_id}: {json.dumps(element, ensure_ascii=False)}")
    for sha, state in view.get("attachments", {}).items():
        where = (
            "uploaded"
            if state.get("uploaded_at")
            else f"REFUSED: {state['error']}"
            if state.get("error")
            else "not uploaded yet"
            if state.get("path")
            else "on another device"
        )
        lines.append(f"  attachment {sha[:12]}…: {where}")
    for op in view["outbox"]:
        if op["state"] == "rejected":
            reasons = "; ".join(f"{k} {' and '.join(v)}" for k, v in (op["errors"] or {}).items())
            lines.append(f"  REJECTED change {short_id(op['op_id'])}: {reasons}")
        else:
            lines.append(f"  pending change {short_id(op['op_id'])}: {', '.join(op['fields'])}")
    for c in view["conflicts"]:
        lines.append(
            f"  CONFLICT on {c['field']}: kept {json.dumps(c['kept'])} "
            f"(by {c['kept_by']}), lost {json.dumps(c['lost'])} (by {c['lost_by']})"
        )
    return "\n".join(lines)


def _action_lines(view: dict[str, Any]) -> list[str]:
    """What waits for the officer: the commander's questions, refused changes, conflicts."""
    lines = []
    for r in view["needs_info"]:
        by = f" ({r['by']})" if r.get("by") else ""
        lines.append(
            f"  {short_id(r['report_id'])} {r['title'] or r['kind'] or ''}: your commander asks"
            f"{by}: {r['note'] or '(no note)'}"
        )
    for op in view["rejected"]:
        reasons = "; ".join(f"{k} {' and '.join(v)}" for k, v in (op["errors"] or {}).items())
        lines.append(f"  {short_id(op['report_id'])} change rejected by the server: {reasons}")
    for c in view["conflicts"]:
        lines.append(
            f"  {short_id(c['report_id'])} conflict on {c['field']}: kept {c['kept_by']}'s value, "
            f"{c['lost_by']}'s value is kept aside for your commander"
        )
    return lines


_ALERT_WORDS = {
    "deferred_applicant": "passport application deferred before",
    "seen_before": "seen before",
    "repeat_suspect": "suspect in another report too",
}


def render_alerts(doc: dict[str, Any], found: dict[str, Any]) -> str:
    """Persons of the report met in other reports, as the server lets this device see them."""
    persons = doc.get("persons") or {}
    links = found["person_links"]
    if not links:
        return "No person of this report was found in other reports."
    lines = []
    for person_id, entries in links.items():
        person = persons.get(person_id) or {}
        label = person.get("name") or person.get("role") or person_id
        kinds = sorted({a["type"] for a in found["alerts"] if a.get("person_id") == person_id})
        flags = f"  [{', '.join(_ALERT_WORDS.get(k, k) for k in kinds)}]" if kinds else ""
        lines.append(f"{label}{flags}")
        for link in entries:
            where = link["report_id"] or "a report of another post"
            lines.append(
                f"  {link['post']} {link['kind']} {link['occurred_at'] or '?'}: "
                f"{link['explanation']} ({where})"
            )
    return "\n".join(lines)


def render_status(view: dict[str, Any]) -> str:
    """The device's sync status as text, what needs the officer's action first."""
    counts = view["counts"]
    actions = _action_lines(view)
    lines = ["Needs your action:", *actions] if actions else ["Nothing needs your action."]
    if view["revoked"]:
        lines.insert(0, "This device has been REVOKED; ask your commander. Your data stays here.")
    lines += [
        f"Officer {view['officer'] or '-'} at post {view['post'] or '-'}, "
        f"server {view['server'] or '(not enrolled)'}",
        f"Reports: {counts['reports']}, sent back by the commander: {len(view['needs_info'])}, "
        f"pending changes: {counts['pending']}, rejected: {counts['rejected']}, "
        f"open conflicts: {counts['conflicts']}",
        f"Attachments waiting to upload: {counts['blobs_pending']}, "
        f"refused: {counts['blobs_refused']}",
        f"Last successful sync: {view['last_sync_at'] or 'never'}",
    ]
    if view["clock_offset_ms"] is not None:
        lines.append(f"Clock offset to server: {view['clock_offset_ms'] / 1000:+.1f} s")
    return "\n".join(lines)


@contextmanager
def progress_for(tty: bool, total: int, blob_bytes: int = 0) -> Iterator[ProgressFn | None]:
    """A rich progress bar on a terminal for long syncs; nothing when piped."""
    if not tty or (total < 50 and blob_bytes < 1_000_000):
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), transient=True
    ) as bar:
        tasks = {
            "push": bar.add_task("sending", total=total),
            "pull": bar.add_task("receiving", total=None),
        }

        def update(phase: str, done: int, phase_total: int | None) -> None:
            if phase not in tasks:  # "upload": attachment bytes
                tasks[phase] = bar.add_task("attachments (bytes)", total=phase_total)
            bar.update(tasks[phase], completed=done)

        yield update
