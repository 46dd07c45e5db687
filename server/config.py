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
        "PATROLI_WAL_CHECKPOINT_BYTES": _int("PATROLI_WAL_CHECKPOINT_BYTES", 64 * 1024 * 1024),
        "PATROLI_WAL_CHECKPOINT_WAIT_MS": _int("PATROLI_WAL_CHECKPOINT_WAIT_MS", 1000),
        "PATROLI_PULL_LIMIT": _int("PATROLI_PULL_LIMIT", 500),
        "PATROLI_PULL_MAX_LIMIT": _int("PATROLI_PULL_MAX_LIMIT", 2000),
        "PATROLI_ENROLL_CODE_TTL_S": _int("PATROLI_ENROLL_CODE_TTL_S", 72 * 3600),
        "PATROLI_TOKEN_TTL_S": _int("PATROLI_TOKEN_TTL_S", 12 * 3600),
        "PATROLI_BLOB_DIR": os.environ.get("PATROLI_BLOB_DIR") or str(Path("var/blobs").resolve()),
        "PATROLI_SCHEDULER": os.environ.get("PATROLI_SCHEDULER", "1") not in ("0", "false", "no"),
        "PATROLI_OP_RETENTION_DAYS": _int("PATROLI_OP_RETENTION_DAYS", 30),
        "PATROLI_REMOVAL_RETENTION_DAYS": _int("PATROLI_REMOVAL_RETENTION_DAYS", 90),
        "PATROLI_REVIEW_SLA_HOURS": _int("PATROLI_REVIEW_SLA_HOURS", 48),
        "PATROLI_SILENT_DEVICE_HOURS": _int("PATROLI_SILENT_DEVICE_HOURS", 72),
        "PATROLI_SESSION_HOURS": _int("PATROLI_SESSION_HOURS", 8),
        "PATROLI_SESSION_COOKIE_SECURE": os.environ.get("PATROLI_SESSION_COOKIE_SECURE", "0")
        in ("1", "true", "yes"),
        "PATROLI_SIGNIN_RATE_LIMIT": os.environ.get("PATROLI_SIGNIN_RATE_LIMIT") or "10 per minute",
        "PATROLI_ENROLL_RATE_LIMIT": os.environ.get("PATROLI_ENROLL_RATE_LIMIT") or "10 per minute",
        "PATROLI_RATELIMIT_STORAGE_URI": os.environ.get("PATROLI_RATELIMIT_STORAGE_URI")
        or "memory://",
        "PATROLI_PARTIAL_UPLOAD_TTL_HOURS": _int("PATROLI_PARTIAL_UPLOAD_TTL_HOURS", 48),
        "PATROLI_BLOB_LOCK_WAIT_S": _int("PATROLI_BLOB_LOCK_WAIT_S", 10),
        # A connection silent this long is closed (its request, if cut, is
        # dropped whole); PATROLI_BLOB_READ_TIMEOUT_S is its former name.
        "PATROLI_READ_TIMEOUT_S": _int(
            "PATROLI_READ_TIMEOUT_S", _int("PATROLI_BLOB_READ_TIMEOUT_S", 60)
        ),
        "PATROLI_GZIP_LEVEL": _int("PATROLI_GZIP_LEVEL", 3),
        # Key of the pseudonymous person keys in the partner export (server.detection.exchange).
        "PATROLI_EXCHANGE_KEY": os.environ.get("PATROLI_EXCHANGE_KEY") or "",
        # Flask refuses bodies over this before any view reads them; gzip
        # bodies are bounded again after decompression (server.http.request_body).
        "MAX_CONTENT_LENGTH": max_batch_bytes,
    }
