"""HTTP concerns shared by the API and the pages: who calls, what they send, how it is answered.

Wired in two steps: ``init_app`` before the blueprints (the input guard
must be the first request hook), ``init_after_views`` after them (the rate
limiter wraps registered views; CSRF exempts the API's blueprints).
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, Flask

from server.http import compression, i18n, input_guard, rate_limits, sessions


def init_app(app: Flask) -> None:
    """Refuse NUL characters first, and compress answers."""
    input_guard.init_app(app)
    compression.init_app(app)


def init_after_views(app: Flask, api_blueprints: Iterable[Blueprint]) -> None:
    """Sessions and CSRF, languages, then rate limits on the registered views."""
    sessions.init_app(app, api_blueprints)
    i18n.init_app(app)
    rate_limits.init_app(app)
