"""The device store's documents carry every field, also those an older version stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from patroli.cli import main
from tests.documents import BARE_PATROL, BARE_PATROL_FIELDS, KEYS
from tests.field import raw_connection
from tests.live import LiveServer, live_server
from tests.world import PASSWORD, incident

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(tmp_path: Path, backend: str):
    """A seeded live server."""
    with live_server(tmp_path, backend, {"NNK": ["ofc.1"]}) as s:
        yield s


def _server_document(server: LiveServer, report_id: str) -> dict:
    token = requests.post(
        f"{server.url}/api/v1/auth/token",
        json={"username": "cmd.nnk", "password": PASSWORD},
        timeout=10,
    ).json()["token"]
    answer = requests.get(
        f"{server.url}/api/v1/reports/{report_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["report"]


def _cli(db: Path, *args: str, stdin: str | None = None) -> str:
    """Run ``patroli field --db <db> ...``; its output (it must succeed)."""
    result = CliRunner().invoke(main, ["field", "--db", str(db), *args], input=stdin)
    assert result.exit_code == 0, result.output
    return result.output


def _shown(db: Path, report_id: str) -> dict:
    """The report of ``patroli field show <id> --json``."""
    return json.loads(_cli(db, "show", report_id, "--json"))["report"]


def _stored(db: Path, report_id: str) -> dict:
    """The local document as the store file holds it."""
    conn = raw_connection(db)
    try:
        return json.loads(
            conn.execute("SELECT doc FROM reports WHERE id=?", (report_id,)).fetchone()[0]
        )
    finally:
        conn.close()


def _new(db: Path, kind: str, fields: dict) -> str:
    """Record a report with ``patroli field new``; its id."""
    return _cli(db, "new", "--kind", kind, "--json", "-", stdin=json.dumps(fields)).strip()


def test_field_show_json_has_every_field_before_and_after_sync(
    server: LiveServer, tmp_path: Path
) -> None:
    """``patroli field show --json``: every key, unset ones null, maps ``{}``; after a sync
    the document equals the server's."""
    db = tmp_path / "field.sqlite3"
    _cli(db, "enroll", "--server", server.url, "--code", server.code_for("ofc.1"), "--name", "tab")
    bare = _new(db, "patrol", BARE_PATROL)
    empty = _new(db, "incident", incident(persons={}))
    local = _shown(db, bare)
    assert list(local) == KEYS and _stored(db, bare) == local
    server_owned = KEYS.index("author")
    assert {k: local[k] for k in KEYS[1:server_owned]} == BARE_PATROL_FIELDS
    # The server has not seen it yet: every server-owned field is null.
    assert [local[k] for k in KEYS[server_owned:]] == [None] * len(KEYS[server_owned:])
    _cli(db, "sync")
    for report_id in (bare, empty):
        synced = _shown(db, report_id)
        assert synced == _server_document(server, report_id) == _stored(db, report_id)
        assert list(synced) == KEYS and synced["rev"] == 1
    text = _cli(db, "show", bare).splitlines()
    assert '  route: "Sebuku river"' in text and "  rev: 1" in text
    assert not [line for line in text if line.endswith((": null", ": false"))], text
    synced = _shown(db, empty)
    assert synced["persons"] == {} and synced["actions"] == {} and synced["attachments"] == {}
    assert synced["retracted"] is False and synced["retract_reason"] is None


def test_document_stored_by_an_older_device_version_is_shown_full(
    server: LiveServer, tmp_path: Path
) -> None:
    """A store row without the fields never sent (as older versions wrote it) reads full."""
    db = tmp_path / "field.sqlite3"
    _cli(db, "enroll", "--server", server.url, "--code", server.code_for("ofc.1"), "--name", "tab")
    rid = _new(db, "patrol", BARE_PATROL)
    _cli(db, "sync")
    full = _shown(db, rid)
    old_form = {k: v for k, v in full.items() if v is not None and v != {} and v is not False}
    conn = raw_connection(db)
    with conn:
        conn.execute(
            "UPDATE reports SET doc=?, acked=? WHERE id=?",
            (json.dumps(old_form), json.dumps(old_form), rid),
        )
    conn.close()
    assert "persons" not in _stored(db, rid) and "retracted" not in _stored(db, rid)
    assert _shown(db, rid) == full
    # An edit on top of the old row stores it full again.
    _cli(db, "edit", rid, "--json", "-", stdin='{"narrative": "Quiet night"}')
    assert _stored(db, rid) == dict(full, narrative="Quiet night")
