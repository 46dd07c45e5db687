"""People's writes (script tokens, web sign-ins and sign-outs, enrollment codes, revocations)
while devices push hard.

On SQLite these went through a session transaction that read first and wrote
later; with pushes committing every few milliseconds the write found its
snapshot stale and failed at once with "database is locked" (a 500). They
now take the write lock before they read (``server.infra.transactions.write_session``).
"""

from __future__ import annotations

import random
import threading
from pathlib import Path

import requests

from bench import records, workload
from bench.server import Credentials
from sync.transport import Transport
from tests.live import PASSWORD, live_server
from tests.web.pages import csrf_token

#: Rounds of people's writes; after each, the test waits for more pushes to land.
PEOPLE_ROUNDS = 3
BATCH = 500
#: A bound on each pusher (it stops when told to, long before this).
MAX_BATCHES = 200


class _Pushers:
    """One thread per device pushing new reports in batches until told to stop."""

    def __init__(self, url: str, creds: list[Credentials]):
        self.url, self.creds = url, creds
        self.stop = threading.Event()
        self.landed = threading.Condition()
        self.batches = 0
        self.errors: list[BaseException] = []
        self.threads = [
            threading.Thread(target=self._push, args=(c, i), daemon=True)
            for i, c in enumerate(creds)
        ]

    def _push(self, c: Credentials, seed: int) -> None:
        ops, rng = records.DeviceOps(c.device_id, random.Random(seed)), random.Random(seed)
        try:
            for _ in range(MAX_BATCHES):
                if self.stop.is_set():
                    return
                bodies = records.bodies(ops.creations(BATCH), BATCH, rng)
                workload.push(self.url, [(c, bodies)], {"applied"})
                with self.landed:
                    self.batches += 1
                    self.landed.notify_all()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.errors.append(exc)
        finally:
            with self.landed:
                self.landed.notify_all()

    def wait_for(self, batches: int) -> None:
        """Block until ``batches`` batches have landed in all (bounded in time)."""
        with self.landed:
            arrived = self.landed.wait_for(
                lambda: self.batches >= batches or bool(self.errors), timeout=120
            )
        assert arrived and not self.errors, (self.batches, self.errors)


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
        pushers = _Pushers(server.url, creds)
        for t in pushers.threads:
            t.start()
        statuses: list[tuple[str, int]] = []
        token = None
        # Each round starts once more pushes have landed, so the people's
        # writes always meet a push load however fast or slow the machine.
        for _ in range(PEOPLE_ROUNDS):
            pushers.wait_for(pushers.batches + len(creds))
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
        pushers.stop.set()
        for t in pushers.threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in pushers.threads)
        pushed = requests.get(
            f"{server.url}/api/v1/reports", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).json()["total"]
    failures = [(what, status) for what, status in statuses if not 200 <= status < 300]
    assert failures == [], failures
    assert pushers.errors == []
    assert len(statuses) == PEOPLE_ROUNDS * 5 + 1
    # Every batch that landed is there in full (a count, not a speed).
    assert pushed == pushers.batches * BATCH
