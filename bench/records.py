"""Realistic ~1 KB report documents and the push bodies that carry them.

Everything is drawn from a seeded ``random.Random``, so two runs (and the
HTTP measures and the limits of one run) work on the same records.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from sync.hlc import HLC, tick

ROUTES = [
    "Aji Kuning footpath, Sebatik",
    "Sungai Pancang, Sebatik",
    "Sebuku river",
    "Pelabuhan Tunon Taka",
]
MODUS = [
    "fake_job_offer",
    "posing_as_tourist",
    "posing_as_student",
    "transit_route",
    "unofficial_crossing",
]


PLACES = [
    "Aji Kuning",
    "Sungai Pancang",
    "Tunon Taka",
    "Sei Menggaris",
    "Simanggaris",
    "Lumbis",
    "Pulau Sebatik",
    "Mansalong",
]
SENTENCES = [
    "Patrol met a group of {n} at the {place} landing shortly after {hour}:00.",
    "They said an agent called {name} promised work on a plantation in Tawau.",
    "The agent asked each of them for {money} rupiah for the crossing and the papers.",
    "Two of the women carried no passport; one said hers was kept by the sponsor.",
    "The boat left from {place} without a harbour master's clearance.",
    "Officers checked stay permits at a workers' camp near {place}; {n} had none.",
    "The group was taken to the post for interviews and the shelter was informed.",
    "A minor travelling alone was referred to the social affairs office.",
    "The route along the river is used at night when the water is high.",
    "The sponsor's phone number and the boat's registration were recorded.",
    "Villagers reported a car waiting on the road to {place} for several nights.",
    "No one was found on the route; footprints near the border marker were fresh.",
]


def narrative(rng: random.Random) -> str:
    """Three to six sentences of a typical narrative, with varying details."""
    fill = {
        "n": rng.randint(2, 14),
        "place": rng.choice(PLACES),
        "hour": rng.randint(18, 23),
        "name": f"{rng.choice(['Pak', 'Bu', 'Mr'])} {rng.choice(['Anto', 'Rudi', 'Sari'])}"
        f"{rng.randint(1, 99)}",
        "money": f"{rng.randint(2, 30)}.{rng.randint(0, 9)}00.000",
    }
    picked = rng.sample(SENTENCES, rng.randint(3, 6))
    return " ".join(s.format(**fill) for s in picked)


def _element_id(rng: random.Random) -> str:
    """A 12-hex-digit element id."""
    return uuid.UUID(int=rng.getrandbits(128)).hex[:12]


def person(rng: random.Random) -> dict[str, Any]:
    """One person element."""
    return {
        "role": rng.choice(["victim", "victim", "suspect", "witness"]),
        "sex": rng.choice(["F", "M"]),
        "age": rng.randint(14, 55),
        "nationality": "ID",
        "name": f"Person {rng.randint(1, 99999)}",
    }


def action(rng: random.Random) -> dict[str, Any]:
    """One action element."""
    return {
        "type": rng.choice(["referred", "rescued", "investigated", "warned"]),
        "agency": rng.choice(["POLRI", "BP2MI", "DISNAKER", "IMIGRASI"]),
        "note": f"Case file {rng.randint(100, 999)}/{rng.choice(PLACES)}/{rng.randint(1, 12)}",
    }


def report_fields(rng: random.Random) -> dict[str, Any]:
    """One incident report of about 1 KB of JSON."""
    persons = {_element_id(rng): person(rng) for _ in range(rng.randint(1, 3))}
    actions = {_element_id(rng): action(rng) for _ in range(rng.randint(0, 2))}
    return {
        "kind": "incident",
        "occurred_at": f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:00+08:00",
        "title": f"Group of {rng.randint(2, 12)} crossing at night near the river",
        "location": {
            "lat": round(4.1 + rng.random() / 10, 5),
            "lon": round(117.6 + rng.random() / 5, 5),
            "accuracy_m": rng.choice([5, 10, 15, 30]),
            "place": f"{rng.choice(PLACES)}, Sebatik",
        },
        "route": rng.choice(ROUTES),
        "narrative": narrative(rng),
        "modus": rng.sample(MODUS, 2),
        "destination_country": "MY",
        "agencies": ["IMIGRASI", "TNI"],
        "persons": persons,
        "actions": actions,
    }


def edit_fields(rng: random.Random, step: int) -> dict[str, Any]:
    """A typical follow-up edit; consecutive steps touch different units."""
    choice = step % 3
    if choice == 0:
        return {"narrative": narrative(rng)}
    if choice == 1:
        return {"route": rng.choice(ROUTES), "agencies": ["IMIGRASI", "TNI", "POLRI"]}
    return {f"persons.{_element_id(rng)}": person(rng)}


@dataclass
class DeviceOps:
    """Ops of one device: fresh op ids and a strictly growing HLC."""

    device_id: str
    rng: random.Random
    clock: HLC | None = None
    created: list[str] = field(default_factory=list)

    def op(self, report_id: str, fields: dict[str, Any], base_rev: int | None) -> dict[str, Any]:
        """One change."""
        self.clock = tick(self.clock, self.device_id)
        return {
            "op_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "report_id": report_id,
            "base_rev": base_rev,
            "hlc": str(self.clock),
            "fields": fields,
        }

    def creations(self, count: int) -> list[dict[str, Any]]:
        """``count`` new reports."""
        out = []
        for _ in range(count):
            report_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            self.created.append(report_id)
            out.append(self.op(report_id, report_fields(self.rng), None))
        return out

    def edits(self, report_ids: list[str], base_rev: int, step: int) -> list[dict[str, Any]]:
        """One edit of each report, all made on revision ``base_rev``."""
        return [self.op(rid, edit_fields(self.rng, step), base_rev) for rid in report_ids]


def bodies(changes: list[dict[str, Any]], batch: int, rng: random.Random) -> list[bytes]:
    """Push request bodies of ``batch`` changes each, as JSON bytes."""
    out = []
    for start in range(0, len(changes), batch):
        batch_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        out.append(orjson.dumps({"batch_id": batch_id, "changes": changes[start : start + batch]}))
    return out
