"""Property tests of the merge: convergence under every delivery order.

Set-up (the preconditions of these properties):

* a base report at revision ``BASE`` whose unit metadata carries HLCs lower
  than every op HLC (devices advance their clock past what they pulled);
* several devices, each with a list of ops in strictly increasing HLC order,
  HLC node = device id, every op with ``base_rev = BASE``;
* like a real client, a device sends a unit only when its value differs from
  its own local view (the base plus its own earlier ops); values come from a
  tiny alphabet so different devices often agree.

The ops are delivered in many interleavings that keep each device's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sync import hlc as H
from sync import units as U
from sync.merge import APPLIED, CONFLICT, MERGED, ConflictRecord, Op, Side, merge_op

SCALAR_UNITS = ("title", "narrative", "route")
ELEMENT_UNITS = ("persons.p1", "persons.p2", "persons.p3")
UNITS = SCALAR_UNITS + ELEMENT_UNITS
SCALAR_VALUES = ("x", "y", "z")
ELEMENT_VALUES = (None, {"role": "victim"}, {"role": "suspect", "age": 30})
DEVICES = ("dev-a", "dev-b", "dev-c", "dev-d")
OP_START_MS = 10_000  # every op HLC is at or above this; base HLCs are below


def alphabet(unit: str) -> tuple[Any, ...]:
    """The values a unit may take."""
    return SCALAR_VALUES if unit in SCALAR_UNITS else ELEMENT_VALUES


@dataclass
class Scenario:
    """A base report plus the ops of every device."""

    base_doc: dict[str, Any]
    base_meta: dict[str, dict[str, Any]]
    base_rev: int
    ops: dict[str, list[Op]]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Draw a base report and per-device op lists respecting the preconditions."""
    base_rev = draw(st.integers(min_value=1, max_value=6))
    base_doc: dict[str, Any] = {"kind": "patrol", "persons": {}}
    base_meta: dict[str, dict[str, Any]] = {}
    for unit in UNITS:
        value = draw(st.sampled_from(alphabet(unit)))
        if value is None and unit in SCALAR_UNITS:
            continue
        U.put(base_doc, unit, value)
        if value is not None:
            base_meta[unit] = {
                "r": draw(st.integers(min_value=1, max_value=base_rev)),
                "h": str(H.HLC(draw(st.integers(0, OP_START_MS - 1)), 0, "old-dev")),
                "d": draw(st.sampled_from(["old-dev", "dev-a", None])),
                "b": "ofc.old",
            }

    n_devices = draw(st.integers(min_value=2, max_value=len(DEVICES)))
    ops: dict[str, list[Op]] = {}
    for device in DEVICES[:n_devices]:
        local = {unit: U.get(base_doc, unit) for unit in UNITS}
        clock = H.HLC(OP_START_MS + draw(st.integers(0, 4)), draw(st.integers(0, 2)), device)
        device_ops: list[Op] = []
        for _ in range(draw(st.integers(min_value=1, max_value=4))):
            touched = draw(st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True))
            fields: dict[str, Any] = {}
            for unit in touched:
                choices = [v for v in alphabet(unit) if v != local[unit]]
                fields[unit] = local[unit] = draw(st.sampled_from(choices))
            device_ops.append(Op(base_rev, str(clock), fields, device, f"ofc.{device}"))
            # Small, repeating wall readings: equal ms across devices are common.
            clock = H.tick(clock, device, wall_ms=OP_START_MS + draw(st.integers(0, 6)))
        ops[device] = device_ops
    return Scenario(base_doc, base_meta, base_rev, ops)


def schedules(scenario: Scenario) -> st.SearchStrategy[list[str]]:
    """Delivery orders: one device label per op, permuted (each device keeps its order)."""
    labels = [device for device, device_ops in scenario.ops.items() for _ in device_ops]
    return st.permutations(labels)


@dataclass
class Run:
    """The server state after delivering every op in one order."""

    doc: dict[str, Any]
    meta: dict[str, dict[str, Any]]
    rev: int
    conflicts: list[ConflictRecord]


def deliver(scenario: Scenario, schedule: list[str]) -> Run:
    """Apply the ops in ``schedule`` order as the server would, checking each step."""
    doc, meta, rev = scenario.base_doc, scenario.base_meta, scenario.base_rev
    conflicts: list[ConflictRecord] = []
    position = dict.fromkeys(scenario.ops, 0)
    for device in schedule:
        op = scenario.ops[device][position[device]]
        position[device] += 1
        out = merge_op(doc, meta, rev, op)
        # Status follows DESIGN §3 and conflicts are reported with the op.
        if out.conflicts:
            assert out.status == CONFLICT
        else:
            assert out.status == (APPLIED if op.base_rev == rev else MERGED)
        assert all(c.field in op.units for c in out.conflicts)
        assert set(out.written) <= set(op.units)
        # Metadata changes only for units written or affirmed (what callers store).
        assert set(out.affirmed) <= set(op.units) - set(out.written)
        for unit in set(meta) | set(out.meta):
            if unit not in out.written and unit not in out.affirmed:
                assert out.meta.get(unit) == meta.get(unit)
        if out.changed:
            rev += 1
        # Property (4), right away: the same op again changes nothing.
        again = merge_op(out.doc, out.meta, rev, op)
        assert again.doc == out.doc
        assert again.written == []
        doc, meta = out.doc, out.meta
        conflicts += out.conflicts
    assert all(position[d] == len(device_ops) for d, device_ops in scenario.ops.items())
    return Run(doc, meta, rev, conflicts)


def winners(scenario: Scenario) -> dict[str, Op]:
    """For every touched unit, the op with the highest HLC that touched it."""
    best: dict[str, Op] = {}
    for device_ops in scenario.ops.values():
        for op in device_ops:
            for unit in op.units:
                if unit not in best or op.hlc > best[unit].hlc:
                    best[unit] = op
    return best


def sequential(scenario: Scenario) -> list[str]:
    """All of one device, then all of the next."""
    return [d for d, device_ops in scenario.ops.items() for _ in device_ops]


PROPS = settings(max_examples=200, deadline=None)


@given(scenario=scenarios(), data=st.data())
@PROPS
def test_final_document_is_the_same_for_every_interleaving(scenario, data):
    """(1) Whatever the delivery order, the final document is identical."""
    reference = deliver(scenario, sequential(scenario))
    backwards = [d for d in reversed(scenario.ops) for _ in scenario.ops[d]]
    others = [deliver(scenario, backwards)]
    others += [deliver(scenario, data.draw(schedules(scenario))) for _ in range(4)]
    for run in others:
        assert run.doc == reference.doc


@given(scenario=scenarios(), data=st.data())
@PROPS
def test_every_unit_ends_with_the_highest_hlc_value(scenario, data):
    """(2) Each unit holds the value of its highest-HLC op, or its base value."""
    run = deliver(scenario, data.draw(schedules(scenario)))
    best = winners(scenario)
    for unit in UNITS:
        expected = best[unit].units[unit] if unit in best else U.get(scenario.base_doc, unit)
        assert U.get(run.doc, unit) == expected, unit
        if unit in best:
            # The stored HLC is the winner's, so later arrivals compare correctly.
            assert run.meta[unit]["h"] == best[unit].hlc
    assert run.doc["kind"] == "patrol"


@given(scenario=scenarios(), data=st.data())
@PROPS
def test_no_device_edit_is_silently_lost(scenario, data):
    """(3) A device's last value of a unit is in the document or in a conflict record."""
    run = deliver(scenario, data.draw(schedules(scenario)))
    for device_ops in scenario.ops.values():
        last: dict[str, Any] = {}
        for op in device_ops:
            last.update(op.units)
        for unit, value in last.items():
            kept_somewhere = U.get(run.doc, unit) == value or any(
                c.field == unit and value in (c.kept, c.lost) for c in run.conflicts
            )
            assert kept_somewhere, (unit, value)


@given(scenario=scenarios(), data=st.data())
@PROPS
def test_replaying_a_device_last_op_changes_nothing(scenario, data):
    """(4) At the end, re-applying any device's last op leaves the document as it is."""
    run = deliver(scenario, data.draw(schedules(scenario)))
    for device_ops in scenario.ops.values():
        out = merge_op(run.doc, run.meta, run.rev, device_ops[-1])
        assert out.doc == run.doc
        assert out.written == []


@given(scenario=scenarios(), data=st.data())
@PROPS
def test_conflict_records_name_the_higher_hlc_as_kept(scenario, data):
    """Every conflict record keeps the higher HLC and loses the lower one."""
    run = deliver(scenario, data.draw(schedules(scenario)))
    for c in run.conflicts:
        assert c.kept_hlc > c.lost_hlc
        assert c.kept != c.lost
        for device, stamp in ((c.kept_device, c.kept_hlc), (c.lost_device, c.lost_hlc)):
            assert device is None or stamp.endswith("-" + device)


@st.composite
def sides(draw: st.DrawFn) -> Side:
    """One side of a concurrent edit; its HLC node is its device, as on the wire."""
    device = draw(st.sampled_from(DEVICES))
    ms = draw(st.integers(min_value=OP_START_MS, max_value=OP_START_MS + 5))
    stamp = H.HLC(ms, draw(st.integers(min_value=0, max_value=2)), device)
    by = draw(st.sampled_from((None, f"ofc.{device}")))
    return Side(value=draw(st.sampled_from(SCALAR_VALUES)), by=by, hlc=str(stamp), device=device)


@given(one=sides(), other=sides())
@PROPS
def test_conflict_record_does_not_depend_on_arrival_order(one, other):
    """A record between two sides is the same whichever side came first, and keeps
    the side with the higher HLC whole (value, author, HLC and device together)."""
    # Equal HLC strings mean one device and one event: never concurrent.
    assume(one.hlc != other.hlc)
    record = ConflictRecord.between("title", one, other)
    assert record == ConflictRecord.between("title", other, one)
    kept, lost = sorted((one, other), key=lambda s: s.hlc, reverse=True)
    assert (record.kept, record.kept_by, record.kept_hlc, record.kept_device) == (
        kept.value,
        kept.by,
        kept.hlc,
        kept.device,
    )
    assert (record.lost, record.lost_by, record.lost_hlc, record.lost_device) == (
        lost.value,
        lost.by,
        lost.hlc,
        lost.device,
    )
