"""The JSON API under ``/api/v1``, one blueprint per resource."""

from __future__ import annotations

from flask import Flask

from server.api import (
    aggregates,
    auth_tokens,
    blobs,
    conflicts,
    devices,
    meta,
    openapi,
    reports,
    sync,
    vocabularies,
)

BLUEPRINTS = (
    meta.bp,
    openapi.bp,
    auth_tokens.bp,
    devices.bp,
    sync.bp,
    reports.bp,
    conflicts.bp,
    aggregates.bp,
    blobs.bp,
    vocabularies.bp,
)


def init_app(app: Flask) -> None:
    """Register every API blueprint."""
    for bp in BLUEPRINTS:
        app.register_blueprint(bp, url_prefix="/api/v1")
