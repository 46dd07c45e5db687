"""strict_json: the colon count refuses exactly the bodies that repeat a key, at any depth."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.http import strict_json

# Keys from a small alphabet so that repeats are common; strings full of the
# characters that could fool a count: quotes, backslashes, colons, braces.
_keys = st.sampled_from(["a", "b", "age", ":", '"', "\\", "a:b", "\u00e9", "{"])
_strings = st.text(st.sampled_from(list('ab:"\\{}[],\u00e9 ')), max_size=6)
_scalars = st.none() | st.booleans() | st.integers(-5, 5) | _strings

# An object is a list of (key, value) pairs, so that the text may repeat a key.
values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=3).map(lambda items: ("list", items))
        | st.lists(st.tuples(_keys, children), max_size=4).map(lambda pairs: ("object", pairs))
    ),
    max_leaves=12,
)


def _text(value: Any, spaced: bool, escaped: bool) -> str:
    sep = " " if spaced else ""
    if isinstance(value, tuple) and value[0] == "list":
        return "[" + f",{sep}".join(_text(v, spaced, escaped) for v in value[1]) + "]"
    if isinstance(value, tuple):
        members = []
        for key, item in value[1]:
            # The same key may be written with an escape: still the same key.
            name = json.dumps(key, ensure_ascii=escaped)
            members.append(f"{name}{sep}:{sep}{_text(item, spaced, escaped)}")
        return "{" + f",{sep}".join(members) + "}"
    return json.dumps(value, ensure_ascii=escaped)


def _repeats(text: str) -> bool:
    found = False

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        found = found or len({k for k, _ in pairs}) != len(pairs)
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return found


@settings(max_examples=600, deadline=None)
@given(values, st.booleans(), st.booleans())
def test_refused_exactly_when_a_key_repeats(value: Any, spaced: bool, escaped: bool) -> None:
    text = _text(value, spaced, escaped)
    body = text.encode()
    if _repeats(text):
        with pytest.raises(strict_json.InvalidJSON, match="twice"):
            strict_json.loads(body)
    else:
        assert strict_json.loads(body) == orjson.loads(body)
        assert strict_json.loads(text) == orjson.loads(body)


def test_colons_and_quotes_inside_strings_do_not_count() -> None:
    body = b'{"a":"x:\\"y:","b\\\\":[1,{"c":":"}],"d":"\\\\"}'
    assert strict_json._no_repeats(body, orjson.loads(body))
    with pytest.raises(strict_json.InvalidJSON, match="'b\\\\\\\\'"):
        strict_json.loads(b'{"b\\\\":1,"a":"\\\\\\":","b\\\\":2}')
