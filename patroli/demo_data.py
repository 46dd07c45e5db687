"""Facts for the demo: border posts, routes and realistic field reports.

Coordinates are approximate (WGS 84), good for maps and demos, not for
navigation.
"""

from __future__ import annotations

import random
from typing import Any

POSTS = {
    "NNK": {
        "name": "Nunukan",
        "tz": "Asia/Makassar",
        "offset": "+08:00",
        "routes": [
            ("Pelabuhan Tunon Taka", 4.1369, 117.6651),
            ("Aji Kuning footpath, Sebatik", 4.1700, 117.8200),
            ("Sungai Pancang, Sebatik", 4.1500, 117.7800),
            ("Sebuku river", 4.0500, 117.2500),
        ],
    },
    "DUM": {
        "name": "Dumai",
        "tz": "Asia/Jakarta",
        "offset": "+07:00",
        "routes": [
            ("Pelabuhan Dumai", 1.6860, 101.4530),
            ("Pulau Rupat coast", 1.9000, 101.6000),
            ("Bandar Laksamana coast, Bengkalis", 1.6000, 102.1000),
        ],
    },
    "PLB": {
        "name": "Palembang",
        "tz": "Asia/Jakarta",
        "offset": "+07:00",
        "routes": [
            ("Pelabuhan Boom Baru", -2.9700, 104.7800),
            ("Bandara Sultan Mahmud Badaruddin II", -2.8980, 104.7000),
        ],
    },
}

DESTINATIONS = ["MY", "MY", "MY", "HK", "TW", "SG", "SA"]
FIRST_NAMES = ["Siti", "Dewi", "Rina", "Ayu", "Budi", "Agus", "Wati", "Yanti", "Eko", "Nur"]
# Family names make the demo's persons distinct: placeholder names such as
# "Siti (victim 1)" would link by name across reports (server.detection).
FAMILY_NAMES = ["Lestari", "Santoso", "Wijaya", "Hidayat", "Siregar", "Purba", "Hasibuan",
                "Saragih", "Nugroho", "Harahap", "Simanjuntak", "Ginting"]  # fmt: skip

# Early detection (docs/early-detection.md): a young woman whose passport
# application Dumai deferred in August is stopped on the Aji Kuning footpath at
# Sebatik in November; her passport number is written another way there.
DEFERRED_APPLICANT = {
    "kind": "passport_deferral",
    "occurred_at": "2026-08-14T10:20:00+07:00",
    "title": "Passport application deferred: tourist visit with a paid sponsor",
    "destination_country": "MY",
    "modus": ["posing_as_tourist"],
    "persons": {
        "a1": {"role": "applicant", "sex": "F", "age": 19, "nationality": "ID",
               "name": "Nur Aini binti Hasan",
               "document": {"type": "passport", "number": "B2345678"}}
    },
    "narrative": "Applicant could not name the tour; a sponsor paid the fee.",
}  # fmt: skip
INTERCEPTED = {
    "kind": "incident",
    "occurred_at": "2026-11-18T01:40:00+08:00",
    "location": {"lat": 4.1702, "lon": 117.8195, "accuracy_m": 15, "place": "Aji Kuning"},
    "route": "Aji Kuning footpath, Sebatik",
    "title": "Three women walking to the border at night",
    "modus": ["fake_job_offer", "unofficial_crossing"],
    "destination_country": "MY",
    "agencies": ["IMIGRASI", "TNI"],
    "persons": {
        "v1": {"role": "victim", "sex": "F", "age": 19, "nationality": "ID",
               "name": "Nurul Aini", "document": {"type": "passport", "number": "b 234-5678"}}
    },
    "narrative": "Promised restaurant work in Tawau; an agent took the group to the path.",
}  # fmt: skip


def _when(rng: random.Random, offset: str) -> str:
    day, hour, minute = rng.randint(2, 22), rng.randint(0, 23), rng.choice([5, 20, 40])
    return f"2026-11-{day:02d}T{hour:02d}:{minute:02d}:00{offset}"


def _persons(rng: random.Random, victims: int, suspects: int) -> dict[str, Any]:
    persons = {}
    for i in range(victims):
        persons[f"v{i + 1}"] = {
            "role": "victim",
            "sex": rng.choice(["F", "F", "M"]),
            "age": rng.randint(14, 34),
            "nationality": "ID",
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(FAMILY_NAMES)}",
        }
    for i in range(suspects):
        persons[f"s{i + 1}"] = {
            "role": "suspect",
            "sex": "M",
            "age": rng.randint(28, 55),
            "nationality": "ID",
            "name": f"Agent {rng.choice(FAMILY_NAMES)} {i + 1}",
        }
    return persons


def report(rng: random.Random, post: str) -> tuple[str, dict[str, Any]]:
    """One realistic report (kind, fields) for an officer of ``post``."""
    info = POSTS[post]
    route, lat, lon = rng.choice(info["routes"])
    location = {
        "lat": round(lat + rng.uniform(-0.01, 0.01), 5),
        "lon": round(lon + rng.uniform(-0.01, 0.01), 5),
        "accuracy_m": 20,
        "place": route,
    }
    kind = rng.choice(
        ["incident", "incident", "patrol", "foreigner_check", "passport_deferral", "outreach"]
    )
    when = _when(rng, info["offset"])
    if kind == "incident":
        victims = rng.randint(1, 6)
        dest = rng.choice(DESTINATIONS)
        return kind, {
            "occurred_at": when,
            "location": location,
            "route": route,
            "title": f"{victims} prospective workers stopped at {route.split(',')[0]}",
            "narrative": "Group travelling without work permits; an agent promised plantation "
            "work with a high salary. Victims referred for protection.",
            "modus": rng.sample(
                ["fake_job_offer", "unofficial_crossing", "posing_as_tourist", "transit_route"], 2
            ),
            "destination_country": dest,
            "agencies": ["IMIGRASI", "POLRI"],
            "persons": _persons(rng, victims, rng.randint(0, 2)),
            "actions": {
                "a1": {"type": "referred", "agency": "BP2MI", "note": "handed over to the shelter"}
            },
        }
    if kind == "patrol":
        return kind, {
            "occurred_at": when,
            "route": route,
            "location": location,
            "title": f"Night patrol along {route}",
            "narrative": rng.choice(
                [
                    "Nothing found.",
                    "Two empty boats at the bank.",
                    "Fresh footprints towards the border.",
                ]
            ),
            "agencies": ["TNI", "IMIGRASI"],
        }
    if kind == "foreigner_check":
        return kind, {
            "occurred_at": when,
            "location": location,
            "title": "Check of foreign workers at a sawmill",
            "persons": {
                "f1": {
                    "role": "foreign_national",
                    "sex": "M",
                    "age": 31,
                    "nationality": rng.choice(["MY", "PH", "CN"]),
                    "workplace": "sawmill",
                    "sponsor": "CV Maju",
                }
            },
            "agencies": ["IMIGRASI", "DISNAKER"],
        }
    if kind == "passport_deferral":
        return kind, {
            "occurred_at": when,
            "title": "Passport application deferred",
            "destination_country": rng.choice(DESTINATIONS),
            "modus": ["posing_as_tourist"],
            "persons": {
                "a1": {
                    "role": "applicant",
                    "sex": "F",
                    "age": rng.randint(17, 25),
                    "nationality": "ID",
                }
            },
            "narrative": "Applicant could not name the tour; a sponsor paid the fee.",
        }
    return kind, {
        "occurred_at": when,
        "location": location,
        "title": "Outreach in a sending village",
        "audience_size": rng.randint(20, 150),
        "topics": ["safe migration", "fake job offers"],
        "agencies": ["BP2MI", "PEMDA"],
    }
