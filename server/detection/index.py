"""Keep person entries, links and alerts in step with report writes.

``refresh`` runs inside the transaction that writes the reports
(``server.report_store.save``): push, review, conflict resolution, and any
later transfer or retraction all pass there, so links and alerts commit or
roll back with the change that caused them and are never stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.engine import Connection

from server.db import bulk_write
from server.detection import alerts as alert_rules
from server.detection.entries import entry_rows, key_rows, record, signature
from server.detection.matching import Match, compare
from server.models import PersonAlert, PersonEntry, PersonLink, PersonNameKey

entries_t = PersonEntry.__table__
keys_t = PersonNameKey.__table__
links_t = PersonLink.__table__
alerts_t = PersonAlert.__table__


def changed_reports(states: Iterable[Any]) -> list[Any]:
    """The written states whose persons, kind, time, post or retraction changed."""
    return [s for s in states if s.is_new or s.persons_sig != signature(s.post, s.device_doc)]


def refresh(conn: Connection, states: Iterable[Any], force: bool = False) -> None:
    """Re-index the changed reports (every one given when ``force``), re-match their persons
    and redo the alerts they touch."""
    changed = list(states) if force else changed_reports(states)
    if not changed:
        return
    ids = sorted({s.id for s in changed})
    affected = set(ids) | _linked_reports(conn, ids)
    forget(conn, ids)
    new_entries = [row for s in changed for row in entry_rows(s.id, s.post, s.device_doc)]
    bulk_write(conn, entries_t, new_entries)
    bulk_write(conn, keys_t, [k for e in new_entries for k in key_rows(e)])
    links = match_entries(conn, new_entries)
    bulk_write(conn, links_t, links)
    affected |= {link["other_report_id"] for link in links}
    alert_rules.recompute(conn, sorted(affected))
    for state in changed:
        state.persons_sig = signature(state.post, state.device_doc)


def _linked_reports(conn: Connection, ids: list[str]) -> set[str]:
    query = select(links_t.c.other_report_id).where(links_t.c.report_id.in_(ids))
    return set(conn.execute(query).scalars())


def forget(conn: Connection, ids: list[str]) -> None:
    """Drop the entries and links of these reports (before re-indexing, or on a purge).

    A purge calls it with ``alerts.recompute`` of the reports linked before.
    """
    either = or_(links_t.c.report_id.in_(ids), links_t.c.other_report_id.in_(ids))
    conn.execute(delete(links_t).where(either))
    conn.execute(delete(keys_t).where(keys_t.c.report_id.in_(ids)))
    conn.execute(delete(entries_t).where(entries_t.c.report_id.in_(ids)))


#: Values per IN list: SQLite allows 32766 bound values per statement.
_CHUNK = 500


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


#: Birth years either side of a person's that the name search reads: ages are
#: guesses and a year has two birthdays' worth of "age" (matching.AGE_SLACK_YEARS).
BIRTH_YEAR_BAND = 3
#: Persons whose name keys one statement looks up.
_PER_STATEMENT = 40


def _name_hits(conn: Connection, entries: list[dict[str, Any]]) -> dict[tuple[str, str], set]:
    """Stored persons sharing a name key with an entry, within its birth-year band."""
    hits: dict[tuple[str, str], set[str]] = {}
    wanted = [(keys, rows[0]["birth_year"]) for e in entries if (rows := key_rows(e))
              for keys in [sorted({r["key"] for r in rows})]]  # fmt: skip
    for start in range(0, len(wanted), _PER_STATEMENT):
        conds = [
            and_(
                keys_t.c.key.in_(keys),
                keys_t.c.birth_year.between(born - BIRTH_YEAR_BAND, born + BIRTH_YEAR_BAND),
            )
            for keys, born in wanted[start : start + _PER_STATEMENT]
        ]
        query = select(keys_t.c.key, keys_t.c.report_id, keys_t.c.person_id).where(or_(*conds))
        for key, report_id, person_id in conn.execute(query):
            hits.setdefault((report_id, person_id), set()).add(key)
    return hits


def candidates(conn: Connection, entries: list[dict[str, Any]]) -> list[tuple[Any, set[str]]]:
    """Stored entries sharing a document number or a name key with any of ``entries``,
    each with the name keys it shares."""
    docs = sorted({e["doc_norm"] for e in entries if e["doc_norm"]})
    found: dict[tuple[str, str], Any] = {}
    for part in _chunks(docs):
        for row in conn.execute(select(entries_t).where(entries_t.c.doc_norm.in_(part))):
            found[(row.report_id, row.person_id)] = row
    hits = _name_hits(conn, entries)
    missing = set(hits) - set(found)
    # By report id (the unique index's first column): SQLite scans the whole
    # table for a row-value IN list.  A report has few persons.
    for part in _chunks(sorted({report_id for report_id, _ in missing})):
        for row in conn.execute(select(entries_t).where(entries_t.c.report_id.in_(part))):
            if (row.report_id, row.person_id) in missing:
                found[(row.report_id, row.person_id)] = row
    return [(row, hits.get(key, set())) for key, row in found.items()]


def match_entries(conn: Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Link rows (both ways) for every entry of ``entries`` that matches a stored person."""
    if not entries:
        return []
    pool = [(row, record(row), keys) for row, keys in candidates(conn, entries)]
    pairs: dict[tuple[tuple[str, str], tuple[str, str]], tuple[Any, Any, Match]] = {}
    for entry in entries:
        mine = record(entry)
        keys = {k["key"] for k in key_rows(entry)}
        for other, theirs, their_keys in pool:
            if theirs.report_id == mine.report_id:
                continue
            if not (_shares_doc(mine, theirs) or keys & their_keys):
                continue
            verdict = compare(mine, theirs)
            if verdict.linked:
                a, b = (mine.report_id, mine.person_id), (theirs.report_id, theirs.person_id)
                pairs.setdefault((min(a, b), max(a, b)), (entry, other._mapping, verdict))
    rows = []
    for one, two, verdict in pairs.values():
        rows.append(_link_row(one, two, verdict))
        rows.append(_link_row(two, one, verdict))
    return rows


def _shares_doc(a: Any, b: Any) -> bool:
    return bool(a.doc_norm) and a.doc_norm == b.doc_norm and a.doc_type == b.doc_type


def _link_row(mine: Any, theirs: Any, verdict: Match) -> dict[str, Any]:
    return {
        "report_id": mine["report_id"],
        "person_id": mine["person_id"],
        "role": mine["role"],
        "other_report_id": theirs["report_id"],
        "other_person_id": theirs["person_id"],
        "other_post": theirs["post_code"],
        "other_kind": theirs["kind"],
        "other_role": theirs["role"],
        "other_occurred_at": theirs["occurred_at"],
        "basis": verdict.basis,
        "score": verdict.score,
        "explanation": verdict.explanation,
    }
