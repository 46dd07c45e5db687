"""Field devices against a real ``patroli serve`` process on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from client_sqlite import editing
from client_sqlite.display import short_id
from client_sqlite.store import Store
from patroli.cli import main
from sync import hlc as H
from sync.engine import SyncEngine
from tests.field import FieldDevice
from tests.live import LiveServer, live_server
from tests.world import incident

POSTS = {"NNK": ["ofc.1", "ofc.2"], "DUM": ["ofc.d"]}


_TOKENS: dict[str, str] = {}


def server_view(server: LiveServer, report_id: str) -> dict:
    """``GET /reports/<id>`` as the NNK commander (one sign-in per server)."""
    if server.url not in _TOKENS:
        token = requests.post(
            f"{server.url}/api/v1/auth/token",
            timeout=10,
            json={"username": "cmd.nnk", "password": "correct horse battery"},
        )
        _TOKENS[server.url] = token.json()["token"]
    headers = {"Authorization": f"Bearer {_TOKENS[server.url]}"}
    return requests.get(
        f"{server.url}/api/v1/reports/{report_id}", headers=headers, timeout=10
    ).json()


def device_part(doc: dict) -> dict:
    """A document without the fields a device may not have filled yet."""
    return {k: v for k, v in doc.items() if k not in ("received_at", "created_at")}


@pytest.fixture
def server(tmp_path: Path, backend: str):
    """A seeded live server."""
    with live_server(tmp_path, backend, POSTS) as s:
        yield s


def test_offline_then_sync(server: LiveServer, tmp_path: Path) -> None:
    """Reports recorded while the server is down arrive once it is back."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    server.stop()
    ids = [dev.create(incident(title=f"Offline report {i}")) for i in range(5)]
    result = dev.sync(max_attempts=2, max_elapsed=2)
    assert not result.complete and result.unreachable
    assert result.reason == f"could not reach the server at {server.url}: connection refused"
    assert dev.store.counts()["pending"] == 5
    server.start()
    result = dev.sync()
    # Its own reports applied cleanly are not downloaded again (skip_echo):
    # the device already holds the server's documents.
    assert result.complete and result.applied == 5 and result.pulled == 0
    for rid in ids:
        assert server_view(server, rid)["report"]["title"].startswith("Offline report")
        assert dev.store.report(rid) == server_view(server, rid)["report"]
    assert dev.store.counts() == {
        "reports": 5,
        "pending": 0,
        "rejected": 0,
        "conflicts": 0,
        "blobs_pending": 0,
        "blobs_refused": 0,
    }


def test_two_devices_edit_same_report_offline_and_converge(
    server: LiveServer, tmp_path: Path
) -> None:
    """Concurrent offline edits of one report: both devices end equal to the server."""
    a = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    b = FieldDevice.enroll(tmp_path / "b.sqlite3", server.url, server.code_for("ofc.2"))
    rid = a.create(incident())
    assert a.sync().complete and b.sync().complete
    a.edit(rid, {"narrative": "A's account", "route": "Sebuku river"})
    # B edits later: its clock is moved past A's edit (as a server_time one
    # millisecond later would), not left to the wall clock, where within the
    # same millisecond the device ids would break the tie.
    a_ms = H.HLC.parse(a.store.device()["hlc"]).ms
    b.store.observe_server_time(H.format_server_time(a_ms + 1), H.now_ms())
    b.edit(rid, {"narrative": "B's account", "persons.p9": {"role": "witness"}})
    assert a.sync().complete
    result_b = b.sync()
    assert result_b.complete and result_b.conflicts == 1
    assert a.sync().complete
    view = server_view(server, rid)
    assert view["report"]["narrative"] == "B's account"
    assert view["report"]["route"] == "Sebuku river" and "p9" in view["report"]["persons"]
    assert [c["lost"] for c in view["conflicts"]] == ["A's account"]
    assert device_part(a.store.report(rid)) == device_part(view["report"])
    assert device_part(b.store.report(rid)) == device_part(view["report"])
    assert [c["field"] for c in a.store.conflicts(rid)] == ["narrative"]


def test_unsynced_edits_survive_a_pull(server: LiveServer, tmp_path: Path) -> None:
    """A device pulls another officer's edit while keeping its own unsent one on top."""
    a = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    b = FieldDevice.enroll(tmp_path / "b.sqlite3", server.url, server.code_for("ofc.2"))
    rid = a.create(incident())
    a.sync()
    b.sync()
    b.edit(rid, {"route": "Sungai Pancang"})
    b.sync()
    a.edit(rid, {"narrative": "not sent yet"})
    a.store.reset_cursor()
    page = a.transport().pull(None, 100)
    a.store.apply_pull_page(page["changes"], page["cursor"])
    doc = a.store.report(rid)
    assert doc["route"] == "Sungai Pancang" and doc["narrative"] == "not sent yet"
    assert a.store.counts()["pending"] == 1
    assert a.sync().complete
    assert server_view(server, rid)["report"]["narrative"] == "not sent yet"


def test_an_edit_folded_in_while_a_batch_is_read_is_sent_not_lost(
    server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edit saved by another process between reading a batch and sending it goes out.

    ``patroli field edit`` beside a running sync folds into the newest
    pending op; the engine must send that op as it stands once marked in
    flight, not the copy it read a moment before (which would then be
    acknowledged, and the edit never reach the server).
    """
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    rid = dev.create(incident(title="As first written"))
    other = Store(tmp_path / "a.sqlite3")  # the CLI's own connection to the same file
    read = dev.store.pending_ops
    edits: list[str] = []

    def read_then_edit(limit: int) -> list[dict]:
        ops = read(limit)
        if ops and not edits:
            editing.edit(other, rid, {"title": "Typed during the sync"})
            edits.append(rid)
        return ops

    monkeypatch.setattr(dev.store, "pending_ops", read_then_edit)
    result = dev.sync()
    other.close()
    view = server_view(server, rid)["report"]
    assert edits == [rid] and result.complete
    assert view["title"] == "Typed during the sync"
    assert dev.store.report(rid) == view
    assert dev.store.counts()["pending"] == 0


def test_server_killed_mid_sync_then_restarted(server: LiveServer, tmp_path: Path) -> None:
    """SIGKILL of the server between batches: the next sync delivers everything once."""
    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    ids = [dev.create(incident(title=f"r{i}")) for i in range(30)]
    engine_transport = dev.transport(max_attempts=1, max_elapsed=1)
    original_push = engine_transport.push
    calls = []

    def push_then_die(batch: dict, timeout: float | None = None) -> dict:
        calls.append(len(batch["changes"]))
        answer = original_push(batch, timeout)
        if len(calls) == 1:
            server.kill()
        return answer

    engine_transport.push = push_then_die
    engine = SyncEngine(dev.store, engine_transport)
    engine.batch = 10
    result = engine.run()
    assert not result.complete and result.pushed == 10
    server.start()
    result = dev.sync()
    assert result.complete
    docs = dev.docs()
    assert sorted(d["title"] for d in docs.values()) == sorted(f"r{i}" for i in range(30))
    assert all(server_view(server, rid)["report"]["rev"] == 1 for rid in ids)


def test_413_splits_batch_and_everything_arrives(tmp_path: Path, backend: str) -> None:
    """A server whose byte limit is lower than the device believes answers 413; all arrives."""
    with live_server(
        tmp_path, backend, POSTS, extra_env={"PATROLI_MAX_BATCH_BYTES": "60000"}
    ) as server:
        dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
        for i in range(60):
            dev.create(incident(title=f"big {i}", narrative="n" * 2000))
        transport = dev.transport()
        real_meta = transport.meta
        transport.meta = lambda: real_meta() | {"max_batch_bytes": 8 << 20}
        result = SyncEngine(dev.store, transport).run()
        assert result.complete and result.applied == 60 and result.batches > 2
        assert dev.store.counts()["pending"] == 0


def test_revoked_device_clear_message_keeps_data(server: LiveServer, tmp_path: Path) -> None:
    """The CLI says the device was revoked, exits non-zero and keeps the officer's reports."""
    db = tmp_path / "a.sqlite3"
    dev = FieldDevice.enroll(db, server.url, server.code_for("ofc.1"))
    dev.create(incident())
    device_id = dev.store.device()["device_id"]
    dev.store.close()
    token = requests.post(
        f"{server.url}/api/v1/auth/token",
        timeout=10,
        json={"username": "cmd.nnk", "password": "correct horse battery"},
    )
    resp = requests.post(
        f"{server.url}/api/v1/devices/{device_id}/revoke",
        headers={"Authorization": f"Bearer {token.json()['token']}"},
        json={"reason": "lost"},
        timeout=10,
    )
    assert resp.status_code == 200
    result = CliRunner().invoke(main, ["field", "--db", str(db), "sync"])
    assert result.exit_code != 0 and "revoked" in result.output
    status = CliRunner().invoke(main, ["field", "--db", str(db), "status"])
    assert "REVOKED" in status.output and "pending changes: 1" in status.output


def test_cli_round_trip(server: LiveServer, tmp_path: Path) -> None:
    """enroll, new, edit, list, show, sync and status through the real CLI."""
    import json

    runner = CliRunner()
    db = str(tmp_path / "cli.sqlite3")

    def run(*args: str, input: str | None = None) -> str:
        result = runner.invoke(main, ["field", "--db", db, *args], input=input)
        assert result.exit_code == 0, result.output
        return result.output

    run("enroll", "--server", server.url, "--code", server.code_for("ofc.2"), "--name", "tab")
    rid = run("new", "--kind", "incident", "--json", "-", input=json.dumps(incident())).strip()
    run("edit", short_id(rid), "--json", "-", input='{"route": "Sebuku river"}')
    assert "pending" in run("list")
    assert "Sent 1 change(s): 1 applied" in run("sync")
    shown = json.loads(run("show", rid, "--json"))
    assert shown["report"]["route"] == "Sebuku river" and shown["report"]["rev"] == 1
    status = json.loads(run("status", "--json"))
    assert status["counts"]["pending"] == 0 and status["last_sync_at"]
    bad = runner.invoke(
        main,
        ["field", "--db", db, "new", "--kind", "patrol", "--json", "-"],
        input='{"title": "x"}',
    )
    assert bad.exit_code != 0 and "route is required" in bad.output


def test_cut_after_commit_before_response_no_duplicate(server: LiveServer, tmp_path: Path) -> None:
    """The proxy drops the push answer after the server committed; the retry is a replay."""
    from tests.faults.proxy import FaultPlan, FaultProxy

    dev = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    ids = [dev.create(incident(title=f"cut {i}")) for i in range(8)]
    with FaultProxy(server.port, lifetime_s=60) as proxy:
        # One request per connection: meta passes, the push's answer is cut
        # after 20 bytes (the server has committed by then), the rest pass.
        proxy.queue(FaultPlan(), FaultPlan(cut_down_after=20))
        transport = dev.transport(base_url=proxy.url)
        transport.session.headers["Connection"] = "close"
        result = SyncEngine(dev.store, transport).run()
        assert proxy.faults >= 1
    assert result.complete and result.pushed == 8
    assert result.replayed == 8 and transport.traffic.retries >= 1
    for rid in ids:
        view = server_view(server, rid)
        assert view["report"]["rev"] == 1 and len(view["history"]) == 1
