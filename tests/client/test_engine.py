"""The sync engine with an in-memory server double: batching, 413, revocation, cursors."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from client_sqlite import editing
from client_sqlite.store import Store
from sync import hlc as H
from sync.engine import SyncEngine
from sync.transport import (
    CursorExpired,
    DeviceRevoked,
    PayloadTooLarge,
    ProblemError,
    ServerUnreachable,
    Traffic,
    TransportError,
)
from tests.world import incident


class FakeServer:
    """Just enough of the protocol to drive the engine's decisions."""

    def __init__(self, max_ops: int = 500, accept_ops: int = 500):
        self.max_ops, self.accept_ops = max_ops, accept_ops
        self.batches: list[int] = []
        self.batch_ids: list[str] = []
        self.applied: list[str] = []
        self.docs: dict[str, dict[str, Any]] = {}
        self.fail_push: list[Exception] = []
        self.fail_pull: list[Exception] = []
        self.traffic = Traffic()
        self.pulls: list[str | None] = []

    def meta(self) -> dict[str, Any]:
        """Limits."""
        return {
            "max_batch_ops": self.max_ops,
            "max_batch_bytes": 8 << 20,
            "server_time": H.format_server_time(),
        }

    def push(self, batch: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Apply creations; refuse batches over ``accept_ops`` with 413."""
        if self.fail_push:
            raise self.fail_push.pop(0)
        ops = batch["changes"]
        if len(ops) > self.accept_ops:
            raise PayloadTooLarge(413, {"type": "urn:patroli:problem:payload-too-large"})
        self.batches.append(len(ops))
        self.batch_ids.append(batch["batch_id"])
        results = []
        for op in ops:
            self.applied.append(op["op_id"])
            self.docs[op["report_id"]] = {"id": op["report_id"], **op["fields"], "rev": 1}
            results.append(
                {
                    "op_id": op["op_id"],
                    "report_id": op["report_id"],
                    "status": "applied",
                    "rev": 1,
                    "replayed": False,
                    "conflicts": [],
                }
            )
        return {"results": results, "server_time": H.format_server_time()}

    def pull(self, cursor: str | None, limit: int, skip_echo: bool = False) -> dict[str, Any]:
        """Everything at once."""
        self.pulls.append(cursor)
        if self.fail_pull:
            raise self.fail_pull.pop(0)
        changes = [{"report": d, "open_conflicts": []} for d in self.docs.values()]
        return {
            "changes": changes,
            "cursor": "end",
            "has_more": False,
            "server_time": H.format_server_time(),
        }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store with 40 pending reports."""
    s = Store(tmp_path / "d.sqlite3")
    for _ in range(40):
        editing.create(s, "incident", incident())
    yield s
    s.close()


def test_everything_delivered_and_pulled(store: Store) -> None:
    """A clean sync sends every op once, pulls the documents and empties the outbox."""
    server = FakeServer()
    result = SyncEngine(store, server).run()
    assert result.complete and result.pushed == 40 and result.pulled == 40
    assert store.counts()["pending"] == 0
    assert len(set(server.applied)) == 40
    assert store.device()["last_sync_ok"] == 1


def test_ids_are_time_ordered_uuid7(store: Store) -> None:
    """Report, op and batch ids are UUIDv7 (RFC 9562), minted in time order."""
    server = FakeServer(accept_ops=7)
    ops = store.pending_ops(100)
    SyncEngine(store, server).run()
    for name, ids in (
        ("report", [op["report_id"] for op in ops]),
        ("op", [op["op_id"] for op in ops]),
        ("batch", server.batch_ids),
    ):
        parsed = [uuid.UUID(i) for i in ids]
        assert len(parsed) > 1, name
        assert {u.version for u in parsed} == {7}, name
        assert {u.variant for u in parsed} == {uuid.RFC_4122}, name
        assert ids == sorted(ids) and len(set(ids)) == len(ids), name


def test_413_halves_the_batch_and_everything_arrives(store: Store) -> None:
    """A server that takes at most 7 ops per batch still gets all 40, in order."""
    server = FakeServer(accept_ops=7)
    order = [op["op_id"] for op in store.pending_ops(100)]
    result = SyncEngine(store, server).run()
    assert result.complete and server.applied == order
    assert max(server.batches) <= 7


def test_timeout_halves_then_grows_back(store: Store) -> None:
    """A batch that times out is retried at half size; sizes grow again after success."""
    server = FakeServer()
    server.fail_push = [TransportError("timed out")]
    result = SyncEngine(store, server).run()
    assert result.complete and server.batches[0] == 20
    assert sum(server.batches) == 40


def test_revoked_device_stops_with_clear_reason(store: Store) -> None:
    """401 device-revoked ends the sync; local data stays."""
    server = FakeServer()
    server.fail_push = [
        DeviceRevoked(401, {"type": "urn:patroli:problem:device-revoked", "detail": "revoked"})
    ]
    result = SyncEngine(store, server).run()
    assert result.revoked and not result.complete and "revoked" in result.reason
    assert store.counts()["pending"] == 40 and store.counts()["reports"] == 40


def test_network_failure_keeps_everything(store: Store) -> None:
    """When the link is gone the sync reports it and nothing leaves the outbox."""
    server = FakeServer()
    server.fail_push = [TransportError("no route")] * 10
    result = SyncEngine(store, server).run()
    assert not result.complete and "no route" in result.reason
    assert store.counts()["pending"] == 40


def test_unreachable_server_ends_the_push_at_once(store: Store) -> None:
    """A refused connection is not a slow link: no halving, one clear reason, nothing lost."""
    server = FakeServer()
    server.fail_push = [ServerUnreachable("could not reach the server at X: refused")] * 10
    result = SyncEngine(store, server).run()
    assert len(server.fail_push) == 9  # one push tried, not one per halving
    assert result.unreachable and not result.complete
    assert result.reason == "could not reach the server at X: refused"
    assert store.counts()["pending"] == 40 and server.applied == []


def test_cursor_expired_restarts_from_scratch(store: Store) -> None:
    """After 410 the engine forgets its cursor and downloads the scope again."""
    server = FakeServer()
    store.apply_pull_page([], "old-cursor")
    server.fail_pull = [CursorExpired(410, {"type": "urn:patroli:problem:cursor-expired"})]
    result = SyncEngine(store, server).run()
    assert result.complete and server.pulls == ["old-cursor", None]
    assert store.cursor() == "end"


class PagedServer(FakeServer):
    """``total`` reports served in pages, each taking ``page_s`` of a fake clock."""

    def __init__(self, total: int, max_limit: int = 2000, page_s: float = 0.1):
        """A server holding ``total`` documents, refusing limits over ``max_limit``."""
        super().__init__()
        self.docs = {f"r{i:05d}": {"id": f"r{i:05d}", "rev": 1} for i in range(total)}
        self.max_limit, self.page_s, self.now = max_limit, page_s, 0.0
        self.limits: list[int] = []

    def clock(self) -> float:
        """The fake time."""
        return self.now

    def pull(self, cursor: str | None, limit: int, skip_echo: bool = False) -> dict[str, Any]:
        """One page from ``cursor``; 400 on ``limit`` past the maximum, as the real server."""
        self.limits.append(limit)
        if limit > self.max_limit:
            raise ProblemError(
                400,
                {
                    "type": "urn:patroli:problem:validation-failed",
                    "errors": {"limit": [f"must be between 1 and {self.max_limit}"]},
                },
            )
        self.now += self.page_s
        start = int(cursor or 0)
        ids = sorted(self.docs)[start : start + limit]
        return {
            "changes": [{"report": self.docs[i], "open_conflicts": []} for i in ids],
            "cursor": str(start + len(ids)),
            "has_more": start + len(ids) < len(self.docs),
            "server_time": H.format_server_time(),
        }


@pytest.mark.parametrize(
    ("max_limit", "page_s", "limits"),
    [
        (2000, 0.1, [500, 1000, 2000, 2000, 2000]),  # a fast link: pages grow to the cap
        (700, 0.1, [500, 1000, 500, 500, 500]),  # a server with a lower maximum
        (2000, 20.0, [500, 250, 125, 62, 50]),  # a 2G link: pages shrink to the floor
    ],
)
def test_pull_pages_fit_the_link(
    tmp_path: Path, max_limit: int, page_s: float, limits: list[int]
) -> None:
    """Page sizes follow how fast pages come back, within the server's maximum."""
    store = Store(tmp_path / "p.sqlite3")
    server = PagedServer(8_000, max_limit, page_s)
    engine = SyncEngine(store, server)
    engine.clock = server.clock
    result = engine.run()
    assert result.complete and result.pulled == 8_000
    assert server.limits[:5] == limits
    store.close()
