"""A device's push of N pending reports through the real engine into a local server.

Measures wall time, reports/s, and bytes on the wire each way (as sent, i.e.
gzip'd) for the sync of a store full of unsent reports.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.push import enroll_code, start_server
from bench.records import report_fields
from client_sqlite import editing
from client_sqlite.store import Store
from sync.engine import SyncEngine
from sync.transport import Transport


def run(total: int = 10_000) -> dict[str, float]:
    """Record ``total`` reports offline, then time one sync of them."""
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        proc, url, _auth = start_server(work)
        try:
            code = enroll_code(work, "ofc.device")
            store = Store(work / "device.sqlite3")
            store.save_enrollment(url, Transport(url).enroll(code, "bench device"))
            with store.atomic():
                for _ in range(total):
                    editing.create(store, "incident", report_fields(rng))
            raw = sum(len(json.dumps(o["fields"])) for o in store.pending_ops(total))
            transport = Transport(url, store.device()["token"], read_timeout=120)
            t0 = time.perf_counter()
            result = SyncEngine(store, transport).run()
            elapsed = time.perf_counter() - t0
            assert result.complete and result.applied == total, result.reason
            requests.get(url + "/healthz", timeout=5)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    return {"reports": total, "seconds": round(elapsed, 2),
            "reports_per_s": round(total / elapsed), "batches": result.batches,
            "bytes_sent": result.bytes_sent, "bytes_received": result.bytes_received,
            "raw_fields_bytes": raw,
            "sent_over_raw": round(result.bytes_sent / raw, 3)}


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000), indent=2))
