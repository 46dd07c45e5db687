"""A labelled set of person pairs for matching precision: same person or not, and why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, kw_only=True)
class Side:
    """One record of a person, as an officer wrote it."""

    name: str | None
    sex: str | None
    age: int | None
    when: datetime
    doc: tuple[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class Pair:
    """Two records and the truth about them: ``basis`` when they link, else ``None``."""

    a: Side
    b: Side
    basis: str | None
    note: str


AUG = datetime(2026, 8, 1, 3, 0, tzinfo=UTC)
NOV = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
NEXT_YEAR = datetime(2027, 11, 25, 3, 0, tzinfo=UTC)

PAIRS = [
    # -- true matches ---------------------------------------------------------------------
    Pair(
        a=Side(name="Siti Aminah", sex="F", age=19, when=AUG, doc=("passport", "C1234567")),
        b=Side(name="S. Aminah", sex="F", age=19, when=NOV, doc=("passport", "c 123-4567")),
        basis="document",
        note="passport number written with spaces, a dash and lower case",
    ),
    Pair(
        a=Side(name=None, sex=None, age=None, when=AUG, doc=("national_id", "6403-0112-3456-0001")),
        b=Side(name="Rina", sex="F", age=22, when=NOV, doc=("national_id", "6403011234560001")),
        basis="document",
        note="NIK with and without dashes; no name on the first record",
    ),
    Pair(
        a=Side(name="Muhamad Rizki bin Ahmad", sex="M", age=24, when=AUG),
        b=Side(name="Mohammad Rizki", sex="M", age=24, when=NOV),
        basis="name",
        note="Muhamad/Mohammad, father's name given once",
    ),
    Pair(
        a=Side(name="Siti Nurhaliza binti Abdullah", sex="F", age=19, when=AUG),
        b=Side(name="Sitti Nur Haliza", sex="F", age=19, when=NOV),
        basis="name",
        note="Sitti/Siti, Nur Haliza split in two",
    ),
    Pair(
        a=Side(name="Djoko Soesilo", sex="M", age=40, when=AUG),
        b=Side(name="Joko Susilo", sex="M", age=41, when=NEXT_YEAR),
        basis="name",
        note="old spelling (dj, oe), a year later and a year older",
    ),
    Pair(
        a=Side(name="Dewi Lestari", sex="F", age=17, when=AUG),
        b=Side(name="Dewi Lestary", sex="F", age=17, when=NOV),
        basis="name",
        note="a typo in the last letter",
    ),
    Pair(
        a=Side(name="Hj. Nurul Aini", sex="F", age=33, when=AUG),
        b=Side(name="Noor Aini", sex="F", age=34, when=NOV),
        basis="name",
        note="title dropped, Nurul/Noor, age rounded up",
    ),
    Pair(
        a=Side(name="Rizki Muhammad", sex="M", age=30, when=AUG),
        b=Side(name="Muhammad Rizki", sex="M", age=30, when=NOV),
        basis="name",
        note="words in the other order",
    ),
    # -- near misses ------------------------------------------------------------------------
    Pair(
        a=Side(name="Siti Aminah", sex="F", age=19, when=AUG),
        b=Side(name="Siti Aminah", sex="F", age=34, when=NOV),
        basis=None,
        note="two women with the same common name and different ages",
    ),
    Pair(
        a=Side(name="Siti Aminah", sex="F", age=19, when=AUG, doc=("passport", "C1234567")),
        b=Side(name="Siti Aminah", sex="F", age=45, when=NOV, doc=("passport", "C7654321")),
        basis=None,
        note="same name, different passports and ages",
    ),
    Pair(
        a=Side(name="Agus Salim", sex="M", age=25, when=AUG),
        b=Side(name="Agus Salim", sex="F", age=25, when=NOV),
        basis=None,
        note="same name and age, other sex",
    ),
    Pair(
        a=Side(name="Dewi Lestari", sex="F", age=17, when=AUG),
        b=Side(name="Dewi Kartika", sex="F", age=17, when=NOV),
        basis=None,
        note="same given name, another family name",
    ),
    Pair(
        a=Side(name="Budi Santoso", sex="M", age=30, when=AUG, doc=("passport", "B1111111")),
        b=Side(name="Budi Santoso", sex="M", age=30, when=NOV, doc=("national_id", "B1111111")),
        basis="name",
        note="the same number on two document types is no document match (the name still is)",
    ),
    Pair(
        a=Side(name="Ahmad Fauzi", sex="M", age=None, when=AUG),
        b=Side(name="Ahmad Fauzi", sex="M", age=28, when=NOV),
        basis=None,
        note="age unknown on one record: a name alone does not link",
    ),
]
