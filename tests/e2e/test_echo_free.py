"""Echo-free device sync against a real server: the device ends with exactly the server's documents.

The engine pulls with ``skip_echo=1``, so a report whose latest change is the
device's own op applied cleanly is not downloaded again; the device builds
that document from its push result. Whatever two devices and a commander do
in between (merges, conflicts, reviews, resolutions), after they have synced
each device's copy of every report equals the server's.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.field import FieldDevice
from tests.live import LiveServer, live_server
from tests.world import incident

POSTS = {"NNK": ["ofc.1", "ofc.2"]}
FIELDS = ("title", "narrative", "route")


@pytest.fixture
def server(tmp_path: Path, backend: str):
    """A seeded live server."""
    with live_server(tmp_path, backend, POSTS) as s:
        yield s


class Commander:
    """The NNK commander on the live server's API."""

    def __init__(self, server: LiveServer):
        self.url = server.url
        token = requests.post(
            f"{server.url}/api/v1/auth/token",
            timeout=10,
            json={"username": "cmd.nnk", "password": "correct horse battery"},
        ).json()["token"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def view(self, report_id: str) -> dict[str, Any]:
        """``GET /reports/<id>``: the document and its conflicts."""
        resp = self.session.get(f"{self.url}/api/v1/reports/{report_id}", timeout=10)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def review(self, report_id: str, status: str) -> None:
        """Decide on the report at its current revision."""
        rev = self.view(report_id)["report"]["rev"]
        resp = self.session.post(
            f"{self.url}/api/v1/reports/{report_id}/review",
            json={"status": status, "note": "seen", "rev": rev},
            timeout=10,
        )
        assert resp.status_code == 200, resp.text

    def resolve_one(self, report_id: str) -> None:
        """Resolve the report's first open conflict in favour of the losing value."""
        open_ = [c for c in self.view(report_id)["conflicts"] if c["status"] == "open"]
        if open_:
            resp = self.session.post(
                f"{self.url}/api/v1/conflicts/{open_[0]['id']}/resolve",
                json={"choose": "lost"},
                timeout=10,
            )
            assert resp.status_code == 200, resp.text


def assert_same_as_server(device: FieldDevice, commander: Commander) -> None:
    """Every report the device holds is the server's document, with the same open conflicts."""
    assert device.store.counts()["pending"] == 0
    for report_id, doc in device.docs().items():
        view = commander.view(report_id)
        assert doc == view["report"], report_id
        open_ids = sorted(c["id"] for c in view["conflicts"] if c["status"] == "open")
        assert sorted(c["id"] for c in device.store.conflicts(report_id)) == open_ids


def test_pushed_reports_are_not_downloaded_again(server: LiveServer, tmp_path: Path) -> None:
    """A device pushing 60 reports pulls none of them back and holds the server's documents."""
    a = FieldDevice.enroll(tmp_path / "a.sqlite3", server.url, server.code_for("ofc.1"))
    b = FieldDevice.enroll(tmp_path / "b.sqlite3", server.url, server.code_for("ofc.2"))
    made = [a.create(incident(title=f"Report {i}")) for i in range(60)]
    pushed = a.sync()
    assert pushed.complete and pushed.applied == 60 and pushed.pulled == 0
    assert set(a.docs()) == set(made)
    assert {doc["rev"] for doc in a.docs().values()} == {1}
    assert_same_as_server(a, Commander(server))
    # Another device of the post still receives every one of them.
    got = b.sync()
    assert got.pulled == 60 and b.docs() == a.docs()


STEP = st.one_of(
    st.tuples(st.just("create"), st.sampled_from("ab")),
    st.tuples(
        st.just("edit"),
        st.sampled_from("ab"),
        st.integers(0, 7),
        st.sampled_from(FIELDS),
        st.sampled_from(["one", "two"]),
    ),
    st.tuples(st.just("sync"), st.sampled_from("ab")),
    st.tuples(st.just("review"), st.integers(0, 7), st.sampled_from(["approved", "needs_info"])),
    st.tuples(st.just("resolve"), st.integers(0, 7)),
)


def _pick(ids: list[str], k: int) -> str | None:
    return sorted(ids)[k % len(ids)] if ids else None


def _run_step(step: tuple[Any, ...], devices: dict[str, FieldDevice], cmd: Commander) -> None:
    action = step[0]
    if action == "create":
        devices[step[1]].create(incident(title="new"))
    elif action == "edit":
        device = devices[step[1]]
        report_id = _pick(list(device.docs()), step[2])
        if report_id:
            device.edit(report_id, {step[3]: step[4]})
    elif action == "sync":
        assert devices[step[1]].sync().rejected == 0
    else:
        synced = [r for r in devices["a"].docs().values() if r["rev"] is not None]
        report_id = _pick([r["id"] for r in synced], step[1])
        if report_id and action == "review":
            cmd.review(report_id, step[2])
        elif report_id:
            cmd.resolve_one(report_id)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(STEP, min_size=1, max_size=14))
def test_echo_suppression_never_hides_a_change(
    server: LiveServer, tmp_path: Path, steps: list[tuple[Any, ...]]
) -> None:
    """Two devices, reviews, conflicts and resolutions: both end with the server's documents."""
    n = next(_EXAMPLES)
    devices = {
        name: FieldDevice.enroll(
            tmp_path / f"{name}{n}.sqlite3", server.url, server.code_for(officer)
        )
        for name, officer in (("a", "ofc.1"), ("b", "ofc.2"))
    }
    for device in devices.values():
        device.sync()
    cmd = Commander(server)
    for step in steps:
        _run_step(step, devices, cmd)
    for name in ("a", "b", "a"):
        assert devices[name].sync().complete
    for device in devices.values():
        assert_same_as_server(device, cmd)
        device.store.close()


_EXAMPLES = itertools.count()
