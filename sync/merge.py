"""The merge rules of DESIGN §3 as pure functions.

The server keeps, for every unit of a report, who wrote it last and when:
``{"r": revision, "h": hlc, "d": device id, "b": author}``.  Such a stamp
is a value: units may share one dict, so it is replaced, never mutated.  ``merge_op``
takes the current document, that metadata and one op, and returns the new
document, the new metadata, the units it wrote and the conflict records.
It never touches a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.units import MAP_FIELDS, get, put

APPLIED = "applied"
MERGED = "merged"
CONFLICT = "conflict"
REJECTED = "rejected"


@dataclass(frozen=True)
class Op:
    """One change as the merge sees it (HLC already clamped by the server)."""

    base_rev: int | None
    hlc: str
    units: Mapping[str, Any]
    device: str
    author: str


@dataclass(frozen=True, kw_only=True)
class Side:
    """One side of a concurrent edit: a value and the stamp it was written with."""

    value: Any
    by: str | None
    hlc: str
    device: str | None


@dataclass(frozen=True, kw_only=True)
class ConflictRecord:
    """A concurrent edit that lost: the losing value is kept here, never dropped."""

    field: str
    kept: Any
    lost: Any
    kept_by: str | None
    lost_by: str | None
    kept_hlc: str
    lost_hlc: str
    kept_device: str | None
    lost_device: str | None

    @classmethod
    def between(cls, unit: str, one: Side, other: Side) -> ConflictRecord:
        """The record of two concurrent edits of ``unit``: the higher HLC is kept.

        Symmetric in its two sides, so the record does not depend on which
        edit arrived first (HLC strings end in the device id, which breaks ties).
        """
        kept, lost = (one, other) if one.hlc > other.hlc else (other, one)
        return cls(
            field=unit,
            kept=kept.value,
            lost=lost.value,
            kept_by=kept.by,
            lost_by=lost.by,
            kept_hlc=kept.hlc,
            lost_hlc=lost.hlc,
            kept_device=kept.device,
            lost_device=lost.device,
        )


@dataclass
class Outcome:
    """What one op did to a report."""

    doc: dict[str, Any]
    meta: dict[str, dict[str, Any]]
    status: str
    written: list[str] = field(default_factory=list)
    conflicts: list[ConflictRecord] = field(default_factory=list)
    #: Units re-sent with their current value: only their metadata changed
    #: (no new revision is due, but ``meta`` must be stored).
    affirmed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the op wrote at least one unit (a new revision is due)."""
        return bool(self.written)


def _copy_doc(doc: Mapping[str, Any]) -> dict[str, Any]:
    # Map fields are mutated element-wise, so they need their own dicts;
    # element values themselves are replaced whole and can be shared.
    out = dict(doc)
    for name in MAP_FIELDS:
        if name in out and out[name] is not None:
            out[name] = dict(out[name])
    return out


@dataclass(kw_only=True)
class _Merge:
    """The outcome of one op as it is built, unit by unit."""

    op: Op
    new_rev: int
    doc: dict[str, Any]
    meta: dict[str, Any]
    written: list[str] = field(default_factory=list)
    conflicts: list[ConflictRecord] = field(default_factory=list)
    affirmed: list[str] = field(default_factory=list)

    def stamp(self, hlc: str | None = None) -> dict[str, Any]:
        op = self.op
        return {
            "r": self.new_rev,
            "h": op.hlc if hlc is None else hlc,
            "d": op.device,
            "b": op.author,
        }

    def write(self, unit: str, value: Any, stamp: dict[str, Any]) -> None:
        put(self.doc, unit, value)
        self.meta[unit] = stamp
        self.written.append(unit)

    def affirm(self, unit: str, stamp: Mapping[str, Any]) -> None:
        self.meta[unit] = stamp
        self.affirmed.append(unit)


def merge_op(
    doc: Mapping[str, Any],
    meta: Mapping[str, Mapping[str, Any]],
    current_rev: int,
    op: Op,
) -> Outcome:
    """Apply ``op`` to a report at ``current_rev`` under the rules of DESIGN §3.

    ``current_rev`` is 0 for a report that does not exist yet.  Units written
    are stamped with ``current_rev + 1``, the revision the caller commits if
    anything changed.  ``meta`` also changes for units re-sent with their
    current value (``Outcome.affirmed``), so callers store ``Outcome.meta``
    when ``changed`` or ``affirmed``.
    """
    if current_rev == 0 and not doc and not meta:
        return _create(op)
    work = _Merge(op=op, new_rev=current_rev + 1, doc=_copy_doc(doc), meta=dict(meta))
    base = op.base_rev or 0
    for unit, value in op.units.items():
        m = meta.get(unit)
        if m is None or m["r"] <= base or m.get("d") == op.device:
            _seen(work, unit, value, m)
        elif get(work.doc, unit) == value:
            _agreed(work, unit, m)
        else:
            _concurrent(work, unit, value, m)
    if work.conflicts:
        status = CONFLICT
    elif op.base_rev is None and current_rev == 0 or base == current_rev:
        status = APPLIED
    else:
        status = MERGED
    return Outcome(work.doc, work.meta, status, work.written, work.conflicts, work.affirmed)


def _seen(work: _Merge, unit: str, value: Any, m: Mapping[str, Any] | None) -> None:
    """Rule 1: the device had seen the current value (or wrote it itself in
    an earlier offline op), so its edit is causally newer."""
    op = work.op
    if get(work.doc, unit) != value:
        # Never lower a unit's HLC: a later concurrent edit compares against it.
        work.write(unit, value, work.stamp(m["h"] if m is not None and m["h"] > op.hlc else None))
    elif m is not None and op.hlc > m["h"]:
        # The current value re-sent: no new revision, but the larger HLC.
        work.affirm(unit, {**m, "h": op.hlc, "d": op.device, "b": op.author})


def _agreed(work: _Merge, unit: str, m: Mapping[str, Any]) -> None:
    """Rule 2: concurrent, but both sides agree: the document stays.

    The stored HLC still becomes the larger one (else a third value with an
    HLC between the two would win or lose by arrival order), and the value
    no longer belongs to one device: a later op of either device is
    concurrent with the other's edit, so replacing the value leaves a
    conflict record whatever the arrival order.
    """
    op = work.op
    newer = op.hlc > m["h"]
    agreed = {
        **m,
        "h": op.hlc if newer else m["h"],
        "d": None,
        "b": op.author if newer else m.get("b"),
    }
    if agreed != m:
        work.affirm(unit, agreed)


def _concurrent(work: _Merge, unit: str, value: Any, m: Mapping[str, Any]) -> None:
    """Rule 3: concurrent edits; the higher HLC wins whatever the arrival order."""
    op = work.op
    mine = Side(value=value, by=op.author, hlc=op.hlc, device=op.device)
    theirs = Side(value=get(work.doc, unit), by=m.get("b"), hlc=m["h"], device=m.get("d"))
    work.conflicts.append(ConflictRecord.between(unit, mine, theirs))
    if op.hlc > m["h"]:
        work.write(unit, value, work.stamp())


def _create(op: Op) -> Outcome:
    """``merge_op`` for a report that does not exist yet."""
    # Nothing exists yet, so rule 1 holds for every unit: each non-null
    # value is written with the op's stamp (a null has nothing to remove).
    # Same result as the general loop, without its per-unit comparisons.
    # Every unit shares the one stamp: stamps are values, never changed in
    # place (a later write puts a new dict).
    new_doc: dict[str, Any] = {}
    new_meta: dict[str, dict[str, Any]] = {}
    written = []
    stamp = {"r": 1, "h": op.hlc, "d": op.device, "b": op.author}
    for unit, value in op.units.items():
        if value is None:
            continue
        head, dot, tail = unit.partition(".")
        if dot:  # units.put, inlined: this loop runs for every unit pushed
            elements = new_doc.get(head)
            if elements is None:
                elements = new_doc[head] = {}
            elements[tail] = value
        else:
            new_doc[unit] = value
        new_meta[unit] = stamp
        written.append(unit)
    status = APPLIED if not op.base_rev else MERGED
    return Outcome(new_doc, new_meta, status, written)


def stamp_units(
    meta: Mapping[str, Mapping[str, Any]],
    written: Mapping[str, Any],
    rev: int,
    hlc: str,
    by: str,
    device: str | None = None,
) -> dict[str, dict[str, Any]]:
    """Metadata after a server-side write (review, resolution) of ``written`` units."""
    new_meta = dict(meta)
    for unit in written:
        old = meta.get(unit)
        h = old["h"] if old is not None and old["h"] > hlc else hlc
        new_meta[unit] = {"r": rev, "h": h, "d": device, "b": by}
    return new_meta
