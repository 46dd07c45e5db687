"""Path tricks in blob hashes: nothing outside the blob folder is read or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.hostile.counts import assert_still_serving, row_counts
from tests.world import World

TRICKS = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "%2e%2e",
    "..",
    "." * 64,
    "A" * 64,
    "0" * 63,
    "0" * 65,
    "g" * 64,
    "0" * 62 + "/.",
    "0" * 64 + "%2f..",
    "0" * 64 + "\\..",
    "0" * 60 + "%00" + "0",
]


def _files(root: Path) -> set[Path]:
    return set(root.rglob("*")) if root.exists() else set()


@pytest.mark.parametrize("trick", TRICKS)
def test_blob_path_tricks(world: World, app: Flask, tmp_path: Path, trick: str) -> None:
    """HEAD, GET and PUT with a tricky hash are 4xx problems and touch no file."""
    dev = world.devices["ofc.nnk.1"]
    blob_dir = Path(app.config["PATROLI_BLOB_DIR"])
    before_files, before_rows = _files(blob_dir), row_counts(app)
    url = f"/api/v1/blobs/{trick}"
    for resp in (
        world.client.head(url, headers=dev.headers),
        world.client.get(url, headers=dev.headers),
        world.client.put(url, data=b"\xff\xd8evil", content_type="image/jpeg", headers=dev.headers),
        world.client.put(
            url,
            data=b"\xff\xd8",
            content_type="image/jpeg",
            headers=dev.headers | {"Content-Range": "bytes 0-1/2"},
        ),
    ):
        assert 400 <= resp.status_code < 500, (trick, resp.status_code)
        if resp.request.method != "HEAD":
            assert resp.mimetype == "application/problem+json"
            assert resp.get_json()["type"].startswith("urn:patroli:problem:")
    assert _files(blob_dir) == before_files
    assert row_counts(app) == before_rows
    assert_still_serving(world.client)
