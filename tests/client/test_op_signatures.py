"""Ops are signed when the officer records them, so a sync has nothing left to sign."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from client_sqlite import editing
from client_sqlite.store import Store
from sync import hlc as H
from sync import signing
from tests.world import incident


def enroll(store: Store, key: Any) -> None:
    """Keep an enrollment answer (no server needed) with ``key`` as the device's key."""
    store.save_enrollment(
        "http://127.0.0.1:9",
        {
            "device_id": "dev-1",
            "token": "pd_token",
            "officer": "ofc.nnk.1",
            "post": "NNK",
            "server_time": H.format_server_time(),
        },
        signing_key=signing.private_key_pem(key),
    )


def assert_signed_by(ops: list[dict[str, Any]], key: Any) -> None:
    """Every op carries a valid signature of ``key`` over what is sent."""
    assert ops
    for op in ops:
        signing.verify(key.public_key(), signing.op_message(op), op["signature"])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh store file."""
    s = Store(tmp_path / "device.sqlite3")
    yield s
    s.close()


def test_ops_are_signed_when_recorded(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A creation, a folded edit and a later edit all go out with record-time signatures."""
    key = signing.new_private_key()
    enroll(store, key)
    first = editing.create(store, "incident", incident())
    editing.edit(store, first, {"route": "folded into the creation"})
    store.mark_in_flight([op["op_id"] for op in store.pending_ops(10)])
    editing.edit(store, first, {"title": "an edit after sending"})
    editing.create(store, "incident", incident(title="second"))

    def no_signing_at_sync(*_args: Any) -> str:
        raise AssertionError("an op was signed at sync time")

    monkeypatch.setattr(signing, "sign_op", no_signing_at_sync)
    ops = store.pending_ops(10)
    assert [op["fields"].get("route") for op in ops[:1]] == ["folded into the creation"]
    assert len(ops) == 3
    assert_signed_by(ops, key)


def test_ops_recorded_before_enrollment_are_signed_when_sent(store: Store) -> None:
    """Without a key when recorded, the op is signed with the device's key at sync."""
    editing.create(store, "incident", incident())
    assert store.pending_ops(10)[0].get("signature") is None
    key = signing.new_private_key()
    enroll(store, key)
    assert_signed_by(store.pending_ops(10), key)


def test_a_new_enrollment_signs_pending_ops_with_the_new_key(store: Store) -> None:
    """Ops signed under an old key are signed again under the key of a new enrollment."""
    enroll(store, signing.new_private_key())
    editing.create(store, "incident", incident())
    new_key = signing.new_private_key()
    enroll(store, new_key)
    assert_signed_by(store.pending_ops(10), new_key)


def test_an_op_signed_when_sent_is_signed_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An op recorded before enrollment keeps the signature it was sent with: a retry
    sends the same bytes and signs nothing again."""
    editing.create(store, "incident", incident())
    key = signing.new_private_key()
    enroll(store, key)
    (sent,) = store.mark_in_flight([op["op_id"] for op in store.pending_ops(10)])
    assert_signed_by([sent], key)

    def no_signing_again(*_args: Any) -> str:
        raise AssertionError("an op in flight was signed again")

    monkeypatch.setattr(signing, "sign_op", no_signing_again)
    (retried,) = store.pending_ops(10)
    assert retried == sent
    assert store.mark_in_flight([retried["op_id"]]) == [sent]
