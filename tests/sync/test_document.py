"""``sync.document.full``: every field of DESIGN §2, always, in one order."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings

from sync import document
from sync import units as U
from sync.report_schema import validate_units
from tests.documents import KEYS, patrols


def test_fields_are_the_documents_fields_in_design_order() -> None:
    """The key list is the device fields, then the server-owned ones, as DESIGN §2 lists."""
    assert list(document.FIELDS) == KEYS
    assert set(document.DEVICE_ORDER) == U.DEVICE_FIELDS
    assert set(document.SERVER_ORDER) == U.SERVER_FIELDS - {"missing_blobs"}


@given(fields=patrols())
@settings(max_examples=200, deadline=None)
def test_full_has_exactly_the_keys_and_keeps_every_value(fields: dict[str, Any]) -> None:
    """Whatever was sent, ``full`` has every key in order, sent values kept, defaults filled."""
    units = U.expand(fields)
    assert validate_units(units) == {}
    doc = U.apply_units({"id": "r1"}, units.items())
    out = document.full(doc)
    assert list(out) == KEYS
    for key in KEYS:
        if doc.get(key) is not None:
            assert out[key] == doc[key]
        elif key in U.MAP_FIELDS:
            assert out[key] == {}
        elif key == "retracted":
            assert out[key] is False
        else:
            assert out[key] is None
    assert document.full(out) == out and list(document.full(out)) == KEYS


def test_an_already_full_document_is_copied_as_it_is() -> None:
    """A full document comes back as an equal copy; a full-shaped one with a null map is fixed."""
    doc = document.full({"id": "r1", "title": "x", "persons": {"p1": {"role": "victim"}}})
    again = document.full(doc)
    assert again == doc and again is not doc and list(again) == KEYS
    nulls = dict(doc, actions=None, retracted=None)
    fixed = document.full(nulls)
    assert fixed["actions"] == {} and fixed["retracted"] is False
