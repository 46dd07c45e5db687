"""The device store: reports, outbox, conflicts, identity and clock in one SQLite file.

This is the ``LocalStore`` the sync engine drives (see ``sync.engine``).
Every method that changes state runs in one transaction, so a crash or a
power cut at any point leaves the store as it was before or after.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from client_sqlite.acknowledged import (
    UPSERT_ACKED,
    acked_rows,
    applied_documents,
    ids_in,
)
from client_sqlite.connection import Transactions, open_database
from client_sqlite.encryption import seal_plain_blobs
from client_sqlite.migrations import migrate
from sync import document, signing
from sync.hlc import HLC, now_ms, parse_server_time, receive, tick

#: An outbox row as ``_wire_ops`` reads it.
_OP_COLUMNS = "op_id, report_id, base_rev, hlc, fields, signature"
MOVED_AWAY = {"report_id": ["the report moved out of your post's scope"]}


def now_iso() -> str:
    """The current UTC time, RFC 3339."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """One device's local store."""

    def __init__(self, path: str | Path, pin: str | None = None):
        """Open (or create) the store; ``pin`` defaults to ``PATROLI_FIELD_PIN``."""
        self.path = Path(path)
        self.conn: sqlite3.Connection
        self.conn, self.keys = open_database(self.path, pin)
        self.tx = Transactions(self.conn)
        migrate(self.tx)
        # Attachments of a store written before encryption (or left in the
        # clear by a migration cut short) are sealed now.
        seal_plain_blobs(self.blob_dir, self.keys)
        self._signer: Any = None  # the device's signing key, loaded on first use

    @property
    def blob_dir(self) -> Path:
        """The folder holding this store's (encrypted) attachment files."""
        return self.path.with_name(self.path.name + ".blobs")

    def blob_source(self, blob: dict[str, Any]) -> bytes:
        """An attachment's bytes, decrypted, for upload."""
        return self.keys.open_blob(blob["sha256"], Path(blob["path"]).read_bytes())

    def close(self) -> None:
        """Close the database."""
        self.conn.close()

    def atomic(self):  # noqa: ANN201 - a context manager
        """A transaction (a savepoint when nested)."""
        return self.tx.atomic()

    # -- identity and clock ------------------------------------------------

    def device(self) -> dict[str, Any]:
        """The device row: id, token, server, officer, post, HLC, cursor, last sync."""
        cur = self.conn.execute("SELECT * FROM device WHERE id = 1")
        return dict(zip([c[0] for c in cur.description], cur.fetchone(), strict=True))

    def is_enrolled(self) -> bool:
        """True once the device has an id and a token."""
        return bool(self.device()["token"])

    def save_enrollment(
        self, server_url: str, answer: dict[str, Any], signing_key: str | None = None
    ) -> None:
        """Keep the identity the server issued at enrollment and the key it registered."""
        with self.atomic() as c:
            c.execute(
                "UPDATE device SET device_id=?, token=?, server_url=?, officer=?, post=?, "
                "enrolled_at=?, revoked=0, signing_key=? WHERE id=1",
                (
                    answer["device_id"],
                    answer["token"],
                    server_url,
                    answer["officer"],
                    answer["post"],
                    now_iso(),
                    signing_key,
                ),
            )
            # Made with the previous key (or none): signed again when sent.
            c.execute("UPDATE outbox SET signature=NULL")
        self._signer = None
        self.observe_server_time(answer["server_time"], now_ms())

    def node_id(self) -> str:
        """This device's HLC node id (its device id, or a local placeholder before enrollment)."""
        return self.device()["device_id"] or "unenrolled"

    def tick(self, conn: sqlite3.Connection) -> str:
        """Advance and persist the HLC inside the caller's transaction; return it."""
        row = conn.execute("SELECT hlc, device_id FROM device WHERE id=1").fetchone()
        last = HLC.parse(row[0]) if row[0] else None
        node = row[1] or "unenrolled"
        now = tick(last, node)
        conn.execute("UPDATE device SET hlc=? WHERE id=1", (str(now),))
        return str(now)

    def observe_server_time(self, server_time: str, local_ms: int) -> None:
        """Advance the HLC past the server clock and record the device clock's offset."""
        server_ms = parse_server_time(server_time)
        with self.atomic() as c:
            row = c.execute("SELECT hlc, device_id FROM device WHERE id=1").fetchone()
            last = HLC.parse(row[0]) if row[0] else None
            node = row[1] or "unenrolled"
            now = receive(last, HLC(server_ms, 0, node), node, local_ms)
            c.execute(
                "UPDATE device SET hlc=?, clock_offset_ms=? WHERE id=1",
                (str(now), server_ms - local_ms),
            )

    def mark_revoked(self) -> None:
        """Remember that the server revoked this device (its data stays)."""
        with self.atomic() as c:
            c.execute("UPDATE device SET revoked=1 WHERE id=1")

    def record_sync(self, ok: bool, summary: dict[str, Any]) -> None:
        """Remember the end of a sync; ``last_sync_at`` moves only on success."""
        with self.atomic() as c:
            if ok:
                c.execute("UPDATE device SET last_sync_at=? WHERE id=1", (now_iso(),))
            c.execute(
                "UPDATE device SET last_sync_ok=?, last_sync_summary=? WHERE id=1",
                (int(ok), orjson.dumps(summary).decode()),
            )

    # -- outbox, as the engine sees it ------------------------------------

    def pending_ops(self, limit: int) -> list[dict[str, Any]]:
        """Ops to send, oldest first (pending, or in flight from an earlier try)."""
        rows = self.conn.execute(
            f"SELECT {_OP_COLUMNS} FROM outbox WHERE state != 'rejected' ORDER BY seq LIMIT ?",
            (limit,),
        )
        return self._wire_ops(rows)

    def _wire_ops(self, rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
        keys = ("op_id", "report_id", "base_rev", "hlc")
        signer = self.signer()
        ops = []
        for r in rows:
            op = dict(zip(keys, r[:4], strict=True), fields=orjson.loads(r[4]))
            if r[5] is not None:
                op["signature"] = r[5]  # signed when recorded (client_sqlite.editing)
            elif signer is not None:
                op["signature"] = signing.sign_op(signer, op)
            ops.append(op)
        return ops

    def signer(self) -> Any:
        """The device's signing key, or None before enrollment (or on an older enrollment)."""
        if self._signer is None:
            pem = self.device().get("signing_key")
            self._signer = signing.load_private_key(pem) if pem else False
        return self._signer or None

    def mark_in_flight(self, op_ids: list[str]) -> list[dict[str, Any]]:
        """These ops may reach the server from now on: never fold more edits into them.

        They are read again in the same write transaction, because an edit
        from another process (the CLI beside a running sync) may have folded
        into one after ``pending_ops`` read it.
        """
        with self.atomic() as c:
            c.executemany(
                "UPDATE outbox SET state='in_flight', attempts=attempts+1 WHERE op_id=?",
                [(i,) for i in op_ids],
            )
            marks = ",".join("?" * len(op_ids))
            rows = c.execute(
                f"SELECT {_OP_COLUMNS} FROM outbox WHERE op_id IN ({marks}) "
                "AND state = 'in_flight' ORDER BY seq",
                op_ids,
            ).fetchall()
            ops = self._wire_ops(rows)
            # An op recorded before enrollment is signed here, once: it no
            # longer changes, and a retry then sends the same signature.
            c.executemany(
                "UPDATE outbox SET signature=? WHERE op_id=? AND signature IS NULL",
                [(op["signature"], op["op_id"]) for op in ops if "signature" in op],
            )
        return ops

    def apply_push_results(self, results: list[dict[str, Any]]) -> None:
        """Drop delivered ops; keep rejected ones with the server's reasons.

        An applied op's result carries what the device needs to hold the
        server's document without pulling it back (client_sqlite.acknowledged).
        """
        done, rejected, conflicts = [], [], []
        for r in results:
            if r.get("status") == "rejected":
                rejected.append((orjson.dumps(r.get("errors") or {}).decode(), r["op_id"]))
            else:
                done.append((r["op_id"],))
                for c in r.get("conflicts") or []:
                    conflicts.append(
                        (c["id"], r["report_id"], c["field"], orjson.dumps(c).decode())
                    )
        with self.atomic() as c:
            acked = applied_documents(c, results)
            c.executemany("DELETE FROM outbox WHERE op_id=?", done)
            c.executemany("UPDATE outbox SET state='rejected', errors=? WHERE op_id=?", rejected)
            c.executemany("INSERT OR REPLACE INTO conflicts VALUES (?, ?, ?, ?)", conflicts)
            c.executemany(UPSERT_ACKED, acked_rows(c, list(acked.values()), now_iso()))

    def reject_locally(self, op_id: str, errors: dict[str, list[str]]) -> None:
        """Mark one op rejected without asking the server."""
        with self.atomic() as c:
            c.execute(
                "UPDATE outbox SET state='rejected', errors=? WHERE op_id=?",
                (orjson.dumps(errors).decode(), op_id),
            )

    # -- attachments ---------------------------------------------------------

    def pending_blobs(self) -> list[dict[str, Any]]:
        """Attachment files not yet on the server (and not refused by it)."""
        rows = self.conn.execute(
            "SELECT sha256, path, mime, bytes FROM blobs "
            "WHERE uploaded_at IS NULL AND error IS NULL ORDER BY created_at"
        )
        return [{"sha256": r[0], "path": r[1], "mime": r[2], "bytes": r[3]} for r in rows]

    def mark_blob(self, sha256: str, error: str | None = None) -> None:
        """Record that a blob reached the server, or why the server refused it."""
        with self.atomic() as c:
            if error is None:
                c.execute("UPDATE blobs SET uploaded_at=? WHERE sha256=?", (now_iso(), sha256))
            else:
                c.execute("UPDATE blobs SET error=? WHERE sha256=?", (error, sha256))

    # -- pull --------------------------------------------------------------

    def cursor(self) -> str | None:
        """The pull cursor."""
        return self.conn.execute("SELECT cursor FROM device WHERE id=1").fetchone()[0]

    def reset_cursor(self) -> None:
        """Start the next pull from the beginning; local edits are untouched."""
        with self.atomic() as c:
            c.execute("UPDATE device SET cursor=NULL WHERE id=1")

    def apply_pull_page(self, changes: list[dict[str, Any]], cursor: str) -> None:
        """Take the server's documents as acknowledged state, with local edits on top."""
        with self.atomic() as c:
            reports = [ch for ch in changes if "report" in ch]
            docs = [document.full(ch["report"]) for ch in reports]
            conflict_rows = [
                (x["id"], doc["id"], x["field"], orjson.dumps(x).decode())
                for ch, doc in zip(reports, docs, strict=True)
                for x in ch.get("open_conflicts") or []
            ]
            # Only reports that have conflict rows: a fresh device's pages have none.
            had = ids_in(c, "conflicts", [d["id"] for d in docs])
            c.executemany("DELETE FROM conflicts WHERE report_id=?", [(i,) for i in had])
            c.executemany(UPSERT_ACKED, acked_rows(c, docs, now_iso()))
            c.executemany("INSERT OR REPLACE INTO conflicts VALUES (?, ?, ?, ?)", conflict_rows)
            for ch in changes:
                if ch.get("removed"):
                    self._drop(c, ch["report_id"])
            c.execute("UPDATE device SET cursor=? WHERE id=1", (cursor,))

    @staticmethod
    def _drop(c: sqlite3.Connection, report_id: str) -> None:
        # The report left this post (transfer or purge). Unsent edits to it
        # stay visible as rejected, never silently dropped.
        c.execute("DELETE FROM reports WHERE id=?", (report_id,))
        c.execute("DELETE FROM conflicts WHERE report_id=?", (report_id,))
        c.execute(
            "UPDATE outbox SET state='rejected', errors=? WHERE report_id=?",
            (orjson.dumps(MOVED_AWAY).decode(), report_id),
        )

    # -- reading -------------------------------------------------------------

    def report(self, report_id: str) -> dict[str, Any] | None:
        """The local document of a report, full (also if an older version stored it), or None."""
        row = self.conn.execute("SELECT doc FROM reports WHERE id=?", (report_id,)).fetchone()
        return document.full(orjson.loads(row[0])) if row else None

    def find_id(self, given: str) -> str | None:
        """A report id from its full form, or an unambiguous short form (end) or prefix.

        The CLI shows an id by its end (``display.short_id``): time-ordered
        ids minted in the same minute share their first characters.
        """
        if not given:
            return None
        for pattern in (given, "%" + given, given + "%"):
            rows = self.conn.execute(
                "SELECT id FROM reports WHERE id LIKE ? LIMIT 2", (pattern,)
            ).fetchall()
            if rows:
                return rows[0][0] if len(rows) == 1 else None
        return None

    def reports(self) -> list[dict[str, Any]]:
        """Every local report with its sync state, newest first."""
        rows = self.conn.execute("""
            SELECT r.id, r.kind, r.title, r.occurred_at, r.review_status, r.acked_rev,
                   (SELECT COUNT(*) FROM outbox o WHERE o.report_id = r.id
                        AND o.state != 'rejected') AS pending,
                   (SELECT COUNT(*) FROM outbox o WHERE o.report_id = r.id
                        AND o.state = 'rejected') AS rejected,
                   (SELECT COUNT(*) FROM conflicts k WHERE k.report_id = r.id) AS conflicts
            FROM reports r ORDER BY r.occurred_at DESC, r.id""")
        names = [c[0] for c in rows.description]
        return [dict(zip(names, r, strict=True)) for r in rows]

    def needing_info(self) -> list[dict[str, Any]]:
        """Reports a commander sent back with ``needs_info``, with the commander's note."""
        rows = self.conn.execute(
            "SELECT id, kind, title, doc FROM reports WHERE review_status = 'needs_info' "
            "ORDER BY occurred_at DESC, id"
        )
        found = []
        for report_id, kind, title, doc in rows:
            review = orjson.loads(doc).get("review") or {}
            found.append(
                {
                    "report_id": report_id,
                    "kind": kind,
                    "title": title,
                    "note": review.get("note"),
                    "by": review.get("by"),
                    "at": review.get("at"),
                }
            )
        return found

    def outbox(self, report_id: str | None = None) -> list[dict[str, Any]]:
        """Outbox entries (optionally of one report), oldest first."""
        query = (
            "SELECT op_id, report_id, base_rev, hlc, fields, state, attempts, errors FROM outbox"
        )
        args: tuple[Any, ...] = ()
        if report_id:
            query, args = query + " WHERE report_id=?", (report_id,)
        rows = self.conn.execute(query + " ORDER BY seq", args)
        return [
            {
                "op_id": r[0],
                "report_id": r[1],
                "base_rev": r[2],
                "hlc": r[3],
                "fields": orjson.loads(r[4]),
                "state": r[5],
                "attempts": r[6],
                "errors": orjson.loads(r[7]) if r[7] else None,
            }
            for r in rows
        ]

    def conflicts(self, report_id: str | None = None) -> list[dict[str, Any]]:
        """Open conflict records the server reported, each with its ``report_id``."""
        query, args = "SELECT report_id, record FROM conflicts", ()
        if report_id:
            query, args = query + " WHERE report_id=?", (report_id,)
        return [
            {**orjson.loads(record), "report_id": rid}
            for rid, record in self.conn.execute(query + " ORDER BY id", args)
        ]

    def counts(self) -> dict[str, int]:
        """Pending ops, rejected ops, open conflicts and reports."""
        q = self.conn.execute
        return {
            "reports": q("SELECT COUNT(*) FROM reports").fetchone()[0],
            "pending": q("SELECT COUNT(*) FROM outbox WHERE state != 'rejected'").fetchone()[0],
            "rejected": q("SELECT COUNT(*) FROM outbox WHERE state = 'rejected'").fetchone()[0],
            "conflicts": q("SELECT COUNT(*) FROM conflicts").fetchone()[0],
            "blobs_pending": q(
                "SELECT COUNT(*) FROM blobs WHERE uploaded_at IS NULL AND error IS NULL"
            ).fetchone()[0],
            "blobs_refused": q("SELECT COUNT(*) FROM blobs WHERE error IS NOT NULL").fetchone()[0],
        }
