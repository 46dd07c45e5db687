"""``GET /api/v1/openapi.json``: the API's own OpenAPI document (public)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from server.openapi import document as openapi

bp = Blueprint("openapi", __name__)


@bp.get("/openapi.json")
def openapi_json() -> Response:
    """The OpenAPI 3.1 document, built on the first request and then served from memory."""
    return Response(openapi.document_bytes(current_app), mimetype="application/json")
