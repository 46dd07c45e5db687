"""One benchmark run against one backend: the server figures and the two limits."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import device, limits, records, workload
from bench.server import BenchServer, Credentials


@dataclass
class Plan:
    """How much work one run does."""

    reports: int = 20_000
    small_batch_reports: int = 10_000
    edits: int = 10_000
    clients: int = 2
    workers: int = 1
    threads: int = 4
    pull_limit: int = 500
    seed: int = 7
    initial_sync_reports: int = device.INITIAL_SYNC_REPORTS
    device_push_reports: int = device.DEVICE_PUSH_REPORTS


def _log(message: str) -> None:
    """Progress line on stdout."""
    print(f"  {message}", flush=True)


def _split(ops: list[dict[str, Any]], batch: int, rng: random.Random) -> list[bytes]:
    """Push bodies of ``batch`` changes each."""
    return records.bodies(ops, batch, rng)


def _per_client_creations(clients: list[records.DeviceOps], total: int) -> list[list[dict]]:
    """``total`` new reports split over the clients."""
    share = total // len(clients)
    return [c.creations(share) for c in clients]


def run_backend(
    workdir: Path, plan: Plan, postgres_url: str | None
) -> tuple[dict[str, Any], list[bytes]]:
    """Start a server on the backend, measure everything, stop it.

    Returns the results and the push bodies of the batches-of-500 measure:
    the records the limits (and a Kinto comparison) are measured on.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(plan.seed)
    server = BenchServer(workdir, postgres_url, workers=plan.workers, threads=plan.threads)
    codes = server.seed(plan.clients + 1)
    server.start()
    try:
        creds = server.enroll(codes)
        pushers, puller = creds[: plan.clients], creds[plan.clients]
        return _measure(server, plan, rng, pushers, puller, workdir, postgres_url)
    finally:
        server.stop()


def _measure(
    server: BenchServer,
    plan: Plan,
    rng: random.Random,
    pushers: list[Credentials],
    puller: Credentials,
    workdir: Path,
    postgres_url: str | None,
) -> tuple[dict[str, Any], list[bytes]]:
    """Every HTTP measure and both limits against a running server."""
    out: dict[str, Any] = {
        "server": {"workers": plan.workers, "threads": plan.threads, "clients": plan.clients}
    }
    ops = [records.DeviceOps(c.device_id, random.Random(rng.random())) for c in pushers]

    small = [_split(o, 100, rng) for o in _per_client_creations(ops, plan.small_batch_reports)]
    _log(f"push {plan.small_batch_reports} new reports in batches of 100")
    cpu = server.cpu_seconds
    out["push_100"] = workload.push(
        server.url, list(zip(pushers, small, strict=True)), {"applied"}, cpu
    ).summary()

    large_ops = _per_client_creations(ops, plan.reports)
    large = [_split(o, 500, rng) for o in large_ops]
    _log(f"push {plan.reports} new reports in batches of 500")
    out["push_500"] = workload.push(
        server.url, list(zip(pushers, large, strict=True)), {"applied"}, cpu
    ).summary()

    _log("pull everything from cursor 0 (gzip, then identity)")
    run, cursor = workload.pull(server.url, puller, None, plan.pull_limit, cpu=cpu)
    out["pull_full"] = run.summary()
    run, _ = workload.pull(server.url, puller, None, plan.pull_limit, gzip_ok=False, cpu=cpu)
    out["pull_full_identity"] = run.summary()

    per_client = plan.edits // 2 // len(ops)
    targets = [o.created[-per_client:] for o in ops]
    first = [_split(o.edits(t, 1, 0), 500, rng) for o, t in zip(ops, targets, strict=True)]
    second = [_split(o.edits(t, 1, 1), 500, rng) for o, t in zip(ops, targets, strict=True)]
    _log(f"edit {plan.edits} times existing reports (half on a stale revision: merges)")
    run_a = workload.push(server.url, list(zip(pushers, first, strict=True)), {"applied"}, cpu)
    run_b = workload.push(server.url, list(zip(pushers, second, strict=True)), {"merged"}, cpu)
    out["edit"] = _combine(run_a, run_b).summary()

    _log("incremental pull of the edited reports")
    run, _ = workload.pull(server.url, puller, cursor, plan.pull_limit, cpu=cpu)
    out["pull_incremental"] = run.summary()
    out["server_peak_rss"] = server.peak_rss()

    flat = [b for bodies in large for b in bodies]
    _log("limits on the same records: storage floor and pipeline")
    limits.prepare(postgres_url)
    try:
        limits.warm_up([b for bodies in small for b in bodies][:4])
        out["limits"] = {
            "storage_floor": limits.storage_floor(flat, workdir, postgres_url).summary(),
            "pipeline": limits.pipeline(flat, workdir, postgres_url).summary(),
        }
    finally:
        limits.drop(postgres_url)
    out["device"] = _device_measures(server, pushers[0], workdir, plan)
    return out, flat


def _combine(a: workload.Run, b: workload.Run) -> workload.Run:
    """Two runs as one (the two edit passes)."""
    statuses = dict(a.statuses)
    for key, value in b.statuses.items():
        statuses[key] = statuses.get(key, 0) + value
    return workload.Run(
        items=a.items + b.items,
        seconds=a.seconds + b.seconds,
        bytes_up_raw=a.bytes_up_raw + b.bytes_up_raw,
        bytes_up_gzip=a.bytes_up_gzip + b.bytes_up_gzip,
        bytes_down_raw=a.bytes_down_raw + b.bytes_down_raw,
        bytes_down_wire=a.bytes_down_wire + b.bytes_down_wire,
        statuses=statuses,
        server_cpu_s=(a.server_cpu_s or 0) + (b.server_cpu_s or 0),
    )


def _device_measures(
    server: BenchServer, pusher: Credentials, workdir: Path, plan: Plan
) -> dict[str, Any]:
    """Run the device-side measures with real ``patroli field sync`` processes."""
    officers = iter(range(1, 1000))
    ops = records.DeviceOps(pusher.device_id, random.Random(99))

    def ensure_reports(count: int) -> int:
        """Push reports until the server holds ``count``; how many it holds."""
        run, _ = workload.pull(server.url, pusher, None, 2000)
        have = run.items
        if have < count:
            bodies = _split(ops.creations(count - have), 500, random.Random(98))
            workload.push(server.url, [(pusher, bodies)], {"applied"})
            have = count
        return have

    ctx = device.DeviceContext(
        server_url=server.url,
        enrollment_code=lambda: server.officer_code(f"ofc.device.{next(officers)}"),
        ensure_reports=ensure_reports,
        workdir=workdir / "device",
        initial_sync_reports=plan.initial_sync_reports,
        device_push_reports=plan.device_push_reports,
    )
    results = {}
    for name, measure in device.MEASURES.items():
        results[name] = measure(ctx)
    return results
