"""Matching precision on a labelled set: typos, spelling variants, document formats, near misses."""

from __future__ import annotations

import pytest

from server.detection.matching import NAME_THRESHOLD, PersonRecord, compare
from server.detection.names import blocking_keys, normal_document, normal_name
from tests.detection.labelled import PAIRS, Pair, Side


def _record(side: Side, report: str) -> PersonRecord:
    doc_type, number = side.doc or (None, "")
    return PersonRecord(
        report_id=report,
        person_id="p",
        sex=side.sex,
        age=side.age,
        occurred_at=side.when,
        name_norm=normal_name(side.name),
        doc_type=doc_type,
        doc_norm=normal_document(number),
    )


@pytest.mark.parametrize("pair", PAIRS, ids=[p.note for p in PAIRS])
def test_labelled_pair(pair: Pair) -> None:
    a, b = _record(pair.a, "r1"), _record(pair.b, "r2")
    verdict = compare(a, b)
    assert compare(b, a) == verdict, "the verdict must not depend on the order"
    if pair.basis is None:
        assert not verdict.linked, verdict
        assert verdict.basis != "document"
        assert verdict.score < NAME_THRESHOLD
    else:
        assert verdict.linked, verdict
        assert verdict.basis == pair.basis


@pytest.mark.parametrize("pair", [p for p in PAIRS if p.basis == "name"], ids=lambda p: p.note)
def test_true_name_matches_share_a_blocking_key(pair: Pair) -> None:
    """Blocking must not hide a true match from the comparison."""
    keys_a = set(blocking_keys(normal_name(pair.a.name), pair.a.sex))
    keys_b = set(blocking_keys(normal_name(pair.b.name), pair.b.sex))
    assert keys_a & keys_b


def test_precision_and_recall_on_the_set() -> None:
    linked = [compare(_record(p.a, "r1"), _record(p.b, "r2")).linked for p in PAIRS]
    truth = [p.basis is not None for p in PAIRS]
    false_links = sum(1 for got, want in zip(linked, truth, strict=True) if got and not want)
    missed = sum(1 for got, want in zip(linked, truth, strict=True) if want and not got)
    assert (false_links, missed) == (0, 0)


def test_explanations_are_plain() -> None:
    doc = compare(_record(PAIRS[0].a, "r1"), _record(PAIRS[0].b, "r2"))
    assert doc.explanation == "same passport number"
    nik = compare(_record(PAIRS[1].a, "r1"), _record(PAIRS[1].b, "r2"))
    assert nik.explanation == "same NIK (national ID) number"
    name = compare(_record(PAIRS[3].a, "r1"), _record(PAIRS[3].b, "r2"))
    assert name.explanation == f"name {name.score}% similar, same sex, age 19 then 19"


def test_normal_forms() -> None:
    assert normal_document(" c-123 45.67 ") == "C1234567"
    assert normal_name("Muhamad RIZKI  bin Ahmad") == "muhammad rizki/ahmad"
    assert normal_name("Binti") == ""
    assert normal_name(None) == ""
