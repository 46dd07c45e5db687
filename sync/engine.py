"""The device sync engine: push the outbox, then pull until nothing is left.

The engine knows the protocol, not the storage: it talks to a ``LocalStore``
(``client_sqlite.Store`` is the one we ship) and to a ``Transport``.  Every
state change goes through the store in its own transaction, so the engine
can be killed at any point: ops already sent are resent with the same
``op_id`` (the server answers them as replays), and a pull page is applied
together with its cursor or not at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
import uuid6

from sync import blob_upload
from sync.hlc import now_ms
from sync.transport import (
    CursorExpired,
    DeviceRevoked,
    PayloadTooLarge,
    ProblemError,
    ServerUnreachable,
    Transport,
    TransportError,
)

START_BATCH = 100
# Pull page sizing: double below PULL_FAST_S a page, halve above PULL_SLOW_S.
# MAX_PULL is the reference server's default maximum; a server with a lower
# one refuses the limit (400 on `limit`) and the engine settles below it.
PULL_FAST_S, PULL_SLOW_S, MIN_PULL, MAX_PULL = 1.5, 15.0, 50, 2000


class LocalStore(Protocol):
    """What the engine needs from a device store."""

    def pending_ops(self, limit: int) -> list[dict[str, Any]]:
        """Outbox ops not yet acknowledged (pending or in flight), oldest first."""

    def mark_in_flight(self, op_ids: list[str]) -> list[dict[str, Any]]:
        """Record that these ops are being sent, and return them as they stand now.

        Another process may have folded an edit into one of them since
        ``pending_ops`` read it; what is marked is what must be sent, or that
        edit would be acknowledged without ever reaching the server.
        """

    def apply_push_results(self, results: list[dict[str, Any]]) -> None:
        """Drop acknowledged ops, keep rejected ones with the server's reasons.

        For an ``applied`` result with ``server_fields``, also keep the
        document the op left as acknowledged: the engine pulls with
        ``skip_echo``, so the server does not send it back.
        """

    def reject_locally(self, op_id: str, errors: dict[str, list[str]]) -> None:
        """Mark an op rejected without the server (e.g. too large to ever send)."""

    def cursor(self) -> str | None:
        """The pull cursor, or None for a full download."""

    def apply_pull_page(self, changes: list[dict[str, Any]], cursor: str) -> None:
        """Apply one pull page and its cursor in one transaction."""

    def reset_cursor(self) -> None:
        """Forget the cursor (after cursor-expired); local edits stay."""

    def observe_server_time(self, server_time: str, local_ms: int) -> None:
        """Advance the HLC past the server's clock and record the offset."""

    def record_sync(self, ok: bool, summary: dict[str, Any]) -> None:
        """Remember when the last sync ended and how."""

    def blob_source(self, blob: dict[str, Any]) -> bytes | str:
        """The bytes (or the path of the file) to upload for one of ``pending_blobs``."""

    def pending_blobs(self) -> list[dict[str, Any]]:
        """Attachment files to upload: ``sha256``, ``path``, ``mime``, ``bytes``."""

    def mark_blob(self, sha256: str, error: str | None = None) -> None:
        """Record an uploaded blob, or the server's final refusal of it."""


@dataclass
class SyncResult:
    """What one sync did; ``complete`` only when everything was delivered and pulled."""

    pushed: int = 0
    applied: int = 0
    merged: int = 0
    conflicts: int = 0
    rejected: int = 0
    replayed: int = 0
    pulled: int = 0
    removed: int = 0
    batches: int = 0
    blobs_uploaded: int = 0
    blobs_refused: int = 0
    blob_bytes_sent: int = 0
    complete: bool = False
    revoked: bool = False
    unreachable: bool = False
    reason: str | None = None
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0
    conflict_records: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The counters as a plain dict (for status and logs)."""
        return {k: v for k, v in self.__dict__.items() if k != "conflict_records"}


ProgressFn = Callable[[str, int, int | None], None]


def _no_progress(_phase: str, _done: int, _total: int | None) -> None:
    return None


class SyncEngine:
    """One device's sync with one server."""

    def __init__(
        self,
        store: LocalStore,
        transport: Transport,
        progress: ProgressFn | None = None,
        pull_limit: int = 500,
    ):
        self.store = store
        self.transport = transport
        self.progress = progress or _no_progress
        self.pull_limit = pull_limit
        self.max_pull = max(pull_limit, MAX_PULL)
        self.clock = time.monotonic  # page timing; tests replace it
        self.max_ops = 500
        self.max_bytes = 8 * 1024 * 1024
        self.batch = START_BATCH
        # Bytes per blob PUT; None lets the uploader size chunks to the link.
        self.blob_chunk_size: int | None = None

    def _observe(self, answer: dict[str, Any]) -> None:
        if isinstance(answer, dict) and isinstance(answer.get("server_time"), str):
            self.store.observe_server_time(answer["server_time"], now_ms())

    def run(self, pending_total: int | None = None) -> SyncResult:
        """Push everything, then pull everything; never raises for network trouble."""
        result = SyncResult()
        started = time.monotonic()
        try:
            meta = self.transport.meta()
            self._observe(meta)
            self.max_ops = int(meta.get("max_batch_ops", self.max_ops))
            self.max_bytes = int(meta.get("max_batch_bytes", self.max_bytes))
            self.batch = min(self.batch, self.max_ops)
            blob_trouble = self._upload_blobs(result)
            self._push_all(result, pending_total)
            self._pull_all(result)
            result.complete = result.rejected == 0 and blob_trouble is None
            if result.rejected:
                result.reason = f"{result.rejected} change(s) were rejected by the server"
            elif blob_trouble:
                result.reason = blob_trouble
        except DeviceRevoked as exc:
            result.revoked = True
            result.reason = (
                "this device has been revoked by a commander; your reports stay "
                f"on the device ({exc})"
            )
        except ServerUnreachable as exc:
            result.unreachable = True
            result.reason = str(exc)
        except TransportError as exc:
            result.reason = str(exc)
        except ProblemError as exc:
            result.reason = f"the server refused the sync: {exc}"
        result.bytes_sent = self.transport.traffic.sent + result.blob_bytes_sent
        result.bytes_received = self.transport.traffic.received
        result.seconds = round(time.monotonic() - started, 3)
        self.store.record_sync(result.complete, result.summary())
        return result

    def _upload_blobs(self, result: SyncResult) -> str | None:
        """Upload attachment files first; return why some are still pending, if any.

        A photo that keeps failing on a bad link does not hold back the text
        reports: the ops are pushed anyway (the server accepts a reference to
        a blob that has not arrived) and the sync is reported incomplete.
        """
        pending = self.store.pending_blobs()
        total, done_before, trouble = sum(b["bytes"] for b in pending), 0, None
        for blob in pending:

            def progress(done: int, _total: int, base: int = done_before) -> None:
                self.progress("upload", base + done, total)

            try:
                sent = blob_upload.upload(
                    self.transport.session,
                    self.transport.base_url,
                    self.transport.auth_headers(),
                    blob["sha256"],
                    self.store.blob_source(blob),
                    blob["mime"],
                    chunk_size=self.blob_chunk_size,
                    progress=progress,
                    timeout=(self.transport.connect_timeout, self.transport.read_timeout),
                    deadline=time.monotonic() + self.transport.max_elapsed * 4,
                )
            except blob_upload.DeviceRevoked as exc:
                raise DeviceRevoked(401, {"detail": str(exc)}) from None
            except blob_upload.Unauthorized as exc:
                raise ProblemError(401, {"detail": str(exc)}) from None
            except blob_upload.UploadRefused as exc:
                self.store.mark_blob(blob["sha256"], error=str(exc))
                result.blobs_refused += 1
                trouble = f"the server refused an attachment: {exc}"
            except blob_upload.UploadGaveUp as exc:
                trouble = f"an attachment could not be uploaded yet ({exc}); it stays on the device"
            else:
                self.store.mark_blob(blob["sha256"])
                result.blobs_uploaded += 1
                result.blob_bytes_sent += sent.bytes_sent
            done_before += blob["bytes"]
        return trouble

    def _fit_bytes(self, ops: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # Keep the uncompressed body under max_batch_bytes (the server
        # bounds the inflated size too), with room for the envelope.
        budget, size, kept = self.max_bytes - 1024, 0, []
        for op in ops:
            size += len(orjson.dumps(op)) + 1
            if kept and size > budget:
                break
            kept.append(op)
        return kept

    def _push_all(self, result: SyncResult, total: int | None) -> None:
        while True:
            ops = self._fit_bytes(self.store.pending_ops(self.batch))
            if not ops:
                return
            ops = self.store.mark_in_flight([op["op_id"] for op in ops])
            batch = {"batch_id": str(uuid6.uuid7()), "changes": ops}
            try:
                answer = self.transport.push(batch)
            except PayloadTooLarge:
                if len(ops) == 1:
                    self.store.reject_locally(
                        ops[0]["op_id"],
                        {"fields": ["this change is larger than the server accepts; shorten it"]},
                    )
                    result.rejected += 1
                self.batch = max(1, len(ops) // 2)
                continue
            except ServerUnreachable:
                raise  # no smaller batch gets through a link that is gone
            except TransportError:
                if len(ops) > 1:
                    # A slow link times out on big batches: retry smaller
                    # before giving up on this sync.
                    self.batch = max(1, len(ops) // 2)
                    continue
                raise
            self._observe(answer)
            self.store.apply_push_results(answer["results"])
            self._count(answer["results"], result)
            result.batches += 1
            self.progress("push", result.pushed, total)
            self.batch = min(self.max_ops, self.batch + max(1, self.batch // 4))

    @staticmethod
    def _count(results: list[dict[str, Any]], result: SyncResult) -> None:
        for r in results:
            result.pushed += 1
            result.replayed += bool(r.get("replayed"))
            status = r.get("status")
            if status == "applied":
                result.applied += 1
            elif status == "merged":
                result.merged += 1
            elif status == "conflict":
                result.conflicts += 1
                result.conflict_records += r.get("conflicts") or []
            else:
                result.rejected += 1

    def _pull_all(self, result: SyncResult) -> None:
        restarted = False
        while True:
            started = self.clock()
            try:
                page = self.transport.pull(self.store.cursor(), self.pull_limit, skip_echo=True)
            except CursorExpired:
                if restarted:
                    raise
                restarted = True
                self.store.reset_cursor()
                continue
            except ProblemError as exc:
                if not self._limit_refused(exc):
                    raise
                continue
            self._observe(page)
            self.store.apply_pull_page(page["changes"], page["cursor"])
            for change in page["changes"]:
                if change.get("removed"):
                    result.removed += 1
                else:
                    result.pulled += 1
            self.progress("pull", result.pulled + result.removed, None)
            if not page["has_more"]:
                return
            self._size_pull_page(self.clock() - started)

    def _limit_refused(self, exc: ProblemError) -> bool:
        """A page size over the server's maximum: step back and stay below it."""
        refused = exc.status == 400 and "limit" in (exc.problem.get("errors") or {})
        if refused and self.pull_limit > MIN_PULL:
            self.max_pull = self.pull_limit = max(MIN_PULL, self.pull_limit // 2)
            return True
        return False

    def _size_pull_page(self, seconds: float) -> None:
        """Grow pages while they come fast, shrink them on a slow link.

        Big pages mean fewer round trips and commits for a device catching
        up; small ones still finish between two resets of a 2G link.
        """
        if seconds < PULL_FAST_S:
            self.pull_limit = min(self.max_pull, self.pull_limit * 2)
        elif seconds > PULL_SLOW_S:
            self.pull_limit = max(MIN_PULL, self.pull_limit // 2)
