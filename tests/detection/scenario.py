"""A Dumai passport deferral whose applicant reappears as a victim in a Nunukan incident."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.world import World, incident

PASSPORT = "C1234567"

APPLICANT = {
    "role": "applicant",
    "sex": "F",
    "age": 19,
    "nationality": "ID",
    "name": "Siti Nurhaliza binti Abdullah",
    "document": {"type": "passport", "number": PASSPORT},
}
# The same woman three months later, her passport number written another way.
VICTIM = {
    "role": "victim",
    "sex": "F",
    "age": 19,
    "nationality": "ID",
    "name": "Sitti Nur Haliza",
    "document": {"type": "passport", "number": "c 123-4567"},
}


def deferral(**overrides: Any) -> dict[str, Any]:
    """A Dumai passport deferral with the applicant."""
    fields = {
        "kind": "passport_deferral",
        "occurred_at": "2026-08-01T10:00:00+07:00",
        "title": "Deferred: job offer in Malaysia",
        "destination_country": "MY",
        "modus": ["fake_job_offer"],
        "persons": {"a1": APPLICANT},
    }
    fields.update(overrides)
    return fields


@dataclass
class Linked:
    """The ids of the two linked reports."""

    deferral: str
    incident: str


def seed(world: World, victim: dict[str, Any] | None = None) -> Linked:
    """Push the deferral (DUM) and then the incident (NNK)."""
    deferral_id, result = world.devices["ofc.dum.1"].create(deferral())
    assert result["status"] == "applied", result
    persons = {"v1": victim or VICTIM}
    incident_id, result = world.devices["ofc.nnk.1"].create(incident(persons=persons))
    assert result["status"] == "applied", result
    return Linked(deferral_id, incident_id)
