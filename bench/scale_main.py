"""``python -m bench --scale`` and ``--slow-only``: run, print, record (see bench/scale.py)."""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine, scale, scale_report, slow_devices
from bench.server import postgres_version
from bench.slow_link import Shape


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The scale run's options on the suite's command line."""
    group = parser.add_argument_group("national scale (issue 13)")
    group.add_argument(
        "--scale", action="store_true", help="run the growth table instead of the suite"
    )
    group.add_argument(
        "--sizes",
        default="100000,300000,1000000",
        help="reports at which everything is measured (default 100000,300000,1000000)",
    )
    group.add_argument(
        "--segment",
        type=int,
        default=10_000,
        help="reports in each timed push segment (default 10000)",
    )
    group.add_argument(
        "--repeats", type=int, default=3, help="runs of each read; the median is kept (default 3)"
    )
    group.add_argument(
        "--slow-devices",
        type=int,
        default=200,
        help="devices on slow links syncing at once (default 200; 0 skips the run)",
    )
    group.add_argument(
        "--slow-only", action="store_true", help="run only the many-slow-devices measure"
    )
    group.add_argument(
        "--slow-rate", type=float, default=3 * 1024, help="slow link bytes/s each way (3072)"
    )
    group.add_argument(
        "--slow-rtt-ms", type=float, default=600, help="slow link round trip in ms (600)"
    )


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(s) for s in text.split(",") if s.strip()]
    except ValueError:
        sizes = []
    if not sizes or sizes != sorted(sizes) or sizes[0] <= 0:
        raise SystemExit("--sizes takes growing positive numbers, e.g. 100000,300000,1000000")
    return sizes


def main(args: argparse.Namespace, argv: list[str] | None) -> int:
    """Run the scale measures the arguments ask for; 0 when every run completed."""
    started = datetime.now(UTC).replace(microsecond=0)
    results: dict[str, Any] = {
        "started_at": started.isoformat().replace("+00:00", "Z"),
        "command": "python -m bench " + shlex.join(sys.argv[1:] if argv is None else argv),
        "machine": machine.describe(postgres_version(args.postgres) if args.postgres else None),
        "backends": {},
    }
    plan = scale.ScalePlan(
        sizes=_sizes(args.sizes),
        segment=args.segment,
        threads=args.threads,
        repeats=args.repeats,
        device_push_reports=args.device_push_reports,
    )
    with tempfile.TemporaryDirectory(prefix="patroli-scale-") as tmp:
        if not args.slow_only:
            _backends(args, plan, Path(tmp), results)
        if args.slow_devices > 0:
            _slow(args, Path(tmp), results)
    json_path, md_path = scale_report.write(results, args.out)
    print(scale_report.console(results))
    print(f"results: {json_path} and {md_path}")
    return 0


def _runs(args: argparse.Namespace) -> list[tuple[str, int, str | None]]:
    """(name, server processes, PostgreSQL URL) of each backend the arguments ask for."""
    runs: list[tuple[str, int, str | None]] = []
    if not args.no_sqlite:
        runs.append(("sqlite", 1, None))
    if args.postgres:
        runs.append(("postgresql", args.pg_workers, args.postgres))
    return runs


def _slow(args: argparse.Namespace, tmp: Path, results: dict[str, Any]) -> None:
    """The many-slow-devices run on each backend, on a fresh server each."""
    results["slow_devices"] = {}
    for name, workers, url in _runs(args):
        print(f"{args.slow_devices} slow devices, {name}, {workers} process(es):", flush=True)
        plan = slow_devices.SlowPlan(
            devices=args.slow_devices,
            shape=Shape(rate=args.slow_rate, rtt=args.slow_rtt_ms / 1000),
            workers=workers,
            threads=args.threads,
        )
        slow = slow_devices.run(tmp / f"slow-{name}", plan, url)
        slow["goals"] = scale_report.slow_goals(slow)
        results["slow_devices"][name] = slow


def _backends(
    args: argparse.Namespace, plan: scale.ScalePlan, tmp: Path, results: dict[str, Any]
) -> None:
    """The growth table on SQLite and, with ``--postgres``, on PostgreSQL."""
    runs = [
        (name, scale.ScalePlan(**{**plan.__dict__, "workers": workers}), url)
        for name, workers, url in _runs(args)
    ]
    for name, backend_plan, url in runs:
        print(f"{name}, {backend_plan.workers} server process(es):", flush=True)

        def measured(backend: dict[str, Any], name: str = name) -> None:
            backend["goals"] = scale_report.goals(backend)
            results["backends"][name] = backend
            scale_report.write(results, args.out)  # kept, should a later size fail

        measured(scale.run_backend(tmp / name, backend_plan, url, measured))
