"""Optional comparison with Kinto (memory backend) on the same records.

Kinto is a JSON storage and sync server (Mozilla); its memory backend is
the fastest it gets.  When the ``kinto`` command is installed (``pip install
kinto``, or ``--kinto-bin`` pointing into another virtualenv), the suite
starts it on 127.0.0.1 with one process, allows batches as large as ours,
PUTs the same report documents through its ``/batch`` endpoint and pulls
them back with ``_since`` paging, then prints our rates over theirs.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import requests

from bench.server import free_port

BUCKET, COLLECTION = "patroli", "reports"

_INI = """\
[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}
threads = 4

[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.memory
kinto.storage_url =
kinto.cache_backend = kinto.core.cache.memory
kinto.cache_url =
kinto.permission_backend = kinto.core.permission.memory
kinto.permission_url =
kinto.userid_hmac_secret = patroli-bench
multiauth.policies = basicauth
multiauth.policy.basicauth.use = kinto.core.authentication.BasicAuthAuthenticationPolicy
kinto.bucket_create_principals = system.Authenticated
kinto.batch_max_requests = {batch}
kinto.paginate_by = {page}

[loggers]
keys = root

[handlers]
keys = console

[formatters]
keys = plain

[logger_root]
level = WARNING
handlers = console

[handler_console]
class = StreamHandler
args = (sys.stderr,)
formatter = plain

[formatter_plain]
format = %(message)s
"""


def find(explicit: str | None) -> str | None:
    """The ``kinto`` command: ``explicit``, next to this Python, or on PATH."""
    if explicit:
        return explicit
    beside = Path(sys.executable).with_name("kinto")
    if beside.exists():
        return str(beside)
    return shutil.which("kinto")


def _start(kinto: str, workdir: Path, batch: int, page: int) -> tuple[subprocess.Popen, str]:
    """Start Kinto with our settings; its process and base URL."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    ini = workdir / "kinto.ini"
    ini.write_text(_INI.format(port=port, batch=batch, page=page))
    with open(workdir / "kinto.log", "ab") as log:
        proc = subprocess.Popen(
            [kinto, "start", "--ini", str(ini)], stdout=log, stderr=log, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kinto exited; see {workdir / 'kinto.log'}")
        try:
            if requests.get(url + "/", timeout=1).status_code == 200:
                return proc, url
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError("kinto did not start in 60 s")


def _stop(proc: subprocess.Popen) -> None:
    """Stop Kinto's process group."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _batches(bodies: list[bytes]) -> list[bytes]:
    """Our push bodies as Kinto batch requests: one PUT of each report document."""
    path = f"/buckets/{BUCKET}/collections/{COLLECTION}/records/"
    out = []
    for body in bodies:
        changes = orjson.loads(body)["changes"]
        requests_ = [
            {"method": "PUT", "path": path + c["report_id"], "body": {"data": c["fields"]}}
            for c in changes
        ]
        out.append(orjson.dumps({"requests": requests_}))
    return out


def _post_all(url: str, headers: dict[str, str], payloads: list[bytes], errors: list[str]) -> None:
    """Post Kinto batch payloads one after another; record a refusal in ``errors``."""
    session = requests.Session()
    for payload in payloads:
        resp = session.post(f"{url}/batch", data=payload, headers=headers, timeout=300)
        if resp.status_code != 200 or any(r["status"] >= 400 for r in resp.json()["responses"]):
            errors.append(resp.text[:300])
            return


def compare(
    kinto: str, workdir: Path, bodies: list[bytes], clients: int, page: int, ours: dict[str, Any]
) -> dict[str, Any]:
    """Push ``bodies``' reports into Kinto and pull them back; both rates and ours over theirs.

    As for Patroli, ``clients`` threads post batches at the same time.
    """
    batch = max(len(orjson.loads(b)["changes"]) for b in bodies)
    payloads = _batches(bodies)
    records = sum(len(orjson.loads(b)["changes"]) for b in bodies)
    proc, url = _start(kinto, workdir, batch, page)
    auth = "Basic " + base64.b64encode(b"bench:bench").decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    session = requests.Session()
    try:
        session.put(f"{url}/buckets/{BUCKET}", headers=headers, timeout=30).raise_for_status()
        session.put(
            f"{url}/buckets/{BUCKET}/collections/{COLLECTION}", headers=headers, timeout=30
        ).raise_for_status()
        errors: list[str] = []
        threads = [
            threading.Thread(target=_post_all, args=(url, headers, payloads[i::clients], errors))
            for i in range(clients)
        ]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        push_s = time.perf_counter() - start
        if errors:
            raise RuntimeError(f"kinto refused a batch: {errors[0]}")
        start = time.perf_counter()
        pulled, next_url = 0, f"{url}/buckets/{BUCKET}/collections/{COLLECTION}/records?_since=0"
        while next_url:
            resp = session.get(next_url, headers=headers | {"Accept-Encoding": "gzip"}, timeout=300)
            resp.raise_for_status()
            pulled += len(orjson.loads(resp.content)["data"])
            next_url = resp.headers.get("Next-Page")
        pull_s = time.perf_counter() - start
    finally:
        _stop(proc)
    push_rate, pull_rate = records / push_s, pulled / pull_s
    return {
        "records": records,
        "batch": batch,
        "push_per_s": round(push_rate),
        "pull_per_s": round(pull_rate),
        "patroli_push_per_s": ours["push_500"]["per_s"],
        "patroli_pull_per_s": ours["pull_full"]["per_s"],
        "push_ratio": round(ours["push_500"]["per_s"] / push_rate, 2),
        "pull_ratio": round(ours["pull_full"]["per_s"] / pull_rate, 2),
    }
