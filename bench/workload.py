"""The HTTP measures: push, edit and pull throughput and bytes on the wire.

Request bodies are built before the clock starts, one client thread per
device posts its own batches back to back, and every answer is checked
(status 200, each op's status), so a fast wrong server cannot score.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import requests

from bench.server import Credentials

#: gzip level the device side uses for request bodies (zlib's default).
CLIENT_GZIP_LEVEL = 6


@dataclass
class Run:
    """One timed HTTP measure."""

    items: int
    seconds: float
    bytes_up_raw: int = 0
    bytes_up_gzip: int = 0
    bytes_down_raw: int = 0
    bytes_down_wire: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float | None = None

    @property
    def rate(self) -> float:
        """Items (reports or ops) per second."""
        return self.items / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        """The figures of this run, per item where it makes sense."""
        per = max(self.items, 1)
        return {
            "items": self.items,
            "seconds": round(self.seconds, 3),
            "per_s": round(self.rate),
            "up_raw_bytes_per_item": round(self.bytes_up_raw / per, 1),
            "up_gzip_bytes_per_item": round(self.bytes_up_gzip / per, 1),
            "down_raw_bytes_per_item": round(self.bytes_down_raw / per, 1),
            "down_wire_bytes_per_item": round(self.bytes_down_wire / per, 1),
            "server_cpu_us_per_item": None
            if self.server_cpu_s is None
            else round(self.server_cpu_s / per * 1e6, 1),
            "statuses": self.statuses,
        }


class BenchError(RuntimeError):
    """The server answered something other than what the workload expects."""


def _post_all(url: str, creds: Credentials, bodies: list[bytes], out: dict[str, Any]) -> None:
    """Post one device's bodies back to back; statuses and byte counts into ``out``."""
    session = requests.Session()
    headers = creds.headers | {"Content-Type": "application/json", "Accept-Encoding": "gzip"}
    statuses: Counter[str] = Counter()
    wire = raw = 0
    try:
        for body in bodies:
            resp = session.post(f"{url}/api/v1/sync/push", data=body, headers=headers, timeout=300)
            if resp.status_code != 200:
                raise BenchError(f"push answered {resp.status_code}: {resp.text[:300]}")
            raw += len(resp.content)
            wire += int(resp.headers.get("Content-Length", len(resp.content)))
            statuses.update(r["status"] for r in orjson.loads(resp.content)["results"])
    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
        out["error"] = exc
    out.update(statuses=statuses, wire=wire, raw=raw)


def push(
    url: str,
    work: list[tuple[Credentials, list[bytes]]],
    expect: set[str],
    cpu: Callable[[], float] | None = None,
) -> Run:
    """Every device posts its bodies, all devices at once; statuses must be in ``expect``.

    ``cpu`` reads the server's CPU seconds, to report CPU per op as well.
    """
    outs: list[dict[str, Any]] = [{} for _ in work]
    cpu_before = cpu() if cpu else None
    threads = [
        threading.Thread(target=_post_all, args=(url, creds, bodies, out))
        for (creds, bodies), out in zip(work, outs, strict=True)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    cpu_used = cpu() - cpu_before if cpu and cpu_before is not None else None
    statuses: Counter[str] = Counter()
    for out in outs:
        if "error" in out:
            raise out["error"]
        statuses.update(out["statuses"])
    unexpected = set(statuses) - expect
    if unexpected:
        raise BenchError(f"unexpected op statuses {dict(statuses)}")
    bodies = [b for _, bs in work for b in bs]
    return Run(
        items=sum(statuses.values()),
        seconds=elapsed,
        bytes_up_raw=sum(len(b) for b in bodies),
        bytes_up_gzip=sum(len(gzip.compress(b, CLIENT_GZIP_LEVEL)) for b in bodies),
        bytes_down_raw=sum(o["raw"] for o in outs),
        bytes_down_wire=sum(o["wire"] for o in outs),
        statuses=dict(statuses),
        server_cpu_s=cpu_used,
    )


def _page_tail(body: bytes) -> dict[str, Any]:
    """``cursor``, ``has_more`` and ``server_time`` of a pull page, read from its end.

    The server writes them after the changes; reading them alone keeps the
    benchmark client's JSON parsing out of the timed loop.
    """
    try:
        return orjson.loads(b"{" + body[body.rindex(b'],"cursor":') + 2 :])
    except (ValueError, orjson.JSONDecodeError):
        return orjson.loads(body)


def pull(
    url: str,
    creds: Credentials,
    cursor: str | None,
    limit: int,
    gzip_ok: bool = True,
    cpu: Callable[[], float] | None = None,
) -> tuple[Run, str]:
    """Pull every page from ``cursor``; the run and the final cursor.

    One device pulls page after page, as a device catching up does.  Pages
    are parsed and checked (every report once) after the clock stops: the
    figure is the server's, a device's own parsing and storing belong to
    the device-side measures.
    """
    cpu_before = cpu() if cpu else None
    session = requests.Session()
    headers = creds.headers | {"Accept-Encoding": "gzip" if gzip_ok else "identity"}
    pages: list[bytes] = []
    wire = 0
    start = time.perf_counter()
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        resp = session.get(f"{url}/api/v1/sync/pull", params=params, headers=headers, timeout=300)
        if resp.status_code != 200:
            raise BenchError(f"pull answered {resp.status_code}: {resp.text[:300]}")
        pages.append(resp.content)
        wire += int(resp.headers.get("Content-Length", len(resp.content)))
        tail = _page_tail(resp.content)
        cursor = tail["cursor"]
        if not tail["has_more"]:
            break
    elapsed = time.perf_counter() - start
    cpu_used = cpu() - cpu_before if cpu and cpu_before is not None else None
    ids = [
        c["report"]["id"] if "report" in c else c["report_id"]
        for page in pages
        for c in orjson.loads(page)["changes"]
    ]
    if len(ids) != len(set(ids)):
        raise BenchError("a pull delivered a report twice")
    run = Run(
        items=len(ids),
        seconds=elapsed,
        bytes_down_raw=sum(len(p) for p in pages),
        bytes_down_wire=wire,
        server_cpu_s=cpu_used,
    )
    return run, cursor
