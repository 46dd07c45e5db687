"""The report document's keys (DESIGN §2) and random valid creations, for tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from sync import units as U
from sync import vocab

#: The keys of a report document, in the order DESIGN §2 shows them.
KEYS = [
    "id",
    "post",
    "kind",
    "occurred_at",
    "ended_at",
    "location",
    "route",
    "title",
    "narrative",
    "modus",
    "destination_country",
    "agencies",
    "audience_size",
    "topics",
    "persons",
    "vehicles",
    "actions",
    "attachments",
    "retracted",
    "retract_reason",
    "author",
    "device_id",
    "created_at",
    "received_at",
    "review",
    "rev",
]

#: A patrol with only what its creation needs.
BARE_PATROL = {
    "kind": "patrol",
    "occurred_at": "2026-11-20T06:00:00+08:00",
    "title": "Morning patrol",
    "route": "Sebuku river",
}

#: A bare patrol's device fields as every document must show them.
BARE_PATROL_FIELDS = {
    "post": "NNK",
    "kind": "patrol",
    "occurred_at": "2026-11-20T06:00:00+08:00",
    "ended_at": None,
    "location": None,
    "route": "Sebuku river",
    "title": "Morning patrol",
    "narrative": None,
    "modus": None,
    "destination_country": None,
    "agencies": None,
    "audience_size": None,
    "topics": None,
    "persons": {},
    "vehicles": {},
    "actions": {},
    "attachments": {},
    "retracted": False,
    "retract_reason": None,
}


# Any text a device may send: UTF-8 (no lone surrogates), no NUL (PostgreSQL cannot store it).
_CHARS = st.characters(codec="utf-8", exclude_characters="\x00")

_OPTIONAL: dict[str, st.SearchStrategy[Any]] = {
    "ended_at": st.just("2026-11-20T08:00:00+08:00"),
    "location": st.fixed_dictionaries(
        {"lat": st.floats(-90, 90), "lon": st.floats(-180, 180)},
        optional={"place": st.text(_CHARS, max_size=20), "accuracy_m": st.integers(0, 500)},
    ),
    "narrative": st.text(_CHARS, max_size=40),
    "modus": st.lists(st.sampled_from(vocab.MODUS), max_size=3, unique=True),
    "destination_country": st.sampled_from(["MY", "SG", "ID"]),
    "agencies": st.lists(st.sampled_from(vocab.AGENCIES), max_size=3, unique=True),
    "audience_size": st.integers(0, 500),
    "topics": st.lists(st.text(_CHARS, min_size=1, max_size=10), max_size=2),
    "persons": st.dictionaries(
        st.sampled_from(["p1", "p2", "w-3"]),
        st.fixed_dictionaries(
            {"role": st.sampled_from(vocab.PERSON_ROLES)},
            optional={"age": st.integers(0, 120), "sex": st.sampled_from(vocab.SEXES)},
        ),
        max_size=2,
    ),
    "vehicles": st.dictionaries(
        st.sampled_from(["v1", "v2"]),
        st.fixed_dictionaries(
            {"type": st.sampled_from(vocab.VEHICLE_TYPES)},
            optional={"registration": st.just("KM 12-34"), "name": st.just("Sinar Laut")},
        ).filter(lambda v: "registration" in v or "name" in v),
        max_size=2,
    ),
    "actions": st.dictionaries(
        st.sampled_from(["a1", "a2"]),
        st.fixed_dictionaries({"type": st.sampled_from(vocab.ACTION_TYPES)}),
        max_size=2,
    ),
}


@st.composite
def patrols(draw: st.DrawFn) -> dict[str, Any]:
    """A valid patrol creation with a random set of optional fields (each may be null)."""
    fields: dict[str, Any] = {
        "kind": "patrol",
        "occurred_at": "2026-11-20T06:00:00+08:00",
        "title": draw(st.text(_CHARS, min_size=1, max_size=30)),
        "route": "Sebuku river",
    }
    for name in draw(st.sets(st.sampled_from(sorted(_OPTIONAL)))):
        # Maps cannot be null in an op; every other optional field can.
        value = _OPTIONAL[name] if name in U.MAP_FIELDS else st.none() | _OPTIONAL[name]
        fields[name] = draw(value)
    return fields
