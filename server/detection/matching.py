"""Whether two person records are one person: a basis, a score and a plain explanation.

``document``: the same document type and normalised number, score 100.
``name``: names at least ``NAME_THRESHOLD`` similar (rapidfuzz, on the
normal forms of ``names``), the same sex, and ages that agree with the
time between the two occurrences.  Anything else scores below the
threshold and does not link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz

from server.detection.names import split_name

#: Lowest name score that links two persons (see docs/early-detection.md).
NAME_THRESHOLD = 88
#: Years two recorded ages may disagree by, beyond the time between the reports:
#: an age is often a guess, or an age at the last birthday.
AGE_SLACK_YEARS = 1.5

DOCUMENT_LABELS = {
    "passport": "passport number",
    "national_id": "NIK (national ID) number",
    "stay_permit": "stay permit number",
    "work_permit": "work permit number",
    "travel_document": "travel document number",
    "other": "document number",
}


@dataclass(frozen=True, kw_only=True)
class PersonRecord:
    """What matching needs of one person of one report."""

    report_id: str
    person_id: str
    sex: str | None
    age: int | None
    occurred_at: datetime | None
    name_norm: str
    doc_type: str | None
    doc_norm: str


@dataclass(frozen=True, kw_only=True)
class Match:
    """A verdict on two persons; ``linked`` when the score reaches the threshold."""

    basis: str
    score: int
    explanation: str

    @property
    def linked(self) -> bool:
        """True when the two records are taken for one person."""
        return self.basis == "document" or self.score >= NAME_THRESHOLD


def same_document(a: PersonRecord, b: PersonRecord) -> bool:
    """True when both carry the same document (type and normalised number)."""
    return bool(a.doc_norm) and a.doc_type == b.doc_type and a.doc_norm == b.doc_norm


def name_similarity(a: str, b: str) -> int:
    """0-100 similarity of two normal names.

    A father's name given on one record only may be left out there, or
    written without "bin"/"binti": the better of the given words alone and
    the whole names counts.
    """
    given_a, father_a = split_name(a)
    given_b, father_b = split_name(b)
    whole_a, whole_b = f"{given_a} {father_a}".strip(), f"{given_b} {father_b}".strip()
    if father_a and father_b:
        return _similarity(whole_a, whole_b)
    return max(_similarity(given_a, given_b), _similarity(whole_a, whole_b))


def _similarity(a: str, b: str) -> int:
    if not a or not b:
        return 0
    # Word order varies ("Rizki Muhammad"), and so does spacing ("Nur Haliza").
    spaced = fuzz.token_sort_ratio(a, b)
    joined = fuzz.ratio(a.replace(" ", ""), b.replace(" ", ""))
    return round(max(spaced, joined))


def _years_between(a: datetime | None, b: datetime | None) -> float:
    if a is None or b is None:
        return 0.0
    return (b - a).total_seconds() / (365.25 * 86400)


def ages_agree(a: PersonRecord, b: PersonRecord) -> bool:
    """True when ``b``'s age is ``a``'s age plus the time between their occurrences."""
    if a.age is None or b.age is None:
        return False
    expected = a.age + _years_between(a.occurred_at, b.occurred_at)
    return abs(b.age - expected) <= AGE_SLACK_YEARS


def compare(a: PersonRecord, b: PersonRecord) -> Match:
    """The verdict on ``a`` and ``b`` (order does not matter)."""
    if same_document(a, b):
        label = DOCUMENT_LABELS.get(a.doc_type or "other", "document number")
        return Match(basis="document", score=100, explanation=f"same {label}")
    similarity = name_similarity(a.name_norm, b.name_norm)
    parts = [f"name {similarity}% similar"]
    score = similarity
    if a.sex in ("F", "M") and a.sex == b.sex:
        parts.append("same sex")
    else:
        parts.append("sex differs or unknown")
        score = min(score, NAME_THRESHOLD - 1) // 2
    first, second = sorted((a, b), key=_when)
    ages = f"age {_age(first.age)} then {_age(second.age)}"
    if not ages_agree(first, second):
        ages += " (does not fit the dates)"
        score = min(score, NAME_THRESHOLD - 1) // 2
    parts.append(ages)
    return Match(basis="name", score=score, explanation=", ".join(parts))


def _age(age: int | None) -> str:
    return "unknown" if age is None else str(age)


def _when(record: PersonRecord) -> float:
    return record.occurred_at.timestamp() if record.occurred_at else float("-inf")
