"""The OpenAPI document (``server.openapi``) and a bounded schemathesis run against it.

Schemathesis drives the WSGI app in-process: the same Flask app, views and
error handlers that ``patroli serve`` runs under gunicorn, without the
socket, so a run costs seconds.  Each operation's Hypothesis strategy
(``as_strategy``) is run here directly: schemathesis's own pytest loader
(``schemathesis.pytest.from_fixture``) sets a node attribute that pytest
9.2 no longer has.  Every generated request (positive and
negative) is sent once per identity (a device's officer, a commander, an HQ
analyst) and every answer must be no 5xx, a documented status, a documented
content type and a body that matches its documented schema.

It runs on both backends, like the rest of the suite: the 5xx that
fuzzing is most apt to find are PostgreSQL's alone (text that cannot hold
a NUL, a value past a column's type), where SQLite stores anything.  To
keep it to about 15 s for both on CI's two cores, each operation gets 25
examples (developed and passed with 100 per backend; raise MAX_EXAMPLES
for a deeper local run).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, configuration, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from werkzeug.test import Client

from server.openapi import document as openapi
from tests.world import World

OPERATION_METHODS = {"get", "put", "post", "delete", "patch", "head"}


@pytest.fixture(autouse=True)
def _generous_rate_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed sign-ins and enrollments are limited to 10 a minute, which would turn
    most generated requests to those two into 429s before they reach validation."""
    monkeypatch.setenv("PATROLI_SIGNIN_RATE_LIMIT", "10000 per minute")
    monkeypatch.setenv("PATROLI_ENROLL_RATE_LIMIT", "10000 per minute")


@pytest.fixture
def document(client: FlaskClient) -> dict[str, Any]:
    """The served document."""
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return resp.get_json()


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    """The document passes the OpenAPI 3.1 meta-schema (schemathesis's validation)."""
    assert document["openapi"].startswith("3.1")
    schemathesis.openapi.from_dict(document).validate()


def _api_routes(app: Flask) -> set[tuple[str, str]]:
    """``(OpenAPI path, method)`` of every API route Flask serves."""
    found = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(openapi.PREFIX + "/"):
            continue
        path = rule.rule.replace("<", "{").replace(">", "}")
        # Flask adds HEAD to every GET and OPTIONS everywhere; only the blobs'
        # HEAD means something of its own, and it is checked below.
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


def test_every_api_route_is_documented(app: Flask, document: dict[str, Any]) -> None:
    """Adding an endpoint without documenting it fails here (and nothing documented is fake)."""
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in OPERATION_METHODS and method != "head"
    }
    routes = _api_routes(app)
    assert len(routes) >= 19
    assert routes - documented == set(), "routes missing from server/openapi.py"
    assert documented - routes == set(), "documented operations the server does not have"
    assert "head" in document["paths"]["/api/v1/blobs/{sha256}"]


def test_every_error_is_a_problem(document: dict[str, Any]) -> None:
    """Each 4xx answer is documented as application/problem+json with the Problem schema."""
    responses = document["components"]["responses"]
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                if status.startswith("4"):
                    name = answer["$ref"].rsplit("/", 1)[1]
                    content = responses[name]["content"]
                    assert list(content) == ["application/problem+json"], (path, method)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "errors" in problem["properties"]


def test_document_is_public_and_cached(app: Flask, client: FlaskClient) -> None:
    """No credentials needed; the second request is served from the first build."""
    first = client.get("/api/v1/openapi.json")
    assert first.status_code == 200
    cached = app.extensions["patroli.openapi"]
    second = client.get("/api/v1/openapi.json")
    assert second.data == first.data and app.extensions["patroli.openapi"] is cached


# -- schemathesis --------------------------------------------------------------

#: Examples per operation (each sent as three identities): small, fixed and
#: derandomized, since CI runs this on every push.
MAX_EXAMPLES = 25
SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,  # no .hypothesis directory in the work tree
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


class _ClosingClient(Client):
    """A WSGI client that closes each answer once read, as a real server does.

    Schemathesis reads a WSGI answer without closing it, which leaves a
    served blob's file open until garbage collection (a ResourceWarning).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """Send the request and read the whole answer (``buffered`` closes the iterable)."""
        kwargs["buffered"] = True
        return super().open(*args, **kwargs)


def _config() -> schemathesis.Config:
    """Only the contract checks: no 5xx, documented status, content type, body and headers.

    Not schemathesis's data-acceptance checks: the server refuses some
    schema-valid requests for reasons no schema states (a stale revision,
    a hash that does not match, a NUL), and takes an empty parameter as
    an absent one.
    """
    return schemathesis.Config.from_dict(
        {
            "cache": {"enabled": False},
            # A NUL anywhere is refused at the door (server.http.input_guard, tested on
            # both backends by tests/hostile); here it would only hide what is behind.
            "generation": {"allow-x00": False},
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "status_code_conformance": {"enabled": True},
                "content_type_conformance": {"enabled": True},
                "response_schema_conformance": {"enabled": True},
                "response_headers_conformance": {"enabled": True},
            },
        }
    )


@pytest.fixture
def hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Hypothesis keeps caches (source constants, Unicode tables) in ./.hypothesis even
    without an example database: keep this run's in the test's own tmp directory."""
    configuration.set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    configuration.set_hypothesis_home_dir(None)


@pytest.fixture
def identities(world: World) -> dict[str, dict[str, str]]:
    """Authorization headers of an officer's device, a commander and an HQ analyst."""
    return {
        "officer": world.devices["ofc.nnk.1"].headers,
        "commander": world.token("cmd.nnk"),
        "hq": world.token("hq.1"),
    }


@pytest.fixture
def real_ids(world: World) -> dict[str, str]:
    """Ids that exist, so that some requests get past the 404 (another officer's device
    is the one a commander may revoke, so the officer identity keeps working)."""
    return world.seed_conflict_with_attachment()


def _strategy(operation: Any, real_ids: dict[str, str]) -> Any:
    """Positive and negative requests, and positive ones aimed at ids that exist."""
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    names = [p.name for p in operation.path_parameters]
    if names and all(name in real_ids for name in names):
        real = {name: real_ids[name] for name in names}
        strategies.append(operation.as_strategy(path_parameters=real))
    return st.one_of(strategies)


def test_api_conforms_to_its_document(
    app: Flask,
    identities: dict[str, dict[str, str]],
    real_ids: dict[str, str],
    hypothesis_home: None,
    subtests: pytest.Subtests,
) -> None:
    """Every generated request, as each identity: no 5xx, every answer as documented."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=_config())
    operations = [result.ok() for result in schema.get_all_operations()]
    client = _ClosingClient(app)
    assert len(operations) >= 19  # from_wsgi leaves out the document itself
    for operation in operations:
        with subtests.test(operation.label):

            @SETTINGS
            @given(case=_strategy(operation, real_ids))
            def fuzz(case: Any) -> None:
                """Send one generated request as each identity and check the answers."""
                for headers in identities.values():
                    # Schemathesis's WSGI client asks for gzip but does not inflate.
                    case.call_and_validate(
                        headers={**headers, "Accept-Encoding": "identity"}, session=client
                    )

            fuzz()
