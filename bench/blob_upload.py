"""Blob upload on loopback: throughput of a 20 MB photo, whole and chunked, and its overhead.

Run: ``.venv/bin/python -m bench.blob_upload [--mb 20] [--repeats 3]``; prints JSON.

Throughput is measured straight to the server; bytes on the wire are
counted separately through the test suite's TCP proxy (which costs time
of its own).  ``raw_copy_fsync_mb_s`` is the same file copied and fsynced
on the local disk: the ceiling the server cannot beat.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import requests

from bench.server import BenchServer
from sync import blob_upload as bu
from tests.faults.proxy import FaultProxy

MB = 1024 * 1024


def _file(directory: Path, size: int, seed: str) -> tuple[Path, str]:
    path = directory / f"{seed}.jpg"
    with path.open("wb") as f:
        for i in range(0, size, MB):
            f.write(hashlib.shake_256(f"{seed}-{i}".encode()).digest(min(MB, size - i)))
    return path, bu.sha256_file(path)


def _whole(session: requests.Session, url: str, auth: dict, path: Path, sha: str) -> None:
    with path.open("rb") as f:
        resp = session.put(
            f"{url}/api/v1/blobs/{sha}",
            data=f,
            headers=auth | {"Content-Type": "image/jpeg"},
            timeout=300,
        )
    assert resp.status_code == 201, resp.text


def _chunked(chunk: int | None) -> Callable[..., None]:
    def run(session: requests.Session, url: str, auth: dict, path: Path, sha: str) -> None:
        result = bu.upload(session, url, auth, sha, path, "image/jpeg", chunk_size=chunk)
        assert result.status == "uploaded"

    return run


def _raw_copy(path: Path, directory: Path) -> float:
    target = directory / "copy.bin"
    t0 = time.perf_counter()
    with path.open("rb") as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst, MB)
        dst.flush()
        os.fsync(dst.fileno())
    elapsed = time.perf_counter() - t0
    target.unlink()
    return elapsed


def run(mb: int = 20, repeats: int = 3) -> dict[str, object]:
    """Upload ``mb`` MiB files ``repeats`` times per mode; return medians and wire overhead."""
    size = mb * MB
    modes = {
        "whole_put": _whole,
        "chunked_adaptive": _chunked(None),
        "chunked_256k": _chunked(256 * 1024),
        "chunked_1m": _chunked(MB),
        "chunked_4m": _chunked(4 * MB),
    }
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        server = BenchServer(work)
        codes = server.seed(1)
        server.start()
        url, auth = server.url, server.enroll(codes)[0].headers
        out: dict[str, object] = {"file_bytes": size, "repeats": repeats}
        try:
            with requests.Session() as session:
                for name, upload in modes.items():
                    times = []
                    for i in range(repeats):
                        path, sha = _file(work, size, f"{name}-{i}")
                        t0 = time.perf_counter()
                        upload(session, url, auth, path, sha)
                        times.append(time.perf_counter() - t0)
                        path.unlink()
                    out[f"{name}_mb_s"] = round(mb / statistics.median(times), 1)
                    path, sha = _file(work, size, f"{name}-wire")
                    port = int(url.rsplit(":", 1)[1])
                    with FaultProxy(port, lifetime_s=600) as proxy:
                        with requests.Session() as counted:
                            upload(counted, proxy.url, auth, path, sha)
                        proxy.wait_idle(10)
                        wire = proxy.bytes_up + proxy.bytes_down
                    out[f"{name}_wire_overhead_pct"] = round(100 * (wire - size) / size, 3)
                    path.unlink()
            path, _ = _file(work, size, "raw")
            raw = statistics.median(_raw_copy(path, work) for _ in range(repeats))
            out["raw_copy_fsync_mb_s"] = round(mb / raw, 1)
        finally:
            server.stop()
    return out


def main() -> None:
    """Command line entry: print the measurements as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(run(args.mb, args.repeats), indent=2))


if __name__ == "__main__":
    main()
