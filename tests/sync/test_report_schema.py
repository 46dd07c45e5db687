"""Report validation: per-kind required fields and plain-words field errors."""

from __future__ import annotations

import pytest

from sync import units as U
from sync import vocab
from sync.errors import flatten_errors
from sync.report_schema import required_errors, validate_units

SHA = "ab" * 32
BASE = {
    "kind": "incident",
    "occurred_at": "2026-11-20T03:15:00+08:00",
    "title": "Five workers crossing at night",
}
LOCATION = {"lat": 4.1379, "lon": 117.6673, "accuracy_m": 15, "place": "Aji Kuning, Sebatik"}
PERSON = {"role": "victim", "sex": "F", "age": 16, "nationality": "ID"}

MINIMAL = {
    "incident": {"location": LOCATION},
    "patrol": {"route": "Aji Kuning footpath"},
    "foreigner_check": {"location": LOCATION, "persons": {"p1": {"role": "foreign_national"}}},
    "passport_deferral": {"persons": {"p1": {"role": "applicant"}}, "destination_country": "MY"},
    "outreach": {"location": LOCATION, "audience_size": 40},
}


def minimal(kind: str) -> dict:
    """The smallest valid creation document of ``kind``."""
    return {**BASE, "kind": kind, **MINIMAL[kind]}


def test_every_kind_has_a_minimal_example():
    """The table above covers every kind in the vocabulary."""
    assert set(MINIMAL) == set(vocab.KINDS) == set(vocab.REQUIRED_BY_KIND)


@pytest.mark.parametrize("kind", vocab.KINDS)
def test_minimal_report_per_kind_is_valid(kind):
    """A minimal creation of each kind has every required field and valid values."""
    doc = minimal(kind)
    assert required_errors(doc) == {}
    assert validate_units(U.expand(doc)) == {}


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (kind, field)
        for kind in vocab.KINDS
        for field in (*vocab.REQUIRED_ALWAYS[1:], *MINIMAL[kind])
    ],
)
@pytest.mark.parametrize("blank", ["missing", None, ""])
def test_required_errors_per_kind(kind, field, blank):
    """Leaving out (or blanking) any required field names exactly that field."""
    doc = minimal(kind)
    if blank == "missing":
        del doc[field]
    else:
        doc[field] = blank
    errors = required_errors(doc)
    assert list(errors) == [field]
    assert "is required" in errors[field][0] and kind in errors[field][0]


@pytest.mark.parametrize("kind", ["foreigner_check", "passport_deferral"])
def test_empty_persons_map_does_not_count(kind):
    """A kind that needs persons is not satisfied by an empty map."""
    assert list(required_errors({**minimal(kind), "persons": {}})) == ["persons"]


@pytest.mark.parametrize("kind", [None, "", "party"])
def test_required_errors_without_a_known_kind(kind):
    """Without a known kind, the always-required fields are reported plainly."""
    doc = {k: v for k, v in BASE.items() if k != "kind"}
    if kind is not None:
        doc["kind"] = kind
    errors = required_errors(doc)
    assert ("kind" in errors) is (kind != "party")
    assert all(messages == ["is required"] for messages in errors.values())


def test_retraction_needs_a_reason_on_creation():
    """A report created retracted must say why."""
    doc = {**minimal("patrol"), "retracted": True}
    assert required_errors(doc) == {"retract_reason": ["a retraction needs a reason"]}
    assert required_errors({**doc, "retract_reason": "duplicate"}) == {}


def test_full_example_document_is_valid():
    """The example document of DESIGN §2 (device part) passes validation."""
    doc = {
        **BASE,
        "post": "NNK",
        "location": LOCATION,
        "route": "Aji Kuning footpath",
        "narrative": "...",
        "modus": ["fake_job_offer", "unofficial_crossing"],
        "destination_country": "MY",
        "agencies": ["IMIGRASI", "TNI"],
        "persons": {
            "5b0c": {**PERSON, "name": "N", "document": {"type": "passport", "number": "X1"}}
        },
        "vehicles": {"v1": {"type": "speedboat", "registration": "KM 12-34", "name": None}},
        "actions": {"c1d2": {"type": "referred", "agency": "POLRI", "note": "n"}},
        "attachments": {SHA: {"mime": "image/jpeg", "bytes": 183220, "caption": "boat"}},
        "retracted": False,
        "retract_reason": None,
    }
    assert validate_units(U.expand(doc)) == {}
    assert required_errors(doc) == {}


COUNTRY = "must be an ISO 3166-1 alpha-2 country code, e.g. MY"


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        # wrong types: strings for numbers, "true" for a boolean
        ({"location": {**LOCATION, "lat": "4.1"}}, {"location.lat": ["must be a number"]}),
        ({"location": {**LOCATION, "lon": True}}, {"location.lon": ["must be a number"]}),
        ({"audience_size": "40"}, {"audience_size": ["must be a whole number"]}),
        ({"audience_size": 40.5}, {"audience_size": ["must be a whole number"]}),
        ({"retracted": "true"}, {"retracted": ["must be true or false"]}),
        ({"retracted": 1}, {"retracted": ["must be true or false"]}),
        ({"persons.p1": {**PERSON, "age": "16"}}, {"persons.p1.age": ["must be a whole number"]}),
        ({"persons.p1": {**PERSON, "age": False}}, {"persons.p1.age": ["must be a whole number"]}),
        ({"title": 7}, {"title": ["must be text"]}),
        ({"modus": "fake_job_offer"}, {"modus": ["must be a list"]}),
        ({"location": "4.1,117.6"}, {"location": ["must be an object"]}),
        ({"persons.p1": "victim"}, {"persons.p1": ["must be an object"]}),
        # ranges
        ({"location": {**LOCATION, "lat": 91}}, {"location.lat": ["must be between -90 and 90"]}),
        (
            {"location": {**LOCATION, "lat": -90.5}},
            {"location.lat": ["must be between -90 and 90"]},
        ),
        (
            {"location": {**LOCATION, "lon": 180.01}},
            {"location.lon": ["must be between -180 and 180"]},
        ),
        ({"persons.p1": {**PERSON, "age": 121}}, {"persons.p1.age": ["must be between 0 and 120"]}),
        ({"persons.p1": {**PERSON, "age": -1}}, {"persons.p1.age": ["must be between 0 and 120"]}),
        # unknown keys, nested included
        ({"location": {**LOCATION, "alt": 3}}, {"location.alt": ["unknown field"]}),
        ({"persons.p1": {**PERSON, "eyes": "brown"}}, {"persons.p1.eyes": ["unknown field"]}),
        (
            {"persons.p1": {**PERSON, "document": {"type": "passport", "colour": "green"}}},
            {"persons.p1.document.colour": ["unknown field"]},
        ),
        # ISO country codes
        ({"destination_country": "Malaysia"}, {"destination_country": [COUNTRY]}),
        ({"destination_country": "my"}, {"destination_country": [COUNTRY]}),
        ({"destination_country": "XX"}, {"destination_country": [COUNTRY]}),
        ({"persons.p1": {**PERSON, "nationality": "IDN"}}, {"persons.p1.nationality": [COUNTRY]}),
        (
            {"persons.p1": {**PERSON, "document": {"type": "passport", "country": "ZZ"}}},
            {"persons.p1.document.country": [COUNTRY]},
        ),
        # timestamps must carry an offset
        (
            {"occurred_at": "2026-11-20T03:15:00"},
            {"occurred_at": ["must include a time zone offset, e.g. +08:00"]},
        ),
        (
            {"actions.a1": {"type": "referred", "at": "2026-11-20T03:15:00"}},
            {"actions.a1.at": ["must include a time zone offset, e.g. +08:00"]},
        ),
        (
            {"ended_at": "yesterday"},
            {"ended_at": ["must be an RFC 3339 date-time, e.g. 2026-11-20T03:15:00+08:00"]},
        ),
        # enums, lengths, required element keys, nulls
        ({"persons.p1": {"age": 3}}, {"persons.p1.role": ["is required"]}),
        ({"persons.p1": {**PERSON, "role": "boss"}}, {"persons.p1.role": ["must be one of: "]}),
        ({"agencies": ["POLRI", "FBI"]}, {"agencies.1": ["must be one of: "]}),
        ({"kind": "party"}, {"kind": ["must be one of: "]}),
        ({"title": ""}, {"title": ["must be 1 to 200 characters"]}),
        ({"title": "x" * 201}, {"title": ["must be 1 to 200 characters"]}),
        ({"narrative": "x" * 20_001}, {"narrative": ["must be at most 20000 characters"]}),
        ({"title": None}, {"title": ["may not be null"]}),
        ({"kind": None}, {"kind": ["may not be null"]}),
        ({"post": "nnk"}, {"post": ["must be a post code such as NNK"]}),
        (
            {f"attachments.{SHA}": {"mime": "text/plain", "bytes": 10}},
            {f"attachments.{SHA}.mime": ["must be an image type or application/pdf"]},
        ),
        ({"vehicles.v1": {"type": "boat"}}, {"vehicles.v1": ["needs a registration or a name"]}),
        (
            {"vehicles.v1": {"type": "boat", "registration": None, "name": ""}},
            {"vehicles.v1": ["needs a registration or a name"]},
        ),
        (
            {"vehicles.v1": {"type": "ferry", "name": "Sinar Laut"}},
            {"vehicles.v1.type": ["must be one of: "]},
        ),
    ],
)
def test_field_errors_are_keyed_by_path_in_plain_words(units, expected):
    """Each bad value gets one plain-words message under its dotted path."""
    errors = validate_units(units)
    assert list(errors) == list(expected)
    for path, messages in expected.items():
        assert len(errors[path]) == 1
        assert errors[path][0].startswith(messages[0])
        assert errors[path][0][:1].islower()  # a clause that reads after the name


def test_errors_of_several_units_are_collected_together():
    """One call reports every bad unit, scalars and elements alike."""
    errors = validate_units(
        {
            "location": {"lat": 91, "lon": 0},
            "persons.p1": {**PERSON, "age": 121},
            "persons.p2": {**PERSON},
            "title": "fine",
        }
    )
    assert set(errors) == {"location.lat", "persons.p1.age"}


@pytest.mark.parametrize(
    "units",
    [
        {"persons.p1": None},  # removal is always allowed
        {"location": None, "narrative": None, "destination_country": None},
        {"location": {"lat": -90, "lon": 180}},
        {"persons.p1": {"role": "victim", "age": 0}},
        {"persons.p1": {"role": "victim", "age": 120}},
        {"occurred_at": "2026-11-20T03:15:00Z"},
        {f"attachments.{SHA}": {"mime": "application/pdf", "bytes": 0}},
        {f"attachments.{SHA}": {"mime": "image/heic", "bytes": 5}},
        {"retracted": True, "retract_reason": "entered twice"},
        {"retracted": False},
    ],
)
def test_boundary_values_are_valid(units):
    """Edges of the ranges, nulls where allowed and removals pass."""
    assert validate_units(units) == {}


def test_values_are_validated_not_converted():
    """Validation never rewrites the units it is given."""
    units = {"location": {"lat": 4, "lon": 117}, "persons.p1": {"role": "victim", "age": 16}}
    before = repr(units)
    assert validate_units(units) == {}
    assert repr(units) == before


@pytest.mark.parametrize(
    ("location", "missing"),
    [({"lon": 117.6}, ["location.lat"]), ({"lat": 4.1}, ["location.lon"]), ({}, None)],
)
def test_location_needs_lat_and_lon(location, missing):
    """A location replaces the whole unit, so partial updates must not skip lat/lon."""
    errors = validate_units({"location": location})
    assert list(errors) == (missing or ["location.lat", "location.lon"])
    assert all(messages == ["is required"] for messages in errors.values())


def test_flatten_errors_reads_nested_marshmallow_messages():
    """Nested dicts, list indexes and _schema errors become dotted plain-words keys."""
    got = flatten_errors(
        {
            "a": {"b": ["Missing data for required field."], "_schema": ["whole a is bad"]},
            "c": {0: ["Not a valid integer."]},
        },
        "x",
    )
    assert got == {
        "x.a.b": ["is required"],
        "x.a": ["whole a is bad"],
        "x.c.0": ["must be a whole number"],
    }


@pytest.mark.parametrize(
    "vehicle",
    [
        {"type": "speedboat", "registration": "KM 12-34"},
        {"type": "boat", "name": "Sinar Laut", "registration": None, "note": "blue hull"},
        {"type": "motorbike", "registration": "KT 1234 AB", "name": None},
    ],
)
def test_a_vehicle_with_a_registration_or_a_name_is_valid(vehicle):
    """Either identifier is enough for a vehicle element; the others may be left out or null."""
    assert validate_units({"vehicles.v1": vehicle}) == {}
