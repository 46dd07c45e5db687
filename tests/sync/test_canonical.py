"""sync.canonical: orjson's fast path writes exactly the bytes of the rfc8785 package."""

from __future__ import annotations

import math
import uuid
from typing import Any

import orjson
import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sync import canonical, signing

# Characters on both sides of the UTF-16 / code point ordering difference,
# control characters and escapes, so that keys and strings hit every rule.
_chars = st.characters(codec="utf-8") | st.sampled_from(
    ["\ue000", "\uffff", "\U0001f600", "\U00010000", "\x00", "\x1f", "\x7f", '"', "\\", "\u2028"]
)
_text = st.text(_chars, max_size=8)
_floats = st.floats() | st.sampled_from(
    [1e-5, 9.99e-6, 1e-6, 1.5e-5, 1e15, 1e15 + 0.5, 4503599627370495.5, 1e16, 1e21, -0.0, 5e-324]
)
_leaves = (
    st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60) | _floats | _text
)
json_values = st.recursive(
    _leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=25,
)


def _reference(value: Any) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except canonical.Error as exc:
        return type(exc)


def _ours(value: Any) -> bytes | type[Exception]:
    try:
        return canonical.dumps(value)
    except canonical.Error as exc:
        return type(exc)


@settings(max_examples=1500, deadline=None)
@given(json_values)
@example({"\ue000": 1, "\U0001f600": 2})
@example([1.0, -0.0, 1e-6, 1e16, 123456789012345680.0])
@example([math.nan])
@example({"x": [math.inf]})
@example({"lone": "\ud800"})
@example([[[[[[[[[[[]]]]]]]]]]] * 2)
@example(2**53)
@example(-(2**53) + 1)
def test_same_bytes_and_same_refusals_as_rfc8785(value: Any) -> None:
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize(
    "value",
    [(1, 2.0), {1: "non-string key"}, uuid.UUID(int=5), {"nested": [{"a": (1,)}]}, 2**60],
)
def test_values_that_are_not_plain_json_are_judged_by_rfc8785(value: Any) -> None:
    # orjson writes every one of these (tuples, int keys, UUIDs), not as JCS does.
    assert orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    assert _ours(value) == _reference(value)


@pytest.mark.parametrize("value", [uuid.UUID(int=5), {1: "x"}, [math.nan], 2**70])
def test_a_refused_value_is_a_signing_error(value: Any) -> None:
    with pytest.raises(signing.SigningError):
        signing.canonical(value)


@given(st.floats(min_value=1e-5, max_value=1e15) | st.floats(min_value=-1e15, max_value=-1e-5))
def test_the_fast_float_range_needs_no_fallback(number: float) -> None:
    # The range _plain trusts: orjson already writes these as ECMAScript does.
    if not number.is_integer():
        assert orjson.dumps(number) == rfc8785.dumps(number)


def test_a_bench_report_takes_the_fast_path() -> None:
    # A report with coordinates, persons and lists: no fallback, same bytes.
    op = {
        "op_id": "0192e8a4-7c1d-7000-8000-000000000001",
        "base_rev": None,
        "fields": {
            "location": {"lat": 4.1868, "lon": 117.70464, "accuracy_m": 5},
            "persons": {"p1": {"name": "Siti Aisyah binti Ahmad", "age": 16, "sex": "F"}},
            "modus": ["fake_job_offer"],
            "narrative": "Menyeberang malam hari — \u201cjalur tikus\u201d 🚤",
        },
    }
    assert canonical._plain(op)
    assert canonical.dumps(op) == rfc8785.dumps(op)
