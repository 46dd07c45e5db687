"""The convergence harness shared by the simulation (tests/e2e) and the soak (tests/soak).

Devices of several posts edit their post's shared reports offline, round
after round, and sync when they have a link; at the end every device syncs
twice and everything must agree: each device equals the server, no
revision is in a history twice, and every value that went on the wire is
either in the history or kept aside in a conflict record.  The soak adds
faulty links and commanders through the hooks of ``Convergence``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from sync import units as U
from sync.engine import SyncEngine, SyncResult
from sync.transport import Transport
from tests.field import FieldDevice
from tests.live import PASSWORD, LiveServer
from tests.world import incident


class Recorder:
    """Wraps a device's push to remember every unit value that went on the wire."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def wrap(self, transport: Transport) -> Transport:
        """Record the op units of every batch the transport pushes."""
        push = transport.push

        def recording_push(batch: dict, timeout: float | None = None) -> dict:
            for op in batch["changes"]:
                for unit, value in U.expand(op["fields"]).items():
                    self.sent.append((op["report_id"], unit, json.dumps(value, sort_keys=True)))
            return push(batch, timeout)

        transport.push = recording_push  # type: ignore[method-assign]
        return transport


def random_edit(rng: random.Random, name: str, n: int) -> dict[str, Any]:
    """One offline edit: a text field, or a person added, changed or removed."""
    choice = rng.randrange(5)
    tag = f"{name}#{n}"
    if choice == 0:
        return {"narrative": f"narrative by {tag}"}
    if choice == 1:
        return {"route": f"route {tag}"}
    if choice == 2:
        return {"title": f"title {tag}"}
    person = f"p{rng.randrange(3)}"
    if choice == 3:
        return {f"persons.{person}": {"role": "witness", "note": f"seen by {tag}"}}
    return {f"persons.{person}": None}


@dataclass(frozen=True, kw_only=True)
class Fleet:
    """Who takes part: officers per post, shared reports per post, and how many rounds."""

    posts: dict[str, list[str]]
    shared: dict[str, int]
    rounds: int


@dataclass(kw_only=True)
class Verdict:
    """What a run left behind; a sound server leaves the three lists empty."""

    edits: int
    sent: int
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    divergent: list[str] = field(default_factory=list)
    #: Reports with at least one conflict record: the run did exercise rule 3.
    conflicted: int = 0


class Convergence:
    """One run of the fleet against a live server; subclasses add faults and people."""

    #: Whether syncs during the rounds go over a faulty link (seeding and the
    #: final syncs never do).
    faulty_rounds = False

    def __init__(self, *, server: LiveServer, directory: Path, fleet: Fleet, rng: random.Random):
        self.server, self.directory, self.fleet, self.rng = server, directory, fleet, rng
        self.recorder = Recorder()
        self.devices: dict[str, FieldDevice] = {}
        self.shared: dict[str, list[str]] = {}
        self.edits = 0

    # -- hooks --

    def transport(self, dev: FieldDevice, faulty: bool) -> Transport:
        """The transport of one sync (straight to the server here)."""
        return dev.transport()

    def synced(self, result: SyncResult, faulty: bool) -> None:
        """Check one sync's result; every sync over a sound link completes."""
        assert result.complete, result.reason

    def after_post(self, code: str) -> None:
        """Called once per round after the officers of post ``code`` had their turn."""

    # -- the run --

    def run(self) -> Verdict:
        """Enroll, share, edit and sync in rounds, settle; then judge the end state."""
        for names in self.fleet.posts.values():
            for name in names:
                path = self.directory / f"{name}.sqlite3"
                code = self.server.code_for(name)
                self.devices[name] = FieldDevice.enroll(path, self.server.url, code)
        for code, names in self.fleet.posts.items():
            creator = self.devices[names[0]]
            self.shared[code] = [
                creator.create(incident(title=f"{code} shared {i}"))
                for i in range(self.fleet.shared[code])
            ]
            self.sync(creator, faulty=False)
            for name in names:
                self.sync(self.devices[name], faulty=False)
        for _ in range(self.fleet.rounds):
            self._round()
        for _ in range(2):
            for dev in self.devices.values():
                self.sync(dev, faulty=False)
        return self._verdict(self._views())

    def sync(self, dev: FieldDevice, *, faulty: bool) -> None:
        """One sync of ``dev``, every push recorded."""
        transport = self.recorder.wrap(self.transport(dev, faulty))
        self.synced(SyncEngine(dev.store, transport).run(), faulty)

    def _round(self) -> None:
        for code, names in self.fleet.posts.items():
            for name in names:
                for _ in range(self.rng.randrange(4)):
                    self.edits += 1
                    edit = random_edit(self.rng, name, self.edits)
                    self.devices[name].edit(self.rng.choice(self.shared[code]), edit)
                if self.rng.random() < 0.5:  # this device has a link this round
                    self.sync(self.devices[name], faulty=self.faulty_rounds)
            self.after_post(code)

    def person(self, username: str) -> dict[str, str]:
        """A bearer header for a person of the seeded world."""
        token = requests.post(
            f"{self.server.url}/api/v1/auth/token",
            json={"username": username, "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        return {"Authorization": f"Bearer {token}"}

    def _views(self) -> dict[str, dict[str, Any]]:
        admin = self.person("admin")
        return {
            rid: requests.get(
                f"{self.server.url}/api/v1/reports/{rid}", headers=admin, timeout=10
            ).json()
            for ids in self.shared.values()
            for rid in ids
        }

    def _verdict(self, views: dict[str, dict[str, Any]]) -> Verdict:
        verdict = Verdict(edits=self.edits, sent=len(self.recorder.sent))
        for code, names in self.fleet.posts.items():
            for name in names:
                local = self.devices[name].docs()
                if set(local) != set(self.shared[code]) or any(
                    local[rid] != views[rid]["report"] for rid in self.shared[code]
                ):
                    verdict.divergent.append(name)
        for rid, view in views.items():
            revs = [h["rev"] for h in view["history"]]
            if len(revs) != len(set(revs)) or view["report"]["rev"] != len(revs):
                verdict.duplicated.append(rid)
            verdict.conflicted += bool(view["conflicts"])
        verdict.lost = [
            f"{unit}={value} of {rid}"
            for rid, unit, value in self.recorder.sent
            if not _kept(views[rid], unit, value)
        ]
        return verdict


def _kept(view: dict[str, Any], unit: str, value: str) -> bool:
    """Whether a value sent for ``unit`` is in the report's history or kept aside."""
    history = [h for h in view["history"] if unit in h["changes"]]
    if value in (json.dumps(h["changes"][unit], sort_keys=True) for h in history):
        return True
    if value in (
        json.dumps(c["lost"], sort_keys=True) for c in view["conflicts"] if c["field"] == unit
    ):
        return True
    # Removing an element that was absent when the removal arrived is a
    # no-op (merge rule 2): absent before its first write counts.
    return value == "null" and (not history or history[0]["rev"] > 1)
