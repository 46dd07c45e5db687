"""Shared fixtures: ``app``, ``client``, ``runner`` over every database backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from server import create_app
from server.infra.db import db
from tests import backends, prerequisites
from tests.world import World

# Device stores are encrypted under the officer's PIN; every store a test
# opens, in this process or in a `patroli field` child, uses this one.
os.environ.setdefault("PATROLI_FIELD_PIN", "test-pin-2468")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty SQLite file shared by the session."""
    return backends.sqlite_template(tmp_path_factory.mktemp("template"))


@pytest.fixture(params=backends.BACKENDS)
def database_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated database for one test, on each backend."""
    if request.param == "sqlite":
        return backends.fresh_sqlite(sqlite_template, tmp_path / "patroli.sqlite3")
    return backends.fresh_postgres()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh database."""
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "PATROLI_BLOB_DIR": str(tmp_path / "blobs"),
            "PATROLI_EXCHANGE_KEY": "test-exchange-key-0123456789",
        }
    )
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client for the app."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    """A CLI runner for the app."""
    return app.test_cli_runner()


@pytest.fixture
def world(app: Flask, client: FlaskClient) -> World:
    """Posts NNK and DUM with officers, enrolled devices, commanders, HQ and an admin."""
    return World.build(app, client)


@pytest.fixture(params=backends.BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of an end-to-end test."""
    return request.param


_NOT_RUN = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    """Stop before any test when ``PATROLI_TEST_REQUIRE`` names something missing."""
    prerequisites.check_required()
    share_ports_between_workers()


def share_ports_between_workers() -> None:
    """Under pytest-xdist, give each worker its own share of free ports.

    Servers of two workers starting at once could otherwise be handed the
    same port (``patroli.serve_process.free_port``); the share is inherited
    by every ``patroli`` child process that picks a port itself.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        count = os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")
        os.environ["PATROLI_PORT_SHARE"] = f"{int(worker[2:]) % int(count)}/{count}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say what a local run left out because PostgreSQL or Chromium is missing."""
    for line in terminalreporter.config.stash.get(_NOT_RUN, []):
        terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """Under pytest-xdist, the controller gathers the workers' "not run" lines."""
    lines = getattr(node, "workeroutput", {}).get("patroli_not_run", [])
    gathered = node.config.stash.setdefault(_NOT_RUN, [])  # type: ignore[attr-defined]
    gathered.extend(line for line in lines if line not in gathered)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``soak``-marked tests (the long soak, the full field link) unless ``-m soak``."""
    config.stash[_NOT_RUN] = prerequisites.not_run(items)
    # An xdist worker collected instead of the controller, which prints the summary.
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["patroli_not_run"] = config.stash[_NOT_RUN]
    if "soak" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="long run: select it with -m soak")
    for item in items:
        if item.get_closest_marker("soak"):
            item.add_marker(skip)
