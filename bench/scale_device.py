"""The device measures at one size: a fresh device's pull, an idle sync, a device's push.

The fresh device and the pushing device are real ``patroli field sync``
processes (``client_sqlite`` stores, timed in the device's own process:
its wall time, and its CPU time from the kernel's accounting of waited-for
children).  The idle sync is timed from this process over loopback (wall
time of the request, which is the server's time plus a loopback round
trip) and as the server workers' CPU per request.
"""

from __future__ import annotations

import resource
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from bench import device
from bench.scale_docs import POSTS, SignedDevice
from bench.scale_server import ScaleServer
from bench.server import Credentials
from bench.workload import BenchError, pull
from client_sqlite.store import Store

IDLE_REPEATS = 20
#: The fresh device's post; the pushing device's is another, so that the
#: fresh device's post holds its share of the load alone (50,000 at 1M).
FRESH_POST, PUSH_POST = 0, len(POSTS) - 1


@dataclass(kw_only=True)
class DevicePlan:
    """What the device measures do at one size."""

    scale: ScaleServer
    workdir: Path
    push_reports: int = 10_000


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _context(plan: DevicePlan, name: str, post: int) -> device.DeviceContext:
    return device.DeviceContext(
        server_url=plan.scale.url,
        enrollment_code=lambda: plan.scale.enrollment_code(post),
        ensure_reports=lambda count: count,
        workdir=plan.workdir / name,
        device_push_reports=plan.push_reports,
    )


def fresh_pull(plan: DevicePlan, expected: int) -> dict[str, Any]:
    """A fresh device of ``FRESH_POST`` downloads the whole post in its first sync."""
    path = device._enrolled_store(_context(plan, "fresh", FRESH_POST), "fresh")
    cpu_before = _children_cpu_s()
    figures = device.run_client(device._sync_command(path))
    cpu = _children_cpu_s() - cpu_before
    store = Store(path)
    held = store.counts()["reports"]
    store.close()
    if held != expected:
        raise BenchError(f"the fresh device holds {held} reports, the post has {expected}")
    return {
        "reports": held,
        "seconds": figures["seconds"],
        "device_cpu_s": round(cpu, 3),
        "per_s": round(expected / figures["seconds"]),
        "peak_rss_mib": figures["peak_rss_mib"],
    }


def idle_sync(plan: DevicePlan, dev: SignedDevice, cpu: Any) -> dict[str, Any]:
    """A device already up to date asks for changes: wall ms (p50) and server CPU ms per pull."""
    creds = Credentials(dev.device_id, dev.headers)
    _, cursor = pull(plan.scale.url, creds, None, 2000)  # untimed: catch up first
    session = requests.Session()
    times = []
    cpu_before = cpu()
    for _ in range(IDLE_REPEATS):
        start = time.perf_counter()
        resp = session.get(
            f"{plan.scale.url}/api/v1/sync/pull",
            params={"cursor": cursor, "limit": 500},
            headers=dev.headers | {"Accept-Encoding": "gzip"},
            timeout=60,
        )
        times.append(time.perf_counter() - start)
        if resp.status_code != 200 or resp.json()["changes"]:
            raise BenchError(f"an idle pull answered {resp.status_code} or brought changes")
    server_cpu = cpu() - cpu_before
    return {
        "wall_ms_p50": round(statistics.median(times) * 1000, 2),
        "server_cpu_ms": round(server_cpu / IDLE_REPEATS * 1000, 2),
    }


def device_push(plan: DevicePlan) -> dict[str, Any]:
    """A device of ``PUSH_POST`` with ``push_reports`` pending reports syncs them end to end."""
    cpu_before = _children_cpu_s()
    out = device.device_push_10k(_context(plan, "push", PUSH_POST))
    assert out is not None
    # The untimed catch-up sync ran first: its CPU is in this figure too,
    # so the device's CPU is reported only as an upper bound.
    out["device_cpu_s_upper_bound"] = round(_children_cpu_s() - cpu_before, 3)
    return out
