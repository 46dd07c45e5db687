"""Who may open a page: signed-in people of the right role, else sign-in or 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, request, url_for

from server.http.auth import Principal
from server.http.sessions import web_principal

F = TypeVar("F", bound=Callable[..., Any])


def page(*roles: str) -> Callable[[F], F]:
    """Decorate a page view: sign-in first, then one of ``roles`` (403 otherwise)."""

    def decorator(view: F) -> F:
        """Wrap ``view`` with the sign-in and role checks."""

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            """Redirect to sign-in, refuse other roles, else run the view."""
            principal = web_principal()
            if principal is None:
                return redirect(url_for("web_auth.sign_in", next=request.full_path.rstrip("?")))
            if principal.role not in roles:
                abort(403)
            g.principal_page = principal
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def current() -> Principal:
    """The signed-in person of a page view (after ``page`` let them in)."""
    return g.principal_page
