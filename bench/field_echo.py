"""What the field app downloads after pushing its own reports, with and without skip_echo.

Run: ``.venv/bin/python -m bench.field_echo [--reports 200]``; prints JSON.

One phone (headless Chromium at phone size, the app's own store and sync
engine) against a real server on 127.0.0.1. It records ``--reports``
incident reports of about 1 KB of JSON each (``bench.records``) and syncs
twice over:

- ``before``: the device's ``skip_echo`` mark cleared first, so the pull
  asks as the app did before it kept push results (and as an app that has
  not yet ended a whole pull under this version still does): every pushed
  report comes back.
- ``after``: as the app now runs: the pushed reports are not downloaded.

Each phase reports the sync's counts and, from the page's Resource Timing,
the pull answers' bytes: on the wire with headers (``transfer``), the
gzipped bodies (``body``) and their JSON (``json``), and the seconds the
wire bytes take on a 2G link of 3 KB/s (``seconds_at_3kbs``, bytes only: no
round trips).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import records
from bench.field_app import _browser, _phone, _wait_synced
from bench.server import BenchServer
from tests.browser import field_driver as F

#: A 2G link's bytes per second (bench.slow_link.Shape's default).
LINK_RATE = 3 * 1024

_RECORD = """
const [docs, done] = arguments;
import('/field/js/store.js').then(async (m) => {
  const store = await m.Store.open();
  for (const { kind, ...fields } of docs) await store.create(kind, fields);
  done(null);
}).catch((e) => done(String(e)));
"""


def _record(driver: Any, count: int, rng: random.Random) -> None:
    """``count`` incident reports recorded on the phone, not yet sent."""
    docs = [records.report_fields(rng) for _ in range(count)]
    driver.set_script_timeout(300)
    error = driver.execute_async_script(_RECORD, docs)
    assert error is None, error


def _phase(driver: Any, count: int, rng: random.Random, skip_echo: bool) -> dict[str, Any]:
    _record(driver, count, rng)
    if not skip_echo:
        driver.execute_async_script(
            "const done = arguments[0];"
            "import('/field/js/store.js').then(async (m) => "
            "  done(await (await m.Store.open()).updateDevice({skip_echo: false})));"
        )
    started = time.perf_counter()
    synced = F.sync_counted(driver)
    result = synced["result"]
    assert result["complete"] and result["pushed"] == count, result
    return {
        "pushed": result["pushed"],
        "pulled": result["pulled"],
        "sync_s": round(time.perf_counter() - started, 2),
        "pull_requests": synced["pulls"],
        "pull_transfer_bytes": synced["pull_transfer_bytes"],
        "pull_body_bytes": synced["pull_body_bytes"],
        "pull_json_bytes": synced["pull_json_bytes"],
        "seconds_at_3kbs": round(synced["pull_transfer_bytes"] / LINK_RATE, 1),
    }


def run(reports: int = 200) -> dict[str, Any]:
    """Measure both phases on one phone; return them."""
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as tmp:
        server = BenchServer(Path(tmp))
        server.seed(0)
        server.start()
        driver = _browser()
        try:
            _phone(server, driver)
            _wait_synced(driver, 0, 60)  # enrolling syncs: a whole pull has ended
            return {
                "reports": reports,
                "before": _phase(driver, reports, rng, skip_echo=False),
                "after": _phase(driver, reports, rng, skip_echo=True),
            }
        finally:
            driver.quit()
            server.stop()


def main() -> None:
    """Command line entry: print the measurements as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.reports), indent=2))


if __name__ == "__main__":
    main()
