"""``patroli field``: the officer's commands on a field device."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from client_sqlite.display import (
    progress_for,
    render_alerts,
    render_report,
    render_status,
    short_id,
)
from client_sqlite.encryption import PIN_ENV
from client_sqlite.store import Store
from sync.vocab import KINDS

# Validation (marshmallow, pycountry) and the network (requests) are imported
# by the commands that use them: `list` and `status` run on every glance at
# the phone and must start fast.

CLOCK_WARN_MS = 5 * 60 * 1000


@dataclass(kw_only=True)
class _Device:
    """The store of this invocation, opened on first use.

    Opening creates and migrates the file, so it waits until a command runs:
    ``--help`` and argument errors never get that far and touch nothing.
    """

    path: str
    store: Store | None = None

    def open(self) -> Store:
        if self.store is None:
            pin = None
            if not os.environ.get(PIN_ENV) and sys.stdin.isatty():
                # Asked when the store is opened; scripts set PATROLI_FIELD_PIN.
                pin = click.prompt(
                    "PIN", hide_input=True, confirmation_prompt=not Path(self.path).exists()
                )
            try:
                self.store = Store(self.path, pin=pin)
            except Exception as exc:  # noqa: BLE001 - shown to the officer as one sentence
                raise click.ClickException(f"Cannot open the store {self.path}: {exc}.") from None
        return self.store

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _store(ctx: click.Context) -> Store:
    device = ctx.find_object(_Device)
    if device is None:  # a command used outside the `field` group
        raise click.ClickException("No device store was given.")
    return device.open()


def _read_json(source: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text()
    except OSError as exc:
        raise click.ClickException(f"Cannot read {source}: {exc.strerror}.") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise click.ClickException(
            f"{source} is not valid JSON ({exc.msg}, line {exc.lineno})."
        ) from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{source} must hold a JSON object of fields.")
    return data


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _kept(counts: dict[str, int]) -> str:
    files = f" and {counts['blobs_pending']} attachment(s)" if counts["blobs_pending"] else ""
    return f"Your {counts['pending']} change(s){files} are kept on this device"


def _plain(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{field} {' and '.join(msgs)}" for field, msgs in errors.items())


@click.group()
@click.option(
    "--db",
    "db_path",
    envvar="PATROLI_FIELD_DB",
    default="patroli-field.sqlite3",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The device's local store.",
)
@click.pass_context
def field(ctx: click.Context, db_path: str) -> None:
    """An officer's device: record reports offline and sync when a link returns."""
    ctx.obj = _Device(path=db_path)
    ctx.call_on_close(ctx.obj.close)


@field.command()
@click.option("--server", required=True, help="The server URL, e.g. http://10.0.0.5:5000.")
@click.option("--code", required=True, help="The one-time enrollment code from your commander.")
@click.option("--name", default=None, help="A name for this device (default: host name).")
@click.pass_context
def enroll(ctx: click.Context, server: str, code: str, name: str | None) -> None:
    """Enroll this device with a one-time code."""
    from client_sqlite.enrollment import enroll as enroll_store
    from sync.transport import ProblemError, ServerUnreachable, Transport, TransportError

    store = _store(ctx)
    if store.is_enrolled() and not store.device()["revoked"]:
        raise click.ClickException(
            "This device is already enrolled; use a new --db to enroll another officer."
        )
    transport = Transport(server, max_attempts=3, max_elapsed=30)
    try:
        answer = enroll_store(store, transport, code, name or os.uname().nodename)
    except ProblemError as exc:
        raise click.ClickException(f"Enrollment refused: {exc}") from None
    except ServerUnreachable as exc:
        raise click.ClickException(f"{_sentence(str(exc))}.") from None
    except TransportError as exc:
        raise click.ClickException(f"Cannot reach {server}: {exc}.") from None
    click.echo(
        f"Enrolled as {answer['officer']} at post {answer['post']} (device {answer['device_id']})."
    )


@field.command()
@click.option("--kind", required=True, type=click.Choice(KINDS), help="The kind of report.")
@click.option("--json", "source", default=None, help="A file with the fields, or - for stdin.")
@click.pass_context
def new(ctx: click.Context, kind: str, source: str | None) -> None:
    """Record a new report (works offline); prints its id."""
    from client_sqlite import editing

    fields = _read_json(source) if source else {}
    try:
        # Checked before the store is opened: refused fields create no file.
        editing.new_document(kind, fields)
        report_id = editing.create(_store(ctx), kind, fields)
    except editing.LocalValidationError as exc:
        raise click.ClickException(f"Not saved: {_plain(exc.errors)}.") from None
    click.echo(report_id)


@field.command()
@click.argument("report_id")
@click.option("--json", "source", required=True, help="A file with the units to change, or -.")
@click.pass_context
def edit(ctx: click.Context, report_id: str, source: str) -> None:
    """Change some fields of a report, e.g. {"route": "…", "persons.<id>": null}."""
    from client_sqlite import editing

    store = _store(ctx)
    full_id = store.find_id(report_id)
    if full_id is None:
        raise click.ClickException(f"There is no report {report_id} on this device.")
    try:
        editing.edit(store, full_id, _read_json(source))
    except editing.LocalValidationError as exc:
        raise click.ClickException(f"Not saved: {_plain(exc.errors)}.") from None
    click.echo(f"Saved; the change will be sent at the next sync ({full_id}).")


@field.command()
@click.argument("report_id")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--caption", default=None, help="What the photo or scan shows.")
@click.pass_context
def attach(ctx: click.Context, report_id: str, file: str, caption: str | None) -> None:
    """Attach a photo or document scan to a report (uploaded at the next sync)."""
    from client_sqlite import attachments, editing

    store = _store(ctx)
    full_id = store.find_id(report_id)
    if full_id is None:
        raise click.ClickException(f"There is no report {report_id} on this device.")
    try:
        sha = attachments.attach(store, full_id, file, caption)
    except editing.LocalValidationError as exc:
        raise click.ClickException(f"Not attached: {_plain(exc.errors)}.") from None
    click.echo(f"Attached {Path(file).name} as {sha[:12]}…; it is uploaded at the next sync.")


@field.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def list_reports(ctx: click.Context, as_json: bool) -> None:
    """List the reports on this device with their sync state."""
    rows = _store(ctx).reports()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No reports on this device yet.")
    for r in rows:
        state = (
            "rejected"
            if r["rejected"]
            else "pending"
            if r["pending"]
            else "synced"
            if r["acked_rev"]
            else "new"
        )
        flags = f" conflicts:{r['conflicts']}" if r["conflicts"] else ""
        click.echo(
            f"{short_id(r['id'])}  {r['kind'] or '?':17s} {state:9s} "
            f"{r['review_status'] or '-':11s} {r['title'] or ''}{flags}"
        )


@field.command()
@click.argument("report_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def show(ctx: click.Context, report_id: str, as_json: bool) -> None:
    """Show one report, its unsent or rejected changes and its conflicts."""
    from client_sqlite import attachments

    store = _store(ctx)
    full_id = store.find_id(report_id)
    if full_id is None:
        raise click.ClickException(f"There is no report {report_id} on this device.")
    doc = store.report(full_id)
    files = attachments.blobs(store)
    unknown = {"uploaded_at": None, "error": None, "path": None}
    view = {
        "report": doc,
        "outbox": store.outbox(full_id),
        "conflicts": store.conflicts(full_id),
        "attachments": {sha: files.get(sha, unknown) for sha in doc.get("attachments") or {}},
    }
    click.echo(json.dumps(view, indent=2) if as_json else render_report(view))


@field.command()
@click.argument("report_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def alerts(ctx: click.Context, report_id: str, as_json: bool) -> None:
    """Ask the server whether persons of one of your reports were seen in other reports."""
    from sync.transport import ProblemError, Transport, TransportError

    store = _store(ctx)
    full_id = store.find_id(report_id)
    if full_id is None:
        raise click.ClickException(f"There is no report {report_id} on this device.")
    device = store.device()
    if not device["token"]:
        raise click.ClickException("This device is not enrolled yet; run 'patroli field enroll'.")
    transport = Transport(device["server_url"], device["token"], max_attempts=2, max_elapsed=20)
    try:
        view = transport.request("GET", f"/api/v1/reports/{full_id}")
    except ProblemError as exc:
        if exc.slug == "not-found":
            raise click.ClickException(
                "The server does not have this report yet; sync first, then ask again."
            ) from None
        raise click.ClickException(_sentence(str(exc))) from None
    except TransportError as exc:
        raise click.ClickException(f"The server could not be reached ({exc}).") from None
    found = {"person_links": view.get("person_links", {}), "alerts": view.get("alerts", [])}
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    click.echo(render_alerts(store.report(full_id), found))


@field.command()
@click.pass_context
def sync(ctx: click.Context) -> None:
    """Send pending changes and fetch what others changed; exit 0 only when all was delivered."""
    from sync.engine import SyncEngine
    from sync.transport import Transport

    store = _store(ctx)
    device = store.device()
    if not device["token"]:
        raise click.ClickException("This device is not enrolled yet; run 'patroli field enroll'.")
    transport = Transport(device["server_url"], device["token"])
    pending = store.counts()["pending"]
    blob_bytes = sum(b["bytes"] for b in store.pending_blobs())
    with progress_for(sys.stdout.isatty(), pending, blob_bytes) as progress:
        result = SyncEngine(store, transport, progress=progress).run(pending_total=pending)
    if result.revoked:
        store.mark_revoked()
    counts = store.counts()
    exchanged = result.pushed or result.pulled or result.removed or result.blobs_uploaded
    if result.unreachable and not exchanged:
        raise click.ClickException(f"{_sentence(result.reason or '')}. {_kept(counts)}.")
    if exchanged or result.complete:
        click.echo(
            f"Sent {result.pushed} change(s): {result.applied} applied, {result.merged} "
            f"merged, {result.conflicts} in conflict, {result.rejected} rejected; "
            f"uploaded {result.blobs_uploaded} attachment(s); received {result.pulled} report(s)."
        )
    if not result.complete or any(counts[k] for k in ("pending", "rejected", "blobs_pending")):
        reason = result.reason or (
            f"{counts['rejected']} change(s) were rejected; see 'patroli field status'"
            if counts["rejected"]
            else f"{counts['pending']} change(s) and {counts['blobs_pending']} attachment(s) "
            "still pending"
        )
        raise click.ClickException(f"Sync incomplete: {reason}.")


@field.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """What needs your action (commander's questions, rejected changes, conflicts), then counts."""
    store = _store(ctx)
    device = store.device()
    view = {
        "officer": device["officer"],
        "post": device["post"],
        "server": device["server_url"],
        "device_id": device["device_id"],
        "revoked": bool(device["revoked"]),
        "counts": store.counts(),
        "last_sync_at": device["last_sync_at"],
        "clock_offset_ms": device["clock_offset_ms"],
        "rejected": [o for o in store.outbox() if o["state"] == "rejected"],
        "conflicts": store.conflicts(),
        "needs_info": store.needing_info(),
    }
    if as_json:
        click.echo(json.dumps(view, indent=2))
        return
    click.echo(render_status(view))
    offset = device["clock_offset_ms"]
    if offset is not None and abs(offset) > CLOCK_WARN_MS:
        click.echo(
            f"Warning: this device's clock is {abs(offset) // 60000} minute(s) "
            f"{'behind' if offset > 0 else 'ahead of'} the server; set the right time.",
            err=True,
        )
