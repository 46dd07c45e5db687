"""Exporting a report's case file (the layout and the checks are in ``sync.casefile``)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.evidence import checkpoints, keys
from server.evidence.summary import render_summary
from server.infra.blob_files import store_for
from server.infra.clock import utcnow
from server.infra.models import Conflict, Device, EvidenceCheckpoint, Report, ReportRevision, User
from server.infra.transactions import write_connection
from server.reports import evidence_chain
from server.reports.document import loaded
from server.review.conflicts import wire as conflict_wire
from sync import casefile, chain

revisions = ReportRevision.__table__


class NoSuchReport(LookupError):
    """The report to export does not exist."""


@dataclass(frozen=True, kw_only=True)
class Exported:
    """A case file and what it holds."""

    data: bytes
    report_id: str
    revisions: int


def _revision_entries(conn: Connection, report_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(revisions).where(revisions.c.report_id == report_id).order_by(revisions.c.rev)
    ).mappings()
    return [
        dict(evidence_chain.hashed_view(r), prev_hash=r["prev_hash"], hash=r["hash"], seq=r["seq"])
        for r in rows
    ]


def _devices(conn: Connection, entries: list[dict[str, Any]], report: Any) -> dict[str, Any]:
    ids = {e["device_id"] for e in entries if e["device_id"]} | {report["device_id"]} - {None}
    rows = conn.execute(
        select(Device.__table__, User.__table__.c.username)
        .join(User.__table__, User.__table__.c.id == Device.__table__.c.user_id)
        .where(Device.__table__.c.id.in_(sorted(ids)))
    ).mappings()
    return {
        r["id"]: {"name": r["name"], "officer": r["username"], "public_key": r["public_key"]}
        for r in rows
    }


def _checkpoints(conn: Connection, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each checkpoint covering a revision, with an inclusion proof per covered revision."""
    table = EvidenceCheckpoint.__table__
    found: dict[int, dict[str, Any]] = {}
    for entry in entries:
        if entry["seq"] is None:
            continue  # written before the chain existed: anchored by later revisions
        row = (
            conn.execute(
                select(table).where(table.c.seq_from < entry["seq"], table.c.seq_to >= entry["seq"])
            )
            .mappings()
            .first()
        )
        if row is None:
            continue
        if row["id"] not in found:
            leaves = checkpoints.leaves(conn, row["seq_from"], row["seq_to"])
            found[row["id"]] = dict(row, inclusions=[], _leaves=leaves)
        checkpoint = found[row["id"]]
        leaves = checkpoint["_leaves"]
        index = next(
            i
            for i, leaf in enumerate(leaves)
            if (leaf.report_id, leaf.rev) == (entry["report_id"], entry["rev"])
        )
        proof = chain.inclusion_proof([leaf.hash for leaf in leaves], index)
        checkpoint["inclusions"].append({"rev": entry["rev"], "index": index, "proof": proof})
    return [{k: v for k, v in c.items() if k != "_leaves"} for _, c in sorted(found.items())]


def _gather(conn: Connection, report_id: str, by: str) -> dict[str, Any]:
    report = (
        conn.execute(select(Report.__table__).where(Report.__table__.c.id == report_id))
        .mappings()
        .first()
    )
    if report is None:
        raise NoSuchReport(report_id)
    # Chain a history older than the chain, and sign what is not yet in a
    # checkpoint: the file then proves the report's state as exported.
    evidence_chain.backfill(conn, report_id)
    checkpoints.make(conn)
    entries = _revision_entries(conn, report_id)
    conflicts = conn.execute(
        select(Conflict.__table__)
        .where(Conflict.__table__.c.report_id == report_id)
        .order_by(Conflict.__table__.c.rev, Conflict.__table__.c.created_at)
    ).mappings()
    return {
        "format": casefile.FORMAT,
        "report_id": report_id,
        "exported_at": evidence_chain.iso(utcnow()),
        "exported_by": by,
        "report": loaded(report["doc"]),
        "revisions": entries,
        "conflicts": [
            dict(
                conflict_wire(c),
                kept_device=c["kept_device"],
                lost_device=c["lost_device"],
                resolved_by=c["resolved_by"],
                resolved_at=evidence_chain.iso(c["resolved_at"]) if c["resolved_at"] else None,
                resolved_rev=c["resolved_rev"],
            )
            for c in conflicts
        ],
        "devices": _devices(conn, entries, report),
        "checkpoints": _checkpoints(conn, entries),
        "server_keys": keys.public_keys(conn),
    }


def export(report_id: str, by: str) -> Exported:
    """Build the case file of ``report_id`` for ``by`` (scope is the caller's to check)."""
    with write_connection() as conn:
        case = _gather(conn, report_id, by)
        key = keys.current(conn)
    raw = orjson.dumps(case, option=orjson.OPT_INDENT_2)
    blobs = store_for(current_app)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(casefile.CASE, raw)
        archive.writestr(
            casefile.SIGNATURE, orjson.dumps({"key_id": key.id, "signature": key.sign(raw)})
        )
        for sha in sorted(case["report"].get("attachments") or {}):
            if not blobs.exists(sha):
                continue  # not uploaded yet: the verifier names it as missing
            handle, _size = blobs.open(sha)
            with handle:
                archive.writestr(casefile.ATTACHMENTS + sha, handle.read())
        archive.writestr(casefile.SUMMARY, render_summary(case))
    return Exported(data=out.getvalue(), report_id=report_id, revisions=len(case["revisions"]))
