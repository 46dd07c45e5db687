"""HTTP edges: problem+json everywhere, body limits, gzip, content types, /meta."""

from __future__ import annotations

import gzip
import json

import pytest
from flask import Flask

from server.infra.db import db
from server.infra.models import Report
from tests.world import World, incident, new_id


def _count_reports(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Report).count()


def test_meta_keys_exactly(client) -> None:
    """``/meta`` answers the contract's keys, with server_time in RFC 3339 ms UTC."""
    body = client.get("/api/v1/meta").get_json()
    assert set(body) == {
        "protocol",
        "max_batch_ops",
        "max_batch_bytes",
        "max_blob_bytes",
        "server_time",
        "evidence_key",  # issue 16: null until `patroli serve` (or a checkpoint) makes one
    }
    assert body["evidence_key"] is None
    assert body["protocol"] == 1 and body["max_batch_ops"] == 500
    assert body["max_batch_bytes"] == 8 * 1024 * 1024
    assert len(body["server_time"]) == 24 and body["server_time"].endswith("Z")


def test_healthz(client) -> None:
    """``/healthz`` checks the database."""
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json()["status"] == "ok"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/nothing-here", 404),
        ("delete", "/api/v1/meta", 405),
        ("get", "/api/v1/sync/push", 405),
    ],
)
def test_routing_errors_are_problems(client, method: str, path: str, status: int) -> None:
    """404 and 405 answer problem+json too."""
    resp = getattr(client, method)(path)
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    assert resp.get_json()["status"] == status


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b'{"batch_id": 1}', "text/plain", 415),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b'{"batch_id": "x", "changes": "nope"}', "application/json", 400),
    ],
)
def test_malformed_bodies(
    world: World, app: Flask, body: bytes, content_type: str, status: int
) -> None:
    """Malformed JSON, wrong content types and wrong shapes get clear problems."""
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.post(
        "/api/v1/sync/push", data=body, content_type=content_type, headers=dev.headers
    )
    assert resp.status_code == status and resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["type"].startswith("urn:patroli:problem:") and problem["detail"]
    assert _count_reports(app) == 0


def test_gzip_request_body_accepted(world: World, app: Flask) -> None:
    """A gzip-compressed push is inflated and applied."""
    dev = world.devices["ofc.nnk.1"]
    body = {"batch_id": new_id(), "changes": [dev.op(new_id(), incident())]}
    resp = world.client.post(
        "/api/v1/sync/push",
        data=gzip.compress(json.dumps(body).encode()),
        content_type="application/json",
        headers=dev.headers | {"Content-Encoding": "gzip"},
    )
    assert resp.status_code == 200 and resp.get_json()["results"][0]["status"] == "applied"


def test_gzip_bomb_refused_413(world: World, app: Flask) -> None:
    """A small gzip body that inflates past max_batch_bytes is refused with 413."""
    dev = world.devices["ofc.nnk.1"]
    bomb = gzip.compress(b'{"batch_id": "' + b"a" * (20 * 1024 * 1024) + b'"}')
    assert len(bomb) < 100_000
    resp = world.client.post(
        "/api/v1/sync/push",
        data=bomb,
        content_type="application/json",
        headers=dev.headers | {"Content-Encoding": "gzip"},
    )
    assert resp.status_code == 413
    assert resp.get_json()["type"] == "urn:patroli:problem:payload-too-large"


def test_invalid_gzip_is_malformed(world: World) -> None:
    """Bytes that claim to be gzip and are not → 400."""
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.post(
        "/api/v1/sync/push",
        data=b"not gzip at all",
        content_type="application/json",
        headers=dev.headers | {"Content-Encoding": "gzip"},
    )
    assert resp.status_code == 400


def test_unknown_content_encoding_415(world: World) -> None:
    """Only gzip (or none) is understood."""
    dev = world.devices["ofc.nnk.1"]
    resp = world.client.post(
        "/api/v1/sync/push",
        data=b"{}",
        content_type="application/json",
        headers=dev.headers | {"Content-Encoding": "br"},
    )
    assert resp.status_code == 415


def test_body_over_limit_413(app: Flask, world: World) -> None:
    """A plain body over max_batch_bytes is refused before it is read."""
    dev = world.devices["ofc.nnk.1"]
    big = b'{"x": "' + b"a" * (8 * 1024 * 1024 + 10) + b'"}'
    resp = world.client.post(
        "/api/v1/sync/push", data=big, content_type="application/json", headers=dev.headers
    )
    assert resp.status_code == 413
    assert resp.mimetype == "application/problem+json"


def test_too_many_ops_413_nothing_stored(app: Flask, world: World) -> None:
    """A batch over max_batch_ops is refused whole."""
    dev = world.devices["ofc.nnk.1"]
    changes = [dev.op(new_id(), {"title": "x"}) for _ in range(501)]
    resp = dev.push_raw(changes)
    assert resp.status_code == 413 and "500" in resp.get_json()["detail"]
    assert _count_reports(app) == 0


def test_missing_op_id_refuses_batch(app: Flask, world: World) -> None:
    """Without an op_id a change cannot be answered; the whole batch is a 400."""
    dev = world.devices["ofc.nnk.1"]
    good = dev.op(new_id(), incident())
    bad = dev.op(new_id(), incident())
    del bad["op_id"]
    resp = dev.push_raw([good, bad])
    assert resp.status_code == 400 and "changes.1.op_id" in resp.get_json()["errors"]
    assert _count_reports(app) == 0


def test_unexpected_error_is_problem_500(app: Flask) -> None:
    """An unhandled exception answers a 500 problem, and the server keeps serving."""

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    client = app.test_client()
    resp = client.get("/boom")
    assert resp.status_code == 500 and resp.mimetype == "application/problem+json"
    assert "kaboom" not in resp.get_data(as_text=True)
    assert client.get("/api/v1/meta").status_code == 200
