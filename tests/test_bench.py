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
