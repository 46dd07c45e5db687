"""The two limits every server figure is compared with, on the same records.

* storage floor: the records' JSON written into one two-column table in one
  transaction (``sqlite3`` ``executemany``; ``COPY`` on PostgreSQL), with the
  server's own SQLite settings (``server.infra.db.SQLITE_PRAGMAS``: WAL,
  ``synchronous=NORMAL``, 16 KiB pages);
* pipeline limit: the same push bodies parsed (orjson), expanded into
  units and validated with the project's own ``sync.report_schema``, then
  written the same way: everything a server must do, in one process, with
  no HTTP, no merge and no bookkeeping.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg
from sqlalchemy.engine import make_url

from bench.server import reset_schema
from server.infra.db import SQLITE_PRAGMAS
from sync import report_schema
from sync.units import expand

PG_SCHEMA = "patroli_bench_limits"
_DDL = "CREATE TABLE {name} (id TEXT PRIMARY KEY, doc TEXT NOT NULL)"

Rows = list[tuple[str, str]]
Store = Callable[[Iterable[Rows]], None]


@dataclass
class Limit:
    """A limit: records per second on this machine."""

    records: int
    seconds: float

    @property
    def rate(self) -> float:
        """Records per second."""
        return self.records / self.seconds

    def summary(self) -> dict[str, float]:
        """The figures of the limit."""
        return {
            "records": self.records,
            "seconds": round(self.seconds, 3),
            "per_s": round(self.rate),
        }


def floor_rows(bodies: list[bytes]) -> Rows:
    """``(report id, JSON of its fields)`` for every change of the bodies."""
    return [
        (c["report_id"], orjson.dumps(c["fields"]).decode())
        for body in bodies
        for c in orjson.loads(body)["changes"]
    ]


def _parse_and_validate(body: bytes) -> Rows:
    """One push body parsed, expanded and validated: the rows to store."""
    rows = []
    for change in orjson.loads(body)["changes"]:
        units = expand(change["fields"])
        errors = report_schema.validate_units(units)
        if errors:
            raise ValueError(f"bench record failed validation: {errors}")
        rows.append((change["report_id"], orjson.dumps(change["fields"]).decode()))
    return rows


def warm_up(bodies: list[bytes]) -> None:
    """Run validation once on a few bodies, as the server does before the timed phase."""
    for body in bodies:
        _parse_and_validate(body)


class SQLiteStore:
    """One fresh SQLite file per measure, set up like the server's."""

    def __init__(self, path: Path):
        path.unlink(missing_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            self.conn.execute(f"PRAGMA {pragma}")
        self.conn.execute(_DDL.format(name="records"))

    def write(self, batches: Iterable[Rows]) -> None:
        """Insert every batch in one transaction."""
        self.conn.execute("BEGIN IMMEDIATE")
        for rows in batches:
            self.conn.executemany("INSERT INTO records (id, doc) VALUES (?, ?)", rows)
        self.conn.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class PostgresStore:
    """A fresh table in a schema of our own; rows go in with ``COPY``."""

    def __init__(self, url: str, table: str):
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo)
        self.table = f"{PG_SCHEMA}.{table}"
        self.conn.execute(f"DROP TABLE IF EXISTS {self.table}")
        self.conn.execute(_DDL.format(name=self.table))
        self.conn.commit()

    def write(self, batches: Iterable[Rows]) -> None:
        """COPY every batch in one transaction."""
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {self.table} (id, doc) FROM STDIN") as copy:
                for rows in batches:
                    for row in rows:
                        copy.write_row(row)
        self.conn.commit()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _timed(records: int, store: SQLiteStore | PostgresStore, batches: Iterable[Rows]) -> Limit:
    """Time ``store`` writing ``batches``; close it."""
    start = time.perf_counter()
    store.write(batches)
    elapsed = time.perf_counter() - start
    store.close()
    return Limit(records, elapsed)


def storage_floor(bodies: list[bytes], workdir: Path, postgres_url: str | None) -> Limit:
    """Pre-serialised JSON straight into one table, one transaction."""
    rows = floor_rows(bodies)
    if postgres_url:
        store: SQLiteStore | PostgresStore = PostgresStore(postgres_url, "floor")
    else:
        store = SQLiteStore(workdir / "floor.sqlite3")
    return _timed(len(rows), store, [rows])


def pipeline(bodies: list[bytes], workdir: Path, postgres_url: str | None) -> Limit:
    """Parse, expand, validate and store the push bodies, one transaction, no HTTP."""
    records = sum(len(orjson.loads(b)["changes"]) for b in bodies)
    if postgres_url:
        store: SQLiteStore | PostgresStore = PostgresStore(postgres_url, "pipeline")
    else:
        store = SQLiteStore(workdir / "pipeline.sqlite3")
    return _timed(records, store, (_parse_and_validate(body) for body in bodies))


def prepare(postgres_url: str | None) -> None:
    """Create the schema the PostgreSQL limits write into."""
    if postgres_url:
        reset_schema(postgres_url, PG_SCHEMA)


def drop(postgres_url: str | None) -> None:
    """Remove what the PostgreSQL limits created."""
    if postgres_url:
        reset_schema(postgres_url, PG_SCHEMA, drop_only=True)
