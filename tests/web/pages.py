"""Helpers for page tests: sign in through the form, read CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

from tests.world import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = PASSWORD) -> Any:
    """Sign in through the form; return the response to the POST."""
    page = client.get("/sign-in")
    token = csrf_token(page.get_data(as_text=True))
    return client.post(
        "/sign-in", data={"username": username, "password": password, "csrf_token": token}
    )


def post_form(client: FlaskClient, page_url: str, url: str, data: dict[str, Any]) -> Any:
    """POST a form to ``url`` with the CSRF token read from ``page_url``."""
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})
