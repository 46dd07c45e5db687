"""Compiled checkers agree with marshmallow's own ``Schema.validate`` on any input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema

from sync import report_schema, vocab, wire
from sync.errors import flatten_errors
from sync.schema_compiler import validator

# fmt: off
WORDS = [
    *vocab.KINDS, *vocab.MODUS, *vocab.AGENCIES, *vocab.PERSON_ROLES, *vocab.SEXES,
    *vocab.DOCUMENT_TYPES, *vocab.ACTION_TYPES,
    "MY", "ID", "XX", "my", "NNK", "nnk", "image/jpeg", "application/pdf", "text/plain",
    "2026-11-20T03:15:00+08:00", "2026-11-20T03:15:00", "2026-11-20T03:15:00Z", "yesterday",
    "8a3c8f0e-5f55-4c8e-9a7e-2b1d0f6b9c11", "8A3C8F0E5F554C8E9A7E2B1D0F6B9C11", "not-a-uuid",
    "0001763800000000-00003-dev1", "0001763800000000-3-dev1",
    "", "x" * 199, "x" * 200, "x" * 201,
]
NUMBERS = [-181, -180, -90.5, -90, -1, 0, 0.5, 16, 90, 90.0001, 120, 121, 180, 180.01,
           100_000, 100_001, 1_000_000, 1_000_001, 2**40, 2**40 + 1, 2**70, 1e308, -0.0]
# fmt: on
# Boundary numbers and known words most of the time, anything else now and then.
SCALARS = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(WORDS),
    st.sampled_from(NUMBERS),
    st.sampled_from(WORDS),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
)


def _values(keys: list[str]) -> st.SearchStrategy[Any]:
    """Any JSON-like value, nested, with keys from ``keys``."""
    return st.recursive(
        SCALARS,
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(keys), inner, max_size=4)
        ),
        max_leaves=8,
    )


def _keys(schema: Schema) -> list[str]:
    """Every field name of the schema and its nested schemas, and one unknown."""
    keys = set(schema.fields) | {"bogus"}
    for field in schema.fields.values():
        nested = getattr(field, "schema", None)
        if isinstance(nested, Schema):
            keys |= set(_keys(nested))
    return sorted(keys)


def _data(schema: Schema) -> st.SearchStrategy[Any]:
    """Inputs for a schema: mostly objects, sometimes anything."""
    keys = _keys(schema)
    return st.dictionaries(st.sampled_from(keys), _values(keys), max_size=8) | _values(keys)


def _normalised(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Errors with each message list sorted."""
    return {path: sorted(messages) for path, messages in errors.items()}


CASES = [
    ("report fields", report_schema.FIELDS_SCHEMA, True),
    ("person", report_schema.ELEMENT_SCHEMAS["persons"], False),
    ("action", report_schema.ELEMENT_SCHEMAS["actions"], False),
    ("attachment", report_schema.ELEMENT_SCHEMAS["attachments"], False),
    ("push change", wire.CHANGE, False),
    ("push request", wire.PUSH_REQUEST, False),
]


@pytest.mark.parametrize(("name", "schema", "partial"), CASES, ids=[c[0] for c in CASES])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_compiled_checker_agrees_with_marshmallow(
    name: str, schema: Schema, partial: bool, data: st.DataObject
) -> None:
    """Same verdict and same messages, path by path, valid or not."""
    value = data.draw(_data(schema))
    compiled = validator(schema, partial)(value)
    # The compiled checker leaves only the top level optional (a location
    # replaces the whole unit, so its lat and lon stay required).
    top_level = tuple(schema.fields) if partial else False
    if not isinstance(value, dict):
        expected = {"": ["must be an object"]}
    else:
        expected = flatten_errors(schema.validate(value, partial=top_level))
    assert _normalised(compiled) == _normalised(expected)


@pytest.mark.parametrize(
    "units",
    [
        {"title": "Five crossing", "kind": "incident", "modus": ["other"], "retracted": False},
        {"location": {"lat": -90, "lon": 180.0, "accuracy_m": 0, "place": None}},
        {"audience_size": 1_000_000, "destination_country": "MY", "agencies": []},
    ],
)
def test_valid_values_take_the_fast_path(units: dict[str, Any], monkeypatch: Any) -> None:
    """Common valid values never reach marshmallow's deserialize (that is the speed-up)."""
    from marshmallow import fields

    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("marshmallow was asked")

    monkeypatch.setattr(fields.Field, "deserialize", refuse)
    assert report_schema.validate_units(units) == {}
