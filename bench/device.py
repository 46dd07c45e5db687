"""Device-side measures: extension points for the field client and the sync engine.

Issue 7 asks for three figures measured on the device side of a real sync:

* ``initial_sync_100k``: a fresh device store's initial sync of 100,000
  reports from the bench server (target < 10 s on loopback);
* ``device_push_10k``: a device pushing 10,000 pending reports through the
  real engine (target >= 9,000 reports/s);
* client peak RSS during both (target < 200 MB).

They need ``client_sqlite/`` and the sync engine, which live outside this
package.  Each measure below receives a :class:`DeviceContext` and returns a
dict of figures, or ``None`` while it cannot run; ``python -m bench`` prints
"not measured" for ``None``.  :func:`run_client` runs a client command as a
child process and returns its wall time and peak RSS, so that the client's
memory is measured apart from the benchmark's own.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Reports on the server before the initial-sync measure starts.
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


def run_client(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run a client command to completion; its wall seconds and peak RSS in MiB."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:4]} exited with {proc.returncode}")
    # ru_maxrss is in KiB on Linux.
    return {"seconds": round(elapsed, 3), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def initial_sync_100k(ctx: DeviceContext) -> dict[str, Any] | None:
    """Extension point: a fresh device store pulls ``INITIAL_SYNC_REPORTS`` reports.

    To implement: ``ctx.ensure_reports(INITIAL_SYNC_REPORTS)``, enroll a fresh
    store with ``ctx.enrollment_code()`` and time its first sync with
    :func:`run_client`; return ``{"reports", "seconds", "per_s",
    "peak_rss_mib"}``.
    """
    return None


def device_push_10k(ctx: DeviceContext) -> dict[str, Any] | None:
    """Extension point: a device store with ``DEVICE_PUSH_REPORTS`` pending reports syncs.

    To implement: create the pending reports in a fresh enrolled store
    (untimed), then time its sync with :func:`run_client`; return
    ``{"reports", "seconds", "per_s", "peak_rss_mib"}``.
    """
    return None


#: name -> measure, in the order they run and are printed.
MEASURES: dict[str, Callable[[DeviceContext], dict[str, Any] | None]] = {
    "initial_sync_100k": initial_sync_100k,
    "device_push_10k": device_push_10k,
}
