"""A real server streams the whole GeoJSON collection past one chunk, and its pages agree."""

from __future__ import annotations

import uuid
from pathlib import Path

import requests

from server.reports.geojson import CHUNK
from sync import hlc as H
from tests.live import PASSWORD, live_server
from tests.world import incident

BATCHES, PER_BATCH = 5, 500  # 2,500 features: three chunks of the stream


def _push_reports(url: str, code: str) -> set[str]:
    """Enroll a device and push located reports in batches; their ids."""
    body = requests.post(
        f"{url}/api/v1/devices/enroll",
        json={"enrollment_code": code, "device_name": "t"},
        timeout=10,
    ).json()
    device_id, headers = body["device_id"], {"Authorization": f"Bearer {body['token']}"}
    clock, created = None, set()
    for batch in range(BATCHES):
        changes = []
        for i in range(PER_BATCH):
            clock = H.tick(clock, device_id)
            point = {"lat": -5 + i / 100, "lon": 100 + batch, "accuracy_m": 5, "place": "x"}
            fields = incident(location=point)
            changes.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "report_id": str(uuid.uuid4()),
                    "base_rev": None,
                    "hlc": str(clock),
                    "fields": fields,
                }
            )
        resp = requests.post(
            f"{url}/api/v1/sync/push",
            json={"batch_id": str(uuid.uuid4()), "changes": changes},
            headers=headers,
            timeout=60,
        )
        assert resp.status_code == 200, resp.text
        created |= {r["report_id"] for r in resp.json()["results"]}
    return created


def test_whole_collection_streams_and_pages_agree(tmp_path: Path, backend: str) -> None:
    """Chunked transfer of every feature; limit pages through next links give the same."""
    assert BATCHES * PER_BATCH > 2 * CHUNK
    with live_server(tmp_path, backend, {"NNK": ["ofc.nnk.1"]}) as server:
        created = _push_reports(server.url, server.code_for("ofc.nnk.1"))
        token = requests.post(
            f"{server.url}/api/v1/auth/token",
            json={"username": "hq.1", "password": PASSWORD},
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        with requests.get(
            f"{server.url}/api/v1/reports.geojson", headers=headers, timeout=60, stream=True
        ) as resp:
            assert resp.status_code == 200
            assert resp.headers.get("Transfer-Encoding") == "chunked"
            assert "Content-Length" not in resp.headers
            whole = resp.json()
        streamed = [f["id"] for f in whole["features"]]
        assert len(streamed) == whole["numberReturned"] == len(created) == len(set(streamed))
        assert set(streamed) == created
        paged, url = [], f"{server.url}/api/v1/reports.geojson?limit=1000"
        for _ in range(10):
            page = requests.get(url, headers=headers, timeout=60).json()
            assert page["numberMatched"] == len(created)
            paged += [f["id"] for f in page["features"]]
            following = [link["href"] for link in page["links"] if link["rel"] == "next"]
            if not following:
                break
            url = following[0]
        assert paged == streamed
