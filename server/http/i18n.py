"""Languages of the pages: Bahasa Indonesia by default, English on request (Flask-Babel).

The choice comes from ``?lang=`` on any page (remembered in the session
before the view runs, so it survives the redirect to the sign-in page and
the sign-in itself) or the session; the browser's Accept-Language is not
consulted, because a shared post computer should show the language the
post works in.
"""

from __future__ import annotations

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = {"id": "Bahasa Indonesia", "en": "English"}
DEFAULT_LANGUAGE = "id"

babel = Babel()


def remember_asked_language() -> None:
    """Keep a page's ``?lang=`` in the session, even when the page only redirects."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.blueprint and request.blueprint.startswith("web_"):
        if session.get("lang") != asked:
            session["lang"] = asked


def select_locale() -> str:
    """The language of this request."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    chosen = session.get("lang")
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def init_app(app: Flask) -> None:
    """Install Flask-Babel with the compiled catalogues under server/translations."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_locale)
    app.before_request(remember_asked_language)
