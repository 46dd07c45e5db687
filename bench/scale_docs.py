"""Realistic national-scale report documents and the signed ops that carry them.

Twenty border posts, five report kinds in the proportions a year of field
work gives, one to three persons per report, a narrative of about sixty
words, occurrence dates over two years, the five destinations and modus
sets of DESIGN §1, and a location near the post on the kinds that have
one (so the GeoJSON export has features).  Ids are UUIDv7, as the
reference clients mint them; every op is signed with the device's ES256
key exactly as ``client_sqlite`` signs it (``sync.signing.sign_op``).

Everything but the ids and signatures is drawn from a seeded
``random.Random``, so two runs work on the same documents.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import uuid6
from cryptography.hazmat.primitives.asymmetric import ec

from bench.records import PLACES, action, narrative
from sync import signing, vocab
from sync.hlc import HLC, tick

#: (code, name, IANA time zone, lat, lon): approximate, good for test data only.
POSTS: tuple[tuple[str, str, str, float, float], ...] = (
    ("NNK", "Nunukan", "Asia/Makassar", 4.13, 117.67),
    ("DUM", "Dumai", "Asia/Jakarta", 1.67, 101.45),
    ("PLB", "Palembang", "Asia/Jakarta", -2.98, 104.78),
    ("ENT", "Entikong", "Asia/Pontianak", 0.97, 110.35),
    ("ARU", "Aruk", "Asia/Pontianak", 1.90, 109.65),
    ("BDU", "Badau", "Asia/Pontianak", 1.03, 111.97),
    ("BTM", "Batam", "Asia/Jakarta", 1.13, 104.05),
    ("TPI", "Tanjungpinang", "Asia/Jakarta", 0.92, 104.45),
    ("TBK", "Tanjung Balai Karimun", "Asia/Jakarta", 1.00, 103.43),
    ("BLW", "Belawan", "Asia/Jakarta", 3.78, 98.69),
    ("TBA", "Tanjung Balai Asahan", "Asia/Jakarta", 2.97, 99.80),
    ("BKS", "Bengkalis", "Asia/Jakarta", 1.47, 102.11),
    ("TRK", "Tarakan", "Asia/Makassar", 3.30, 117.63),
    ("ATB", "Atambua", "Asia/Makassar", -9.10, 124.89),
    ("KPG", "Kupang", "Asia/Makassar", -10.17, 123.60),
    ("JAP", "Jayapura", "Asia/Jayapura", -2.53, 140.72),
    ("MRK", "Merauke", "Asia/Jayapura", -8.49, 140.40),
    ("BIT", "Bitung", "Asia/Makassar", 1.44, 125.18),
    ("MNS", "Miangas", "Asia/Makassar", 5.56, 126.58),
    ("SBS", "Sambas", "Asia/Pontianak", 1.36, 109.30),
)
DESTINATIONS = ("MY", "HK", "TW", "SG", "SA")
#: Kinds in the proportions of a year's reports; each has what DESIGN §1 requires.
KIND_WEIGHTS = {
    "incident": 45,
    "patrol": 25,
    "foreigner_check": 10,
    "passport_deferral": 15,
    "outreach": 5,
}
#: Kinds whose document carries a location (the GeoJSON features).
LOCATED = ("incident", "foreigner_check", "outreach")
#: Occurrence dates are spread over the two years before this day.
LAST_DAY = datetime(2026, 11, 28, tzinfo=UTC)
TWO_YEARS_S = 2 * 365 * 86400
TEXT_WORD = "penyelundupan"  # a word a few narratives carry: the text search's needle
TEXT_SHARE = 0.02
ROUTES = ("river crossing", "coastal path", "harbour", "forest track", "airport transit")


def _person(rng: random.Random, role: str | None = None) -> dict[str, Any]:
    """One person element, sometimes with a travel document."""
    out: dict[str, Any] = {
        "role": role or rng.choice(["victim", "victim", "suspect", "witness", "foreign_national"]),
        "sex": rng.choice(["F", "F", "M"]),
        "age": rng.randint(12, 58),
        "nationality": "ID" if rng.random() < 0.85 else rng.choice(["MY", "PH", "TL"]),
        "name": f"{rng.choice(['Siti', 'Dewi', 'Ahmad', 'Budi', 'Rina'])} {rng.randint(1, 99999)}",
    }
    if rng.random() < 0.4:
        out["document"] = {"type": "passport", "number": f"X{rng.randint(1000000, 9999999)}"}
    return out


def _element_id() -> str:
    return uuid6.uuid7().hex[:12]


def _occurred_at(rng: random.Random) -> str:
    """A moment in the last two years, in the post's usual offset."""
    moment = LAST_DAY - timedelta(seconds=rng.randrange(TWO_YEARS_S))
    return moment.strftime("%Y-%m-%dT%H:%M:00+08:00")


def _narrative(rng: random.Random) -> str:
    """About sixty words; a few carry the text-search needle."""
    words = narrative(rng).split()
    while len(words) < 50:
        words += narrative(rng).split()
    text = " ".join(words[: rng.randint(50, 70)])
    if rng.random() < TEXT_SHARE:
        text += f" Dugaan {TEXT_WORD} orang."
    return text


def report_fields(rng: random.Random, post: int) -> dict[str, Any]:
    """One report document of post ``POSTS[post]``."""
    kind = rng.choices(list(KIND_WEIGHTS), weights=list(KIND_WEIGHTS.values()))[0]
    _, name, _, lat, lon = POSTS[post]
    role = "applicant" if kind == "passport_deferral" else None
    persons = {_element_id(): _person(rng, role) for _ in range(rng.randint(1, 3))}
    doc: dict[str, Any] = {
        "kind": kind,
        "occurred_at": _occurred_at(rng),
        "title": f"{kind.replace('_', ' ').capitalize()} near {name}, {rng.randint(2, 12)} people",
        "route": f"{name} {rng.choice(ROUTES)}",
        "narrative": _narrative(rng),
        "modus": rng.sample(vocab.MODUS, rng.randint(1, 3)),
        "destination_country": rng.choice(DESTINATIONS),
        "agencies": rng.sample(vocab.AGENCIES, rng.randint(1, 3)),
        "persons": persons,
        "actions": {_element_id(): action(rng) for _ in range(rng.randint(0, 2))},
    }
    if kind in LOCATED:
        doc["location"] = {
            "lat": round(lat + rng.uniform(-0.2, 0.2), 5),
            "lon": round(lon + rng.uniform(-0.2, 0.2), 5),
            "accuracy_m": rng.choice([5, 10, 15, 30]),
            "place": f"{rng.choice(PLACES)}, {name}",
        }
    if kind == "outreach":
        doc["audience_size"] = rng.randint(10, 300)
    return doc


@dataclass
class SignedDevice:
    """An enrolled device of one post: signs its ops as ``client_sqlite`` does."""

    device_id: str
    token: str
    post: int
    key: ec.EllipticCurvePrivateKey
    clock: HLC | None = None
    #: Ids of the reports this device created, oldest first.
    created: list[str] = field(default_factory=list)
    located: int = 0

    @property
    def headers(self) -> dict[str, str]:
        """The device's auth header."""
        return {"Authorization": f"Bearer {self.token}"}

    def op(self, report_id: str, fields: dict[str, Any], base_rev: int | None) -> dict[str, Any]:
        """One signed change with a fresh UUIDv7 op id."""
        self.clock = tick(self.clock, self.device_id)
        change = {
            "op_id": str(uuid6.uuid7()),
            "report_id": report_id,
            "base_rev": base_rev,
            "hlc": str(self.clock),
            "fields": fields,
        }
        change["signature"] = signing.sign_op(self.key, change)
        return change

    def creations(self, rng: random.Random, count: int) -> list[dict[str, Any]]:
        """``count`` new reports of this device's post."""
        out = []
        for _ in range(count):
            report_id = str(uuid6.uuid7())
            fields = report_fields(rng, self.post)
            self.located += "location" in fields
            self.created.append(report_id)
            out.append(self.op(report_id, fields, None))
        return out


def body(changes: list[dict[str, Any]]) -> bytes:
    """One push request body."""
    return orjson.dumps({"batch_id": str(uuid6.uuid7()), "changes": changes})
