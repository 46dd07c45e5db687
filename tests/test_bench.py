"""The benchmark commands still run end to end (tiny sizes; speed is not judged here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import __main__ as suite
from bench import blob_upload

pytestmark = pytest.mark.e2e


def test_suite_runs_and_reports_every_figure(tmp_path: Path) -> None:
    """``python -m bench`` with tiny sizes writes JSON and Markdown with every measure."""
    code = suite.main(
        [
            "--reports", "300", "--small-batch-reports", "100", "--edits", "100",
            "--initial-sync-reports", "400", "--device-push-reports", "50",
            "--out", str(tmp_path),
        ]
    )  # fmt: skip
    assert code == 0
    (result,) = tmp_path.glob("*.json")
    sqlite = json.loads(result.read_text())["backends"]["sqlite"]
    for key in ("push_100", "push_500", "edit", "pull_full", "pull_incremental"):
        assert sqlite[key]["per_s"] > 0 and sqlite[key]["vs_pipeline"] > 0
    assert sqlite["device"]["initial_sync_100k"]["reports"] >= 400
    assert sqlite["device"]["device_push_10k"]["reports"] == 50
    markdown = (tmp_path / "latest.md").read_text()
    assert "device pushes its pending reports" in markdown and "not measured" not in markdown


def test_blob_upload_bench_runs() -> None:
    """``python -m bench.blob_upload`` measures every mode and the wire overhead."""
    out = blob_upload.run(mb=1, repeats=1)
    for mode in ("whole_put", "chunked_adaptive", "chunked_256k", "chunked_1m"):
        assert out[f"{mode}_mb_s"] > 0
        assert 0 <= out[f"{mode}_wire_overhead_pct"] < 5


def test_person_matching_bench_runs() -> None:
    """``python -m bench.person_matching`` fills, samples and times a push batch (tiny sizes)."""
    from bench import person_matching

    out = person_matching.run(persons=2_000, samples=5, url=None, batches=1)
    assert out["persons"] == 2_000 and out["samples"] == 5
    assert 0 < out["match_ms"]["median"] <= out["match_ms"]["max"]
    assert out["save_ms"]["median"] > 0
    assert out["push_batch_of_500"]["with_matching_ms"] > 0
    assert out["push_batch_of_500"]["without_matching_ms"] > 0


def test_queue_alert_bench_runs(tmp_path: Path) -> None:
    """``python -m bench.queue_alert`` loads reports with alerts, then times every filter."""
    from bench import queue_alert

    url = f"sqlite:///{tmp_path / 'alerts.sqlite3'}"
    loaded = queue_alert.load(url, 2_000)
    assert loaded["reports"] == 2_000 and loaded["person_alerts"] > 0
    assert loaded["vehicle_links"] > 0
    out = queue_alert.time_queries(url, runs=1)
    assert set(out["cases"]) == set(queue_alert.CASES)
    for case in out["cases"].values():
        hq, commander = case["api hq.1"]["answer"], case["api cmd.p01"]["answer"]
        # The one post's reports are a part of every post's.
        assert 0 < int(commander.split()[-1]) < int(hq.split()[-1])
        assert case["/queue cmd.p01"]["p50_ms"] > 0


def test_edit_cost_bench_runs(tmp_path: Path) -> None:
    """``python -m bench.edit_cost`` loads a real server, then edits and creates as many."""
    from bench import edit_cost

    # Batches of 500 go to each post's device in turn: 10,000 give every device some.
    out = edit_cost.measure(tmp_path, 10_000, edits=100)
    assert out["size"] == 10_000 and out["backend"] == "sqlite"
    for measure in ("edits", "creations"):
        assert out[measure]["reports"] == 100, out
        assert out[measure]["server_cpu_us_per_report"] > 0, out
