"""Bulk writes: many rows in one DBAPI ``executemany`` (``COPY`` on PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Date, DateTime, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError

from server.infra.db import UTCDateTime


@lru_cache(maxsize=64)
def _bulk_plan(
    dialect: Dialect, table: Table, columns: tuple[str, ...], key: str | None
) -> tuple[str, list[str], list[tuple[int, Callable[[Any], Any], bool]]]:
    """The SQL, parameter order and bind processors of a bulk write (cached)."""
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    names = [c for c in columns if c != key]
    if key is None:
        sql = (
            f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in names)}) "
            f"VALUES ({', '.join(mark for _ in names)})"
        )
    else:
        sets = ", ".join(f"{quote(c)} = {mark}" for c in names)
        sql = f"UPDATE {quote(table.name)} SET {sets} WHERE {quote(key)} = {mark}"
    order = names + ([key] if key is not None else [])
    processors = []
    for i, name in enumerate(order):
        column_type = table.c[name].type
        processor = column_type.bind_processor(dialect)
        timely = isinstance(column_type, DateTime | UTCDateTime | Date)
        if timely and dialect.name == "sqlite":
            processor = _as_sqlite_text(processor)
        if processor is not None:
            # Times repeat within a batch (its "now"): convert each value once.
            processors.append((i, processor, timely))
    return sql, order, processors


def _sqlite_text(value: Any) -> Any:
    # Exactly what the sqlite3 module's default adapters store, made here so
    # that a batch's repeated times are converted once, not once per row.
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _as_sqlite_text(processor: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if processor is None:
        return _sqlite_text
    return lambda value: _sqlite_text(processor(value))


def _bulk_params(
    rows: list[dict[str, Any]],
    order: list[str],
    processors: list[tuple[int, Callable[[Any], Any], bool]],
) -> list[tuple[Any, ...]]:
    """Row dicts as parameter tuples, converted by the columns' types."""
    pick = itemgetter(*order)
    if len(order) == 1:
        params = [(pick(row),) for row in rows]
    else:
        params = [pick(row) for row in rows]
    if not processors:
        return params
    memos: dict[int, dict[Any, Any]] = {i: {} for i, _, repeats in processors if repeats}
    converted = []
    for values in params:
        values = list(values)
        for i, process, repeats in processors:
            value = values[i]
            if repeats:
                memo = memos[i]
                if value not in memo:
                    memo[value] = process(value)
                values[i] = memo[value]
            else:
                values[i] = process(value)
        converted.append(tuple(values))
    return converted


def bulk_write(
    conn: Connection, table: Table, rows: list[dict[str, Any]], key: str | None = None
) -> None:
    """INSERT ``rows`` (or UPDATE them by ``key``) with one DBAPI ``executemany``.

    The push path writes hundreds of rows per statement; SQLAlchemy's
    per-row parameter processing would cost more than the database does.
    The SQL is built once per table and column set, values go through the
    column types' own bind processors, and every row must have the same keys.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    sql, order, processors = _bulk_plan(conn.dialect, table, columns, key)
    params = _bulk_params(rows, order, processors)
    if key is None and conn.dialect.name == "postgresql" and len(rows) > 1:
        _copy_rows(conn, table, order, params)
        return
    conn.exec_driver_sql(sql, params)


def _copy_rows(
    conn: Connection, table: Table, order: list[str], params: list[tuple[Any, ...]]
) -> None:
    """INSERT by ``COPY ... FROM STDIN`` on PostgreSQL."""
    # COPY costs PostgreSQL a fraction of per-row INSERTs; it runs inside
    # the connection's transaction like any statement, and a duplicate key
    # fails it with the same unique violation.
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in order)}) FROM STDIN"
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in params:
                copy.write_row(row)
    except dbapi_error as exc:
        # The same exception classes as SQLAlchemy's own statements raise
        # (IntegrityError for a duplicate key), so callers' retries work.
        raise DBAPIError.instance(statement, None, exc, dbapi_error) from exc
    finally:
        cursor.close()
