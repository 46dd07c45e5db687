"""Loading the scale server through ``POST /api/v1/sync/push``, and timing segments of it.

A client is one HTTP connection posting batches of 500 back to back; its
batches come from the devices of every post in turn (one device per post
and client), so the load spreads over the twenty posts the way a day's
syncs do.  Bodies are built and signed before the clock starts; every
answer is checked (status 200, every op ``applied``), so a fast wrong
server cannot score.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests

from bench.scale_docs import SignedDevice, body
from bench.workload import BenchError

BATCH = 500
#: Reports generated and pushed at a time while loading between sizes.
LOAD_CHUNK = 10_000

Work = list[tuple[dict[str, str], bytes]]


def _post_all(url: str, work: Work, out: dict[str, Any]) -> None:
    """Post ``work`` in order on one connection; statuses into ``out``."""
    session = requests.Session()
    statuses: Counter[str] = Counter()
    try:
        for headers, payload in work:
            resp = session.post(
                f"{url}/api/v1/sync/push",
                data=payload,
                headers=headers | {"Content-Type": "application/json"},
                timeout=600,
            )
            if resp.status_code != 200:
                raise BenchError(f"push answered {resp.status_code}: {resp.text[:300]}")
            statuses.update(r["status"] for r in orjson.loads(resp.content)["results"])
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
        out["error"] = exc
    out["statuses"] = statuses


def push_clients(url: str, clients: list[Work], cpu: Callable[[], float]) -> dict[str, Any]:
    """Every client posts its work at once; reports/s and server CPU per report."""
    outs: list[dict[str, Any]] = [{} for _ in clients]
    threads = [
        threading.Thread(target=_post_all, args=(url, work, out))
        for work, out in zip(clients, outs, strict=True)
    ]
    cpu_before = cpu()
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    cpu_used = cpu() - cpu_before
    statuses: Counter[str] = Counter()
    for out in outs:
        if "error" in out:
            raise out["error"]
        statuses.update(out["statuses"])
    if set(statuses) != {"applied"}:
        raise BenchError(f"unexpected op statuses {dict(statuses)}")
    items = sum(statuses.values())
    return {
        "reports": items,
        "clients": len(clients),
        "seconds": round(seconds, 3),
        "per_s": round(items / seconds) if seconds else 0,
        "server_cpu_us_per_report": round(cpu_used / max(items, 1) * 1e6, 1),
    }


@dataclass(kw_only=True)
class Loader:
    """Builds signed batches for clients; counts what the server holds."""

    clients: list[list[SignedDevice]]
    rng: random.Random
    #: Reports pushed so far (all of them applied).
    total: int = 0
    located: int = 0
    per_post: Counter[int] = field(default_factory=Counter)
    _turn: int = 0

    def work(self, client: int, count: int) -> Work:
        """``count`` new reports for ``client``, in batches of 500 from each post in turn."""
        out: Work = []
        devices = self.clients[client]
        while count > 0:
            n = min(BATCH, count)
            device = devices[self._turn % len(devices)]
            self._turn += 1
            before = device.located
            out.append((device.headers, body(device.creations(self.rng, n))))
            self.located += device.located - before
            self.per_post[device.post] += n
            count -= n
        return out

    def pushed(self, result: dict[str, Any]) -> dict[str, Any]:
        """Count a checked push result in ``total``; return it."""
        self.total += result["reports"]
        return result

    def load_to(self, url: str, target: int, cpu: Callable[[], float]) -> None:
        """Push from client 0 until the server holds ``target`` reports."""
        while self.total < target:
            work = self.work(0, min(LOAD_CHUNK, target - self.total))
            self.pushed(push_clients(url, [work], cpu))

    def recent(self, count: int) -> list[tuple[SignedDevice, str]]:
        """The ``count`` newest reports of client 0's devices, with their device."""
        devices = self.clients[0]
        out: list[tuple[SignedDevice, str]] = []
        per = count // len(devices) + 1
        for device in devices:
            out += [(device, rid) for rid in device.created[-per:]]
        return out[:count]


def edit_work(
    targets: list[tuple[SignedDevice, str]], rng: random.Random, destination: str | None = None
) -> Work:
    """One edit of each target report (its first revision), in batches per device."""
    by_device: dict[str, list[dict[str, Any]]] = {}
    devices: dict[str, SignedDevice] = {}
    for device, report_id in targets:
        fields = {
            "destination_country": destination or rng.choice(["MY", "SG"]),
            "modus": ["other", "transit_route"],
        }
        by_device.setdefault(device.device_id, []).append(device.op(report_id, fields, 1))
        devices[device.device_id] = device
    return [
        (devices[d].headers, body(ops[i : i + BATCH]))
        for d, ops in by_device.items()
        for i in range(0, len(ops), BATCH)
    ]
