"""People's writes (script tokens, web sign-ins and sign-outs, enrollment codes, revocations)
while devices push hard.

On SQLite these went through a session transaction that read first and wrote
later; with pushes committing every few milliseconds the write found its
snapshot stale and failed at once with "database is locked" (a 500). They
now take the write lock before they read (``server.db.write_session``).
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import requests

from bench import records, workload
from bench.server import Credentials
from sync.transport import Transport
from tests.live import PASSWORD, live_server
from tests.web.pages import csrf_token

LOAD_S = 4.0


def _pushers(url: str, creds: list[Credentials], until: float) -> list[threading.Thread]:
    """One thread per device pushing new reports in batches of 500 until ``until``."""

    def push(c: Credentials, seed: int) -> None:
        """Push batches until the deadline (bounded by it)."""
        ops = records.DeviceOps(c.device_id, random.Random(seed))
        while time.monotonic() < until:
            bodies = records.bodies(ops.creations(1000), 500, random.Random(seed))
            workload.push(url, [(c, bodies)], {"applied"})

    return [threading.Thread(target=push, args=(c, i), daemon=True) for i, c in enumerate(creds)]


def _sign_in_and_out(url: str) -> list[tuple[str, int]]:
    """Sign in through the form, open the queue, sign out: each step's status."""
    web = requests.Session()
    form = web.get(f"{url}/sign-in", timeout=30)
    signed_in = web.post(
        f"{url}/sign-in",
        data={"username": "cmd.nnk", "password": PASSWORD, "csrf_token": csrf_token(form.text)},
        allow_redirects=False,
        timeout=30,
    )
    queue = web.get(f"{url}/queue", allow_redirects=False, timeout=30)
    signed_out = web.post(
        f"{url}/sign-out",
        data={"csrf_token": csrf_token(queue.text)},
        allow_redirects=False,
        timeout=30,
    )
    # Both forms answer with a redirect; anything else (a 500 for a locked
    # database, a 401 for a lost session) is a failure.
    return [
        ("sign-in", 200 if signed_in.status_code == 302 else signed_in.status_code),
        ("queue", queue.status_code),
        ("sign-out", 200 if signed_out.status_code == 302 else signed_out.status_code),
    ]


def test_people_writes_succeed_while_devices_push(tmp_path: Path, backend: str) -> None:
    """Every token, sign-in, sign-out, code and revocation during a push load succeeds."""
    posts = {"NNK": ["ofc.1", "ofc.2", "ofc.3"]}
    with live_server(tmp_path, backend, posts) as server:
        creds = []
        for name in ("ofc.1", "ofc.2"):
            enrolled = Transport(server.url).enroll(server.code_for(name), f"{name} phone")
            headers = {"Authorization": f"Bearer {enrolled['token']}"}
            creds.append(Credentials(enrolled["device_id"], headers))
        spare = Transport(server.url).enroll(server.code_for("ofc.3"), "spare phone")
        until = time.monotonic() + LOAD_S
        threads = _pushers(server.url, creds, until)
        for t in threads:
            t.start()
        statuses: list[tuple[str, int]] = []
        token = None
        time.sleep(0.3)  # let the pushes get going
        while time.monotonic() < until - 0.5:
            got = requests.post(
                f"{server.url}/api/v1/auth/token",
                json={"username": "cmd.nnk", "password": PASSWORD},
                timeout=30,
            )
            statuses.append(("token", got.status_code))
            token = got.json().get("token") or token
            headers = {"Authorization": f"Bearer {token}"}
            code = requests.post(
                f"{server.url}/api/v1/devices/enrollment-codes",
                json={"username": "ofc.3"},
                headers=headers,
                timeout=30,
            )
            statuses.append(("code", code.status_code))
            statuses += _sign_in_and_out(server.url)
        revoked = requests.post(
            f"{server.url}/api/v1/devices/{spare['device_id']}/revoke",
            json={"reason": "lost at the river crossing"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        statuses.append(("revoke", revoked.status_code))
        for t in threads:
            t.join(timeout=60)
        pushed = requests.get(
            f"{server.url}/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()["total"]
    failures = [(what, status) for what, status in statuses if not 200 <= status < 300]
    assert failures == [], failures
    assert len(statuses) >= 5 and pushed >= 2_000
