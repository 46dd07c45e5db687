"""``python -m bench``: Patroli's benchmark suite (see docs/benchmarks.md).

Starts a real ``patroli serve`` on 127.0.0.1 (SQLite WAL, one process;
with ``--postgres URL`` also PostgreSQL with ``--pg-workers`` processes),
measures push, edit and pull throughput, bytes on the wire and server
memory, and the storage floor and pipeline limit on the same records, then
writes ``bench/results/<timestamp>.json`` and ``bench/results/latest.md``.

``--scale`` runs the national-scale growth table and the many-slow-devices
run instead (``bench/scale.py``, ``bench/slow_devices.py``); ``--slow-only``
runs the latter alone.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import kinto, machine, report, scale_main
from bench.server import postgres_version
from bench.suite import Plan, run_backend

RESULTS_DIR = Path(__file__).with_name("results")


def _args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, parsed."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--reports",
        type=int,
        default=20_000,
        help="new reports pushed in batches of 500 (default 20000)",
    )
    parser.add_argument(
        "--small-batch-reports",
        type=int,
        default=10_000,
        help="new reports pushed in batches of 100 first (default 10000)",
    )
    parser.add_argument(
        "--edits", type=int, default=10_000, help="edit ops on existing reports (default 10000)"
    )
    parser.add_argument(
        "--initial-sync-reports",
        type=int,
        default=100_000,
        help="reports a fresh device pulls in its first sync (default 100000)",
    )
    parser.add_argument(
        "--device-push-reports",
        type=int,
        default=10_000,
        help="pending reports a device pushes with `patroli field sync` (default 10000)",
    )
    parser.add_argument(
        "--clients", type=int, default=2, help="devices pushing at the same time (default 2)"
    )
    parser.add_argument(
        "--threads", type=int, default=4, help="threads per server process (default 4)"
    )
    parser.add_argument(
        "--pull-limit",
        type=int,
        default=2000,
        help="reports per pull page (default 2000, the server's maximum, as a device "
        "catching up would ask for)",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="also run on PostgreSQL (postgresql+psycopg://...); the suite "
        "works in a schema of its own and drops it afterwards",
    )
    parser.add_argument(
        "--pg-workers", type=int, default=2, help="server processes on PostgreSQL (default 2)"
    )
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite run")
    parser.add_argument(
        "--kinto",
        action="store_true",
        help="also push the same records into Kinto (memory backend), "
        "when the kinto package is installed",
    )
    parser.add_argument(
        "--kinto-bin", metavar="PATH", help="the kinto command, e.g. from another virtualenv"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS_DIR,
        help="directory for the results (default bench/results)",
    )
    scale_main.add_arguments(parser)
    return parser.parse_args(argv)


def _kinto(
    args: argparse.Namespace, workdir: Path, records: list[bytes], results: dict[str, Any]
) -> dict[str, Any] | None:
    """The Kinto comparison on ``records``, or None when kinto is not installed."""
    command = kinto.find(args.kinto_bin)
    if command is None:
        print("kinto is not installed (pip install kinto, or --kinto-bin PATH); skipping it")
        return None
    ours = results["backends"].get("sqlite") or results["backends"]["postgresql"]
    print("Kinto (memory backend), 1 server process:", flush=True)
    return kinto.compare(command, workdir, records, args.clients, args.pull_limit, ours)


def main(argv: list[str] | None = None) -> int:
    """Run the suite; 0 when every run completed (targets are reported, not enforced)."""
    args = _args(argv)
    if args.scale or args.slow_only:
        return scale_main.main(args, argv)
    started = datetime.now(UTC).replace(microsecond=0)
    results: dict[str, Any] = {
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "command": "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv),
        "machine": machine.describe(postgres_version(args.postgres) if args.postgres else None),
        "backends": {},
    }
    plan = Plan(
        reports=args.reports,
        small_batch_reports=args.small_batch_reports,
        edits=args.edits,
        clients=args.clients,
        threads=args.threads,
        pull_limit=args.pull_limit,
        initial_sync_reports=args.initial_sync_reports,
        device_push_reports=args.device_push_reports,
    )
    with tempfile.TemporaryDirectory(prefix="patroli-bench-") as tmp:
        records: list[bytes] = []
        if not args.no_sqlite:
            print("SQLite (WAL), 1 server process:", flush=True)
            results["backends"]["sqlite"], records = run_backend(Path(tmp) / "sqlite", plan, None)
        if args.postgres:
            print(f"PostgreSQL, {args.pg_workers} server processes:", flush=True)
            pg_plan = Plan(**{**plan.__dict__, "workers": args.pg_workers})
            results["backends"]["postgresql"], pg_records = run_backend(
                Path(tmp) / "pg", pg_plan, args.postgres
            )
            records = records or pg_records
        if args.kinto:
            results["kinto"] = _kinto(args, Path(tmp) / "kinto", records, results)
    for backend in results["backends"].values():
        report.ratios(backend)
    results["targets"] = report.targets(results)
    json_path, md_path = report.write(results, args.out)
    print(report.console(results))
    print(f"results: {json_path} and {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
