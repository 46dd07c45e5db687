"""How report state maps onto rows: the stored form of merge metadata."""

from __future__ import annotations

import orjson
import pytest

from server.reports.store import decode_meta, encode_meta

A = {"r": 1, "h": "0001763800000000-00000-dev-a", "d": "dev-a", "b": "ofc.nnk.1"}
B = {"r": 3, "h": "0001763800005000-00002-dev-b", "d": None, "b": "cmd.nnk"}


@pytest.mark.parametrize(
    "meta",
    [
        {},
        {"title": A, "persons.p1": dict(A), "route": B},
        {"title": A, "odd": {"r": 2, "h": "x", "d": "y", "b": "z", "extra": True}},
        {"title": A, "four": {"r": 2, "h": "x", "d": "y", "x": "z"}},
        {"narrative": {"r": 4, "h": "x"}},
        # A device that is not the HLC's node, or an HLC too short to have one.
        {"title": {"r": 1, "h": "0001763800000000-00000-dev-a", "d": "dev-b", "b": "o"}},
        {"title": {"r": 1, "h": "0001763800000000-00000-", "d": "", "b": "o"}},
        {"title": {"r": 1, "h": "short", "d": "", "b": "o"}},
        {"title": {"r": 1, "h": "0001763800000000-00000xdev-a", "d": "dev-a", "b": "o"}},
    ],
)
def test_metadata_round_trips_exactly(meta: dict) -> None:
    """Whatever the stamps look like, decoding gives back equal metadata."""
    assert decode_meta(encode_meta(meta)) == meta


def test_shared_stamps_are_stored_once() -> None:
    """A creation stamps every unit alike: one stamp is stored, not one per unit."""
    meta = {f"unit{i}": dict(A) for i in range(16)}
    stored = encode_meta(meta)
    assert stored.count("dev-a") == 1  # in the HLC only: the device is its node
    assert len(stored) < len(orjson.dumps(meta)) / 4


def test_plain_form_written_before_is_still_read() -> None:
    """Rows stored as {unit: stamp} decode unchanged."""
    assert decode_meta(orjson.dumps({"title": A}).decode()) == {"title": A}
