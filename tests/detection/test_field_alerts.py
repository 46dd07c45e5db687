"""``patroli field alerts``: the officer asks a real server about their own report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client_sqlite.display import short_id
from tests.detection.scenario import VICTIM, deferral
from tests.e2e.test_field_cli import patroli
from tests.field import FieldDevice
from tests.live import live_server
from tests.world import incident

pytestmark = pytest.mark.e2e


def test_officer_sees_alerts_on_own_report_within_scope(tmp_path: Path, backend: str) -> None:
    with live_server(tmp_path, backend, {"NNK": ["ofc.nnk"], "DUM": ["ofc.dum"]}) as server:
        dumai = FieldDevice.enroll(tmp_path / "dum.sqlite3", server.url, server.code_for("ofc.dum"))
        sebatik_db = tmp_path / "nnk.sqlite3"
        sebatik = FieldDevice.enroll(sebatik_db, server.url, server.code_for("ofc.nnk"))
        fields = deferral()
        deferred = dumai.create(fields, kind=fields.pop("kind"))
        assert dumai.sync().complete
        stopped = sebatik.create(incident(persons={"v1": VICTIM}))
        assert sebatik.sync().complete
        unsent = sebatik.create(incident(title="Not sent yet"))
        proc = patroli("field", "--db", str(sebatik_db), "alerts", stopped, "--json", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        found = json.loads(proc.stdout)
        assert {a["type"] for a in found["alerts"]} == {"deferred_applicant", "seen_before"}
        (link,) = found["person_links"]["v1"]
        assert (link["post"], link["basis"], link["report_id"]) == ("DUM", "document", None)
        assert deferred not in proc.stdout
        words = patroli("field", "--db", str(sebatik_db), "alerts", short_id(stopped), cwd=tmp_path)
        assert words.returncode == 0, words.stderr
        assert "passport application deferred before" in words.stdout
        assert "a report of another post" in words.stdout
        # A report the server has not received yet: a plain sentence, exit 1.
        early = patroli("field", "--db", str(sebatik_db), "alerts", unsent, cwd=tmp_path)
        assert early.returncode == 1
        assert "The server does not have this report yet; sync first" in early.stderr
        # Another post's report is not on this device at all.
        other = patroli("field", "--db", str(sebatik_db), "alerts", deferred, cwd=tmp_path)
        assert other.returncode == 1 and "There is no report" in other.stderr
