"""Signed ops: the canonical form, ES256 signatures, and the vectors the field app checks."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync import signing
from tests.golden import signing_vectors

KEY = signing.new_private_key()
PUBLIC = signing.load_public_key(signing.public_key_text(KEY))

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _op(fields: dict) -> dict:
    return {
        "op_id": "0192e8a4-7c1d-7000-8000-000000000001",
        "report_id": "0192e8a4-7c1d-7000-8000-000000000002",
        "base_rev": 3,
        "hlc": "0001763800000000-00003-d1",
        "fields": fields,
    }


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_canonical_form_ignores_key_order_and_round_trips(fields: dict) -> None:
    text = signing.canonical(fields)
    # Large floats are written as ECMAScript does, in plain digits: read them as floats.
    assert json.loads(text, parse_int=lambda s: int(s) if len(s) < 16 else float(s)) == fields
    assert signing.canonical(dict(reversed(list(fields.items())))) == text


@given(st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=5))
def test_a_signature_holds_for_its_op_and_no_other(fields: dict) -> None:
    op = _op(fields)
    signed = dict(op, signature=signing.sign_op(KEY, op))
    signing.verify_op(PUBLIC, signed)
    for key, changed in [("base_rev", 4), ("hlc", op["hlc"] + "x"), ("fields", {**fields, "~": 1})]:
        with pytest.raises(signing.SigningError):
            signing.verify_op(PUBLIC, dict(signed, **{key: changed}))


def test_another_devices_key_does_not_verify() -> None:
    op = _op({"title": "x"})
    signed = dict(op, signature=signing.sign_op(signing.new_private_key(), op))
    with pytest.raises(signing.SigningError, match="does not match"):
        signing.verify_op(PUBLIC, signed)


def test_vectors_match_the_python_code() -> None:
    stored = json.loads(signing_vectors.VECTORS.read_text(encoding="utf-8"))
    assert signing_vectors.VECTORS.read_text(encoding="utf-8") == signing_vectors.render(
        stored["signature"]
    ), "run `python -m tests.golden.signing_vectors` (tests/js/signing.test.mjs reads it)"
    key = signing.load_public_key(stored["public_key"])
    signing.verify_op(key, dict(stored["op"], signature=stored["signature"]))
