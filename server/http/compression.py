"""gzip for answers that shrink (Flask-Compress)."""

from __future__ import annotations

from flask import Flask
from flask_compress import Compress

compress = Compress()

COMPRESSED_TYPES = [
    "application/json",
    "application/problem+json",
    "application/geo+json",
    "text/csv",
    "text/html",
    "text/css",
    "application/javascript",
    "text/javascript",
    "application/manifest+json",
    "image/svg+xml",
]


def init_app(app: Flask) -> None:
    """Compress the types above past 512 bytes at ``PATROLI_GZIP_LEVEL``."""
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 512)
    # zlib level 3 (the default): pull pages shrink to ~12% of their JSON
    # (level 6: ~10%) for a third of the CPU; PATROLI_GZIP_LEVEL trades.
    app.config["COMPRESS_LEVEL"] = app.config["PATROLI_GZIP_LEVEL"]
    compress.init_app(app)
