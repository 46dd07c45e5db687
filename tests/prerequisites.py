"""What the suite needs beyond Python: PostgreSQL for its second half, Chromium for the browser.

A developer's run without them still runs everything else and ends with
one line per part it did not run.  CI sets ``PATROLI_TEST_REQUIRE`` (e.g.
``postgres,browser``, as ``make test`` does): a missing prerequisite it
names stops the run before any test, so the suite cannot go green on half
of itself.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests import backends

KNOWN = ("postgres", "browser")
#: Fixtures whose parametrization gains a PostgreSQL case when it is configured.
BACKEND_FIXTURES = frozenset({"database_url", "backend"})

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    for path, package in ((CHROMIUM, "chromium"), (DRIVER, "chromium-driver")):
        if not Path(path).exists():
            return f"{path} not found: apt-get install -y {package}"
    return None


def missing() -> dict[str, str]:
    """Each prerequisite absent here, with how to get it."""
    found: dict[str, str] = {}
    if not backends.POSTGRES_URL:
        found["postgres"] = "PATROLI_TEST_POSTGRES_URL is not set; make test starts a cluster"
    reason = chromium_missing()
    if reason:
        found["browser"] = reason
    return found


def required(value: str | None = None) -> set[str]:
    """The prerequisites named in ``PATROLI_TEST_REQUIRE``; an unknown name is a usage error."""
    text = os.environ.get("PATROLI_TEST_REQUIRE", "") if value is None else value
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(KNOWN))
    if unknown:
        raise pytest.UsageError(
            f"PATROLI_TEST_REQUIRE names {', '.join(unknown)}; known: {', '.join(KNOWN)}"
        )
    return names


def check_required() -> None:
    """Stop the run when a required prerequisite is missing."""
    absent = missing()
    lacking = sorted(required() & absent.keys())
    if lacking:
        raise pytest.UsageError(
            "required by PATROLI_TEST_REQUIRE but missing: "
            + "; ".join(f"{name}: {absent[name]}" for name in lacking)
        )


def not_run(items: list[pytest.Item]) -> list[str]:
    """One line per prerequisite missing here that collected tests needed."""
    absent = missing()
    lines = []
    if "postgres" in absent:
        count = sum(1 for item in items if BACKEND_FIXTURES & set(_fixtures(item)))
        if count:
            lines.append(f"not run: the PostgreSQL half of {count} tests: {absent['postgres']}")
    if "browser" in absent:
        count = sum(1 for item in items if "browser" in _fixtures(item))
        if count:
            lines.append(f"not run: {count} browser tests: {absent['browser']}")
    return lines


def _fixtures(item: pytest.Item) -> list[str]:
    return list(getattr(item, "fixturenames", ()))
