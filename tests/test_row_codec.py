"""Revisions and op records stored once (server.reports.row_codec): exact, and small.

The stored forms must read back to exactly what was meant to be stored (the
hash chain covers the decoded values; a replay answers the stored result
byte for byte), and a pushed report's content must not be kept twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from server.infra.db import db
from server.infra.models import OpRecord, ReportRevision
from server.reports import row_codec
from sync import units as U
from tests.world import World, incident

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_ELEMENT = st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True)
_MAPS = ["persons", "actions", "vehicles"]


@st.composite
def _fields(draw: st.DrawFn) -> dict[str, Any]:
    """An op's fields: scalar fields, whole maps and single map elements."""
    fields: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(U.SCALAR_FIELDS), unique=True, max_size=4)):
        fields[name] = draw(_JSON)
    for name in draw(st.lists(st.sampled_from(_MAPS), unique=True, max_size=2)):
        fields[name] = draw(st.dictionaries(_ELEMENT, _JSON, max_size=3))
    for name in draw(st.lists(st.sampled_from(_MAPS), unique=True, max_size=2)):
        fields[f"{name}.{draw(_ELEMENT)}"] = draw(_JSON)
    return fields


def _json_equal(a: Any, b: Any) -> bool:
    return orjson.dumps(a, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        b, option=orjson.OPT_SORT_KEYS
    )


@settings(max_examples=300, deadline=None)
@given(fields=_fields(), data=st.data())
def test_changes_read_back_exactly(fields: dict[str, Any], data: st.DataObject) -> None:
    """Any changes (the op's units or some of them, changed values, server-added
    units) read back as they were, given the op they were stored with."""
    op = {
        "op_id": str(uuid.uuid4()),
        "report_id": "r",
        "base_rev": None,
        "hlc": "h",
        "fields": fields,
    }
    try:
        units = U.expand(fields)
    except U.UnitError:
        units = {}
    kept = data.draw(st.lists(st.sampled_from(sorted(units)), unique=True)) if units else []
    changes = {unit: units[unit] for unit in kept}
    changes.update(
        data.draw(
            st.dictionaries(st.sampled_from(["post", "review.status", *kept]), _JSON, max_size=3)
        )
    )
    text = row_codec.encode_changes(changes, op)
    assert _json_equal(row_codec.decode_changes(text, op), changes)
    stored = row_codec.encode_op(op, op["op_id"], "r")
    assert row_codec.decode_op(stored, op["op_id"], "r") == op


@settings(max_examples=300, deadline=None)
@given(
    status=st.sampled_from(["applied", "merged", "rejected"]),
    rev=st.none() | st.integers(1, 9),
    report_id=st.none() | st.just("r1") | st.just(7),
    extra=st.dictionaries(
        st.sampled_from(["replayed", "hlc_clamped", "conflicts", "errors", "other"]),
        _JSON,
        max_size=3,
    ),
)
def test_op_results_read_back_byte_for_byte(
    status: str, rev: int | None, report_id: Any, extra: dict[str, Any]
) -> None:
    """A replay answers with the very bytes of the first answer, whatever the result held."""
    op_id = str(uuid.uuid4())
    result = {
        "op_id": op_id,
        "report_id": report_id,
        "status": status,
        "rev": rev,
        "replayed": False,
        "hlc_clamped": False,
        "conflicts": [],
        "errors": {},
    }
    result.update(extra)
    column = report_id if isinstance(report_id, str) else None
    text = row_codec.encode_result(result, op_id, column)
    assert orjson.dumps(row_codec.decode_result(text, op_id, column)) == orjson.dumps(result)


def test_a_pushed_report_is_stored_once_and_reads_back_whole(app: Flask, world: World) -> None:
    """The creation's revision keeps its content in the op only, the op record keeps
    no copy of what its columns hold; history and replay still answer in full
    (before, changes repeated the op's ~1 KB and the result its ids and defaults)."""
    device = world.devices["ofc.nnk.1"]
    change = device.op(str(uuid.uuid4()), incident())
    (first,) = device.push(change)
    with app.app_context():
        revision = db.session.execute(select(ReportRevision.__table__)).mappings().one()
        record = db.session.execute(select(OpRecord.__table__)).mappings().one()
    assert len(revision["changes"]) < 40
    assert change["report_id"] not in revision["op"] and change["op_id"] not in revision["op"]
    assert change["op_id"] not in record["result"] and len(record["result"]) < 40
    changes, op = row_codec.decoded_revision(revision)
    assert changes == dict(U.expand(change["fields"]), post="NNK")
    assert op == {k: change[k] for k in ("op_id", "report_id", "base_rev", "hlc", "fields")}
    history = world.report(change["report_id"])["history"]
    assert history[0]["changes"] == changes
    (again,) = device.push(change)
    assert again == dict(first, replayed=True)
