"""The Patroli field device: a local SQLite store, its outbox and the officer CLI."""

from client_sqlite.store import Store

__all__ = ["Store"]
