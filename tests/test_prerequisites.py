"""A run without PostgreSQL or Chromium says so; a run that requires them fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests import backends, prerequisites

ROOT = Path(__file__).resolve().parent.parent


def _pytest(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Pytest in a child process, without a PostgreSQL URL, with ``env`` added."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("PATROLI_TEST_")}
    child_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_required_postgres_missing_stops_the_run_before_any_test():
    """CI's PATROLI_TEST_REQUIRE=postgres without a URL is an error, not a shorter run."""
    run = _pytest("tests/sync/test_units.py", PATROLI_TEST_REQUIRE="postgres,browser")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "required by PATROLI_TEST_REQUIRE but missing: postgres" in run.stderr
    assert "passed" not in run.stdout


def test_local_run_without_postgres_says_what_it_left_out():
    """Without the requirement the run goes on and ends with one line naming the gap."""
    run = _pytest("tests/api/test_devices_auth.py", "--collect-only")
    assert run.returncode == pytest.ExitCode.OK, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith("not run:")]
    collected = re.search(r"^(\d+) tests collected", run.stdout, re.M)
    assert collected, run.stdout
    assert lines == [
        f"not run: the PostgreSQL half of {collected[1]} tests: "
        "PATROLI_TEST_POSTGRES_URL is not set; make test starts a cluster"
    ]


def test_parallel_run_still_stops_when_postgres_is_required_and_missing():
    """``make test`` runs pytest-xdist workers: the requirement still fails the run."""
    run = _pytest("-n", "2", "tests/sync/test_units.py", PATROLI_TEST_REQUIRE="postgres,browser")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "required by PATROLI_TEST_REQUIRE but missing: postgres" in run.stderr
    assert "passed" not in run.stdout


def test_parallel_local_run_still_says_what_it_left_out():
    """The workers collect, the controller prints: the "not run" line survives xdist."""
    run = _pytest("-n", "2", "tests/api/test_devices_auth.py", "-k", "enroll")
    assert run.returncode == pytest.ExitCode.OK, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith("not run:")]
    assert len(lines) == 1, run.stdout
    assert re.fullmatch(
        r"not run: the PostgreSQL half of \d+ tests: "
        r"PATROLI_TEST_POSTGRES_URL is not set; make test starts a cluster",
        lines[0],
    )


def test_required_browser_missing_is_an_error(monkeypatch, tmp_path):
    """A missing chromium is named, and fatal when required."""
    monkeypatch.setattr(prerequisites, "CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.setattr(backends, "POSTGRES_URL", "postgresql://unused")
    assert prerequisites.missing() == {
        "browser": f"{tmp_path / 'chromium'} not found: apt-get install -y chromium"
    }
    monkeypatch.setenv("PATROLI_TEST_REQUIRE", "postgres")
    prerequisites.check_required()  # PostgreSQL is there; the browser is not required
    monkeypatch.setenv("PATROLI_TEST_REQUIRE", "postgres,browser")
    with pytest.raises(pytest.UsageError, match="missing: browser: .*chromium not found"):
        prerequisites.check_required()


def test_unknown_requirement_is_a_usage_error():
    """A typo in PATROLI_TEST_REQUIRE must not silently require nothing."""
    with pytest.raises(pytest.UsageError, match="names postgresql; known: postgres, browser"):
        prerequisites.required("postgresql,browser")
    assert prerequisites.required(" postgres , browser ,") == {"postgres", "browser"}


def test_not_run_counts_only_the_tests_that_needed_what_is_missing(monkeypatch, tmp_path):
    """The summary counts tests by the fixtures that need PostgreSQL or the browser."""
    monkeypatch.setattr(prerequisites, "CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.setattr(backends, "POSTGRES_URL", "")
    items = [
        SimpleNamespace(fixturenames=["browser", "tmp_path"]),
        SimpleNamespace(fixturenames=["app", "database_url"]),
        SimpleNamespace(fixturenames=["backend", "tmp_path"]),
        SimpleNamespace(fixturenames=["tmp_path"]),
    ]
    lines = prerequisites.not_run(items)  # type: ignore[arg-type]
    assert [line.split(":")[1] for line in lines] == [
        " the PostgreSQL half of 2 tests",
        " 1 browser tests",
    ]
    monkeypatch.setattr(backends, "POSTGRES_URL", "postgresql://unused")
    assert prerequisites.not_run(items[1:]) == []  # type: ignore[arg-type]
