"""Keep person entries, links and alerts in step with report writes (and vehicles').

``refresh`` runs inside the transaction that writes the reports
(``server.report_store.save``): push, review, conflict resolution, and any
later transfer or retraction all pass there, so links and alerts commit or
roll back with the change that caused them and are never stale.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.engine import Connection

from server.detection import alerts as alert_rules
from server.detection import vehicle_index
from server.detection.entries import entry_rows, key_rows, record, signature
from server.detection.matching import Match, PersonRecord, compare
from server.detection.models import PersonAlert, PersonEntry, PersonLink, PersonNameKey
from server.infra.bulk import bulk_write

entries_t = PersonEntry.__table__
keys_t = PersonNameKey.__table__
links_t = PersonLink.__table__
alerts_t = PersonAlert.__table__


def _changed(states: Iterable[Any], force: bool = False) -> list[tuple[Any, bytes]]:
    """The states whose persons, kind, time, post or retraction changed (every one when
    ``force``), each with its new signature, computed once: it serialises the persons."""
    found = []
    for state in states:
        sig = signature(state.post, state.device_doc)
        if force or state.is_new or state.persons_sig != sig:
            found.append((state, sig))
    return found


def refresh(conn: Connection, states: Iterable[Any], force: bool = False) -> None:
    """Re-index the changed reports (every one given when ``force``), re-match their persons
    and redo the alerts they touch."""
    changed_sigs = _changed(states, force)
    if not changed_sigs:
        return
    changed = [state for state, _ in changed_sigs]
    # A report first written now has no entries or links yet: nothing to read or drop.
    stored = sorted({s.id for s in changed if not s.is_new})
    # Alerts come from links alone: a new report that links to nothing has none to redo.
    affected = set(stored) | _linked_reports(conn, stored)
    forget(conn, stored)
    new_entries = [row for s in changed for row in entry_rows(s.id, s.post, s.device_doc)]
    # Built once: the profile of a 500-report push showed the keys computed
    # three times per person (search, blocks, write).
    new_keys = [key_rows(entry) for entry in new_entries]
    # Matched before they are stored: the database answers with the other
    # reports' persons only, and the batch's own are compared in memory.
    links = match_entries(conn, new_entries, new_keys)
    bulk_write(conn, entries_t, new_entries)
    bulk_write(conn, keys_t, [k for keys in new_keys for k in keys])
    bulk_write(conn, links_t, links)
    affected |= {link["report_id"] for link in links}
    alert_rules.recompute(conn, sorted(affected))
    vehicle_index.refresh(conn, changed)
    for state, sig in changed_sigs:
        state.persons_sig = sig


def _linked_reports(conn: Connection, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    query = select(links_t.c.other_report_id).where(links_t.c.report_id.in_(ids))
    return set(conn.execute(query).scalars())


def forget(conn: Connection, ids: list[str]) -> None:
    """Drop the entries and links of these reports (before re-indexing, or on a purge).

    A purge calls it with ``alerts.recompute`` of the reports linked before.
    """
    if not ids:
        return
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
#: (key, birth-year band) pairs one statement looks up (3 bound values each).
_PER_STATEMENT = 2000


def _band_sql(conn: Connection, count: int) -> str:
    """Name-key rows within the asked birth-year bands: a join with the asked keys as a
    VALUES list, so a batch of hundreds of persons is one indexed statement.  Sent to the
    driver as it is: building thousands of bound parameters through SQLAlchemy cost
    more than the query."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    wanted = ", ".join([f"({mark}, {mark}, {mark})"] * count)
    return (
        f"WITH wanted (k, lo, hi) AS (VALUES {wanted}) "
        "SELECT n.key, n.report_id, n.person_id FROM wanted JOIN person_name_keys n "
        "ON n.key = wanted.k AND n.birth_year BETWEEN wanted.lo AND wanted.hi"
    )


def _name_hits(
    conn: Connection, entry_keys: list[list[dict[str, Any]]]
) -> dict[tuple[str, str], set]:
    """Stored persons sharing a name key (``key_rows``) of an entry, within its birth-year band."""
    wanted = sorted({(row["key"], row["birth_year"]) for keys in entry_keys for row in keys})
    hits: dict[tuple[str, str], set[str]] = {}
    for start in range(0, len(wanted), _PER_STATEMENT):
        part = wanted[start : start + _PER_STATEMENT]
        params = tuple(
            value
            for key, born in part
            for value in (key, born - BIRTH_YEAR_BAND, born + BIRTH_YEAR_BAND)
        )
        for key, report_id, person_id in conn.exec_driver_sql(_band_sql(conn, len(part)), params):
            hits.setdefault((report_id, person_id), set()).add(key)
    return hits


def candidates(
    conn: Connection,
    entries: list[dict[str, Any]],
    entry_keys: list[list[dict[str, Any]]] | None = None,
) -> list[tuple[Any, set[str]]]:
    """Stored entries sharing a document number or a name key with any of ``entries``
    (whose ``key_rows`` may be given), each as a mapping with the name keys it shares."""
    if entry_keys is None:
        entry_keys = [key_rows(entry) for entry in entries]
    docs = sorted({e["doc_norm"] for e in entries if e["doc_norm"]})
    found: dict[tuple[str, str], Any] = {}
    for part in _chunks(docs):
        for row in conn.execute(select(entries_t).where(entries_t.c.doc_norm.in_(part))):
            found[(row.report_id, row.person_id)] = row._mapping
    hits = _name_hits(conn, entry_keys)
    missing = set(hits) - set(found)
    # By report id (the unique index's first column): SQLite scans the whole
    # table for a row-value IN list.  A report has few persons.
    for part in _chunks(sorted({report_id for report_id, _ in missing})):
        for row in conn.execute(select(entries_t).where(entries_t.c.report_id.in_(part))):
            if (row.report_id, row.person_id) in missing:
                found[(row.report_id, row.person_id)] = row._mapping
    return [(row, hits.get(key, set())) for key, row in found.items()]


def match_entries(
    conn: Connection,
    entries: list[dict[str, Any]],
    entry_keys: list[list[dict[str, Any]]] | None = None,
) -> list[dict[str, Any]]:
    """Link rows (both ways) for every entry of ``entries`` (whose ``key_rows`` may be
    given) that matches a stored person or another entry of another report."""
    if not entries:
        return []
    if entry_keys is None:
        entry_keys = [key_rows(entry) for entry in entries]
    # Candidates by document number and by name key, so that each entry is
    # compared only with its own block, not with every candidate of the batch.
    by_doc: dict[tuple[str, str], list[Any]] = {}
    by_key: dict[str, list[Any]] = {}
    stored = candidates(conn, entries, entry_keys)
    batch = [
        (entry, {k["key"] for k in keys}) for entry, keys in zip(entries, entry_keys, strict=True)
    ]
    for row, keys in stored + batch:
        if row["doc_norm"]:
            by_doc.setdefault((row["doc_type"], row["doc_norm"]), []).append(row)
        for key in keys:
            by_key.setdefault(key, []).append(row)
    pairs: dict[tuple[tuple[str, str], tuple[str, str]], tuple[Any, Any, Match]] = {}
    compared: set[tuple[tuple[str, str], tuple[str, str]]] = set()
    # Records are made only for the rows actually compared: most candidates of
    # a common name pair are read for one entry and skipped by the others.
    records: dict[tuple[str, str], PersonRecord] = {}
    for entry, keys in batch:
        a = (entry["report_id"], entry["person_id"])
        block = list(by_doc.get((entry["doc_type"], entry["doc_norm"]), []))
        for key in keys:
            block += by_key.get(key, [])
        for other in block:
            b = (other["report_id"], other["person_id"])
            pair = (min(a, b), max(a, b))
            if b[0] == a[0] or pair in compared:
                continue
            compared.add(pair)
            verdict = compare(_record(records, a, entry), _record(records, b, other))
            if verdict.linked:
                pairs[pair] = (entry, other, verdict)
    rows = []
    for one, two, verdict in pairs.values():
        rows.append(_link_row(one, two, verdict))
        rows.append(_link_row(two, one, verdict))
    return rows


def _record(
    records: dict[tuple[str, str], PersonRecord], key: tuple[str, str], row: Any
) -> PersonRecord:
    found = records.get(key)
    if found is None:
        found = records[key] = record(row)
    return found


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
