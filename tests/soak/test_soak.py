"""Convergence soak: many devices over several posts, offline periods, concurrent edits,
commander reviews and conflict resolutions, link faults; then everything must agree.

Short version always runs; the long one: ``.venv/bin/pytest -m soak tests/soak -s``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from sync.engine import SyncEngine
from tests.e2e.test_simulation import Recorder, _random_edit
from tests.faults.proxy import FaultPlan, FaultProxy
from tests.field import FieldDevice
from tests.live import PASSWORD, live_server
from tests.world import incident


@dataclass
class Size:
    """How big a soak is."""

    posts: int
    devices_per_post: int
    shared_per_post: int
    rounds: int


SHORT = Size(posts=3, devices_per_post=3, shared_per_post=3, rounds=4)
LONG = Size(posts=3, devices_per_post=17, shared_per_post=8, rounds=30)


def _chooser(rng: random.Random):
    plans = [FaultPlan(cut_down_after=40), FaultPlan(reject=True), FaultPlan(cut_up_after=200)]

    def choose(index: int) -> FaultPlan | None:
        return rng.choice(plans) if rng.random() < 0.08 else None

    return choose


def _soak(tmp_path: Path, backend: str, size: Size) -> dict[str, int]:
    rng = random.Random(4242)
    codes = ["NNK", "DUM", "PLM", "TAR"][: size.posts]
    posts = {c: [f"ofc.{c.lower()}{i}" for i in range(size.devices_per_post)] for c in codes}
    figures = {"values pushed": 0, "replays": 0, "conflicts": 0, "reviews": 0, "resolved": 0}
    with (
        live_server(tmp_path, backend, posts) as server,
        FaultProxy(server.port, lifetime_s=1800, chooser=_chooser(rng)) as proxy,
    ):
        devices = {
            n: FieldDevice.enroll(tmp_path / f"{n}.sqlite3", server.url, server.code_for(n))
            for names in posts.values()
            for n in names
        }
        recorder = Recorder()

        def sync(dev: FieldDevice, faulty: bool) -> None:
            transport = recorder.wrap(dev.transport(base_url=proxy.url if faulty else server.url))
            transport.session.headers["Connection"] = "close"
            result = SyncEngine(dev.store, transport).run()
            assert result.complete or faulty, result.reason
            figures["replays"] += result.replayed
            figures["conflicts"] += result.conflicts

        def person(name: str) -> dict[str, str]:
            token = requests.post(
                f"{server.url}/api/v1/auth/token",
                json={"username": name, "password": PASSWORD},
                timeout=10,
            ).json()["token"]
            return {"Authorization": f"Bearer {token}"}

        shared: dict[str, list[str]] = {}
        for code, names in posts.items():
            creator = devices[names[0]]
            shared[code] = [
                creator.create(incident(title=f"{code} shared {i}"))
                for i in range(size.shared_per_post)
            ]
            sync(creator, False)
            for n in names:
                sync(devices[n], False)
        commanders = {code: person(f"cmd.{code.lower()}") for code in codes}
        edits = 0
        for _ in range(size.rounds):
            for code, names in posts.items():
                for n in names:
                    for _ in range(rng.randrange(4)):
                        edits += 1
                        devices[n].edit(rng.choice(shared[code]), _random_edit(rng, n, edits))
                    if rng.random() < 0.5:
                        sync(devices[n], faulty=True)
                _commander_turn(server.url, commanders[code], rng, shared[code], figures)
        for _ in range(2):
            for dev in devices.values():
                sync(dev, False)
        figures["values pushed"] = len(recorder.sent)
        admin = person("admin")
        views = {
            rid: requests.get(
                f"{server.url}/api/v1/reports/{rid}", headers=admin, timeout=10
            ).json()
            for ids in shared.values()
            for rid in ids
        }
        divergent = 0
        duplicated = 0
        for code, names in posts.items():
            for n in names:
                local = devices[n].docs()
                if set(local) != set(shared[code]) or any(
                    local[r] != views[r]["report"] for r in shared[code]
                ):
                    divergent += 1
        for view in views.values():
            revs = [h["rev"] for h in view["history"]]
            duplicated += len(revs) - len(set(revs)) + (view["report"]["rev"] != len(revs))
        lost = 0
        for rid, unit, value in recorder.sent:
            view = views[rid]
            history = [h for h in view["history"] if unit in h["changes"]]
            written = [json.dumps(h["changes"][unit], sort_keys=True) for h in history]
            aside = [
                json.dumps(c["lost"], sort_keys=True)
                for c in view["conflicts"]
                if c["field"] == unit
            ]
            # Removing an element that was absent when the removal arrived is a
            # no-op (merge rule 2): absent before its first write counts.
            absent_once = value == "null" and (not history or history[0]["rev"] > 1)
            if not (value in written or value in aside or absent_once):
                lost += 1
        figures.update(lost=lost, duplicated=duplicated, divergent=divergent, edits=edits)
        figures["link faults"] = proxy.faults
    print("\nsoak figures:", figures)
    return figures


def _commander_turn(
    url: str, headers: dict[str, str], rng: random.Random, ids: list[str], figures: dict
) -> None:
    """Sometimes review a shared report, sometimes resolve one of its open conflicts."""
    rid = rng.choice(ids)
    view = requests.get(f"{url}/api/v1/reports/{rid}", headers=headers, timeout=10).json()
    if rng.random() < 0.3:
        resp = requests.post(
            f"{url}/api/v1/reports/{rid}/review",
            json={"status": "in_review", "note": "seen", "rev": view["report"]["rev"]},
            headers=headers,
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        figures["reviews"] += 1
    open_ = [c for c in view["conflicts"] if c["status"] == "open"]
    if open_ and rng.random() < 0.5:
        resp = requests.post(
            f"{url}/api/v1/conflicts/{open_[0]['id']}/resolve",
            json={"choose": rng.choice(["kept", "lost"])},
            headers=headers,
            timeout=10,
        )
        assert resp.status_code in (200, 409), resp.text
        figures["resolved"] += resp.status_code == 200


def _check(figures: dict[str, int]) -> None:
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["divergent"] == 0
    assert figures["values pushed"] > 0 and figures["edits"] > 20


def test_soak_short(tmp_path: Path, backend: str) -> None:
    """About 10 devices, a few hundred ops: nothing lost, duplicated or divergent."""
    _check(_soak(tmp_path, backend, SHORT))


@pytest.mark.soak
def test_soak_long(tmp_path: Path, backend: str) -> None:
    """51 devices over 3 posts, thousands of ops: nothing lost, duplicated or divergent."""
    _check(_soak(tmp_path, backend, LONG))
