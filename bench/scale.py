"""``python -m bench --scale``: the growth table of issue 13 on one backend.

A real ``patroli serve`` on 127.0.0.1 is loaded through the push API up
to each size in turn; at each size the run measures, in this order:

1. disk per report (before anything but creations was stored);
2. 1,000 reports edited, then HQ's next aggregates answer checked to
   count them all (the counts are kept on write: there is no roll-up job);
3. HQ's and the commander's reads (``bench.scale_reads``);
4. the device measures (``bench.scale_device``);
5. server memory, then a one-client and a two-client push segment
   (the push rate "from this size on").

A one-client segment on the empty database comes first, the rate the
push goal is stated for.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench import scale_device, scale_disk, scale_reads
from bench.scale_docs import POSTS
from bench.scale_push import Loader, edit_work, push_clients
from bench.scale_server import COMMANDER, HQ, ScaleServer
from bench.server import BenchServer

FRESHNESS_EDITS = 1_000
#: The destination the edits give their reports (the generator never draws it).
EDIT_DESTINATION = "BN"


@dataclass(kw_only=True)
class ScalePlan:
    """What one backend's scale run does."""

    sizes: list[int] = field(default_factory=lambda: [100_000, 300_000, 1_000_000])
    segment: int = 10_000
    workers: int = 1
    threads: int = 4
    repeats: int = 3
    device_push_reports: int = 10_000
    freshness_edits: int = FRESHNESS_EDITS
    seed: int = 13


_STARTED = time.monotonic()


def _log(message: str) -> None:
    print(f"  [{time.monotonic() - _STARTED:7.1f} s] {message}", flush=True)


@dataclass(kw_only=True)
class _Run:
    """One backend's run in progress."""

    server: BenchServer
    scale: ScaleServer
    loader: Loader
    reader: scale_reads.Reader
    plan: ScalePlan
    workdir: Path
    #: Reports the device-push measures added (each with a location).
    device_reports: int = 0

    @property
    def reports(self) -> int:
        return self.loader.total + self.device_reports

    def segments(self) -> dict[str, Any]:
        """One client, then two clients, each pushing ``segment`` new reports."""
        cpu, url, seg = self.server.cpu_seconds, self.server.url, self.plan.segment
        one = self.loader.pushed(push_clients(url, [self.loader.work(0, seg)], cpu))
        two_work = [self.loader.work(c, seg // 2) for c in (0, 1)]
        two = self.loader.pushed(push_clients(url, two_work, cpu))
        return {"one_client": one, "two_clients": two}


def _edited_count(run: _Run) -> int:
    """HQ's count of reports bound for ``EDIT_DESTINATION``, from the aggregates API."""
    answer = requests.get(
        f"{run.server.url}/api/v1/aggregates",
        params={"group_by": "destination_country"},
        headers=run.reader.hq_headers,
        timeout=120,
    )
    answer.raise_for_status()
    rows = answer.json()["rows"]
    return sum(r["reports"] or 0 for r in rows if r["destination_country"] == EDIT_DESTINATION)


def _freshness(run: _Run) -> dict[str, Any]:
    """``freshness_edits`` reports change; HQ's very next aggregates must count them.

    The counts are maintained in the write transaction (issue 13: the
    roll-up job is gone), so the figure is the edits' push time, which holds
    that upkeep, and whether the next answer is already exact.
    """
    targets = run.loader.recent(run.plan.freshness_edits)
    before = _edited_count(run)
    work = edit_work(targets, run.loader.rng, destination=EDIT_DESTINATION)
    pushed = push_clients(run.server.url, [work], run.server.cpu_seconds)
    after = _edited_count(run)
    return {
        "edited": len(targets),
        "edits_push_s": pushed["seconds"],
        "edits_cpu_us_per_report": pushed["server_cpu_us_per_report"],
        "counted_before": before,
        "counted_after": after,
        "fresh": after - before == len(targets),
    }


def _device(run: _Run, size_dir: Path) -> dict[str, Any]:
    """Fresh device pull, idle sync and a device's push."""
    plan = scale_device.DevicePlan(
        scale=run.scale, workdir=size_dir, push_reports=run.plan.device_push_reports
    )
    post_reports = run.loader.per_post[scale_device.FRESH_POST]
    out = {"fresh_pull": scale_device.fresh_pull(plan, post_reports)}
    out["idle_sync"] = scale_device.idle_sync(
        plan, run.loader.clients[0][0], run.server.cpu_seconds
    )
    out["device_push"] = scale_device.device_push(plan)
    run.device_reports += run.plan.device_push_reports
    return out


def _at_size(run: _Run, size: int) -> dict[str, Any]:
    """Every measure at ``size`` reports."""
    out: dict[str, Any] = {"size": size, "reports": run.reports}
    out["disk"] = scale_disk.disk(run.server, run.reports)
    _log(f"{size}: 1,000 edits, then the aggregates at once")
    out["freshness"] = _freshness(run)
    _log(f"{size}: aggregates, dashboard, queue, GeoJSON")
    out["aggregates_ms"] = scale_reads.aggregates(run.reader)
    out["dashboard_ms"] = scale_reads.dashboard(run.reader)
    out["queue_ms"] = scale_reads.queue(run.reader)
    located = run.loader.located + run.device_reports  # device reports all have one
    out["geojson"] = scale_reads.geojson(run.reader, located)
    _log(f"{size}: device pull, idle sync, device push")
    out["device"] = _device(run, run.workdir / f"device-{size}")
    out["rss"] = scale_disk.rss(run.server)
    _log(f"{size}: push segments")
    out["push"] = run.segments()
    return out


def run_backend(
    workdir: Path,
    plan: ScalePlan,
    postgres_url: str | None,
    measured: Callable[[dict[str, Any]], None] = lambda _partial: None,
) -> dict[str, Any]:
    """Seed, start, load size after size, measure; the backend's results.

    ``measured`` gets the results so far after each size, so that a long
    run that fails at its largest size keeps what it measured before.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    server = BenchServer(workdir, postgres_url, workers=plan.workers, threads=plan.threads)
    scale = ScaleServer(server=server)
    scale.seed()
    server.start()
    try:
        clients = [scale.devices(list(range(len(POSTS)))) for _ in range(2)]
        run = _Run(
            server=server,
            scale=scale,
            loader=Loader(clients=clients, rng=random.Random(plan.seed)),
            reader=scale_reads.Reader(
                url=server.url,
                hq_headers=scale.api_headers(HQ),
                hq_web=scale.web_session(HQ),
                commander_web=scale.web_session(COMMANDER),
                repeats=plan.repeats,
            ),
            plan=plan,
            workdir=workdir,
        )
        return _sizes(run, measured)
    finally:
        server.stop()


def _wal_peak(sampler: Any) -> int | None:
    """The WAL's largest size so far (None on PostgreSQL, which has no -wal file)."""
    return sampler.peak if isinstance(sampler, scale_disk.WalSampler) else None


def _sizes(run: _Run, measured: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """The empty-database segment, then every size in turn, with the WAL sampled throughout."""
    server, cpu = run.server, run.server.cpu_seconds
    wal_path = server.workdir / "bench.sqlite3-wal"
    sampler = scale_disk.WalSampler(wal_path) if not server.postgres_url else nullcontext()
    out: dict[str, Any] = {
        "server": {"workers": run.plan.workers, "threads": run.plan.threads},
        "sizes": [],
    }
    with sampler:
        _log(f"empty database: one client pushes {run.plan.segment}")
        out["push_empty"] = run.loader.pushed(
            push_clients(server.url, [run.loader.work(0, run.plan.segment)], cpu)
        )
        for size in run.plan.sizes:
            _log(f"loading to {size} reports")
            run.loader.load_to(server.url, size - run.device_reports, cpu)
            out["sizes"].append(_at_size(run, size))
            out["wal_peak_bytes"] = _wal_peak(sampler)
            measured(out)
    out["wal_peak_bytes"] = _wal_peak(sampler)
    return out
