"""The reference index ``report_blobs``: which reports reference which blobs.

A report references a blob when its current document has an
``attachments.<sha256>`` element.  The index answers two questions without
decoding documents: may this caller fetch this blob (a referencing report
in their scope), and which attachments of a report are not uploaded yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from server.infra.models import ReportBlob

report_blobs = ReportBlob.__table__

#: ``(post, {sha256: mime})``: what the index holds for one report.
Refs = tuple[str, dict[str, str]]


def refs_of(post: str, device_doc: dict[str, Any]) -> Refs:
    """The index entry of a report document."""
    attachments = device_doc.get("attachments") or {}
    return post, {
        sha: str(element.get("mime") or "")
        for sha, element in attachments.items()
        if isinstance(element, dict)
    }


def replace(conn: Connection, updates: Iterable[tuple[str, bool, Refs]]) -> None:
    """Rewrite the index rows of ``(report_id, is_new, refs)``: one delete and one insert."""
    updates = list(updates)
    if not updates:
        return
    old = [report_id for report_id, is_new, _ in updates if not is_new]
    if old:
        conn.execute(delete(report_blobs).where(report_blobs.c.report_id.in_(old)))
    rows = [
        {"report_id": report_id, "sha256": sha, "post_code": post, "mime": mime}
        for report_id, _, (post, refs) in updates
        for sha, mime in refs.items()
    ]
    if rows:
        conn.execute(insert(report_blobs), rows)


def referencing_posts(conn: Connection, sha256: str) -> dict[str, str]:
    """``{post: mime}`` of every post holding a report that references ``sha256``."""
    rows = conn.execute(
        select(report_blobs.c.post_code, report_blobs.c.mime).where(report_blobs.c.sha256 == sha256)
    )
    return {post: mime for post, mime in rows}


def of_report(conn: Connection, report_id: str) -> list[str]:
    """Hashes referenced by one report, sorted."""
    rows = conn.execute(
        select(report_blobs.c.sha256)
        .where(report_blobs.c.report_id == report_id)
        .order_by(report_blobs.c.sha256)
    )
    return [sha for (sha,) in rows]


def referenced(conn: Connection, hashes: Iterable[str]) -> set[str]:
    """Those of ``hashes`` that some report references."""
    hashes = sorted(set(hashes))
    found: set[str] = set()
    for i in range(0, len(hashes), 500):
        part = hashes[i : i + 500]
        found.update(
            sha
            for (sha,) in conn.execute(
                select(report_blobs.c.sha256).distinct().where(report_blobs.c.sha256.in_(part))
            )
        )
    return found
