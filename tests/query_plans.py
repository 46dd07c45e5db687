"""SQLite's plans of the statements a piece of a test really sends.

``sent(app, keep)`` records the statements (and their parameters) that
``keep`` selects while inside; ``plans(app, sent)`` gives each with its
EXPLAIN QUERY PLAN lines joined by `` | ``. The plan tests check what a
query reads at scale without timing it (speed is measured in bench/).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from server.infra.db import db


@contextmanager
def sent(app: Flask, keep: Callable[[str], bool]) -> Iterator[list[tuple[str, Any]]]:
    """The statements ``keep`` selects that are sent while inside, with their parameters."""
    out: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if keep(statement):
            out.append((statement, params))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield out
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plans(app: Flask, statements: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    """Each statement with its plan's lines joined."""
    out = []
    with app.app_context(), db.engine.connect() as conn:
        for statement, params in statements:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
            out.append((statement, " | ".join(row[-1] for row in rows)))
    return out


def require_sqlite(database_url: str) -> None:
    """Skip on PostgreSQL: the plans checked are SQLite's."""
    if not database_url.startswith("sqlite"):
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's")
