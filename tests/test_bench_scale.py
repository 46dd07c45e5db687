"""``python -m bench --scale`` still runs end to end (tiny sizes; speed is not judged here)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from bench import __main__ as suite
from bench import scale_report
from bench.slow_link import Shape, SlowLink

pytestmark = pytest.mark.e2e


def test_scale_run_fills_every_measure_and_checks_exactly_once(tmp_path: Path) -> None:
    """Every row of the growth table has a figure, every goal a verdict, no report lost."""
    code = suite.main(
        [
            "--scale", "--sizes", "600", "--segment", "200", "--repeats", "1",
            "--device-push-reports", "20", "--slow-devices", "3",
            "--slow-rate", "200000", "--slow-rtt-ms", "10", "--out", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    (result,) = tmp_path.glob("scale-*.json")
    results = json.loads(result.read_text())
    backend = results["backends"]["sqlite"]
    rows = scale_report.table(backend)
    assert [r[0] for r in rows[1:]] == [label for label, _ in scale_report.ROWS]
    assert all(cell not in ("", "None") for row in rows for cell in row)
    size = backend["sizes"][0]
    assert size["reports"] == 600
    # The harness knows how many features to expect: at this size all of them come.
    assert size["geojson"]["whole_features"] == size["geojson"]["expected"] > 0
    assert size["geojson"]["paged"]["supported"] and size["geojson"]["paged"]["complete"]
    # Edited reports are counted by HQ's very next aggregates (no roll-up job).
    fresh = size["freshness"]
    assert fresh["edited"] > 0 and fresh["fresh"]
    assert fresh["counted_after"] - fresh["counted_before"] == fresh["edited"]
    # (the harness itself refuses a fresh device holding fewer than its post has)
    assert size["device"]["fresh_pull"]["reports"] > 0
    assert size["device"]["device_push"]["reports"] == 20
    assert backend["wal_peak_bytes"] > 0
    assert {g["met"] for g in backend["goals"]} <= {True, False}
    assert len(backend["goals"]) == 14
    slow = results["slow_devices"]["sqlite"]
    assert slow["devices"] == 3 and slow["reports_pushed"] >= 6
    assert slow["exactly_once"] and slow["missing"] == slow["duplicated"] == 0
    assert slow["fast_pulls"] >= 1 and slow["unfinished_devices"] == 0
    markdown = next(tmp_path.glob("scale-*.md")).read_text()
    assert all(label in markdown for label, _ in scale_report.ROWS)
    assert "Many slow devices (sqlite)" in markdown


class _Sink(BaseHTTPRequestHandler):
    """Reads a request body and answers 200 (the proxy's upstream)."""

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        return None


def test_slow_link_carries_bytes_no_faster_than_its_rate() -> None:
    """An upload through the proxy takes at least its bytes over the rate, plus the round trip."""
    sink = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=sink.serve_forever, daemon=True)
    thread.start()
    shape = Shape(rate=40_000, rtt=0.05)
    try:
        with SlowLink(sink.server_address[1], shape) as link:
            start = time.perf_counter()
            resp = requests.post(f"{link.url}/", data=b"x" * 20_000, timeout=30)
            elapsed = time.perf_counter() - start
    finally:
        sink.shutdown()
        sink.server_close()
    assert resp.status_code == 200
    assert elapsed >= 20_000 / shape.rate + shape.rtt
