"""Push throughput: new ~1 KB reports per second over HTTP into a fresh SQLite server."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bench.records import report_fields
from sync import hlc as H


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _patroli(env: dict[str, str], *args: str) -> str:
    out = subprocess.run([sys.executable, "-m", "patroli", *args], env=env, check=True,
                         capture_output=True, text=True)
    return out.stdout


def bench_env(workdir: Path) -> dict[str, str]:
    """The environment of the benchmark's server and admin commands."""
    return dict(os.environ, PATROLI_DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
                PATROLI_SECRET_KEY="bench")


def enroll_code(workdir: Path, officer: str) -> str:
    """Add an NNK officer and return a fresh enrollment code for them."""
    env = bench_env(workdir)
    _patroli(env, "admin", "add-user", officer, "--role", "officer", "--post", "NNK")
    return _patroli(env, "admin", "enroll-code", officer).strip().splitlines()[-1]


def start_server(workdir: Path) -> tuple[subprocess.Popen, str, dict[str, str]]:
    """Seed a post and an officer, start ``patroli serve``; return it, its URL and device auth."""
    env = bench_env(workdir)
    _patroli(env, "admin", "add-post", "NNK", "Nunukan")
    code = enroll_code(workdir, "ofc.bench")
    port = _free_port()
    log = open(workdir / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([sys.executable, "-m", "patroli", "serve", "--port", str(port)],
                            env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(url + "/healthz", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    enrolled = requests.post(url + "/api/v1/devices/enroll", timeout=10,
                             json={"enrollment_code": code, "device_name": "bench"}).json()
    return proc, url, {"Authorization": f"Bearer {enrolled['token']}",
                       "device_id": enrolled["device_id"]}


def run(total: int = 20_000, batch: int = 500) -> dict[str, float]:
    """Push ``total`` new reports in batches; return reports/s and payload size."""
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, auth = start_server(Path(tmp))
        device_id = auth.pop("device_id")
        try:
            clock = None
            bodies = []
            for start in range(0, total, batch):
                changes = []
                for _ in range(min(batch, total - start)):
                    clock = H.tick(clock, device_id)
                    changes.append({"op_id": str(uuid.uuid4()), "report_id": str(uuid.uuid4()),
                                    "base_rev": None, "hlc": str(clock),
                                    "fields": report_fields(rng)})
                bodies.append(json.dumps({"batch_id": str(uuid.uuid4()), "changes": changes}))
            session = requests.Session()
            headers = auth | {"Content-Type": "application/json"}
            t0 = time.perf_counter()
            for body in bodies:
                resp = session.post(url + "/api/v1/sync/push", data=body, headers=headers,
                                    timeout=120)
                resp.raise_for_status()
            elapsed = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    per_report = sum(len(b) for b in bodies) / total
    return {"reports": total, "batch": batch, "seconds": round(elapsed, 3),
            "reports_per_s": round(total / elapsed), "bytes_per_report": round(per_report)}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
