"""Many slow devices: hundreds of devices on 2G links sync at once; one fast device pulls.

Each slow device runs the real sync engine (``sync.engine.SyncEngine``:
gzip, retries with backoff, adaptive batches) over the real transport,
through its own shaped connection of :class:`bench.slow_link.SlowLink`.
Its store is kept in memory (a fresh server post's few reports need no
disk, and 200 SQLite stores would measure the bench machine's disk).  A
device retries a sync that did not complete, a bounded number of times.

Meanwhile a fast device, straight to the server, pulls its post again and
again; its pull times are the figure (p95).  Afterwards HQ lists every
report, and each report every slow device pushed must be there exactly
once, at its first revision, with nothing else besides.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.scale_docs import POSTS, SignedDevice
from bench.scale_server import HQ, ScaleServer
from bench.server import BenchServer
from bench.slow_link import Shape, SlowLink
from bench.workload import BenchError
from sync.engine import SyncEngine
from sync.transport import Transport


@dataclass(kw_only=True)
class SlowPlan:
    """The many-slow-devices run."""

    devices: int = 200
    reports_per_device: tuple[int, int] = (2, 4)
    shape: Shape = field(default_factory=Shape)
    syncs_per_device: int = 5
    fast_interval_s: float = 0.1
    #: Bounds of the whole run: the fast device stops after these at the latest.
    max_fast_pulls: int = 20_000
    deadline_s: float = 1800.0
    workers: int = 1
    threads: int = 4
    seed: int = 200


class MemoryStore:
    """A device store in memory: what ``SyncEngine`` needs, and no more."""

    def __init__(self, ops: list[dict[str, Any]]):
        self.outbox = {op["op_id"]: op for op in ops}
        self.rejected: dict[str, Any] = {}
        self.pulled: set[str] = set()
        self._cursor: str | None = None
        self.syncs: list[dict[str, Any]] = []

    def pending_ops(self, limit: int) -> list[dict[str, Any]]:
        return list(self.outbox.values())[:limit]

    def mark_in_flight(self, op_ids: list[str]) -> list[dict[str, Any]]:
        # The ops are signed and final already: nothing folds into them.
        return [self.outbox[i] for i in op_ids if i in self.outbox]

    def apply_push_results(self, results: list[dict[str, Any]]) -> None:
        for r in results:
            op = self.outbox.pop(r["op_id"], None)
            if op is not None and r.get("status") == "rejected":
                self.rejected[r["op_id"]] = r.get("errors")

    def reject_locally(self, op_id: str, errors: dict[str, list[str]]) -> None:
        self.outbox.pop(op_id, None)
        self.rejected[op_id] = errors

    def cursor(self) -> str | None:
        return self._cursor

    def apply_pull_page(self, changes: list[dict[str, Any]], cursor: str) -> None:
        self.pulled.update(c["report"]["id"] for c in changes if "report" in c)
        self._cursor = cursor

    def reset_cursor(self) -> None:
        self._cursor = None

    def observe_server_time(self, server_time: str, local_ms: int) -> None:
        return None

    def record_sync(self, ok: bool, summary: dict[str, Any]) -> None:
        self.syncs.append(summary)

    def blob_source(self, blob: dict[str, Any]) -> bytes:
        raise BenchError("the slow devices have no attachments")

    def pending_blobs(self) -> list[dict[str, Any]]:
        return []

    def mark_blob(self, sha256: str, error: str | None = None) -> None:
        return None


def _slow_device(url: str, device: SignedDevice, store: MemoryStore, plan: SlowPlan) -> None:
    """Sync until everything is delivered and pulled, or the attempts run out."""
    engine = SyncEngine(store, Transport(url, token=device.token))
    for _ in range(plan.syncs_per_device):
        if engine.run().complete and not store.outbox:
            return


def _fast_device(
    url: str, device: SignedDevice, done: threading.Event, plan: SlowPlan
) -> list[float]:
    """Pull the post again and again until the slow devices are done; seconds per pull."""
    session = requests.Session()
    cursor = None
    times: list[float] = []
    deadline = time.monotonic() + plan.deadline_s
    while len(times) < plan.max_fast_pulls and time.monotonic() < deadline:
        start = time.perf_counter()
        resp = session.get(
            f"{url}/api/v1/sync/pull",
            params={"limit": 500} | ({"cursor": cursor} if cursor else {}),
            headers=device.headers | {"Accept-Encoding": "gzip"},
            timeout=120,
        )
        times.append(time.perf_counter() - start)
        if resp.status_code != 200:
            raise BenchError(f"the fast device's pull answered {resp.status_code}")
        cursor = resp.json()["cursor"]
        if done.wait(plan.fast_interval_s):
            break
    return times


def _guarded(errors: list[BaseException], target: Callable[..., Any], *args: Any) -> None:
    """Run ``target`` in a thread, keeping its exception for the main thread to raise."""
    try:
        target(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread
        errors.append(exc)


def _listed(scale: ScaleServer) -> tuple[Counter[str], int]:
    """Every report id HQ's listing shows with how often it appears; rows not at revision 1."""
    headers = scale.api_headers(HQ)
    seen: Counter[str] = Counter()
    revs: Counter[int] = Counter()
    for page in range(1, 10_000):  # bounded: 200 a page
        resp = requests.get(
            f"{scale.url}/api/v1/reports",
            params={"per_page": 200, "page": page},
            headers=headers,
            timeout=120,
        )
        resp.raise_for_status()
        body = resp.json()
        seen.update(r["id"] for r in body["reports"])
        revs.update(r["rev"] for r in body["reports"])
        if not body["has_more"]:
            break
    return seen, sum(n for rev, n in revs.items() if rev != 1)


def _p95(times: list[float]) -> float | None:
    if len(times) < 2:
        return round(times[0] * 1000, 1) if times else None
    return round(statistics.quantiles(times, n=20, method="inclusive")[-1] * 1000, 1)


def run(workdir: Path, plan: SlowPlan, postgres_url: str | None = None) -> dict[str, Any]:
    """Start a fresh server, run the slow devices and the fast one, check exactly-once."""
    workdir.mkdir(parents=True, exist_ok=True)
    server = BenchServer(workdir, postgres_url, workers=plan.workers, threads=plan.threads)
    scale = ScaleServer(server=server)
    scale.seed()
    server.start()
    try:
        return _run(scale, plan)
    finally:
        server.stop()


def _run(scale: ScaleServer, plan: SlowPlan) -> dict[str, Any]:
    """Enroll, sync everything at once, then count on the server."""
    rng = random.Random(plan.seed)
    devices = scale.devices([i % len(POSTS) for i in range(plan.devices)])
    fast = scale.device(0)
    stores = [MemoryStore(d.creations(rng, rng.randint(*plan.reports_per_device))) for d in devices]
    out: dict[str, Any] = {
        "devices": plan.devices,
        "link": {"bytes_per_s": plan.shape.rate, "rtt_s": plan.shape.rtt},
    }
    out |= _drive(scale, plan, list(zip(devices, stores, strict=True)), fast)
    out |= {
        "devices_not_complete": sum(bool(s.outbox) for s in stores),
        "rejected": sum(len(s.rejected) for s in stores),
        "syncs": sum(len(s.syncs) for s in stores),
    }
    return out | _exactly_once(scale, [rid for d in devices for rid in d.created])


def _drive(
    scale: ScaleServer,
    plan: SlowPlan,
    slow_devices: list[tuple[SignedDevice, MemoryStore]],
    fast: SignedDevice,
) -> dict[str, Any]:
    """Every slow device syncs through the proxy while the fast one pulls; the figures."""
    done = threading.Event()
    fast_times: list[float] = []
    errors: list[BaseException] = []
    with SlowLink(scale.server.port, plan.shape) as link:
        slow = [
            threading.Thread(
                target=_guarded, args=(errors, _slow_device, link.url, d, s, plan), daemon=True
            )
            for d, s in slow_devices
        ]
        fast_thread = threading.Thread(
            target=_guarded,
            args=(errors, lambda: fast_times.extend(_fast_device(scale.url, fast, done, plan))),
            daemon=True,
        )
        start = time.perf_counter()
        fast_thread.start()
        for t in slow:
            t.start()
        for t in slow:
            t.join(timeout=max(plan.deadline_s - (time.perf_counter() - start), 1))
        seconds = time.perf_counter() - start
        done.set()
        fast_thread.join(timeout=300)
        connections = link.connections
    if errors:
        raise BenchError(f"{len(errors)} device thread(s) failed, the first: {errors[0]!r}")
    ms = [t * 1000 for t in fast_times]
    return {
        "seconds": round(seconds, 1),
        "unfinished_devices": sum(t.is_alive() for t in slow),
        "connections": connections,
        "fast_pulls": len(ms),
        "fast_pull_p50_ms": round(statistics.median(ms), 1) if ms else None,
        "fast_pull_p95_ms": _p95(fast_times),
        "fast_pull_max_ms": round(max(ms), 1) if ms else None,
    }


def _exactly_once(scale: ScaleServer, pushed: list[str]) -> dict[str, Any]:
    """Each pushed report listed once at revision 1, and nothing else listed."""
    listed, other_revs = _listed(scale)
    missing = sum(listed[rid] == 0 for rid in pushed)
    twice = sum(listed[rid] > 1 for rid in pushed)
    extra = len(set(listed) - set(pushed))
    return {
        "reports_pushed": len(pushed),
        "missing": missing,
        "duplicated": twice,
        "unexpected": extra,
        "not_first_revision": other_revs,
        "exactly_once": not missing and not twice and not extra and other_revs == 0,
    }
