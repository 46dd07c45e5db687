"""A border post's link: slow, far away, and reset every few hundred kilobytes.

The proxy shapes the link like a 2G or satellite uplink (about 30 kbit/s,
600 ms round trip, a TCP reset every few hundred KB) between a field device
and a real ``patroli serve``.  A day's work (reports with photos) must sync
through it with progress that only moves forward and with no chunk the
server had already committed sent a second time.  The recording proxy lets
the test judge that from the bytes on the wire, not from the client's word.

The full scenario takes about half an hour and is opt-in
(``pytest -m soak tests/faults/test_field_link.py``); CI runs the same
scenario with the link and the data scaled down together.  Only SQLite:
what is under test is the link, and the backends have their own fault
scenarios.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from client_sqlite import attachments
from patroli import demo_data
from sync.engine import SyncEngine
from tests.faults import http_log
from tests.faults.proxy import FaultPlan, FaultProxy
from tests.field import FieldDevice
from tests.live import PASSWORD, LiveServer, live_server

POSTS = {"NNK": ["ofc.1"]}


@dataclass(frozen=True)
class Link:
    """A day's work and the link it goes over."""

    reports: int
    photos: int
    photo_bytes: int
    bandwidth_bps: int  # bytes per second, each way
    round_trip_s: float
    reset_every: tuple[int, int]  # bytes on one connection before its reset, low..high
    chunk: int | None  # bytes per blob PUT; None: sized to the link by the uploader
    lifetime_s: float


# 30 kbit/s = 3,750 bytes/s; 100 reports with 20 photos of ~300 KB.
FIELD = Link(100, 20, 300_000, 3_750, 0.6, (200_000, 400_000), None, 3_600)
# The same shape at a tenth of the data and ten times the bandwidth; the
# chunk is fixed at what the uploader picks on the full link (~8 s of it).
SCALED = Link(10, 2, 30_000, 37_500, 0.6, (20_000, 40_000), 8 * 1024, 240)


def _record_day(dev: FieldDevice, link: Link, tmp_path: Path) -> tuple[list[str], int]:
    """Reports and photos recorded offline; returns the photos' hashes and the raw bytes."""
    rng = random.Random(30)
    raw, ids = 0, []
    for _ in range(link.reports):
        kind, fields = demo_data.report(rng, "NNK")
        ids.append(dev.create(fields, kind=kind))
        raw += len(json.dumps(fields).encode())
    photos = []
    for n in range(link.photos):
        path = tmp_path / f"evidence-{n}.jpg"
        path.write_bytes(rng.randbytes(link.photo_bytes))
        photos.append(attachments.attach(dev.store, ids[n * len(ids) // link.photos], path))
        raw += link.photo_bytes
    return photos, raw


class ProgressLog:
    """Every progress call of the engine, to check it never moves back."""

    def __init__(self) -> None:
        """An empty log."""
        self.calls: list[tuple[str, int, int | None]] = []

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        """Record one call."""
        self.calls.append((phase, done, total))

    def backwards(self) -> list[tuple[str, int, int]]:
        """Places where a phase's count went down: (phase, before, after)."""
        last: dict[str, int] = {}
        found = []
        for phase, done, _ in self.calls:
            if done < last.get(phase, 0):
                found.append((phase, last[phase], done))
            last[phase] = done
        return found


def _sync_over(link: Link, server: LiveServer, dev: FieldDevice) -> dict:
    """Sync the device through the shaped link until all is delivered (a few runs at most)."""
    rng = random.Random(600)
    plan = {
        "bandwidth_bps": link.bandwidth_bps,
        "latency_s": link.round_trip_s / 2,
        "reset": True,
    }

    def choose(_index: int) -> FaultPlan:
        """Each connection is reset after a few hundred KB (scaled) each way."""
        return FaultPlan(
            cut_up_after=rng.randint(*link.reset_every),
            cut_down_after=rng.randint(*link.reset_every),
            **plan,
        )

    progress, runs, results = ProgressLog(), 0, []
    started = time.monotonic()
    with FaultProxy(
        server.port, chooser=choose, lifetime_s=link.lifetime_s, idle_timeout_s=60, record=True
    ) as proxy:
        transport = dev.transport(
            base_url=proxy.url, max_attempts=10, max_elapsed=link.lifetime_s / 4
        )
        while runs < 4 and not (results and results[-1].complete):
            engine = SyncEngine(dev.store, transport, progress=progress)
            engine.blob_chunk_size = link.chunk
            results.append(engine.run())
            runs += 1
        transport.session.close()  # let the kept-alive connection go, so the proxy is idle
        proxy.wait_idle(5)
    return {
        "results": results,
        "progress": progress,
        "seconds": time.monotonic() - started,
        "up": proxy.bytes_up,
        "down": proxy.bytes_down,
        "resets": proxy.faults,
        "log": http_log.all_exchanges(proxy.connections),
    }


def _commander(server: LiveServer) -> dict[str, str]:
    """Authorization for the NNK commander."""
    token = requests.post(
        f"{server.url}/api/v1/auth/token",
        json={"username": "cmd.nnk", "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _field_day(link: Link, tmp_path: Path) -> None:
    with live_server(tmp_path, "sqlite", POSTS) as server:
        dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
        photos, raw = _record_day(dev, link, tmp_path)
        run = _sync_over(link, server, dev)
        last = run["results"][-1]
        assert last.complete, last.reason
        assert dev.store.counts()["pending"] == 0
        assert run["resets"] >= 2, "the link should have been reset on the way"
        assert run["progress"].backwards() == []
        uploads = [c for c in run["progress"].calls if c[0] == "upload"]
        assert uploads and uploads[-1][1] == uploads[-1][2] == link.photos * link.photo_bytes
        resent = {sha: http_log.resent_committed_chunks(run["log"], sha) for sha in photos}
        assert all(chunks == [] for chunks in resent.values()), resent
        headers = _commander(server)
        for sha in photos:
            got = requests.get(f"{server.url}/api/v1/blobs/{sha}", headers=headers, timeout=30)
            assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha
        listed = requests.get(f"{server.url}/api/v1/reports?limit=500", headers=headers, timeout=30)
        assert listed.json()["total"] == link.reports
    put_body = sum(e.body_sent for e in run["log"] if e.method == "PUT")
    wire = run["up"] + run["down"]
    print(
        f"\nfield link: {link.reports} reports + {link.photos} photos of {link.photo_bytes:,} B"
        f" at {link.bandwidth_bps * 8 / 1000:.0f} kbit/s, {link.round_trip_s * 1000:.0f} ms RTT:"
        f" {run['seconds']:.1f} s in {len(run['results'])} sync run(s), {run['resets']} resets;"
        f" wire {wire:,} B = {wire / raw:.2f}x raw {raw:,} B"
        f" (up {run['up']:,}, down {run['down']:,});"
        f" photo bytes sent {put_body:,} = {put_body / (link.photos * link.photo_bytes):.3f}x"
    )


def test_field_link_scaled(tmp_path: Path) -> None:
    """The field-link scenario at a tenth of the data and ten times the bandwidth."""
    _field_day(SCALED, tmp_path)


@pytest.mark.soak
@pytest.mark.timeout(3_900)
def test_field_link_full(tmp_path: Path) -> None:
    """100 reports and 20 photos of 300 KB over 30 kbit/s, 600 ms, resets (~30 minutes)."""
    _field_day(FIELD, tmp_path)
