"""Configuration from ``PATROLI_*`` environment variables."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DEFAULT_SECRET_KEY = "dev-only-insecure-secret"


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def default_database_url() -> str:
    """A SQLite file under ``./var`` (the embedded default)."""
    return "sqlite:///" + str(Path("var/patroli.sqlite3").resolve())


def from_environment() -> dict[str, Any]:
    """Read the server settings from the environment, with defaults."""
    max_batch_bytes = _int("PATROLI_MAX_BATCH_BYTES", 8 * 1024 * 1024)
    return {
        "SECRET_KEY": os.environ.get("PATROLI_SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("PATROLI_DATABASE_URL") or default_database_url(),
        "PATROLI_MAX_BATCH_OPS": _int("PATROLI_MAX_BATCH_OPS", 500),
        "PATROLI_MAX_BATCH_BYTES": max_batch_bytes,
        "PATROLI_MAX_BLOB_BYTES": _int("PATROLI_MAX_BLOB_BYTES", 50 * 1024 * 1024),
        "PATROLI_PULL_LIMIT": _int("PATROLI_PULL_LIMIT", 500),
        "PATROLI_PULL_MAX_LIMIT": _int("PATROLI_PULL_MAX_LIMIT", 2000),
        "PATROLI_ENROLL_CODE_TTL_S": _int("PATROLI_ENROLL_CODE_TTL_S", 72 * 3600),
        "PATROLI_TOKEN_TTL_S": _int("PATROLI_TOKEN_TTL_S", 12 * 3600),
        "PATROLI_BLOB_DIR": os.environ.get("PATROLI_BLOB_DIR") or str(Path("var/blobs").resolve()),
        "PATROLI_SCHEDULER": os.environ.get("PATROLI_SCHEDULER", "1") not in ("0", "false", "no"),
        "PATROLI_OP_RETENTION_DAYS": _int("PATROLI_OP_RETENTION_DAYS", 30),
        "PATROLI_GZIP_LEVEL": _int("PATROLI_GZIP_LEVEL", 3),
        # Flask refuses bodies over this before any view reads them; gzip
        # bodies are bounded again after decompression (server.bodies).
        "MAX_CONTENT_LENGTH": max_batch_bytes,
    }
