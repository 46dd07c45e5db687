"""The device's acknowledged copy: stored once, kept under local edits, advanced by applied ops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from client_sqlite import editing
from client_sqlite.acknowledged import ACKED_DOC
from client_sqlite.store import Store
from sync import document
from tests.world import incident

RID = "01933b3c-0000-7000-8000-0000000000a1"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A store holding one report pulled from the server at revision 1."""
    s = Store(tmp_path / "device.sqlite3")
    server_doc = document.full(
        {
            **incident(),
            "id": RID,
            "post": "NNK",
            "author": "ofc.nnk.1",
            "device_id": "dev-1",
            "created_at": "2026-11-30T01:00:00.000Z",
            "received_at": "2026-11-30T01:00:00.000Z",
            "review": {"status": "submitted", "note": None, "by": None, "at": None},
            "rev": 1,
        }
    )
    s.apply_pull_page([{"report": server_doc, "open_conflicts": []}], "c1")
    yield s
    s.close()


def acked(store: Store) -> dict[str, Any]:
    """The acknowledged document as the store reads it."""
    (text,) = store.conn.execute(f"SELECT {ACKED_DOC} FROM reports WHERE id=?", (RID,)).fetchone()
    return orjson.loads(text)


def test_a_pulled_report_is_stored_once(store: Store) -> None:
    """With nothing on top, the row keeps the document in ``doc`` only."""
    row = store.conn.execute("SELECT doc, acked FROM reports WHERE id=?", (RID,)).fetchone()
    assert row[1] is None and orjson.loads(row[0]) == store.report(RID)
    assert acked(store) == store.report(RID) and acked(store)["rev"] == 1


def test_applied_op_advances_the_copy_under_a_later_pending_edit(store: Store) -> None:
    """Op 1 applied: the acknowledged copy is revision 1 plus op 1, never the later op 2."""
    before = store.report(RID)
    editing.edit(store, RID, {"route": "first edit"})
    assert acked(store) == before  # kept aside before the local edit replaced doc
    (op1,) = store.pending_ops(10)
    store.mark_in_flight([op1["op_id"]])
    editing.edit(store, RID, {"title": "second edit, not sent yet"})
    server_fields = {
        "post": "NNK",
        "author": "ofc.nnk.1",
        "device_id": "dev-1",
        "created_at": before["created_at"],
        "received_at": before["received_at"],
        "review": before["review"],
        "rev": 2,
    }
    store.apply_push_results(
        [
            {
                "op_id": op1["op_id"],
                "report_id": RID,
                "status": "applied",
                "rev": 2,
                "server_fields": server_fields,
            }
        ]
    )
    expected = dict(before, route="first edit", rev=2)
    assert acked(store) == expected
    assert store.report(RID) == dict(expected, title="second edit, not sent yet")
    (row,) = store.reports()
    assert row["acked_rev"] == 2 and row["pending"] == 1


def test_a_result_for_an_older_copy_is_not_applied(store: Store) -> None:
    """An applied result whose op was based on another revision leaves the copy alone."""
    editing.edit(store, RID, {"route": "edit"})
    (op,) = store.pending_ops(10)
    store.conn.execute("UPDATE outbox SET base_rev=0 WHERE op_id=?", (op["op_id"],))
    before = acked(store)
    store.apply_push_results(
        [
            {
                "op_id": op["op_id"],
                "report_id": RID,
                "status": "applied",
                "rev": 2,
                "server_fields": {"rev": 2, "post": "NNK"},
            }
        ]
    )
    assert acked(store) == before and store.counts()["pending"] == 0
