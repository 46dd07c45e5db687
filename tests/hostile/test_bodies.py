"""Hostile bodies: malformed, deeply nested, huge, compressed bombs, bad encodings, NULs."""

from __future__ import annotations

import gzip
import json

import pytest
from flask import Flask

from tests.hostile.counts import assert_problem, assert_still_serving, row_counts
from tests.world import World, incident, new_id

NESTED = 100_000


def _post(world: World, body: bytes, **headers: str):
    dev = world.devices["ofc.nnk.1"]
    return world.client.post(
        "/api/v1/sync/push",
        data=body,
        content_type="application/json",
        headers=dev.headers | headers,
    )


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        (b"[" * NESTED + b"]" * NESTED, "malformed-body"),
        (b'{"batch_id": ' + b"[" * NESTED + b"]" * NESTED + b"}", "malformed-body"),
        (b'{"a": ' * NESTED + b"1" + b"}" * NESTED, "malformed-body"),
        (b'{"batch_id": "x", "changes": [', "malformed-body"),
        (b'{"batch_id": NaN, "changes": []}', "malformed-body"),
        (b'{"batch_id": ' + b"9" * 5000 + b', "changes": []}', "malformed-body"),
        (b'{"batch_id": "\xff\xfe\xfd", "changes": []}', "malformed-body"),
        (b'{"batch_id": "\\ud800", "changes": []}', "malformed-body"),
        (b"\xef\xbb\xbf\xff{}", "malformed-body"),
        (b"null", "malformed-body"),
        (b'"just a string"', "malformed-body"),
    ],
    ids=[
        "nested-arrays",
        "nested-in-field",
        "nested-objects",
        "truncated",
        "nan",
        "huge-number",
        "invalid-utf8",
        "lone-surrogate",
        "bom-garbage",
        "null",
        "scalar",
    ],
)
def test_malformed_body_is_400_nothing_stored(
    world: World, app: Flask, body: bytes, slug: str
) -> None:
    """Every malformed body is a 400 problem; nothing stored; the server keeps serving."""
    before = row_counts(app)
    assert_problem(_post(world, body), 400, slug)
    assert row_counts(app) == before
    assert_still_serving(world.client)


def test_deep_nesting_inside_a_valid_op_is_a_field_error(world: World, app: Flask) -> None:
    """Nesting within the parser's limit but where text belongs is rejected per field."""
    dev = world.devices["ofc.nnk.1"]
    deep = json.loads("[" * 500 + "]" * 500)
    (result,) = dev.push(dev.op(new_id(), incident(narrative=deep)))
    assert result["status"] == "rejected" and result["errors"] == {"narrative": ["must be text"]}
    assert row_counts(app)["reports"] == 0


@pytest.mark.parametrize(
    ("fields", "error_key"),
    [
        (incident(narrative="x" * 5_000_000), "narrative"),
        (incident(title="t" * 100_000), "title"),
        (incident(persons={"p" * 100_000: {"role": "victim"}}), None),
        (incident(persons={"p1": {"role": "victim", "name": "n" * 100_000}}), "persons.p1.name"),
    ],
    ids=["narrative-5MB", "title-100k", "element-id-100k", "person-name-100k"],
)
def test_huge_strings_rejected_per_field(
    world: World, app: Flask, fields: dict, error_key: str | None
) -> None:
    """Oversized strings reject the op with a field error, nothing stored."""
    dev = world.devices["ofc.nnk.1"]
    (result,) = dev.push(dev.op(new_id(), fields))
    assert result["status"] == "rejected" and result["errors"]
    if error_key:
        assert error_key in result["errors"]
    assert row_counts(app)["reports"] == 0
    assert_still_serving(world.client)


def test_ten_thousand_op_batch_refused_whole(world: World, app: Flask) -> None:
    """A 10,000-op batch is 413 for the whole batch; not one op stored."""
    dev = world.devices["ofc.nnk.1"]
    before = row_counts(app)
    changes = [dev.op(new_id(), incident(title=f"t{i}")) for i in range(10_000)]
    body = assert_problem(dev.push_raw(changes), 413, "payload-too-large")
    assert "10000" in body["detail"]
    assert row_counts(app) == before
    assert_still_serving(world.client)


@pytest.mark.parametrize("inflated_mb", [9, 64])
def test_gzip_bomb_413(world: World, app: Flask, inflated_mb: int) -> None:
    """A small gzip body inflating past max_batch_bytes is 413; nothing stored."""
    bomb = gzip.compress(b'{"batch_id": "' + b"0" * (inflated_mb << 20) + b'"}', 9)
    assert len(bomb) < 200_000
    before = row_counts(app)
    resp = _post(world, bomb, **{"Content-Encoding": "gzip"})
    assert_problem(resp, 413, "payload-too-large")
    assert row_counts(app) == before
    assert_still_serving(world.client)


def test_gzip_of_garbage_and_truncated_gzip_400(world: World, app: Flask) -> None:
    """Truncated gzip and gzip of invalid UTF-8 are both 400 malformed-body."""
    good = gzip.compress(json.dumps({"batch_id": new_id(), "changes": []}).encode())
    assert_problem(_post(world, good[:-12], **{"Content-Encoding": "gzip"}), 400, "malformed-body")
    bad = gzip.compress(b'{"batch_id": "\xff\xff"}')
    assert_problem(_post(world, bad, **{"Content-Encoding": "gzip"}), 400, "malformed-body")
    assert row_counts(app)["reports"] == 0


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("post", "/api/v1/sync/push", {"json_op": {"title": "a\x00b"}}),
        (
            "post",
            "/api/v1/sync/push",
            {"json_op": {"persons.p1": {"role": "victim", "name": "\x00"}}},
        ),
        ("post", "/api/v1/auth/token", {"json": {"username": "cmd\x00", "password": "x"}}),
        (
            "post",
            "/api/v1/devices/enroll",
            {"json": {"enrollment_code": "A\x00", "device_name": "x"}},
        ),
        ("get", "/api/v1/reports?text=a%00b", {}),
        ("get", "/api/v1/reports/a%00b", {}),
        ("post", "/api/v1/devices/a%00b/revoke", {}),
        ("post", "/api/v1/conflicts/a%00b/resolve", {"json": {"choose": "kept"}}),
        ("get", "/api/v1/sync/pull?cursor=%00", {}),
    ],
    ids=[
        "push-title",
        "push-person",
        "token",
        "enroll",
        "search",
        "report",
        "revoke",
        "resolve",
        "cursor",
    ],
)
def test_nul_characters_are_400_everywhere(
    world: World, app: Flask, method: str, path: str, kwargs: dict
) -> None:
    """A NUL in any input is a 400 (PostgreSQL text cannot hold one: it used to be a 500)."""
    dev = world.devices["ofc.nnk.1"]
    headers = dev.headers if "/sync/" in path else world.token("cmd.nnk")
    if "json_op" in kwargs:
        op = dev.op(new_id(), incident() | kwargs.pop("json_op"))
        kwargs["json"] = {"batch_id": new_id(), "changes": [op]}
    before = row_counts(app)
    resp = getattr(world.client, method)(path, headers=headers, **kwargs)
    assert_problem(resp, 400, "malformed-body")
    assert row_counts(app) == before
    assert_still_serving(world.client)


def test_nul_in_report_text_refused_by_the_schema() -> None:
    """The shared report schema (also used on devices) refuses NUL in any text field."""
    from sync import report_schema

    errors = report_schema.FIELDS_SCHEMA.validate({"narrative": "a\x00"}, partial=True)
    assert errors == {"narrative": ["must not contain NUL characters"]}
