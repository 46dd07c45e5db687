"""Boats and vehicles: registration and boat-name normal forms, and which pairs link."""

from __future__ import annotations

import pytest

from server.detection.vehicles import (
    BOAT_NAME_THRESHOLD,
    VehicleRecord,
    compare,
    family,
    name_key,
    normal_boat_name,
    normal_registration,
)


def _record(vehicle_type: str, registration: str | None = None, name: str | None = None):
    kin = family(vehicle_type)
    return VehicleRecord(
        family=kin,
        registration=registration,
        reg_norm=normal_registration(registration),
        name_norm=normal_boat_name(name) if kin == "boat" else "",
    )


@pytest.mark.parametrize(
    ("written", "normal"),
    [("KM 12-34", "KM1234"), ("km.12.34", "KM1234"), (" KT 1234  ab ", "KT1234AB"), (None, "")],
)
def test_registration_ignores_case_spaces_dashes_and_dots(written, normal) -> None:
    assert normal_registration(written) == normal


def test_boat_name_drops_vessel_prefixes_and_accents() -> None:
    assert normal_boat_name("KM. Sinar Laut") == "sinar laut"
    assert normal_boat_name("MV Bahtera Jaya") == "bahtera jaya"
    assert normal_boat_name("Kapal Sinar Lâut") == "sinar laut"
    assert name_key("sinar laut") == name_key("sinnar laut")


@pytest.mark.parametrize(
    ("a", "b", "explanation"),
    [
        (("speedboat", "KM 12-34"), ("boat", "km.1234"), "same registration KM 12-34"),
        (("motorbike", "KT 1234 AB"), ("car", "kt-1234-ab"), "same registration KT 1234 AB"),
    ],
)
def test_same_registration_in_one_family_links(a, b, explanation) -> None:
    verdict = compare(_record(*a), _record(*b))
    assert verdict is not None and verdict.linked
    assert (verdict.basis, verdict.score, verdict.explanation) == ("registration", 100, explanation)


def test_a_boats_registration_does_not_link_a_car_with_the_same_plate() -> None:
    assert compare(_record("boat", "KT 1234"), _record("car", "KT-1234")) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [("KM Sinar Laut", "Sinar Luat"), ("Bahtera Jaya Abadi", "MV Bahtera Jaya Abdi")],
)
def test_similar_boat_names_link_probably(a, b) -> None:
    verdict = compare(_record("speedboat", name=a), _record("boat", name=b))
    assert verdict is not None and verdict.linked and verdict.basis == "name"
    assert BOAT_NAME_THRESHOLD <= verdict.score < 100
    assert verdict.explanation == f"boat name {verdict.score}% similar"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Sister boats, numbered.
        (("boat", None, "Harapan Jaya 2"), ("boat", None, "Harapan Jaya 3")),
        # One name, two registrations: two boats.
        (("boat", "GT 10 No 1", "Sinar Laut"), ("boat", "GT 22 No 7", "Sinar Laut")),
        # Names that are merely alike.
        (("boat", None, "Sinar Laut"), ("boat", None, "Sinar Lestari")),
        # Road vehicles are told apart by their plates only.
        (("car", None, "Avanza Hitam"), ("car", None, "Avanza Hitam")),
        # Registrations that differ by one character.
        (("truck", "KT 8812 QA", None), ("truck", "KT 8813 QA", None)),
    ],
)
def test_near_misses_do_not_link(a, b) -> None:
    verdict = compare(_record(*a), _record(*b))
    assert verdict is None or not verdict.linked
