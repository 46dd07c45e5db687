"""Rate limits on password and enrollment-code guessing (Flask-Limiter).

Only failed attempts count against the limit, so a post enrolling many
devices or a script fetching tokens is never slowed, while guessing is.

One limiter per app (not a module global): the extension keeps its
enabled flag and storage on the instance, and several apps live in one
test process.  Limits count per client address; with several server
processes each keeps its own counts unless ``PATROLI_RATELIMIT_STORAGE_URI``
names a shared store (e.g. ``redis://``).
"""

from __future__ import annotations

from flask import Flask, Response
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

#: endpoint -> config key of its limit (POST only; reading pages is free).
LIMITED = {
    "web_auth.sign_in": "PATROLI_SIGNIN_RATE_LIMIT",
    "auth_tokens.issue_token": "PATROLI_SIGNIN_RATE_LIMIT",
    "devices.enroll": "PATROLI_ENROLL_RATE_LIMIT",
}


def init_app(app: Flask) -> Limiter:
    """Attach a limiter to ``app`` and limit the guessable endpoints (after registration)."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=app.config["PATROLI_RATELIMIT_STORAGE_URI"],
        default_limits=[],
        headers_enabled=True,
    )
    for endpoint, key in LIMITED.items():
        view = app.view_functions.get(endpoint)
        if view is not None:
            # Only failed attempts count: guessing is slowed, while a commander
            # enrolling a dozen phones behind one address is not.
            app.view_functions[endpoint] = limiter.limit(
                app.config[key], methods=["POST"], deduct_when=_failed
            )(view)
    return limiter


def _failed(response: Response) -> bool:
    """Only failed attempts count: guessing is slowed, legitimate use never is."""
    return response.status_code >= 400
