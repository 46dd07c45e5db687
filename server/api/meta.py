"""``GET /api/v1/meta``: limits and server time, so clients adapt."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from server.evidence import keys as evidence_keys
from sync import PROTOCOL_VERSION, hlc

bp = Blueprint("meta", __name__)


@bp.get("/meta")
def meta() -> ResponseReturnValue:
    """Protocol version, batch and blob limits, and the server clock."""
    cfg = current_app.config
    return jsonify(
        protocol=PROTOCOL_VERSION,
        max_batch_ops=cfg["PATROLI_MAX_BATCH_OPS"],
        max_batch_bytes=cfg["PATROLI_MAX_BATCH_BYTES"],
        max_blob_bytes=cfg["PATROLI_MAX_BLOB_BYTES"],
        server_time=hlc.format_server_time(),
        evidence_key=evidence_keys.published(),
    )
