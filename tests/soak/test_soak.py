"""Convergence soak: many devices over several posts, offline periods, concurrent edits,
commander reviews and conflict resolutions, link faults; then everything must agree.

Short version always runs; the long one: ``.venv/bin/pytest -m soak tests/soak -s``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.engine import SyncResult
from sync.transport import Transport
from tests.convergence import Convergence, Fleet
from tests.faults.proxy import FaultPlan, FaultProxy
from tests.field import FieldDevice
from tests.live import live_server


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


class Soak(Convergence):
    """The convergence run with faulty links in the rounds and a commander per post."""

    faulty_rounds = True

    def __init__(self, *, proxy: FaultProxy, **kwargs: Any):
        super().__init__(**kwargs)
        self.proxy = proxy
        self.figures = {"replays": 0, "conflicts": 0, "reviews": 0, "resolved": 0}
        self.commanders: dict[str, dict[str, str]] = {}

    def transport(self, dev: FieldDevice, faulty: bool) -> Transport:
        """Over the fault proxy when the link is faulty, one request per connection."""
        transport = dev.transport(base_url=self.proxy.url if faulty else self.server.url)
        transport.session.headers["Connection"] = "close"
        return transport

    def synced(self, result: SyncResult, faulty: bool) -> None:
        """A faulty link may cut a sync short; count what the syncs met."""
        assert result.complete or faulty, result.reason
        self.figures["replays"] += result.replayed
        self.figures["conflicts"] += result.conflicts

    def after_post(self, code: str) -> None:
        """The post's commander reviews or resolves something."""
        if code not in self.commanders:
            self.commanders[code] = self.person(f"cmd.{code.lower()}")
        _commander_turn(
            self.server.url, self.commanders[code], self.rng, self.shared[code], self.figures
        )


def _soak(tmp_path: Path, backend: str, size: Size) -> dict[str, int]:
    rng = random.Random(4242)
    codes = ["NNK", "DUM", "PLM", "TAR"][: size.posts]
    posts = {c: [f"ofc.{c.lower()}{i}" for i in range(size.devices_per_post)] for c in codes}
    fleet = Fleet(
        posts=posts, shared=dict.fromkeys(codes, size.shared_per_post), rounds=size.rounds
    )
    with (
        live_server(tmp_path, backend, posts) as server,
        FaultProxy(server.port, lifetime_s=1800, chooser=_chooser(rng)) as proxy,
    ):
        soak = Soak(proxy=proxy, server=server, directory=tmp_path, fleet=fleet, rng=rng)
        verdict = soak.run()
        figures = dict(soak.figures, **{"link faults": proxy.faults})
    figures.update(
        {"values pushed": verdict.sent, "edits": verdict.edits},
        lost=len(verdict.lost),
        duplicated=len(verdict.duplicated),
        divergent=len(verdict.divergent),
    )
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
