"""The Patroli server: a Flask app built by ``create_app``.

The packages and their arrows are described in docs/architecture.md.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from server import api, config, http, infra, web
from server.infra.db import db


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app from ``PATROLI_*`` settings, overridden by ``test_config``."""
    app = Flask(__name__)
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["PATROLI_MAX_BATCH_BYTES"]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logging.getLogger("patroli").setLevel(app.config.get("PATROLI_LOG_LEVEL", "INFO"))

    infra.init_app(app)
    http.init_app(app)
    api.init_app(app)
    web.init_app(app)
    http.init_after_views(app, api.BLUEPRINTS)
    app.add_url_rule("/healthz", "healthz", healthz)
    return app


def healthz() -> ResponseReturnValue:
    """Liveness and database reachability for load balancers and operators."""
    db.session.execute(text("SELECT 1"))
    return jsonify(status="ok", database=db.engine.dialect.name)
