"""Device-side measures: the field client (``patroli field sync``) against the bench server.

* ``initial_sync_100k``: a fresh device store's initial sync of 100,000
  reports from the bench server (target < 10 s on loopback);
* ``device_push_10k``: a device pushing 10,000 pending reports through the
  real engine (target >= 9,000 reports/s);
* client peak RSS during both (target < 200 MB).

Each measure receives a :class:`DeviceContext` and returns a dict of
figures.  :func:`run_client` runs the client command as a child process and
returns its wall time and peak RSS, so that the client's memory is measured
apart from the benchmark's own.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.records import report_fields
from bench.server import vm_hwm_mib
from client_sqlite import editing
from client_sqlite.enrollment import enroll
from client_sqlite.store import Store
from sync.transport import Transport

#: Reports on the server before the initial-sync measure starts.
BENCH_PIN = "bench-pin-1357"
INITIAL_SYNC_REPORTS = 100_000
#: Pending reports in the device store before the device-push measure starts.
DEVICE_PUSH_REPORTS = 10_000


@dataclass
class DeviceContext:
    """What a device-side measure may use."""

    server_url: str
    #: A fresh one-time enrollment code for an officer of the bench post.
    enrollment_code: Callable[[], str]
    #: Make the server hold at least this many reports of the bench post
    #: (pushes more through HTTP when needed); returns how many it holds.
    ensure_reports: Callable[[int], int]
    workdir: Path
    initial_sync_reports: int = INITIAL_SYNC_REPORTS
    device_push_reports: int = DEVICE_PUSH_REPORTS


def run_client(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a client command to completion; its wall seconds and peak RSS in MiB.

    The peak is the child's own ``VmHWM``, polled while it runs, and the
    last reading is kept (the high-water mark only rises once the client
    runs; earlier readings may still be the parent's, before exec).  The
    ``ru_maxrss`` that ``wait4`` reports would include the benchmark's own
    memory, which Linux carries over to a vforked child at exec.
    """
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    peak = 0.0
    while True:
        peak = vm_hwm_mib(proc.pid) or peak
        try:
            proc.wait(timeout=0.02)  # returns at once when the client exits
            break
        except subprocess.TimeoutExpired:
            continue
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} exited with {proc.returncode}")
    return {"seconds": round(elapsed, 3), "peak_rss_mib": peak}


def _enrolled_store(ctx: DeviceContext, name: str) -> Path:
    """A fresh device store enrolled with the bench server; returns its path."""
    ctx.workdir.mkdir(parents=True, exist_ok=True)
    path = ctx.workdir / f"{name}.sqlite3"
    # Stores are encrypted under a PIN: the bench's, for this process and
    # the `patroli field` children it times.
    os.environ.setdefault("PATROLI_FIELD_PIN", BENCH_PIN)
    store = Store(path)
    enroll(store, Transport(ctx.server_url), ctx.enrollment_code(), name)
    store.close()
    return path


def _sync_command(path: Path) -> list[str]:
    return [sys.executable, "-m", "patroli", "field", "--db", str(path), "sync"]


def initial_sync_100k(ctx: DeviceContext) -> dict[str, Any] | None:
    """A fresh device store pulls ``INITIAL_SYNC_REPORTS`` reports in its first sync."""
    held = ctx.ensure_reports(ctx.initial_sync_reports)
    path = _enrolled_store(ctx, "initial-sync")
    figures = run_client(_sync_command(path))
    return {
        "reports": held,
        "seconds": figures["seconds"],
        "per_s": round(held / figures["seconds"]),
        "peak_rss_mib": figures["peak_rss_mib"],
    }


def device_push_10k(ctx: DeviceContext) -> dict[str, Any] | None:
    """A device store with ``DEVICE_PUSH_REPORTS`` pending reports syncs them (push and pull)."""
    path = _enrolled_store(ctx, "device-push")
    # Untimed: catch up with what the server holds, so the measure is this
    # device's own push (and the pull of only what it pushed), not an initial sync.
    run_client(_sync_command(path))
    store = Store(path)
    rng = random.Random(5)
    with store.atomic():  # untimed: the officer recorded these over days
        for _ in range(ctx.device_push_reports):
            editing.create(store, "incident", report_fields(rng))
    store.close()
    figures = run_client(_sync_command(path))
    return {
        "reports": ctx.device_push_reports,
        "seconds": figures["seconds"],
        "per_s": round(ctx.device_push_reports / figures["seconds"]),
        "peak_rss_mib": figures["peak_rss_mib"],
    }


#: Every device measure, in the order the suite runs them.
MEASURES: dict[str, Callable[[DeviceContext], dict[str, Any] | None]] = {
    "initial_sync_100k": initial_sync_100k,
    "device_push_10k": device_push_10k,
}
