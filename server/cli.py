"""Server commands: ``patroli serve`` and ``patroli admin ...``."""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask import Flask
from werkzeug.security import generate_password_hash

from server import create_app
from server.config import DEFAULT_SECRET_KEY
from server.devices import accounts, field_link
from server.devices.enrollment import issue_code
from server.evidence import keys as evidence_keys
from server.infra.clock import utcnow
from server.infra.db import db, upgrade_schema
from server.infra.models import ROLES, Post, User
from server.infra.problems import Problem
from server.infra.transactions import write_session
from server.reports.person_reindex import reindex_all

#: ASCII only: a device sends its post on creation, and the report schema
#: (sync.report_schema, ``post``) takes A-Z, 0-9, ``_`` and ``-``; str.isalnum
#: also took letters and digits of other scripts ("NNKÉ", "NN²"), which the
#: post's own officers could then not send.
POST_CODE = re.compile(r"[A-Z0-9]{2,16}")


def _configure_logging() -> None:
    # force: Alembic's env.py reconfigures the root logger from alembic.ini
    # while the schema is upgraded; the server's own format (with times)
    # must win afterwards.
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def app_with_schema() -> Flask:
    """The app, with its database schema brought up to date."""
    app = create_app()
    upgrade_schema(app)
    return app


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the database.",
)
@click.option(
    "--threads",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per process.",
)
@click.option("--debug", is_flag=True, help="Allow the built-in development secret key.")
def serve(host: str, port: int, workers: int, threads: int, debug: bool) -> None:
    """Bring the schema up to date, start the jobs and serve the API and pages."""
    _configure_logging()
    if os.environ.get("PATROLI_SECRET_KEY", DEFAULT_SECRET_KEY) == DEFAULT_SECRET_KEY and not debug:
        raise click.ClickException(
            "PATROLI_SECRET_KEY is not set. Set it to a long random value "
            "(e.g. export PATROLI_SECRET_KEY=$(python3 -c 'import secrets; "
            "print(secrets.token_hex(32))')), or pass --debug for a local trial."
        )
    app = app_with_schema()
    _configure_logging()
    with app.app_context():
        # Published in /meta from the first request on; checkpoints use it.
        evidence_keys.ensure()
    logging.getLogger("patroli.serve").info(
        "database %s is up to date", app.config["SQLALCHEMY_DATABASE_URI"].split("@")[-1]
    )
    from server.runtime.serve import serve as run

    run(host, port, workers, threads)


@click.group()
def admin() -> None:
    """Posts, people and enrollment codes."""


@admin.command("add-post")
@click.argument("code")
@click.argument("name")
@click.option(
    "--tz",
    default="Asia/Jakarta",
    show_default=True,
    help="IANA time zone of the post (Asia/Makassar for WITA).",
)
def add_post(code: str, name: str, tz: str) -> None:
    """Add a border post, e.g. ``add-post NNK Nunukan --tz Asia/Makassar``."""
    code = code.strip().upper()
    if not POST_CODE.fullmatch(code):
        raise click.ClickException("A post code is 2 to 16 letters or digits, e.g. NNK.")
    # Checked and added under the write lock: the server may be busy with pushes.
    with app_with_schema().app_context(), write_session():
        if db.session.get(Post, code):
            raise click.ClickException(f"Post {code} already exists.")
        db.session.add(Post(code=code, name=name, tz=tz, created_at=utcnow()))
    click.echo(f"Added post {code} ({name}).")


@admin.command("add-user")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--post", "post_code", help="Post code (officers and commanders).")
@click.option("--password", help="Password for the web pages (generated when left out).")
def add_user(username: str, role: str, post_code: str | None, password: str | None) -> None:
    """Add a person: an officer, commander, HQ analyst or admin."""
    if role in ("officer", "commander") and not post_code:
        raise click.ClickException(f"A {role} needs --post CODE.")
    generated = None
    if password is None and role != "officer":
        password = generated = secrets.token_urlsafe(12)
    password_hash = generate_password_hash(password) if password else None
    with app_with_schema().app_context(), write_session():
        if post_code and not db.session.get(Post, post_code.upper()):
            raise click.ClickException(f"There is no post {post_code}; add it first.")
        if db.session.execute(db.select(User).where(User.username == username)).first():
            raise click.ClickException(f"User {username} already exists.")
        db.session.add(
            User(
                username=username,
                role=role,
                post_code=post_code.upper() if post_code else None,
                password_hash=password_hash,
                active=True,
                created_at=utcnow(),
            )
        )
    click.echo(f"Added {role} {username}" + (f" at {post_code.upper()}." if post_code else "."))
    if generated:
        click.echo(f"Generated password: {generated}")


@admin.command("enroll-code")
@click.argument("username")
@click.option("--ttl-hours", type=click.IntRange(1, 24 * 30), help="Hours the code stays valid.")
@click.option(
    "--server",
    "server_url",
    metavar="URL",
    help="The server's address as phones reach it: also print the field app link and its QR code.",
)
def enroll_code(username: str, ttl_hours: int | None, server_url: str | None) -> None:
    """Issue a one-time enrollment code for an officer's device (printed on the last line)."""
    if server_url is not None and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", server_url):
        raise click.ClickException(
            "--server takes the server's address, e.g. http://10.0.0.5:5000."
        )
    with app_with_schema().app_context():
        user = db.session.execute(db.select(User).where(User.username == username)).scalar()
        if user is None:
            raise click.ClickException(f"There is no user {username}.")
        try:
            code = issue_code(user, "admin-cli", ttl_hours * 3600 if ttl_hours else None)
        except Problem as exc:
            raise click.ClickException(f"{username} is not an officer of a post.") from exc
    if server_url is not None:
        link = field_link.enroll_link(server_url, code)
        click.echo(f"Field app enrollment link for {username} (scan the QR code with the phone):")
        click.echo(link)
        click.echo(field_link.qr_text(link), nl=False)
    click.echo(f"One-time enrollment code for {username}:")
    click.echo(code)


@contextmanager
def _account_context() -> Iterator[None]:
    """An app context for an account change, its connections closed afterwards."""
    # Closed here, not at exit: the commands also run inside other
    # processes (tests, scripts), where a left-open pool would linger.
    app = app_with_schema()
    try:
        with app.app_context():
            yield
    except accounts.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        with app.app_context():
            db.engine.dispose()


def _account_change(change: str, ended: accounts.Ended) -> None:
    """Say what an account change did and which sessions and tokens it ended."""
    click.echo(f"{change} Ended {ended.sessions} web session(s) and {ended.tokens} API token(s).")


@admin.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password (generated when left out).")
def set_password(username: str, password: str | None) -> None:
    """Give a commander, HQ analyst or admin a new password; ends their sessions and tokens."""
    generated = None
    if password is None:
        password = generated = secrets.token_urlsafe(12)
    with _account_context():
        ended = accounts.set_password(username, password)
    _account_change(f"New password set for {username}.", ended)
    if generated:
        click.echo(f"Generated password: {generated}")


@admin.command("disable-user")
@click.argument("username")
def disable_user(username: str) -> None:
    """Disable a person: no sign-in, no API token, no device sync; ends their sessions."""
    with _account_context():
        ended = accounts.set_active(username, False)
    _account_change(f"Disabled {username}.", ended)


@admin.command("enable-user")
@click.argument("username")
def enable_user(username: str) -> None:
    """Enable a disabled person again (they sign in anew)."""
    with _account_context():
        accounts.set_active(username, True)
    click.echo(f"Enabled {username}.")


@admin.command("sign-out-everywhere")
@click.argument("username")
def sign_out_everywhere(username: str) -> None:
    """End every web session and API token of a person at once."""
    with _account_context():
        ended = accounts.sign_out_everywhere(username)
    _account_change(f"Signed {username} out everywhere.", ended)


@admin.command("evidence-key")
def evidence_key() -> None:
    """Rotate the key that signs checkpoints; checkpoints signed before stay verifiable."""
    app = app_with_schema()
    with app.app_context():
        retired, made = evidence_keys.rotate()
    if retired:
        click.echo(
            f"Retired evidence key {retired} (its public half is kept); now signing with {made}."
        )
    else:
        click.echo(f"Made evidence key {made}.")


@admin.command("reindex-persons")
def reindex_persons() -> None:
    """Match the persons of every stored report again (links and alerts)."""
    app = app_with_schema()
    with app.app_context():
        try:
            count = reindex_all()
        finally:
            db.engine.dispose()
    click.echo(f"Matched the persons of {count} reports.")


@click.group()
def jobs() -> None:
    """Scheduled jobs, run by hand."""


@jobs.command("list")
def list_jobs() -> None:
    """List the jobs and what each does."""
    from server.jobs.catalog import default_registry

    registry = default_registry()
    for name in registry.names():
        click.echo(f"{name:24s} {registry.get(name).description}")


@jobs.command("run")
@click.argument("name")
def run(name: str) -> None:
    """Run one job now (waits for nothing; refuses if another process is running it)."""
    from server.jobs.catalog import default_registry
    from server.jobs.registry import UnknownJob

    registry = default_registry()
    try:
        registry.get(name)
    except UnknownJob as exc:
        raise click.ClickException(str(exc)) from None
    _configure_logging()
    summary = registry.run(app_with_schema(), name, force=True)
    if summary is None:
        raise click.ClickException(f"Job {name} is running in another process right now.")
    click.echo(f"{name}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))
