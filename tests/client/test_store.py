"""The device store: one transaction per edit, crash safety, migrations, permissions."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from client_sqlite import editing
from client_sqlite.connection import Transactions, open_database
from client_sqlite.display import short_id
from client_sqlite.migrations import LATEST, current_version, migrate
from client_sqlite.store import Store
from tests.field import raw_connection
from tests.world import incident


@pytest.fixture
def store(tmp_path: Path) -> Store:
    """A fresh store file."""
    s = Store(tmp_path / "device.sqlite3")
    yield s
    s.close()


def test_store_file_is_private(tmp_path: Path) -> None:
    """The store holds the token and evidence: mode 0600."""
    s = Store(tmp_path / "d.sqlite3")
    s.close()
    assert stat.S_IMODE(os.stat(tmp_path / "d.sqlite3").st_mode) == 0o600


def test_create_writes_report_and_outbox_together(store: Store) -> None:
    """A new report is in the store with exactly one pending op, before any server exists."""
    rid = editing.create(store, "incident", incident())
    assert store.report(rid)["title"] == incident()["title"]
    (op,) = store.outbox(rid)
    assert op["state"] == "pending" and op["base_rev"] is None
    assert op["fields"]["kind"] == "incident"


def test_edit_and_outbox_are_one_transaction(store: Store, monkeypatch) -> None:
    """If writing the outbox entry fails, the local edit is not kept either."""
    rid = editing.create(store, "incident", incident())
    store.mark_in_flight([store.outbox(rid)[0]["op_id"]])

    def broken(*args: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(editing, "_enqueue", broken)
    with pytest.raises(sqlite3.OperationalError):
        editing.edit(store, rid, {"route": "Sebuku river"})
    assert store.report(rid)["route"] == incident()["route"]
    assert len(store.outbox(rid)) == 1


def test_invalid_edit_is_refused_offline(store: Store) -> None:
    """Validation runs locally with the server's schemas; nothing is stored."""
    rid = editing.create(store, "incident", incident())
    with pytest.raises(editing.LocalValidationError) as info:
        editing.edit(store, rid, {"location": {"lat": 95, "lon": 1}})
    assert info.value.errors == {"location.lat": ["must be between -90 and 90"]}
    with pytest.raises(editing.LocalValidationError) as info:
        editing.create(store, "patrol", {"title": "t", "occurred_at": "2026-11-20T03:00:00+07:00"})
    assert "route" in info.value.errors
    assert len(store.outbox()) == 1


def test_unsent_edits_fold_into_the_newest_op(store: Store) -> None:
    """An edit of a report whose newest op was never sent joins that op."""
    rid = editing.create(store, "incident", incident())
    editing.edit(store, rid, {"route": "Sebuku river", "persons.p2": {"role": "witness"}})
    (op,) = store.outbox(rid)
    assert op["fields"]["route"] == "Sebuku river" and op["fields"]["persons.p2"]
    assert op["fields"]["persons.p1"]["age"] == 16


def test_edit_after_send_is_a_new_op(store: Store) -> None:
    """Once an op may have reached the server, later edits never change it."""
    rid = editing.create(store, "incident", incident())
    first = store.outbox(rid)[0]
    store.mark_in_flight([first["op_id"]])
    editing.edit(store, rid, {"route": "Sebuku river"})
    ops = store.outbox(rid)
    assert [o["state"] for o in ops] == ["in_flight", "pending"]
    assert ops[0]["fields"] == first["fields"]


def test_rejected_op_folds_into_next_edit(store: Store) -> None:
    """Editing a report with a rejected change carries that change along; nothing is lost."""
    rid = editing.create(store, "incident", incident())
    op = store.outbox(rid)[0]
    store.mark_in_flight([op["op_id"]])
    store.apply_push_results(
        [
            {
                "op_id": op["op_id"],
                "report_id": rid,
                "status": "rejected",
                "errors": {"title": ["too rude"]},
            }
        ]
    )
    assert store.counts()["rejected"] == 1
    editing.edit(store, rid, {"title": "Corrected title"})
    (new,) = store.outbox(rid)
    assert new["state"] == "pending" and new["fields"]["title"] == "Corrected title"
    assert new["fields"]["kind"] == "incident" and new["base_rev"] is None


def test_pull_keeps_unsynced_edits_on_top(store: Store) -> None:
    """A pulled document replaces the acknowledged state; pending edits stay visible."""
    rid = editing.create(store, "incident", incident())
    op = store.outbox(rid)[0]
    store.mark_in_flight([op["op_id"]])
    store.apply_push_results([{"op_id": op["op_id"], "report_id": rid, "status": "applied"}])
    editing.edit(store, rid, {"narrative": "mine, unsent"})
    server_doc = {
        "id": rid,
        **incident(route="Changed by someone else"),
        "rev": 2,
        "review": {"status": "submitted"},
    }
    store.apply_pull_page([{"report": server_doc, "open_conflicts": []}], "c2")
    doc = store.report(rid)
    assert doc["route"] == "Changed by someone else" and doc["narrative"] == "mine, unsent"
    assert store.cursor() == "c2"


def test_removed_report_keeps_unsent_edits_as_rejected(store: Store) -> None:
    """A report moved out of scope disappears; its unsent edits stay visible as rejected."""
    rid = editing.create(store, "incident", incident())
    store.apply_pull_page([{"report_id": rid, "removed": True}], "c3")
    assert store.report(rid) is None
    (op,) = store.outbox(rid)
    assert op["state"] == "rejected" and "report_id" in op["errors"]


def _interrupted_writer(path: Path) -> None:
    """Run a child that opens a write transaction and dies without committing."""
    code = (
        "import os, sys; from client_sqlite.store import Store; from client_sqlite import editing\n"
        f"s = Store({str(path)!r})\n"
        "s.conn.execute('BEGIN IMMEDIATE')\n"
        "s.conn.execute(\"INSERT INTO reports (id, doc, updated_at) VALUES ('half', '{}', 'x')\")\n"
        "os._exit(9)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == 9


def test_reopen_after_interrupted_write(tmp_path: Path) -> None:
    """A process killed mid-transaction leaves the store as it was, and it opens fine."""
    path = tmp_path / "d.sqlite3"
    s = Store(path)
    rid = editing.create(s, "incident", incident())
    s.close()
    _interrupted_writer(path)
    s = Store(path)
    assert s.report("half") is None and s.report(rid) is not None
    editing.edit(s, rid, {"route": "after the crash"})
    assert s.report(rid)["route"] == "after the crash"
    s.close()


def test_migrates_an_older_store_file(tmp_path: Path) -> None:
    """A version-1 store with data is upgraded in place on open, keeping its data."""
    path = tmp_path / "old.sqlite3"
    conn, _keys = open_database(path)
    assert migrate(Transactions(conn), upto=1) == [1]
    conn.execute(
        "INSERT INTO reports (id, doc, updated_at) VALUES ('r1', ?, 'x')",
        (orjson.dumps({"id": "r1", "title": "old"}).decode(),),
    )
    conn.close()
    s = Store(path)
    assert current_version(s.conn) == LATEST
    assert s.report("r1")["title"] == "old"
    assert s.device()["clock_offset_ms"] is None
    s.close()


def test_newer_store_refused(tmp_path: Path) -> None:
    """A store written by a newer app is not opened (no silent downgrade)."""
    path = tmp_path / "new.sqlite3"
    Store(path).close()
    conn = raw_connection(path)
    conn.execute("INSERT INTO migrations VALUES (99, 'future', 'x')")
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer Patroli"):
        Store(path)


def test_status_warns_about_a_wrong_clock(tmp_path: Path) -> None:
    """``status`` warns when the device clock is minutes away from the server's."""
    from click.testing import CliRunner

    from patroli.cli import main
    from sync import hlc as H

    path = tmp_path / "clock.sqlite3"
    s = Store(path)
    server_now = H.now_ms()
    s.observe_server_time(H.format_server_time(server_now), server_now - 9 * 60_000)
    assert s.device()["clock_offset_ms"] == 9 * 60_000
    assert H.HLC.parse(s.device()["hlc"]).ms >= server_now  # advanced past the server
    s.close()
    result = CliRunner().invoke(main, ["field", "--db", str(path), "status"])
    assert result.exit_code == 0
    assert "clock is 9 minute(s) behind the server" in result.output


def test_reports_of_the_same_minute_have_distinct_short_ids(store: Store) -> None:
    """UUIDv7 ids of one minute share their start; the CLI's short id (the end) tells them apart."""
    made = [editing.create(store, "incident", incident(title=f"r{i}")) for i in range(5)]
    assert len({rid[:8] for rid in made}) <= 2  # one minute, or two if it just turned
    assert len({short_id(rid) for rid in made}) == 5
    for rid in made:
        assert store.find_id(short_id(rid)) == rid
        assert store.find_id(rid) == rid
    assert store.find_id(made[0][:8]) is None  # ambiguous
    assert store.find_id("") is None
