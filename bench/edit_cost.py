"""What an edit costs the server as the database grows, beside a creation.

A real ``patroli serve`` (SQLite by default, one process) is loaded through
the push API with the scale run's documents (``bench.scale_push``) up to
``--size`` reports; then 1,000 of the newest reports are edited (each its
revision 2, pushed in batches per device, as the scale run's freshness
measure does) and 1,000 new reports are pushed. Both report the server's
CPU per report. An edit that costs more as the database grows reads
something that grows with it: issue 13's 1,000 edits took 12.9 ms of CPU
each at a million reports, from a lookup planned as a scan of every
revision.

    .venv/bin/python -m bench.edit_cost --size 100000 [--postgres URL]

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.scale import EDIT_DESTINATION
from bench.scale_docs import POSTS
from bench.scale_push import Loader, edit_work, push_clients
from bench.scale_server import ScaleServer
from bench.server import BenchServer

EDITS = 1_000


def measure(
    workdir: Path, size: int, postgres_url: str | None = None, edits: int = EDITS
) -> dict[str, Any]:
    """Load ``size`` reports, then time ``edits`` edits and as many creations."""
    server = BenchServer(workdir, postgres_url, workers=1, threads=4)
    scale = ScaleServer(server=server)
    scale.seed()
    server.start()
    try:
        loader = Loader(clients=[scale.devices(list(range(len(POSTS))))], rng=random.Random(13))
        started = time.monotonic()
        loader.load_to(server.url, size, server.cpu_seconds)
        loaded_s = time.monotonic() - started
        work = edit_work(loader.recent(edits), loader.rng, destination=EDIT_DESTINATION)
        edited = push_clients(server.url, [work], server.cpu_seconds)
        created = push_clients(server.url, [loader.work(0, edits)], server.cpu_seconds)
    finally:
        server.stop()
    return {
        "size": size,
        "backend": "postgresql" if postgres_url else "sqlite",
        "load_s": round(loaded_s, 1),
        "edits": edited,
        "creations": created,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.edit_cost", description=__doc__)
    parser.add_argument("--size", type=int, default=100_000, help="reports loaded first")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="patroli-edit-cost-") as tmp:
        print(json.dumps(measure(Path(tmp), args.size, args.postgres), indent=2))


if __name__ == "__main__":
    main()
