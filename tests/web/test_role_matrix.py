"""Every dashboard endpoint and page × every kind of caller, against DESIGN's role table.

Outcomes: ``ok`` (2xx, or a redirect after a successful form), ``login``
(a page sends the caller to sign in), or the HTTP status.  Devices carry a
bearer token; people use a bearer token on the API and a signed-in session
on the pages (which ignore bearer tokens: a device has no business there).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.dashboard.scenarios import make_conflict
from tests.hostile.counts import assert_problem, database_state
from tests.web.pages import csrf_token, sign_in
from tests.world import World

CALLERS = ("officer", "cmd_this", "cmd_other", "hq", "admin", "nobody")
PERSON = {"cmd_this": "cmd.nnk", "cmd_other": "cmd.dum", "hq": "hq.1", "admin": "admin"}

# (method, path, body) -> outcome per caller, in CALLERS order.  GETs come
# first and each change is allowed once per world, so order matters.
API = [
    ("GET", "/api/v1/reports", None, ("ok", "ok", "ok", "ok", "ok", 401)),
    ("GET", "/api/v1/reports.geojson", None, ("ok", "ok", "ok", "ok", "ok", 401)),
    ("GET", "/api/v1/reports/{report}", None, ("ok", "ok", 404, "ok", "ok", 401)),
    ("GET", "/api/v1/conflicts", None, ("ok", "ok", "ok", "ok", "ok", 401)),
    ("GET", "/api/v1/conflicts/{conflict}", None, ("ok", "ok", 404, "ok", "ok", 401)),
    ("GET", "/api/v1/devices", None, (403, "ok", "ok", 403, "ok", 401)),
    ("GET", "/api/v1/aggregates", None, (403, 403, 403, "ok", "ok", 401)),
    (
        "POST",
        "/api/v1/reports/{report}/review",
        {"status": "in_review", "rev": "{rev}"},
        (403, "ok", 404, 403, 403, 401),
    ),
    (
        "POST",
        "/api/v1/conflicts/{conflict}/resolve",
        {"choose": "kept"},
        (403, "ok", 404, 403, 403, 401),
    ),
    (
        "POST",
        "/api/v1/devices/enrollment-codes",
        {"username": "ofc.nnk.3"},
        (403, "ok", 404, 403, "ok", 401),
    ),
    (
        "POST",
        "/api/v1/devices/{device}/revoke",
        {"reason": "lost"},
        (403, "ok", 404, 403, "ok", 401),
    ),
]

PAGES = [
    ("GET", "/", None, ("login", "ok", "ok", "ok", "ok", "login")),
    ("GET", "/queue", None, ("login", "ok", "ok", "ok", "ok", "login")),
    ("GET", "/reports/{report}", None, ("login", "ok", 404, "ok", "ok", "login")),
    ("GET", "/conflicts", None, ("login", "ok", "ok", "ok", "ok", "login")),
    ("GET", "/conflicts/{conflict}", None, ("login", "ok", 404, "ok", "ok", "login")),
    ("GET", "/devices", None, ("login", "ok", "ok", 403, "ok", "login")),
    ("GET", "/dashboard", None, ("login", 403, 403, "ok", "ok", "login")),
    # Downloading a case file signs a checkpoint: a CSRF-checked POST.
    ("POST", "/reports/{report}/case-file", {"_": ""}, ("login", "ok", 404, "ok", 403, "login")),
    (
        "POST",
        "/reports/{report}/review",
        {"status": "in_review", "rev": "{rev}"},
        ("login", "ok", 404, 403, 403, "login"),
    ),
    (
        "POST",
        "/conflicts/{conflict}/resolve",
        {"choice": "kept"},
        ("login", "ok", 404, 403, 403, "login"),
    ),
    (
        "POST",
        "/devices/enrollment-code",
        {"username": "ofc.nnk.3"},
        ("login", "ok", 404, 403, "ok", "login"),
    ),
    (
        "POST",
        "/devices/{device}/revoke",
        {"reason": "lost"},
        ("login", "ok", 404, 403, "ok", "login"),
    ),
]


#: The problem type of each refusal the API answers in this table.
SLUGS = {401: "unauthorized", 403: "forbidden", 404: "not-found"}


def _outcome(resp: Any) -> str | int:
    """A response as ok, login or its status code."""
    if resp.status_code in (301, 302, 303):
        return "login" if "/sign-in" in resp.headers["Location"] else "ok"
    return "ok" if 200 <= resp.status_code < 300 else resp.status_code


def _ids(world: World) -> dict[str, Any]:
    """A report with an open conflict, and the ids the paths need."""
    report_id, record = make_conflict(world)
    rev = world.report(report_id)["report"]["rev"]
    return {
        "report": report_id,
        "conflict": record["id"],
        "rev": rev,
        "device": world.devices["ofc.nnk.2"].device_id,
    }


def _fill(value: Any, ids: dict[str, Any]) -> Any:
    """Put the ids into a path or body."""
    if isinstance(value, str):
        if value == "{rev}":
            return ids["rev"]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _api_headers(world: World, caller: str) -> dict[str, str]:
    """The caller's bearer header for the API."""
    if caller == "officer":
        return world.devices["ofc.nnk.1"].headers
    if caller == "nobody":
        return {}
    return world.token(PERSON[caller])


@pytest.mark.parametrize("caller", CALLERS)
def test_api_role_matrix(world: World, caller: str) -> None:
    """The API answers each caller as the role table says (scope hides other posts: 404)."""
    ids = _ids(world)
    headers = _api_headers(world, caller)
    column = CALLERS.index(caller)
    actual, expected = {}, {}
    for method, path, body, outcomes in API:
        url = _fill(path, ids)
        before = database_state(world.app)
        resp = world.client.open(url, method=method, json=_fill(body, ids), headers=headers)
        actual[(method, path)] = outcome = _outcome(resp)
        expected[(method, path)] = outcomes[column]
        if outcome != "ok":
            assert_problem(resp, outcome, SLUGS[outcome])
            assert database_state(world.app) == before, (method, path)
    assert actual == expected


def _page_client(world: World, caller: str) -> tuple[FlaskClient, dict[str, str]]:
    """A client signed in as the caller (or not), with a device header for officers."""
    client = world.app.test_client()
    if caller in PERSON:
        assert sign_in(client, PERSON[caller]).status_code == 302
    headers = world.devices["ofc.nnk.1"].headers if caller == "officer" else {}
    return client, headers


@pytest.mark.parametrize("caller", CALLERS)
def test_page_role_matrix(world: World, caller: str) -> None:
    """Pages: sign-in first, then the role table; forms carry a valid CSRF token."""
    ids = _ids(world)
    client, headers = _page_client(world, caller)
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    column = CALLERS.index(caller)
    actual, expected = {}, {}
    for method, path, body, outcomes in PAGES:
        url = _fill(path, ids)
        data = {**_fill(body, ids), "csrf_token": token} if body else None
        before = database_state(world.app)
        resp = client.open(url, method=method, data=data, headers=headers)
        actual[(method, path)] = outcome = _outcome(resp)
        expected[(method, path)] = outcomes[column]
        if outcome != "ok":
            assert database_state(world.app) == before, (method, path)
    assert actual == expected


def test_scoped_lists_hide_other_posts(world: World) -> None:
    """Lists answer 200 to another post's commander, but without this post's records."""
    ids = _ids(world)
    headers = world.token("cmd.dum")
    queue = world.client.get("/api/v1/reports", headers=headers).get_json()
    assert ids["report"] not in [r["id"] for r in queue["reports"]]
    conflicts = world.client.get("/api/v1/conflicts", headers=headers).get_json()["conflicts"]
    devices = world.client.get("/api/v1/devices", headers=headers).get_json()["devices"]
    assert conflicts == [] and all(d["post"] == "DUM" for d in devices)
    features = world.client.get("/api/v1/reports.geojson", headers=headers).get_json()
    assert features["features"] == []
