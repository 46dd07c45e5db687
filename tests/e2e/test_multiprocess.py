"""Several ``patroli serve`` processes on one database (DESIGN §4: stateless processes).

Three servers on three ports share one database, as behind a load balancer:
pushes and pulls go to whichever process, replays of one batch reach
different processes at the same moment, and each process runs the job
scheduler.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, func, select

from server.infra.models import OpRecord, Report, ReportRevision
from sync import hlc as H
from tests.live import LiveServer, database_for
from tests.world import incident

pytestmark = pytest.mark.e2e

SERVERS = 3
PUSHERS = 4
ROUNDS = 10
PER_BATCH = 25
EDITS_PER_ROUND = 5


@contextmanager
def cluster(
    directory: Path,
    backend: str,
    posts: dict[str, list[str]],
    count: int = SERVERS,
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> Iterator[list[LiveServer]]:
    """``count`` servers of ``workers`` processes each on one freshly seeded database."""
    url = database_for(backend, directory)
    servers = [
        LiveServer(directory, url, workers=workers, extra_env=dict(env or {})) for _ in range(count)
    ]
    servers[0].seed(posts)
    failures: list[BaseException] = []

    def start(server: LiveServer) -> None:
        """Start one server; keep its failure for the caller."""
        try:
            server.start()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(s,)) for s in servers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    try:
        if failures:
            raise failures[0]
        yield servers
    finally:
        for s in servers:
            s.stop()


class Device:
    """An enrolled device that spreads its requests over the servers."""

    def __init__(self, servers: list[LiveServer], username: str):
        self.urls = [s.url for s in servers]
        body = requests.post(
            f"{self.urls[0]}/api/v1/devices/enroll",
            json={"enrollment_code": servers[0].code_for(username), "device_name": username},
            timeout=30,
        ).json()
        self.id = body["device_id"]
        self.headers = {"Authorization": f"Bearer {body['token']}"}
        self.session = requests.Session()
        self.clock: H.HLC | None = None
        self.calls = 0

    def url(self) -> str:
        """The next server, round robin."""
        self.calls += 1
        return self.urls[self.calls % len(self.urls)]

    def op(self, report_id: str, fields: dict[str, Any], base_rev: int | None) -> dict[str, Any]:
        """One change with a fresh op id and the next HLC."""
        self.clock = H.tick(self.clock, self.id)
        return {
            "op_id": str(uuid.uuid4()),
            "report_id": report_id,
            "base_rev": base_rev,
            "hlc": str(self.clock),
            "fields": fields,
        }

    def push(self, body: dict[str, Any], url: str | None = None) -> requests.Response:
        """POST one batch body to ``url`` or the next server."""
        return requests.post(
            f"{url or self.url()}/api/v1/sync/push", json=body, headers=self.headers, timeout=60
        )

    def pull(self, cursor: str | None, limit: int) -> dict[str, Any]:
        """One pull page from the next server."""
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        resp = self.session.get(
            f"{self.url()}/api/v1/sync/pull", params=params, headers=self.headers, timeout=60
        )
        assert resp.status_code == 200, resp.text
        return resp.json()


def _pusher(device: Device, revs: dict[str, int], errors: list[str]) -> None:
    """Create reports and edit some of the earlier ones, batch after batch."""
    mine: list[str] = []
    for round_no in range(ROUNDS):
        changes = [device.op(str(uuid.uuid4()), incident(), None) for _ in range(PER_BATCH)]
        for rid in mine[-EDITS_PER_ROUND:]:
            changes.append(device.op(rid, {"narrative": f"round {round_no}"}, revs[rid]))
        resp = device.push({"batch_id": str(uuid.uuid4()), "changes": changes})
        if resp.status_code != 200:
            errors.append(resp.text)
            return
        for result in resp.json()["results"]:
            if result["status"] not in ("applied", "merged"):
                errors.append(str(result))
            revs[result["report_id"]] = result["rev"]
            if result["rev"] == 1:
                mine.append(result["report_id"])


@pytest.mark.parametrize(
    ("count", "workers"), [(SERVERS, 1), (1, SERVERS)], ids=["3-servers", "serve-workers-3"]
)
def test_puller_misses_no_commit_of_any_process(
    tmp_path: Path, backend: str, count: int, workers: int
) -> None:
    """Pushers and a puller spread over 3 processes: every revision arrives once, none skipped.

    Either three ``patroli serve`` processes behind no balancer (clients pick
    one in turn) or one ``patroli serve --workers 3`` (the kernel spreads
    the connections over the workers).
    """
    officers = [f"ofc.{i}" for i in range(PUSHERS + 1)]
    with cluster(tmp_path, backend, {"NNK": officers}, count, workers=workers) as servers:
        devices = [Device(servers, name) for name in officers]
        puller = devices.pop()
        revs: dict[str, int] = {}
        errors: list[str] = []
        threads = [threading.Thread(target=_pusher, args=(d, revs, errors)) for d in devices]
        for t in threads:
            t.start()
        seen: list[tuple[str, int]] = []
        cursor = None
        deadline = time.monotonic() + 120
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            page = puller.pull(cursor, 41)
            seen += [(c["report"]["id"], c["report"]["rev"]) for c in page["changes"]]
            cursor = page["cursor"]
        for t in threads:
            t.join(timeout=60)
        for _ in range(1000):
            page = puller.pull(cursor, 41)
            seen += [(c["report"]["id"], c["report"]["rev"]) for c in page["changes"]]
            cursor = page["cursor"]
            if not page["has_more"]:
                break
    assert errors == []
    assert len(revs) == PUSHERS * ROUNDS * PER_BATCH
    assert len(seen) == len(set(seen)), "a revision was delivered twice"
    latest: dict[str, int] = {}
    for rid, rev in seen:
        assert rev > latest.get(rid, 0), "a pull went back to an older revision"
        latest[rid] = rev
    missing = {rid for rid in revs if rid not in latest}
    assert not missing, f"{len(missing)} reports never reached the puller"
    assert latest == revs, "the puller ended on an older revision of some report"


def _counts(database_url: str, report_ids: list[str], op_ids: list[str]) -> tuple[int, int, int]:
    """Reports, revisions and op records with these ids in the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            reports = conn.execute(
                select(func.count()).select_from(Report).where(Report.id.in_(report_ids))
            ).scalar()
            revisions = conn.execute(
                select(func.count())
                .select_from(ReportRevision)
                .where(ReportRevision.report_id.in_(report_ids))
            ).scalar()
            ops = conn.execute(
                select(func.count()).select_from(OpRecord).where(OpRecord.op_id.in_(op_ids))
            ).scalar()
    finally:
        engine.dispose()
    return reports, revisions, ops


def _post_at_once(
    device: Device, body: dict[str, Any], servers: list[LiveServer]
) -> list[requests.Response | None]:
    """POST ``body`` to every server at the same moment; their answers in server order."""
    answers: list[requests.Response | None] = [None] * len(servers)
    barrier = threading.Barrier(len(servers))

    def send(i: int) -> None:
        barrier.wait(timeout=30)
        answers[i] = device.push(body, servers[i].url)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(servers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_replays_sent_to_every_process_at_once_apply_once(tmp_path: Path, backend: str) -> None:
    """One batch posted to 3 processes at the same moment: one applies it, two replay it."""
    with cluster(tmp_path, backend, {"NNK": ["ofc.1"]}) as servers:
        device = Device(servers, "ofc.1")
        created: list[str] = []
        op_ids: list[str] = []
        for round_no in range(4):
            new = [str(uuid.uuid4()) for _ in range(10)]
            changes = [device.op(rid, incident(), None) for rid in new]
            changes += [device.op(rid, {"route": f"route {round_no}"}, 1) for rid in created[-3:]]
            bad = incident(location={"lat": 999, "lon": 117.8})
            changes.append(device.op(str(uuid.uuid4()), bad, None))
            body = {"batch_id": str(uuid.uuid4()), "changes": changes}
            answers = _post_at_once(device, body, servers)
            assert all(a is not None and a.status_code == 200 for a in answers), [
                a.text if a is not None else None for a in answers
            ]
            results = [a.json()["results"] for a in answers]  # type: ignore[union-attr]
            flags = [{r["replayed"] for r in res} for res in results]
            assert sorted(map(sorted, flags)) == [[False], [True], [True]]
            stripped = [[dict(r, replayed=None) for r in res] for res in results]
            assert stripped[0] == stripped[1] == stripped[2]
            first = results[flags.index({False})]
            assert [r["status"] for r in first] == ["applied"] * (len(changes) - 1) + ["rejected"]
            created += new
            op_ids += [c["op_id"] for c in changes]
        edits = 3 * 3
        counts = _counts(servers[0].database_url, created, op_ids)
    assert counts == (len(created), len(created) + edits, len(op_ids))


def _op_owners(database_url: str, op_ids: list[str]) -> dict[str, str]:
    """The device each of these op records belongs to."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(OpRecord.op_id, OpRecord.device_id).where(OpRecord.op_id.in_(op_ids))
            )
            return {row.op_id: row.device_id for row in rows}
    finally:
        engine.dispose()


def _each_at_once(
    devices: list[Device], servers: list[LiveServer], ops: list[dict[str, Any]]
) -> list[requests.Response | None]:
    """Device ``i`` pushes ``ops[i]`` to server ``i``, all at the same moment."""
    answers: list[requests.Response | None] = [None] * len(devices)
    barrier = threading.Barrier(len(devices))

    def send(i: int) -> None:
        barrier.wait(timeout=30)
        body = {"batch_id": str(uuid.uuid4()), "changes": [ops[i]]}
        answers[i] = devices[i].push(body, servers[i].url)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(devices))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return answers


def test_one_op_id_from_two_devices_at_once_each_gets_its_own_answer(
    tmp_path: Path, backend: str
) -> None:
    """NNK and DUM send one op_id at the same moment to two processes: one wins, the other
    is refused on ``op_id`` with its own report id, never the winner's result."""
    refusal = {"op_id": ["was already used by another device; send the change with a new op_id"]}
    with cluster(tmp_path, backend, {"NNK": ["ofc.nnk"], "DUM": ["ofc.dum"]}, count=2) as servers:
        devices = [Device(servers, "ofc.nnk"), Device(servers, "ofc.dum")]
        winners: dict[str, str] = {}
        created: list[str] = []
        for _ in range(6):
            op_id = str(uuid.uuid4())
            ops = [dict(d.op(str(uuid.uuid4()), incident(), None), op_id=op_id) for d in devices]
            answers = _each_at_once(devices, servers, ops)
            assert all(a is not None and a.status_code == 200 for a in answers), answers
            results = [a.json()["results"][0] for a in answers]  # type: ignore[union-attr]
            won = [r["status"] == "applied" for r in results]
            assert sorted(won) == [False, True], results
            for i, result in enumerate(results):
                assert result["report_id"] == ops[i]["report_id"] and not result["replayed"]
                if won[i]:
                    assert result["rev"] == 1 and result["errors"] == {}
                    winners[op_id] = devices[i].id
                    created.append(ops[i]["report_id"])
                else:
                    assert result["rev"] is None and result["errors"] == refusal
        url = servers[0].database_url
        counts = _counts(url, created, list(winners))
        owners = _op_owners(url, list(winners))
        every_report = _all_report_ids(url)
    assert counts == (6, 6, 6) and owners == winners
    assert sorted(every_report) == sorted(created), "a refused op created its report"


def _all_report_ids(database_url: str) -> list[str]:
    """Every report id in the database."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(Report.id)).scalars())
    finally:
        engine.dispose()


_JOB_LINE = re.compile(r"^(\S+ \S+) INFO patroli\.jobs: job prune-ops: ", re.MULTILINE)
JOB_INTERVAL_S = 2
RUNS_OBSERVED = 4


def _job_runs(servers: list[LiveServer]) -> tuple[list[datetime], list[int]]:
    """When each process logged a finished run of prune-ops (sorted), and how many each."""
    runs, per_process = [], []
    for server in servers:
        found = _JOB_LINE.findall(server.log_text())
        per_process.append(len(found))
        runs += [datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f") for s in found]
    return sorted(runs), per_process


def test_scheduled_job_runs_once_per_interval_across_processes(
    tmp_path: Path, backend: str
) -> None:
    """Two processes each scheduling a 2 s job: no two runs closer than the lease allows.

    The test waits for a number of runs, not for a time window, so a slow
    machine only makes it longer.  Without the lease the two schedulers,
    at unrelated phases, alternate gaps of d and 2 - d seconds: one of
    them at most 1 s.  With it, starts are at least 1.8 s apart; the log
    line comes when a run ends, so 0.4 s is left for a run's own length.
    """
    env = {"PATROLI_JOB_PRUNE_OPS_S": str(JOB_INTERVAL_S)}
    with cluster(tmp_path, backend, {"NNK": ["ofc.1"]}, count=2, env=env) as servers:
        deadline = time.monotonic() + 120
        while len(_job_runs(servers)[0]) < RUNS_OBSERVED and time.monotonic() < deadline:
            time.sleep(0.2)  # a poll interval over other processes' logs, not an ordering
    runs, per_process = _job_runs(servers)
    assert len(runs) >= RUNS_OBSERVED, per_process
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(runs)]
    assert min(gaps) >= 0.7 * JOB_INTERVAL_S, (gaps, per_process)
