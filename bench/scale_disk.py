"""Disk and memory of the scale server: bytes per report, the WAL's peak, worker RSS."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.server import PG_SCHEMA, BenchServer

#: How often the WAL sampler looks at the -wal file while pushes run.
WAL_SAMPLE_S = 0.2


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class WalSampler:
    """Samples the size of a SQLite -wal file in a thread and keeps the largest seen."""

    def __init__(self, wal: Path):
        self.wal = wal
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _size(self.wal))
            self._stop.wait(WAL_SAMPLE_S)

    def __enter__(self) -> WalSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _size(self.wal))


def sqlite_bytes(database: Path) -> dict[str, int]:
    """Sizes of the database file, its WAL and its shared-memory index."""
    wal = database.with_name(database.name + "-wal")
    shm = database.with_name(database.name + "-shm")
    sizes = {"database": _size(database), "wal": _size(wal), "shm": _size(shm)}
    sizes["total"] = sum(sizes.values())
    return sizes


def postgres_bytes(url: str) -> dict[str, int]:
    """Every table of the bench schema with its indexes and TOAST (``pg_total_relation_size``)."""
    engine = create_engine(url)
    with engine.connect() as conn:
        total = conn.execute(
            text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = :schema AND c.relkind IN ('r', 'm')"
            ),
            {"schema": PG_SCHEMA},
        ).scalar()
    engine.dispose()
    return {"total": int(total or 0)}


def disk(server: BenchServer, reports: int) -> dict[str, Any]:
    """Bytes on disk now, all included, and per report."""
    if server.postgres_url:
        sizes = postgres_bytes(server.database_url)
    else:
        sizes = sqlite_bytes(server.workdir / "bench.sqlite3")
    return sizes | {"per_report": round(sizes["total"] / max(reports, 1))}


def _status_mib(pid: int, field: str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def rss(server: BenchServer) -> dict[str, Any]:
    """Resident (VmRSS) and peak resident (VmHWM) memory of each worker, in MiB."""
    pids = server.worker_pids()
    now = [m for m in (_status_mib(p, "VmRSS") for p in pids) if m is not None]
    peak = [m for m in (_status_mib(p, "VmHWM") for p in pids) if m is not None]
    return {
        "workers_rss_mib": now,
        "workers_hwm_mib": peak,
        "max_hwm_mib": max(peak, default=None),
        "total_rss_mib": round(sum(now), 1),
    }
