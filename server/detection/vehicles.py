"""Whether two boats or vehicles of two reports are one: a basis, a score, an explanation.

``registration``: the same registration once case, spaces, dashes and dots
are dropped ("KM 12-34" is "km.1234"), within one type family (a boat's
registration says nothing about a car's), score 100.
``name``: boats only (road vehicles are told apart by their plates, not
their names), names at least ``BOAT_NAME_THRESHOLD`` similar after the
vessel prefixes ("KM", "MV", ...) are dropped, and no two different
registrations: two boats called "Harapan Jaya" with different
registrations are two boats, and so are "Harapan Jaya 2" and "Harapan Jaya 3".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import jellyfish
from rapidfuzz import fuzz

#: Lowest boat-name score that links two boats (see docs/early-detection.md).
BOAT_NAME_THRESHOLD = 90

#: Vehicle types by family: registrations are compared only within one.
FAMILIES = {
    "boat": "boat",
    "speedboat": "boat",
    "car": "road",
    "motorbike": "road",
    "truck": "road",
    "other": "other",
}

# Vessel-type prefixes written before a boat's name, or not: "KM Sinar Laut"
# (kapal motor) and "Sinar Laut" are one boat.
_VESSEL_PREFIXES = frozenset({"km", "kmp", "klm", "kml", "mv", "mt", "kapal", "speedboat", "sb"})

_REGISTRATION_NOISE = re.compile(r"[\s.\-]+")
_WORD = re.compile(r"[a-z0-9]+")


def family(vehicle_type: str | None) -> str:
    """The type family of a vehicle type (``other`` for an unknown one)."""
    return FAMILIES.get(vehicle_type or "", "other")


def normal_registration(registration: str | None) -> str:
    """Upper case, without spaces, dashes and dots ("" when there is none)."""
    if not registration:
        return ""
    return _REGISTRATION_NOISE.sub("", unicodedata.normalize("NFKC", registration)).upper()


def normal_boat_name(name: str | None) -> str:
    """Lower-case ASCII words of a boat's name, the vessel prefixes dropped."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = _WORD.findall(text)
    while words and words[0] in _VESSEL_PREFIXES:
        words = words[1:]
    return " ".join(words)


def name_key(normal: str) -> str | None:
    """The blocking key of a boat's name: the sound of its longest word (None without one)."""
    words = normal.split()
    if not words:
        return None
    longest = max(words, key=lambda word: (len(word), word))
    return jellyfish.metaphone(longest)[:32] or None


def _numbers(normal: str) -> set[str]:
    return {word for word in normal.split() if word.isdigit()}


@dataclass(frozen=True, kw_only=True)
class VehicleRecord:
    """What matching needs of one vehicle of one report."""

    family: str
    registration: str | None
    reg_norm: str
    name_norm: str


@dataclass(frozen=True, kw_only=True)
class VehicleMatch:
    """A verdict on two vehicles; ``linked`` when they are taken for one."""

    basis: str
    score: int
    explanation: str

    @property
    def linked(self) -> bool:
        """True when the two records are taken for one vehicle."""
        return self.basis == "registration" or self.score >= BOAT_NAME_THRESHOLD


def compare(a: VehicleRecord, b: VehicleRecord) -> VehicleMatch | None:
    """The verdict on ``a`` and ``b``; None when nothing can be compared at all."""
    if a.family != b.family:
        return None
    if a.reg_norm and a.reg_norm == b.reg_norm:
        shown = (a.registration or a.reg_norm).strip()
        explanation = f"same registration {shown}"
        return VehicleMatch(basis="registration", score=100, explanation=explanation)
    if a.family != "boat" or not a.name_norm or not b.name_norm:
        return None
    if a.reg_norm and b.reg_norm:
        return None  # two registrations that differ: two boats, whatever their names
    if _numbers(a.name_norm) != _numbers(b.name_norm):
        return None  # "Harapan Jaya 2" and "Harapan Jaya 3" are sister boats, not one
    score = round(fuzz.ratio(a.name_norm, b.name_norm))
    return VehicleMatch(basis="name", score=score, explanation=f"boat name {score}% similar")
