"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from server.http.i18n import LANGUAGES
from server.http.sessions import sign_in as start_session
from server.http.sessions import sign_out as end_session
from server.http.sessions import web_principal
from server.infra.db import db
from server.infra.models import User

bp = Blueprint("web_auth", __name__)

HOME = {"commander": "web_queue.index", "hq": "web_dashboard.index", "admin": "web_dashboard.index"}


class SignInForm(FlaskForm):
    """Username and password."""

    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=256)])
    next = HiddenField()


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site (no open redirects), else None.

    Control characters would split the Location header (and Werkzeug
    refuses them with a 500); browsers read a backslash as a slash, so
    ``/\\evil.example`` would leave the site like ``//evil.example``.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _without_lang(target: str) -> str:
    """``target`` without its ``lang`` parameter, which would undo the switch just made."""
    parts = urlsplit(target)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"]
    return urlunsplit(parts._replace(query=urlencode(query)))


@bp.get("/")
def home() -> ResponseReturnValue:
    """Each role's start page."""
    principal = web_principal()
    if principal is None:
        return redirect(url_for("web_auth.sign_in"))
    return redirect(url_for(HOME.get(principal.role, "web_queue.index")))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    """The sign-in form; officers are refused (they use enrolled devices)."""
    form = SignInForm()
    error = None
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    elif form.validate_on_submit():
        user = db.session.execute(
            db.select(User).where(User.username == form.username.data.strip())
        ).scalar()
        if (
            user is None
            or not user.active
            or not user.password_hash
            or not check_password_hash(user.password_hash, form.password.data)
        ):
            error = _("Wrong username or password.")
        elif user.role == "officer":
            error = _("Officers use their enrolled device; these pages are for commanders and HQ.")
        else:
            start_session(user)
            target = safe_next(form.next.data) or url_for(HOME.get(user.role, "web_queue.index"))
            return redirect(target)
    else:
        error = _("Enter your username and password.")
    status = 401 if error and request.method == "POST" else 200
    return render_template("sign_in.html", form=form, error=error), status


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """End the session."""
    end_session()
    return redirect(url_for("web_auth.sign_in"))


@bp.post("/language")
def language() -> ResponseReturnValue:
    """Switch the page language and return to the page the person was on."""
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    target = safe_next(request.form.get("next"))
    return redirect(_without_lang(target) if target else url_for("web_auth.home"))
