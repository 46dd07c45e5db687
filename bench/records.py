"""Realistic ~1 KB report documents for benchmarks."""

from __future__ import annotations

import random
import uuid
from typing import Any

ROUTES = ["Aji Kuning footpath, Sebatik", "Sungai Pancang, Sebatik", "Sebuku river",
          "Pelabuhan Tunon Taka"]
MODUS = ["fake_job_offer", "posing_as_tourist", "posing_as_student", "transit_route",
         "unofficial_crossing"]


def report_fields(rng: random.Random) -> dict[str, Any]:
    """One incident report of about 1 KB of JSON."""
    persons = {}
    for _ in range(rng.randint(1, 3)):
        persons[uuid.UUID(int=rng.getrandbits(128)).hex[:12]] = {
            "role": rng.choice(["victim", "victim", "suspect", "witness"]),
            "sex": rng.choice(["F", "M"]),
            "age": rng.randint(14, 55),
            "nationality": "ID",
            "name": f"Person {rng.randint(1, 99999)}",
        }
    return {
        "kind": "incident",
        "occurred_at": f"2026-11-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:15:00+08:00",
        "title": f"Group of {rng.randint(2, 12)} crossing at night near the river",
        "location": {"lat": round(4.1 + rng.random() / 10, 5),
                     "lon": round(117.6 + rng.random() / 5, 5), "accuracy_m": 15,
                     "place": "Aji Kuning, Sebatik"},
        "route": rng.choice(ROUTES),
        "narrative": "Patrol met the group at the landing after dark; they said an agent "
                     "promised work on a plantation in Tawau with a high salary. " * 2,
        "modus": rng.sample(MODUS, 2),
        "destination_country": "MY",
        "agencies": ["IMIGRASI", "TNI"],
        "persons": persons,
    }
