"""A field device for end-to-end tests: a real store, transport and engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from client_sqlite import editing, enrollment
from client_sqlite.connection import open_database
from client_sqlite.store import Store
from sync.engine import SyncEngine, SyncResult
from sync.transport import Transport


def raw_connection(path: Path) -> Any:
    """The store file opened with the test PIN but not through ``Store`` (no migration)."""
    conn, _keys = open_database(path)
    return conn


@dataclass
class FieldDevice:
    """One officer's device with its own SQLite store file."""

    store: Store
    server_url: str

    @classmethod
    def enroll(cls, path: Path, server_url: str, code: str, name: str = "phone") -> FieldDevice:
        """Create a store and enroll it with ``code``."""
        store = Store(path)
        enrollment.enroll(store, Transport(server_url), code, name)
        return cls(store, server_url)

    def transport(self, **kwargs: Any) -> Transport:
        """A transport with this device's token (fast retries for tests)."""
        device = self.store.device()
        options = {
            "max_attempts": 4,
            "max_elapsed": 20.0,
            "backoff_base": 0.05,
            "read_timeout": 30.0,
        } | kwargs
        return Transport(
            kwargs.pop("base_url", None) or device["server_url"],
            device["token"],
            **{k: v for k, v in options.items() if k != "base_url"},
        )

    def sync(self, **kwargs: Any) -> SyncResult:
        """Run one sync."""
        return SyncEngine(self.store, self.transport(**kwargs)).run()

    def create(self, fields: dict[str, Any], kind: str = "incident") -> str:
        """Record a new report offline."""
        return editing.create(self.store, kind, fields)

    def edit(self, report_id: str, fields: dict[str, Any]) -> None:
        """Record an edit offline."""
        editing.edit(self.store, report_id, fields)

    def docs(self) -> dict[str, dict[str, Any]]:
        """Every local document by id."""
        return {r["id"]: self.store.report(r["id"]) for r in self.store.reports()}
