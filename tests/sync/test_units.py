"""Report documents as merge units: expand, get/put, diff (DESIGN §2)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import units as U

SHA = "a" * 64
SHA2 = "0123456789abcdef" * 4


# --- expand --------------------------------------------------------------------


def test_expand_scalar_fields_are_one_unit_each():
    """Every non-map field is its own unit, value passed through untouched."""
    loc = {"lat": 4.1, "lon": 117.6}
    assert U.expand({"title": "t", "location": loc, "modus": ["other"]}) == {
        "title": "t",
        "location": loc,
        "modus": ["other"],
    }


def test_expand_whole_map_gives_one_unit_per_element():
    """A whole map expands to one unit per listed element; unlisted ones are not units."""
    got = U.expand(
        {
            "persons": {"p1": {"role": "victim"}, "p2": {"role": "suspect"}},
            "attachments": {SHA: {"mime": "image/jpeg", "bytes": 1}},
        }
    )
    assert got == {
        "persons.p1": {"role": "victim"},
        "persons.p2": {"role": "suspect"},
        f"attachments.{SHA}": {"mime": "image/jpeg", "bytes": 1},
    }


def test_expand_dotted_element_units_including_removal():
    """Dotted element keys are units as they are; null is kept (it removes)."""
    assert U.expand({"persons.p1": {"role": "witness"}, "actions.a_1": None}) == {
        "persons.p1": {"role": "witness"},
        "actions.a_1": None,
    }


def test_expand_whole_map_with_null_element_removes_it():
    """Inside a whole map, a null element is a removal unit too."""
    assert U.expand({"persons": {"p1": None}}) == {"persons.p1": None}


def test_expand_empty_whole_map_gives_no_units():
    """An empty map lists no elements, so it leaves every element alone."""
    assert U.expand({"persons": {}}) == {}


@pytest.mark.parametrize(
    "key",
    ["colour", "title.extra", "location.lat", "Title", "persons_", "", "narrative."],
)
def test_expand_unknown_fields_are_refused(key):
    """Names that are not device fields (or dotted non-map fields) are unknown."""
    with pytest.raises(U.UnitError) as err:
        U.expand({key: "x", "title": "ok"})
    assert err.value.errors == {key: ["unknown field"]}


@pytest.mark.parametrize(
    "key",
    [
        "author",
        "device_id",
        "created_at",
        "received_at",
        "review",
        "rev",
        "missing_blobs",
        "review.status",
    ],
)
def test_expand_server_owned_fields_are_refused(key):
    """Server-owned fields get a plain-words error naming them."""
    with pytest.raises(U.UnitError) as err:
        U.expand({key: "x"})
    assert err.value.errors == {key: ["is set by the server and cannot be sent by a device"]}
    assert key in str(err.value)


def test_expand_collects_every_error_at_once():
    """All bad keys are reported together, good keys do not hide them."""
    with pytest.raises(U.UnitError) as err:
        U.expand({"rev": 3, "bogus": 1, "title": "fine", "persons.bad id": {}})
    assert set(err.value.errors) == {"rev", "bogus", "persons.bad id"}


@pytest.mark.parametrize(
    ("field", "element_id"),
    [
        ("persons", ""),
        ("persons", "has space"),
        ("persons", "p.1"),
        ("persons", "x" * 65),
        ("persons", "é"),
        ("actions", "a/b"),
    ],
)
def test_expand_bad_element_ids(field, element_id):
    """Element ids are 1-64 letters, digits, '-' or '_' in dotted and whole-map form."""
    with pytest.raises(U.UnitError) as dotted:
        U.expand({f"{field}.{element_id}": {"type": "other"}})
    with pytest.raises(U.UnitError) as whole:
        U.expand({field: {element_id: {"type": "other"}}})
    expected = {f"{field}.{element_id}": ["element ids are 1-64 letters, digits, '-' or '_'"]}
    assert dotted.value.errors == expected
    assert whole.value.errors == expected


@pytest.mark.parametrize("element_id", ["p", "P-1_x", "x" * 64, "5b0c"])
def test_expand_good_element_ids(element_id):
    """Valid element ids are accepted in both forms."""
    assert U.expand({f"actions.{element_id}": None}) == {f"actions.{element_id}": None}
    assert U.expand({"persons": {element_id: {}}}) == {f"persons.{element_id}": {}}


@pytest.mark.parametrize(
    "key",
    ["A" * 64, "a" * 63, "a" * 65, "g" * 64, "photo1", SHA.upper()],
)
def test_expand_attachment_keys_must_be_sha256_hex(key):
    """Attachment keys must be a lowercase 64-hex-digit sha256."""
    with pytest.raises(U.UnitError) as err:
        U.expand({f"attachments.{key}": {"mime": "image/png", "bytes": 1}})
    assert err.value.errors == {
        f"attachments.{key}": ["attachment keys must be the file's sha256 in lowercase hex"]
    }
    with pytest.raises(U.UnitError):
        U.expand({"attachments": {key: {"mime": "image/png", "bytes": 1}}})


def test_expand_attachment_sha_keys_accepted():
    """A lowercase sha256 is a valid attachment key."""
    assert U.expand({f"attachments.{SHA2}": None}) == {f"attachments.{SHA2}": None}


@pytest.mark.parametrize("value", [None, [], "p1", 3])
def test_expand_whole_map_must_be_an_object(value):
    """A map field sent whole must be an object keyed by element id."""
    with pytest.raises(U.UnitError) as err:
        U.expand({"persons": value})
    assert err.value.errors == {"persons": ["must be an object keyed by element id"]}


# Sorted: a set's order differs between processes, and pytest-xdist workers
# must collect the same tests in the same order.
@pytest.mark.parametrize("field", sorted(U.SERVER_FIELDS))
def test_server_fields_are_not_device_fields(field):
    """No field is both device-writable and server-owned."""
    assert field not in U.DEVICE_FIELDS


# --- get / put -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("doc", "unit", "expected"),
    [
        ({"title": "t"}, "title", "t"),
        ({}, "title", None),
        ({"persons": {"p1": {"role": "victim"}}}, "persons.p1", {"role": "victim"}),
        ({"persons": {"p1": {"role": "victim"}}}, "persons.p2", None),
        ({}, "persons.p1", None),
        ({"persons": None}, "persons.p1", None),
    ],
)
def test_get(doc, unit, expected):
    """get() reads scalars and map elements, None when absent."""
    assert U.get(doc, unit) == expected


def test_put_scalar_sets_the_field():
    """put() on a scalar unit replaces the field, also with None."""
    doc = {"title": "a"}
    U.put(doc, "title", "b")
    assert doc == {"title": "b"}
    U.put(doc, "narrative", None)
    assert doc == {"title": "b", "narrative": None}


def test_put_element_creates_the_map_and_adds():
    """put() of an element creates a missing map and leaves siblings alone."""
    doc: dict = {}
    U.put(doc, "persons.p1", {"role": "victim"})
    U.put(doc, "persons.p2", {"role": "suspect"})
    assert doc == {"persons": {"p1": {"role": "victim"}, "p2": {"role": "suspect"}}}


def test_put_none_removes_only_that_element():
    """A None element value removes the element, not the map or its siblings."""
    doc = {"actions": {"a1": {"type": "referred"}, "a2": {"type": "warned"}}}
    U.put(doc, "actions.a1", None)
    assert doc == {"actions": {"a2": {"type": "warned"}}}
    assert U.get(doc, "actions.a1") is None


def test_put_none_on_a_missing_element_is_harmless():
    """Removing an element that is not there changes nothing else."""
    doc = {"persons": {"p1": {"role": "victim"}}}
    U.put(doc, "persons.zz", None)
    assert doc == {"persons": {"p1": {"role": "victim"}}}


def test_apply_units_writes_in_order():
    """apply_units writes every pair in order; a later pair wins."""
    doc = {"title": "a", "persons": {"p1": {"role": "victim"}}}
    out = U.apply_units(doc, [("title", "b"), ("persons.p1", None), ("title", "c")])
    assert out is doc
    assert doc == {"title": "c", "persons": {}}


# --- diff ----------------------------------------------------------------------


def test_diff_of_equal_docs_is_empty():
    """Equal documents have no differing units."""
    doc = {"title": "t", "persons": {"p1": {"role": "victim"}}}
    assert U.diff(doc, copy.deepcopy(doc)) == {}


def test_diff_lists_changed_added_and_removed_units():
    """diff() names changed scalars and added/removed/changed elements."""
    old = {
        "title": "t",
        "route": "r",
        "persons": {"p1": {"role": "victim"}, "p2": {"role": "suspect"}},
        "actions": {"a1": {"type": "referred"}},
    }
    new = {
        "title": "t2",
        "route": "r",
        "persons": {"p1": {"role": "victim"}, "p3": {"role": "witness"}},
        "actions": {"a1": {"type": "warned"}},
    }
    assert U.diff(old, new) == {
        "title": "t2",
        "persons.p2": None,
        "persons.p3": {"role": "witness"},
        "actions.a1": {"type": "warned"},
    }


def test_diff_ignores_server_fields():
    """Server-owned fields are not units, so changing them is no diff."""
    assert U.diff({"rev": 1, "review": {"status": "submitted"}}, {"rev": 2, "review": {}}) == {}


def test_diff_treats_missing_and_empty_maps_alike():
    """A missing map and an empty one hold the same (no) elements."""
    assert U.diff({}, {"persons": {}, "actions": None}) == {}


def test_diff_removed_scalar_is_none():
    """A field that disappears diffs to None."""
    assert U.diff({"narrative": "x"}, {}) == {"narrative": None}


VALUES = st.sampled_from(["a", "b", None])
ELEMENTS = st.dictionaries(
    st.sampled_from(["p1", "p2", "p3"]), st.sampled_from([{"role": "victim"}, {"role": "x"}])
)
DOCS = st.fixed_dictionaries(
    {"title": VALUES, "route": VALUES, "persons": ELEMENTS, "actions": ELEMENTS}
)


@given(DOCS, DOCS)
@settings(max_examples=150, deadline=None)
def test_applying_a_diff_turns_old_into_new(old, new):
    """put()-ing every unit of diff(old, new) into old yields new (as units)."""
    patched = U.apply_units(copy.deepcopy(old), U.diff(old, new).items())
    assert U.diff(patched, new) == {}
    for unit in U.diff(old, new):
        assert U.get(patched, unit) == U.get(new, unit)


@given(DOCS)
@settings(max_examples=50, deadline=None)
def test_expand_of_diff_is_identity(doc):
    """A diff's keys are valid dotted units, so expand() passes it through."""
    d = U.diff({}, doc)
    assert U.expand(d) == d
