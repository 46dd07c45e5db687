"""The push's chain hash, spliced around the op's bytes, is chain.revision_hash exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from server.reports import evidence_chain
from sync import chain, signing
from tests.sync.test_canonical import json_values

_ids = st.none() | st.text(max_size=12)
_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)


@st.composite
def revision_rows(draw: st.DrawFn) -> dict[str, Any]:
    # Through orjson, as a push decodes them from its body.
    op = orjson.loads(orjson.dumps(draw(st.none() | _objects)))
    at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(microseconds=draw(st.integers(0, 10**13)))
    return {
        "report_id": draw(st.text(max_size=12)),
        "rev": draw(st.integers(1, 10**6)),
        "at": at,
        "by": draw(st.text(max_size=12)),
        "device_id": draw(_ids),
        "op_id": draw(_ids),
        "action": draw(st.sampled_from(["create", "push", "review", "transfer"])),
        # A row not yet written holds its changes and op as JSON values.
        "changes": orjson.loads(orjson.dumps(draw(_objects))),
        "op": op,
        "signature": draw(_ids),
    }


def _plain_json(row: dict[str, Any]) -> bool:
    # What a push can store: values that survive orjson and RFC 8785 alike.
    try:
        signing.canonical(row["changes"])
        if row["op"] is not None:
            signing.canonical(row["op"])
    except signing.SigningError:
        return False
    return True


@settings(max_examples=400, deadline=None)
@given(revision_rows(), st.none() | st.text("0123456789abcdef", min_size=64, max_size=64))
def test_spliced_hash_equals_the_chain_hash(row: dict[str, Any], prev: str | None) -> None:
    if not _plain_json(row):
        return
    expected = chain.revision_hash(evidence_chain._view(row, row["changes"], row["op"]), prev)
    at = evidence_chain.iso(row["at"])
    # Without the op's bytes (review, transfer, unsigned ops) and with them (signed pushes).
    assert evidence_chain._sealed_hash(row, at, prev, None) == expected
    op_bytes = b"null" if row["op"] is None else signing.canonical(row["op"])
    assert evidence_chain._sealed_hash(row, at, prev, op_bytes) == expected


def test_the_splice_points_follow_rfc_8785_key_order() -> None:
    keys = [*chain.REVISION_KEYS, "prev"]
    ordered = sorted(keys, key=lambda k: k.encode("utf-16-be"))
    split = ordered.index("op")
    assert tuple(ordered[:split]) == evidence_chain._BEFORE_OP
    assert tuple(ordered[split + 1 :]) == evidence_chain._AFTER_OP
