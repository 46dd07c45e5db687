"""``patroli demo``: the embedded-default tour.

It starts a real server on SQLite, creates posts and people, enrolls
simulated field devices that record reports offline, lose and regain the
link, edit one report concurrently (a real conflict), has commanders act on
what arrived, prints a summary with the URLs and sign-in details, and keeps
serving until Ctrl-C. Whatever stops it (Ctrl-C, SIGTERM, SIGHUP, or its
death) stops the server's whole process group too.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import requests
from rich.console import Console
from rich.table import Table

from client_sqlite import editing
from client_sqlite.enrollment import enroll
from client_sqlite.store import Store
from patroli import demo_data, serve_process
from sync.engine import SyncEngine, SyncResult
from sync.transport import Transport

PASSWORD = "patroli-demo"
OFFICERS = {
    "NNK": ["ofc.nnk.1", "ofc.nnk.2", "ofc.nnk.3"],
    "DUM": ["ofc.dum.1", "ofc.dum.2"],
    "PLB": ["ofc.plb.1"],
}
console = Console(width=max(100, Console().width))


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((host, port)) != 0


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> None:
    """Let SIGTERM (kill, systemd) and SIGHUP (a closed terminal) stop the demo as Ctrl-C does.

    Python's default for them ends the process on the spot, without the
    ``finally`` that stops the server, which then keeps the port.
    """
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)


def _seed(database_url: str) -> dict[str, str]:
    """Posts, officers, commanders, HQ and admin; return an enrollment code per officer."""
    from werkzeug.security import generate_password_hash

    from server import create_app
    from server.devices import seed_people
    from server.infra.db import db, upgrade_schema

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "seed"})
    upgrade_schema(app)
    officers = [(n, "officer", c) for c, names in OFFICERS.items() for n in names]
    with app.app_context():
        seed_people.seed(
            [(code, info["name"], info["tz"]) for code, info in demo_data.POSTS.items()],
            [(f"cmd.{c.lower()}", "commander", c) for c in demo_data.POSTS]
            + [("hq.analyst", "hq", None), ("admin", "admin", None)]
            + officers,
            generate_password_hash(PASSWORD),
        )
        codes = seed_people.enrollment_codes([name for name, _, _ in officers], "demo")
        db.engine.dispose()
    return codes


#: The officers' PIN in the demo (their stores are encrypted under it).
DEVICE_PIN = "246810"


class Device:
    """A simulated officer's phone with its own store file."""

    def __init__(self, name: str, post: str, path: Path, url: str, code: str):
        self.name, self.post, self.url = name, post, url
        self.store = Store(path, pin=DEVICE_PIN)
        enroll(self.store, Transport(url), code, f"{name}'s phone")
        self.results: list[SyncResult] = []

    def sync(self, url: str | None = None) -> SyncResult:
        """Sync (against ``url`` to simulate a dead link)."""
        device = self.store.device()
        transport = Transport(
            url or self.url,
            device["token"],
            max_attempts=2,
            max_elapsed=3,
            connect_timeout=1,
            backoff_base=0.1,
        )
        result = SyncEngine(self.store, transport).run()
        self.results.append(result)
        return result


def _person_token(url: str, username: str) -> dict[str, str]:
    token = requests.post(
        f"{url}/api/v1/auth/token", timeout=10, json={"username": username, "password": PASSWORD}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def _tour(url: str, workdir: Path, codes: dict[str, str]) -> dict[str, Any]:
    rng = random.Random(2026)
    devices = {
        name: Device(name, post, workdir / "devices" / f"{name}.sqlite3", url, codes[name])
        for post, names in OFFICERS.items()
        for name in names
    }
    dead_link = "http://127.0.0.1:9"  # discard port: nothing answers, like a lost signal
    console.print("[bold]1.[/] Officers record reports offline at their posts…")
    for dev in devices.values():
        for _ in range(rng.randint(4, 7)):
            kind, fields = demo_data.report(rng, dev.post)
            editing.create(dev.store, kind, fields)
    console.print("[bold]2.[/] No signal at Sebatik: ofc.nnk.2 and ofc.dum.2 fail to sync…")
    for name in ("ofc.nnk.2", "ofc.dum.2"):
        result = devices[name].sync(dead_link)
        console.print(f"   {name}: [yellow]{result.reason}[/]")
    console.print("[bold]3.[/] The link is back: every device syncs…")
    for dev in devices.values():
        dev.sync()
    console.print("[bold]4.[/] Two officers edit the same incident while offline…")
    a, b = devices["ofc.nnk.1"], devices["ofc.nnk.2"]
    shared = next(r["id"] for r in a.store.reports() if r["kind"] == "incident")
    b.sync()
    editing.edit(
        a.store,
        shared,
        {"narrative": "Boat left at 02:00 with 7 passengers; the agent collected their passports."},
    )
    editing.edit(
        b.store,
        shared,
        {
            "narrative": "Boat left around 02:30, six or seven people "
            "on board, one of them a girl of about 15.",
            "persons.w1": {"role": "witness", "sex": "M", "age": 52, "note": "boat owner"},
        },
    )
    a.sync()
    conflict = b.sync()
    console.print(f"   ofc.nnk.2's sync: {conflict.conflicts} conflict(s) kept for the commander")
    console.print("[bold]5.[/] Commanders review what arrived…")
    decisions = _review(url, rng, devices)
    for dev in devices.values():
        dev.sync()
    console.print("[bold]6.[/] Dumai deferred a passport in August; Sebatik stops her in November…")
    fields = dict(demo_data.DEFERRED_APPLICANT)
    editing.create(devices["ofc.dum.1"].store, fields.pop("kind"), fields)
    devices["ofc.dum.1"].sync()
    fields = dict(demo_data.INTERCEPTED)
    intercepted = editing.create(devices["ofc.nnk.1"].store, fields.pop("kind"), fields)
    devices["ofc.nnk.1"].sync()
    return {
        "devices": devices,
        "shared": shared,
        "decisions": decisions,
        "alerts": _alerts(url, intercepted),
        "intercepted": intercepted,
    }


def _alerts(url: str, report_id: str) -> list[str]:
    """The alerts Nunukan's commander sees on the intercepted woman's report."""
    headers = _person_token(url, "cmd.nnk")
    view = requests.get(f"{url}/api/v1/reports/{report_id}", headers=headers, timeout=10).json()
    return sorted({alert["type"] for alert in view["alerts"]})


def _review(url: str, rng: random.Random, devices: dict[str, Device]) -> dict[str, int]:
    decided: dict[str, int] = {}
    for post, names in OFFICERS.items():
        headers = _person_token(url, f"cmd.{post.lower()}")
        ids = [r["id"] for r in devices[names[0]].store.reports()]
        for rid in ids[: max(1, len(ids) // 2)]:
            view = requests.get(f"{url}/api/v1/reports/{rid}", headers=headers, timeout=10).json()
            status = rng.choice(["approved", "approved", "in_review", "needs_info"])
            note = "Add the boat's registration number." if status == "needs_info" else None
            requests.post(
                f"{url}/api/v1/reports/{rid}/review",
                headers=headers,
                timeout=10,
                json={"status": status, "note": note, "rev": view["report"]["rev"]},
            )
            decided[status] = decided.get(status, 0) + 1
    return decided


def _summary(url: str, tour: dict[str, Any]) -> None:
    table = Table(title="What the devices sent")
    for column in (
        "device",
        "post",
        "pushed",
        "applied",
        "merged",
        "conflict",
        "rejected",
        "pulled",
        "last sync",
    ):
        table.add_column(column)
    for dev in tour["devices"].values():
        totals = {
            k: sum(getattr(r, k) for r in dev.results)
            for k in ("pushed", "applied", "merged", "conflicts", "rejected", "pulled")
        }
        last = dev.results[-1]
        table.add_row(
            dev.name,
            dev.post,
            *(str(totals[k]) for k in totals),
            "[green]ok[/]" if last.complete else f"[red]{last.reason}[/]",
        )
    console.print(table)
    console.print(f"Review decisions: {tour['decisions'] or 'none'}")
    console.print(f"\n[bold]Patroli is running at {url}/[/]")
    console.print(
        f"  Dashboard: {url}/  — sign in as cmd.nnk (commander of Nunukan), "
        f"hq.analyst (HQ) or admin; password [bold]{PASSWORD}[/]"
    )
    console.print(
        f"  Review queue: {url}/queue · conflicts: {url}/conflicts · HQ dashboard: {url}/dashboard"
    )
    console.print(f"  The conflict to resolve is on report {tour['shared']}")
    console.print(
        f"  Early detection: report {tour['intercepted']} at NNK has alerts "
        f"{', '.join(tour['alerts']) or 'none'} — {url}/queue?alert=deferred_applicant"
    )
    console.print(f"  API: {url}/api/v1/meta · field store files under devices/")


def _case_file(env: dict[str, str], work: Path, report_id: str) -> None:
    """Export the shared report's case file and verify it, as an investigator would."""
    out = work / "case.zip"
    commands = [
        ["evidence", "export", report_id, "--out", str(out)],
        ["evidence", "verify", str(out)],
    ]
    console.print("[bold]6.[/] A case file for the prosecutor, verified offline:")
    for args in commands:
        console.print(f"  $ patroli {' '.join(args)}")
        proc = subprocess.run(
            [sys.executable, "-m", "patroli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        for line in (proc.stdout + proc.stderr).strip().splitlines():
            console.print(f"    {line}")
        if proc.returncode != 0:
            raise click.ClickException(f"patroli {args[0]} {args[1]} failed.")


def _show_field_app(url: str, database_url: str) -> None:
    """The officers' field app: its address, and an enrollment link and QR code for a phone."""
    from server import create_app
    from server.devices import field_link, seed_people
    from server.infra.db import db

    officer = OFFICERS["NNK"][0]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "seed"})
    with app.app_context():
        code = seed_people.enrollment_codes([officer], "demo")[officer]
        db.engine.dispose()
    link = field_link.enroll_link(url, code)
    console.print(f"\n[bold]Field app for officers:[/] {field_link.field_url(url)}")
    console.print(f"  Enroll a phone as {officer}: {link}")
    console.print("  (open it on a phone that reaches this address, or scan:)")
    console.print(field_link.qr_text(link), end="", highlight=False, markup=False)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--port",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to serve on (0: any free port).",
)
@click.option(
    "--workdir",
    default="var/demo",
    show_default=True,
    type=click.Path(),
    help="Where the demo keeps its database and device stores (wiped at start).",
)
@click.option("--exit", "exit_after", is_flag=True, help="Stop after the tour (for scripts).")
def demo(host: str, port: int, workdir: str, exit_after: bool) -> None:
    """Tour Patroli on the embedded SQLite default, then keep the dashboard running."""
    work = Path(workdir).resolve()
    shutil.rmtree(work, ignore_errors=True)
    (work / "devices").mkdir(parents=True)
    if port == 0 or not _port_free(host, port):
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    url = f"http://{host}:{port}"
    env = dict(
        os.environ,
        PATROLI_DATABASE_URL=f"sqlite:///{work / 'patroli.sqlite3'}",
        PATROLI_SECRET_KEY=secrets.token_hex(32),
        PATROLI_BLOB_DIR=str(work / "blobs"),
    )
    _stop_on_signals()
    console.print(f"Starting a Patroli server on SQLite in {work} …")
    codes = _seed(env["PATROLI_DATABASE_URL"])
    try:
        server = serve_process.start(
            env, work / "server.log", host=host, port=port, die_with_parent=True
        )
    except serve_process.ServerDidNotStart as exc:
        raise click.ClickException(f"{exc}.") from None
    try:
        tour = _tour(url, work, codes)
        _case_file(env, work, tour["shared"])
        _summary(url, tour)
        _show_field_app(url, env["PATROLI_DATABASE_URL"])
        if exit_after:
            return
        console.print("Press Ctrl-C to stop.")
        server.wait()
    except KeyboardInterrupt:
        console.print("\nStopping.")
    finally:
        # A second Ctrl-C or signal must not cut the server's stop short.
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)
        serve_process.stop(server, grace_s=15)
