"""Refuse NUL characters in any request input before a view sees it.

PostgreSQL text cannot hold U+0000: a NUL in a path, query string, form
field or JSON string reaching a query would fail deep in the database as a
500 (SQLite stores it silently, so the same request behaved differently per
backend).  No legitimate input carries one, so it is a 400 at the door.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from server.infra.problems import Problem

_DETAIL = "The request contains a NUL character (U+0000), which no field accepts."


def has_nul(value: Any) -> bool:
    """Whether a parsed JSON value holds a NUL in any string or key."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def nul_problem() -> Problem:
    """The problem answered for a NUL anywhere in the input."""
    return Problem(400, "malformed-body", _DETAIL)


def _check_request() -> None:
    """Look at the path, the query string and form fields (JSON is checked when read)."""
    if "\x00" in request.path or "%00" in request.query_string.decode("latin-1"):
        raise nul_problem()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise nul_problem()


def init_app(app: Flask) -> None:
    """Install the check before every request."""
    app.before_request(_check_request)
