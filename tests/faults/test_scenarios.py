"""Fault scenarios between a real field device and a real ``patroli serve``.

After every fault the invariant is the same: each report and each pushed
value is on the server exactly once (no extra revision in its history), and
the device equals the server after a final sync.
"""

from __future__ import annotations

import gzip
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from client_sqlite.store import Store
from sync.engine import SyncEngine
from tests.faults import http_log
from tests.faults.flaky import FlakyFront
from tests.faults.proxy import FaultPlan, FaultProxy
from tests.field import FieldDevice
from tests.live import PASSWORD, LiveServer, live_server
from tests.world import incident

POSTS = {"NNK": ["ofc.1", "ofc.2"]}


@pytest.fixture
def server(tmp_path: Path, backend: str):
    """A seeded live server."""
    with live_server(tmp_path, backend, POSTS) as s:
        yield s


def _views(server: LiveServer, ids: list[str]) -> dict[str, dict]:
    token = requests.post(
        f"{server.url}/api/v1/auth/token",
        json={"username": "cmd.nnk", "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    return {
        rid: requests.get(f"{server.url}/api/v1/reports/{rid}", headers=headers, timeout=10).json()
        for rid in ids
    }


def assert_exactly_once(server: LiveServer, dev: FieldDevice, expected: dict[str, dict]) -> None:
    """Every expected report once, at the expected revision, with its values; device == server."""
    result = dev.sync()
    assert result.complete, result.reason
    assert dev.store.counts()["pending"] == 0
    views = _views(server, list(expected))
    local = dev.docs()
    assert set(local) == set(expected)
    for rid, want in expected.items():
        view = views[rid]
        doc = view["report"]
        # One revision per committed change: a duplicate delivery would add one.
        assert doc["rev"] == want["rev"] == len(view["history"]), (rid, doc["rev"])
        for field, value in want["fields"].items():
            assert doc[field] == value, (rid, field)
        assert local[rid] == doc


def _offline_work(dev: FieldDevice, n: int, tag: str) -> dict[str, dict]:
    expected = {}
    for i in range(n):
        rid = dev.create(incident(title=f"{tag} {i}"))
        expected[rid] = {"rev": 1, "fields": {"title": f"{tag} {i}"}}
    return expected


def _edit_some(dev: FieldDevice, expected: dict[str, dict], tag: str) -> None:
    for i, rid in enumerate(list(expected)[:3]):
        dev.edit(rid, {"route": f"{tag} route {i}"})
        expected[rid]["rev"] += 1
        expected[rid]["fields"]["route"] = f"{tag} route {i}"


def _record_failures(session: requests.Session) -> list[str]:
    """The names of the exceptions the session's requests raise from now on."""
    failures: list[str] = []
    send = session.request

    def request(*args: Any, **kwargs: Any) -> requests.Response:
        """The session's own request, noting what it raised."""
        try:
            return send(*args, **kwargs)
        except Exception as exc:
            failures.append(type(exc).__name__)
            raise

    session.request = request  # type: ignore[method-assign]
    return failures


PLANS = {
    # connection 0 is /meta, 1 the first push.
    "drop-before-request": [FaultPlan(), FaultPlan(reject=True), FaultPlan(cut_up_after=120)],
    "truncated-response": [FaultPlan(), FaultPlan(cut_down_after=300)],
    "reset-after-commit": [FaultPlan(), FaultPlan(cut_down_after=10, reset=True)],
    "answer-after-timeout": [FaultPlan(), FaultPlan(response_delay_s=2.5)],
}


@pytest.mark.parametrize("name", list(PLANS))
def test_link_fault_during_push(server: LiveServer, tmp_path: Path, name: str) -> None:
    """A creation batch and an edit batch each cross a faulty link; all arrives exactly once."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    expected = _offline_work(dev, 6, name)
    for round_ in range(2):
        with FaultProxy(server.port, lifetime_s=60) as proxy:
            proxy.queue(*PLANS[name])
            transport = dev.transport(base_url=proxy.url, read_timeout=1.0)
            transport.session.headers["Connection"] = "close"
            failures = _record_failures(transport.session)
            result = SyncEngine(dev.store, transport).run()
            if name == "answer-after-timeout":
                # The server answers, but only after the device stopped waiting.
                assert "ReadTimeout" in failures, failures
            else:
                assert proxy.faults >= 1
        assert result.complete, result.reason
        assert transport.traffic.retries >= 1
        if round_ == 0:
            _edit_some(dev, expected, name)
    assert_exactly_once(server, dev, expected)


def test_reset_mid_upload_of_a_push(server: LiveServer, tmp_path: Path) -> None:
    """A TCP reset while a push body is half sent: nothing of it is stored, the retry lands once."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    expected = _offline_work(dev, 60, "reset mid-upload")
    with FaultProxy(server.port, lifetime_s=60, record=True) as proxy:
        proxy.queue(FaultPlan(), FaultPlan(cut_up_after=2_500, reset=True))
        transport = dev.transport(base_url=proxy.url)
        transport.session.headers["Connection"] = "close"
        result = SyncEngine(dev.store, transport).run()
        log = http_log.all_exchanges(proxy.connections)
    cut = [e for e in log if e.method == "POST" and e.body_sent < e.body_length]
    assert len(cut) == 1 and cut[0].body_sent > 0 and cut[0].status is None, log
    assert result.complete, result.reason
    assert transport.traffic.retries >= 1
    assert_exactly_once(server, dev, expected)


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_then_recovery(server: LiveServer, tmp_path: Path, status: int) -> None:
    """5xx answers are retried; a sync that gives up keeps everything for the next one."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    expected = _offline_work(dev, 5, f"http {status}")
    with FlakyFront(server.url, status, failures=2) as front:
        result = dev.sync(base_url=front.url, max_attempts=4)
        assert result.complete and front.answered_error == 2
    _edit_some(dev, expected, "after 5xx")
    with FlakyFront(server.url, status, failures=100) as front:
        result = dev.sync(base_url=front.url, max_attempts=2, max_elapsed=2)
        assert not result.complete and front.answered_error >= 1
    assert dev.store.counts()["pending"] == 3
    assert_exactly_once(server, dev, expected)


def test_server_sigkilled_mid_batch(server: LiveServer, tmp_path: Path) -> None:
    """SIGKILL of the server while a batch is on its way in, then a restart: nothing twice.

    The link is throttled and the kill fires once the second batch has begun
    to flow, so the server dies mid-sync on every machine, however fast.
    """
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    expected = _offline_work(dev, 240, "kill")
    # The first batch's size on the wire (signed ops: signatures do not
    # compress), plus room for the requests before it.
    first_batch = len(gzip.compress(orjson.dumps({"changes": dev.store.pending_ops(40)})))
    with FaultProxy(server.port, lifetime_s=60, default=FaultPlan(bandwidth_bps=8_000)) as proxy:
        killed = threading.Event()

        def kill_when_second_batch_flows() -> None:
            """Poll (bounded) until the proxy has carried more than one batch upward."""
            end = time.monotonic() + 30
            while time.monotonic() < end and proxy.bytes_up < first_batch + 1_500:
                time.sleep(0.01)
            server.kill()
            killed.set()

        killer = threading.Thread(target=kill_when_second_batch_flows, daemon=True)
        transport = dev.transport(base_url=proxy.url, max_attempts=1, max_elapsed=1)
        engine = SyncEngine(dev.store, transport)
        engine.batch = 40
        killer.start()
        first = engine.run()
        killer.join(timeout=35)
    assert killed.is_set()
    assert not first.complete
    assert 0 < first.pushed < 240
    server.start()
    assert_exactly_once(server, dev, expected)


#: A kill fires after this many bytes (either way) of the sync in progress.
#: A whole sync of the 120 reports moves about 21 kB; a run moves the work
#: on by at most what it carried (the count plus one 500-byte step of the
#: throttled link), so at least 6 runs are needed: the first 5 are killed.
KILL_AFTER_BYTES = (200, 3_000)
KILL_LINK = FaultPlan(bandwidth_bps=10_000)


def _kill_after(proxy: FaultProxy, proc: subprocess.Popen, count: int) -> bool:
    """SIGKILL ``proc`` once ``count`` more bytes crossed the proxy; False if it ended first."""
    start = proxy.bytes_up + proxy.bytes_down
    end = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < end:
        if proxy.bytes_up + proxy.bytes_down - start >= count:
            proc.kill()
            return True
        time.sleep(0.005)  # a poll interval over the proxy's counters, not an ordering
    if proc.poll() is None:
        proc.kill()
        raise AssertionError("the sync neither finished nor moved a byte for 60 s")
    return False


def test_client_sigkilled_at_random_points(server: LiveServer, tmp_path: Path) -> None:
    """``patroli field sync`` SIGKILLed mid-sync at random byte counts, then run to the end.

    The kill points are bytes of the sync carried so far, not times: a
    process still starting up is never the one killed, and a slow machine
    gets the same faults as a fast one.
    """
    db = tmp_path / "cli.sqlite3"
    rng = random.Random(2026)
    with FaultProxy(server.port, lifetime_s=120, default=KILL_LINK) as proxy:
        dev = FieldDevice.enroll(db, proxy.url, server.code_for("ofc.2"))
        expected = _offline_work(dev, 120, "sigkill")
        dev.store.close()
        kills = 0
        for _ in range(10):
            proc = subprocess.Popen(
                [sys.executable, "-m", "patroli", "field", "--db", str(db), "sync"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            killed = _kill_after(proxy, proc, rng.randint(*KILL_AFTER_BYTES))
            proc.wait(timeout=10)
            if not killed:
                assert proc.returncode == 0
                break
            kills += 1
        assert kills >= 5, kills
    device = FieldDevice(Store(db), server.url)
    result = device.sync(base_url=server.url)
    assert result.complete, result.reason
    assert_exactly_once_via(server, device, expected)


def assert_exactly_once_via(server: LiveServer, dev: FieldDevice, expected: dict) -> None:
    """``assert_exactly_once`` with the transport pointed straight at the server."""
    views = _views(server, list(expected))
    local = dev.docs()
    assert set(local) == set(expected)
    for rid, want in expected.items():
        doc = views[rid]["report"]
        assert doc["rev"] == 1 == len(views[rid]["history"])
        assert doc["title"] == want["fields"]["title"]
        assert local[rid] == doc
