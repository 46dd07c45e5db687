"""What every other package stands on: the database, models, problems, time, blob storage.

``server.infra`` imports no other ``server`` package.
"""

from __future__ import annotations

from flask import Flask

from server.infra import db, problems


def init_app(app: Flask) -> None:
    """The database (engine, migrations) and problem+json error handlers."""
    db.init_app(app)
    problems.init_app(app)
