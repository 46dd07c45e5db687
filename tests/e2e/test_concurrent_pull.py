"""A pull never skips a committed change while other clients push concurrently."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path

import requests

from sync import hlc as H
from tests.live import live_server
from tests.world import incident

PUSHERS = 4
BATCHES = 15
PER_BATCH = 20


def _enroll(url: str, code: str) -> tuple[str, dict[str, str]]:
    body = requests.post(
        f"{url}/api/v1/devices/enroll",
        timeout=10,
        json={"enrollment_code": code, "device_name": "t"},
    ).json()
    return body["device_id"], {"Authorization": f"Bearer {body['token']}"}


def _pusher(
    url: str, device_id: str, headers: dict[str, str], created: list[str], errors: list[str]
) -> None:
    clock = None
    session = requests.Session()
    for _ in range(BATCHES):
        changes = []
        for _ in range(PER_BATCH):
            clock = H.tick(clock, device_id)
            rid = str(uuid.uuid4())
            changes.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "report_id": rid,
                    "base_rev": None,
                    "hlc": str(clock),
                    "fields": incident(),
                }
            )
        resp = session.post(
            f"{url}/api/v1/sync/push",
            headers=headers,
            timeout=30,
            json={"batch_id": str(uuid.uuid4()), "changes": changes},
        )
        if resp.status_code != 200:
            errors.append(resp.text)
            return
        created.extend(r["report_id"] for r in resp.json()["results"] if r["status"] == "applied")


def test_puller_sees_every_report_once_under_concurrent_pushes(
    tmp_path: Path, backend: str
) -> None:
    """Four devices push 1,200 reports while a fifth pulls in a loop: none skipped, none twice."""
    officers = [f"ofc.{i}" for i in range(PUSHERS + 1)]
    with live_server(tmp_path, backend, {"NNK": officers}) as server:
        devices = [_enroll(server.url, server.code_for(name)) for name in officers]
        created: list[str] = []
        errors: list[str] = []
        threads = [
            threading.Thread(target=_pusher, args=(server.url, dev_id, headers, created, errors))
            for dev_id, headers in devices[:PUSHERS]
        ]
        for t in threads:
            t.start()
        _, puller = devices[-1]
        seen: list[str] = []
        cursor = None
        deadline = time.monotonic() + 120
        session = requests.Session()

        def pull_once() -> bool:
            nonlocal cursor
            params = {"limit": 37} | ({"cursor": cursor} if cursor else {})
            page = session.get(
                f"{server.url}/api/v1/sync/pull", params=params, headers=puller, timeout=30
            ).json()
            seen.extend(c["report"]["id"] for c in page["changes"])
            cursor = page["cursor"]
            return page["has_more"]

        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            pull_once()
        for t in threads:
            t.join(timeout=60)
        for _ in range(1000):
            if not pull_once():
                break
        assert not errors
        assert len(created) == PUSHERS * BATCHES * PER_BATCH
        assert len(seen) == len(set(seen)), "a report was delivered twice"
        assert set(seen) == set(created), f"{len(set(created) - set(seen))} reports skipped"
