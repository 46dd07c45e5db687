"""Merge rules of DESIGN §3, one example per rule."""

from __future__ import annotations

import copy
import itertools

import pytest

from sync import hlc as H
from sync import units as U
from sync.merge import APPLIED, CONFLICT, MERGED, ConflictRecord, Op, merge_op, stamp_units

CREATION = {
    "kind": "incident",
    "title": "Five workers crossing at night",
    "narrative": "first draft",
    "route": "Aji Kuning footpath",
    "persons.p1": {"role": "victim", "age": 16},
}


def hlc(ms: int, device: str, counter: int = 0) -> str:
    """The wire HLC of a device at ``ms``."""
    return str(H.HLC(ms, counter, device))


def op(device: str, ms: int, base_rev: int | None, units: dict, counter: int = 0) -> Op:
    """An op of ``device`` (author ``ofc.<device>``) at HLC ``ms``."""
    return Op(base_rev, hlc(ms, device, counter), units, device, f"ofc.{device}")


class Server:
    """The server's state of one report, advanced by merge outcomes."""

    def __init__(self) -> None:
        self.doc: dict = {}
        self.meta: dict = {}
        self.rev = 0
        self.conflicts: list[ConflictRecord] = []

    def push(self, change: Op):
        """Merge ``change`` and commit a revision if it wrote anything."""
        out = merge_op(self.doc, self.meta, self.rev, change)
        self.doc, self.meta = out.doc, out.meta
        self.conflicts += out.conflicts
        if out.changed:
            self.rev += 1
        return out


@pytest.fixture
def server() -> Server:
    """A report created by dev-c at revision 1 (HLC 1000)."""
    s = Server()
    s.push(op("dev-c", 1000, None, dict(CREATION)))
    assert s.rev == 1
    return s


def test_creation_is_applied():
    """A creation writes every unit at revision 1 and is 'applied'."""
    out = merge_op({}, {}, 0, op("dev-a", 1000, None, dict(CREATION)))
    assert out.status == APPLIED
    assert out.changed
    assert sorted(out.written) == sorted(CREATION)
    assert out.conflicts == []
    assert out.doc["title"] == CREATION["title"]
    assert out.doc["persons"] == {"p1": {"role": "victim", "age": 16}}
    assert out.meta["title"] == {"r": 1, "h": hlc(1000, "dev-a"), "d": "dev-a", "b": "ofc.dev-a"}


def test_merge_does_not_mutate_its_inputs(server):
    """merge_op returns a new document and metadata; the inputs stay as they were."""
    doc, meta = copy.deepcopy(server.doc), copy.deepcopy(server.meta)
    merge_op(server.doc, server.meta, 1, op("dev-a", 2000, 1, {"persons.p2": {"role": "x"}}))
    merge_op(server.doc, server.meta, 1, op("dev-a", 2000, 1, {"persons.p1": None}))
    assert server.doc == doc and server.meta == meta


@pytest.mark.parametrize("a_first", [True, False])
def test_same_field_same_base_one_conflict_higher_hlc_wins(server, a_first):
    """Concurrent edits of one unit: higher HLC wins in any order, loser is recorded."""
    a = op("dev-a", 2000, 1, {"narrative": "A's version"})
    b = op("dev-b", 3000, 1, {"narrative": "B's version"})
    first, second = (a, b) if a_first else (b, a)
    assert server.push(first).status == APPLIED
    out = server.push(second)
    assert out.status == CONFLICT
    assert server.doc["narrative"] == "B's version"
    assert server.conflicts == [
        ConflictRecord(
            field="narrative",
            kept="B's version",
            lost="A's version",
            kept_by="ofc.dev-b",
            lost_by="ofc.dev-a",
            kept_hlc=b.hlc,
            lost_hlc=a.hlc,
            kept_device="dev-b",
            lost_device="dev-a",
        )
    ]
    assert server.meta["narrative"]["h"] == b.hlc
    # The losing op wrote nothing; the winning one wrote even though it conflicted.
    assert out.written == ([] if not a_first else ["narrative"])
    assert server.rev == (3 if a_first else 2)


@pytest.mark.parametrize("a_first", [True, False])
def test_equal_clock_tie_goes_to_higher_device_id(server, a_first):
    """Same ms and counter: the HLC string ends in the device id, higher id wins."""
    a = op("dev-a", 2000, 1, {"title": "from a"})
    b = op("dev-b", 2000, 1, {"title": "from b"})
    for change in (a, b) if a_first else (b, a):
        server.push(change)
    assert server.doc["title"] == "from b"
    assert [(c.kept, c.lost) for c in server.conflicts] == [("from b", "from a")]


def test_different_fields_both_written_second_is_merged(server):
    """Concurrent edits of different units never conflict; the second is 'merged'."""
    first = server.push(op("dev-a", 3000, 1, {"narrative": "n-a"}))
    second = server.push(op("dev-b", 2000, 1, {"route": "r-b"}))
    assert (first.status, second.status) == (APPLIED, MERGED)
    assert second.conflicts == [] and second.written == ["route"]
    assert server.doc["narrative"] == "n-a" and server.doc["route"] == "r-b"
    assert server.meta["route"]["r"] == 3 and server.meta["narrative"]["r"] == 2


def test_different_persons_elements_are_both_kept(server):
    """Two devices adding different persons elements keep both, and the old one."""
    a = server.push(op("dev-a", 3000, 1, U.expand({"persons": {"pa": {"role": "suspect"}}})))
    b = server.push(op("dev-b", 2000, 1, {"persons.pb": {"role": "witness"}}))
    assert (a.status, b.status) == (APPLIED, MERGED)
    assert server.doc["persons"] == {
        "p1": {"role": "victim", "age": 16},
        "pa": {"role": "suspect"},
        "pb": {"role": "witness"},
    }
    assert server.conflicts == []


def test_element_removal_and_concurrent_edit_conflict(server):
    """A null removal is an edit of the element unit and conflicts like any other."""
    server.push(op("dev-a", 2000, 1, {"persons.p1": None}))
    assert "p1" not in server.doc["persons"]
    out = server.push(op("dev-b", 3000, 1, {"persons.p1": {"role": "victim", "age": 17}}))
    assert out.status == CONFLICT
    assert server.doc["persons"]["p1"] == {"role": "victim", "age": 17}
    assert (out.conflicts[0].kept, out.conflicts[0].lost) == ({"role": "victim", "age": 17}, None)


def test_causality_beats_the_clock(server):
    """A device that saw revision n edits with a LOWER HLC: applied, no conflict."""
    server.push(op("dev-b", 9000, 1, {"narrative": "b's fast clock"}))
    assert server.rev == 2
    out = server.push(op("dev-a", 5000, 2, {"narrative": "a saw b's text"}))
    assert out.status == APPLIED and out.conflicts == []
    assert server.doc["narrative"] == "a saw b's text"
    # The stored HLC never goes down, so an old concurrent edit cannot sneak in.
    assert server.meta["narrative"] == {
        "r": 3,
        "h": hlc(9000, "dev-b"),
        "d": "dev-a",
        "b": "ofc.dev-a",
    }
    late = server.push(op("dev-x", 8000, 1, {"narrative": "x, concurrent"}))
    assert late.status == CONFLICT and server.doc["narrative"] == "a saw b's text"


def test_same_device_ops_in_a_row_do_not_conflict_with_themselves(server):
    """Offline ops of one device share an old base: the later one just applies."""
    server.push(op("dev-b", 2500, 1, {"route": "moved on"}))  # report now at rev 2
    first = server.push(op("dev-a", 2000, 1, {"narrative": "draft 1"}))
    second = server.push(op("dev-a", 2001, 1, {"narrative": "draft 2"}))
    assert (first.status, second.status) == (MERGED, MERGED)
    assert server.conflicts == []
    assert server.doc["narrative"] == "draft 2"


def test_same_device_in_a_row_even_behind_a_faster_clock(server):
    """The own-device rule holds when the stored HLC came from a faster device."""
    server.push(op("dev-b", 9000, 1, {"narrative": "b"}))
    server.push(op("dev-a", 5000, 2, {"narrative": "a1"}))  # causal, keeps h=9000
    out = server.push(op("dev-a", 5001, 2, {"narrative": "a2"}))
    assert out.status == MERGED and out.conflicts == []
    assert server.doc["narrative"] == "a2"


@pytest.mark.parametrize("a_first", [True, False])
def test_equal_concurrent_values_are_no_conflict(server, a_first):
    """Two devices writing the same value concurrently: no conflict, one revision."""
    a = op("dev-a", 2000, 1, {"title": "same", "route": "ra"})
    b = op("dev-b", 3000, 1, {"title": "same"})
    outs = [server.push(c) for c in ((a, b) if a_first else (b, a))]
    assert server.conflicts == []
    assert server.doc["title"] == "same"
    assert outs[1].status == MERGED
    assert "title" not in outs[1].written
    assert server.meta["title"]["h"] == b.hlc  # the larger HLC is kept either way


@pytest.mark.parametrize("order", list(itertools.permutations("abc")))
def test_equal_value_with_higher_hlc_beats_a_value_in_between(server, order):
    """a and b agree (b has the highest HLC), c is in between: 'same' wins in any order."""
    ops = {
        "a": op("dev-a", 2000, 1, {"title": "same"}),
        "b": op("dev-b", 4000, 1, {"title": "same"}),
        "c": op("dev-c2", 3000, 1, {"title": "different"}),
    }
    for name in order:
        server.push(ops[name])
    assert server.doc["title"] == "same"
    assert server.meta["title"]["h"] == ops["b"].hlc
    assert any(c.lost == "different" and c.kept == "same" for c in server.conflicts)


@pytest.mark.parametrize("order", [("a1", "b1", "b2"), ("b1", "a1", "b2"), ("b1", "b2", "a1")])
def test_agreed_value_replaced_later_leaves_a_conflict_record(server, order):
    """a and b agree on a value, then b changes it: a's edit is recorded as lost."""
    ops = {
        "a1": op("dev-a", 2000, 1, {"title": "agreed"}),
        "b1": op("dev-b", 3000, 1, {"title": "agreed"}),
        "b2": op("dev-b", 4000, 1, {"title": "b's second thought"}),
    }
    for name in order:
        server.push(ops[name])
    assert server.doc["title"] == "b's second thought"
    assert any(c.lost == "agreed" for c in server.conflicts)


def test_agreement_means_no_device_owns_the_value(server):
    """After two devices agree, the unit is no longer 'last changed by' either device."""
    server.push(op("dev-b", 3000, 1, {"title": "agreed"}))
    assert server.meta["title"]["d"] == "dev-b"
    out = server.push(op("dev-a", 2000, 1, {"title": "agreed"}))
    assert out.written == [] and out.conflicts == [] and out.affirmed == ["title"]
    assert server.meta["title"] == {
        "r": 2,
        "h": hlc(3000, "dev-b"),
        "d": None,
        "b": "ofc.dev-b",
    }


@pytest.mark.parametrize("order", [("a1", "a2", "c"), ("a1", "c", "a2"), ("c", "a1", "a2")])
def test_same_device_resend_raises_the_stored_hlc(server, order):
    """A device re-sending its own value with a later HLC still beats an edit in between."""
    ops = {
        "a1": op("dev-a", 2000, 1, {"route": "a's route"}),
        "a2": op("dev-a", 4000, 1, {"route": "a's route", "narrative": "more"}),
        "c": op("dev-x", 3000, 1, {"route": "x's route"}),
    }
    for name in order:
        server.push(ops[name])
    assert server.doc["route"] == "a's route"
    assert server.meta["route"]["h"] == ops["a2"].hlc


def test_base_rev_none_on_existing_report_is_base_zero(server):
    """A second 'creation' of an existing id: every differing unit is concurrent."""
    out = server.push(
        op(
            "dev-a",
            500,
            None,
            {
                "title": "other title",  # differs, lower HLC: loses
                "kind": "incident",  # equal: nothing to do
                "location": {"lat": 1.0, "lon": 2.0},  # never set: applies
            },
        )
    )
    assert out.status == CONFLICT
    assert out.written == ["location"]
    assert [(c.field, c.kept, c.lost) for c in out.conflicts] == [
        ("title", CREATION["title"], "other title")
    ]
    assert server.doc["title"] == CREATION["title"]


def test_base_rev_none_on_existing_report_without_conflict_is_merged(server):
    """With base 0 and nothing differing, the op is merged, not applied."""
    out = server.push(op("dev-a", 5000, None, {"kind": "incident", "ended_at": "x"}))
    assert out.status == MERGED and out.written == ["ended_at"]


def test_base_rev_none_higher_hlc_wins_but_records_conflict(server):
    """A concurrent re-creation with a higher HLC wins and keeps the old value."""
    out = server.push(op("dev-a", 5000, None, {"title": "newer"}))
    assert out.status == CONFLICT and server.doc["title"] == "newer"
    assert out.conflicts[0].lost == CREATION["title"]


@pytest.mark.parametrize(
    ("base_rev", "units", "expected"),
    [
        (1, {"narrative": "x"}, APPLIED),  # base == current revision
        (1, {"narrative": "first draft"}, APPLIED),  # nothing changes, still applied
        (0, {"ended_at": "x"}, MERGED),  # report moved on, no conflict
        (0, {"narrative": "x"}, CONFLICT),  # concurrent with the creation
    ],
)
def test_status_values(server, base_rev, units, expected):
    """applied when base is current, merged when behind but clean, else conflict."""
    assert server.push(op("dev-a", 500, base_rev, units)).status == expected


def test_unchanged_value_writes_nothing_but_raises_the_hlc(server):
    """Re-sending the current value writes nothing (no revision), but is 'affirmed'."""
    out = server.push(op("dev-a", 2000, 1, {"narrative": "first draft"}))
    assert out.written == [] and not out.changed and server.rev == 1
    assert out.affirmed == ["narrative"]
    assert server.meta["narrative"] == {
        "r": 1,
        "h": hlc(2000, "dev-a"),
        "d": "dev-a",
        "b": "ofc.dev-a",
    }
    older = server.push(op("dev-b", 1500, 1, {"narrative": "first draft"}))
    assert older.affirmed == [] and older.meta == out.meta


def test_stamp_units_keeps_the_larger_hlc(server):
    """A server write (resolution) stamps rev and author and never lowers the HLC."""
    meta = stamp_units(server.meta, {"title": "x", "route": "y"}, 5, hlc(500, "srv"), "cmdr")
    assert meta["title"] == {"r": 5, "h": hlc(1000, "dev-c"), "d": None, "b": "cmdr"}
    meta = stamp_units(server.meta, {"title": "x", "new": 1}, 5, hlc(7000, "srv"), "cmdr")
    assert meta["title"]["h"] == hlc(7000, "srv")
    assert meta["new"] == {"r": 5, "h": hlc(7000, "srv"), "d": None, "b": "cmdr"}
    assert server.meta["title"]["r"] == 1  # input untouched


def test_device_edit_after_resolution_it_did_not_see_is_concurrent(server):
    """A unit re-stamped by the server at rev 2 is concurrent for a base-1 device."""
    server.doc["title"] = "resolved"
    server.meta = stamp_units(server.meta, {"title": "resolved"}, 2, hlc(9000, "srv"), "cmdr")
    server.rev = 2
    out = server.push(op("dev-a", 5000, 1, {"title": "device"}))
    assert out.status == CONFLICT and server.doc["title"] == "resolved"
    assert out.conflicts[0].kept_by == "cmdr" and out.conflicts[0].kept_device is None
