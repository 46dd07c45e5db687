"""The officer's ``patroli field`` commands run as the real console script, in a child process."""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
import requests

from client_sqlite.display import short_id
from patroli.serve_process import free_port
from tests.field import FieldDevice, raw_connection
from tests.live import PASSWORD, live_server
from tests.world import incident

NOTE = "Add the boat's registration number."


def patroli(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m patroli ARGS`` in ``cwd``, bounded in time."""
    return subprocess.run(
        [sys.executable, "-m", "patroli", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def outbox_rows(db: Path) -> list[tuple]:
    """The outbox as stored, read with plain sqlite3 (not through the client)."""
    with closing(raw_connection(db)) as conn:
        query = "SELECT op_id, state, attempts, fields FROM outbox ORDER BY seq"
        return conn.execute(query).fetchall()


@pytest.mark.parametrize(
    "args",
    [
        ["field", "new", "--help"],
        ["field", "--help"],
        ["field", "new"],
        ["field", "new", "--kind", "bogus"],
        ["field", "new", "--kind", "incident", "--json", "fields.json"],
        ["field", "new", "--kind", "incident", "--nope"],
        ["field", "enroll", "--server", "http://127.0.0.1:9"],
        ["field", "show"],
        ["field", "edit", "abc"],
    ],
)
def test_help_and_argument_errors_touch_no_file(tmp_path: Path, args: list[str]) -> None:
    """Help, a missing or bad option, an unknown kind or refused fields leave the folder alone."""
    (tmp_path / "fields.json").write_text(json.dumps({"title": 5}))
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = patroli(*args, cwd=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if "--help" in args:
        assert proc.returncode == 0 and "Usage:" in proc.stdout
    else:
        assert proc.returncode != 0 and "Error:" in proc.stderr
        assert "Traceback" not in proc.stderr


def test_a_field_command_loads_no_server_code(tmp_path: Path) -> None:
    """``patroli field list`` imports neither Flask, SQLAlchemy nor the server package."""
    probe = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print(json.dumps(sorted(sys.modules)), file=sys.stderr))\n"
        "from patroli.cli import main\n"
        f"main(['field', '--db', {str(tmp_path / 'phone.sqlite3')!r}, 'list'])\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "No reports on this device yet." in proc.stdout
    loaded = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert "client_sqlite.store" in loaded  # the probe saw the command run
    heavy = {"flask", "sqlalchemy", "server", "werkzeug", "marshmallow", "requests", "rich"}
    assert not heavy & {name.split(".")[0] for name in loaded}


def test_every_command_still_listed_by_help(tmp_path: Path) -> None:
    """The lazy group still shows every command in ``patroli --help``."""
    proc = patroli("--help", cwd=tmp_path)
    listed = proc.stdout.split("Commands:")[1]
    for name in ("admin", "demo", "field", "jobs", "serve"):
        assert f"\n  {name} " in listed


def test_sync_with_nothing_listening_says_so_once(tmp_path: Path) -> None:
    """A refused connection is 'could not reach', not a timeout; no 'Sent 0' line before it."""
    db = tmp_path / "phone.sqlite3"
    url = f"http://127.0.0.1:{free_port()}"
    device = FieldDevice(store=_enrolled_offline(db, url), server_url=url)
    for i in range(3):
        device.create(incident(title=f"Kept {i}"))
    device.store.close()
    before = outbox_rows(db)
    proc = patroli("field", "--db", str(db), "sync", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        f"Error: Could not reach the server at {url}: connection refused. "
        "Your 3 change(s) are kept on this device."
    )
    assert outbox_rows(db) == before


def test_enroll_with_nothing_listening_says_so(tmp_path: Path) -> None:
    """Enrollment against a dead address names the cause, not a timeout, and enrolls nothing."""
    db = tmp_path / "phone.sqlite3"
    url = f"http://127.0.0.1:{free_port()}"
    proc = patroli("field", "--db", str(db), "enroll", "--server", url, "--code", "X", cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: Could not reach the server at {url}: connection refused."
    with closing(raw_connection(db)) as conn:
        assert conn.execute("SELECT token, server_url FROM device").fetchall() == [(None, None)]


def _enrolled_offline(db: Path, url: str):  # noqa: ANN202 - a client Store
    """A store that believes it is enrolled with ``url`` (no server is needed to sync nowhere)."""
    from client_sqlite.store import Store

    store = Store(db)
    store.save_enrollment(
        url,
        {
            "device_id": "dev-offline",
            "token": "pd_offline",
            "officer": "ofc.1",
            "post": "NNK",
            "server_time": "2026-11-30T04:00:00.000Z",
        },
    )
    return store


def test_status_shows_the_commanders_question_first(tmp_path: Path, backend: str) -> None:
    """A needs_info review pulled by the device opens ``status``, with the commander's note."""
    with live_server(tmp_path, backend, {"NNK": ["ofc.1"]}) as server:
        db = tmp_path / "phone.sqlite3"
        dev = FieldDevice.enroll(db, server.url, server.code_for("ofc.1"))
        asked = dev.create(incident(title="Boat at Sebatik"))
        quiet = dev.create(incident(title="Nothing to add"))
        assert dev.sync().complete
        token = requests.post(
            f"{server.url}/api/v1/auth/token",
            json={"username": "cmd.nnk", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        review = requests.post(
            f"{server.url}/api/v1/reports/{asked}/review",
            headers={"Authorization": f"Bearer {token}"},
            json={"status": "needs_info", "note": NOTE, "rev": 1},
            timeout=10,
        )
        assert review.status_code == 200, review.text
        assert dev.sync().complete
        dev.store.close()
    text = patroli("field", "--db", str(db), "status", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0] == "Needs your action:"
    assert lines[1] == f"  {short_id(asked)} Boat at Sebatik: your commander asks (cmd.nnk): {NOTE}"
    assert short_id(quiet) not in text.stdout
    assert "sent back by the commander: 1" in text.stdout
    view = json.loads(patroli("field", "--db", str(db), "status", "--json", cwd=tmp_path).stdout)
    assert [(r["report_id"], r["note"], r["by"]) for r in view["needs_info"]] == [
        (asked, NOTE, "cmd.nnk")
    ]
    # The shape scripts already read is kept.
    assert {"officer", "post", "server", "counts", "rejected", "conflicts"} <= set(view)
    assert view["counts"]["reports"] == 2 and view["counts"]["pending"] == 0
