"""``patroli evidence export`` and ``patroli evidence verify``: case files for court.

``verify`` imports nothing of the server: it runs wherever the case file
is, with no server and no network.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def evidence() -> None:
    """Case files: export one for a report, verify one offline."""


@evidence.command("export")
@click.argument("report_id")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export(report_id: str, out: Path) -> None:
    """Write the case file of REPORT_ID (run on the server, with its database)."""
    from server.cli import app_with_schema
    from server.evidence.casefile import NoSuchReport
    from server.evidence.casefile import export as build

    app = app_with_schema()
    with app.app_context():
        try:
            exported = build(report_id, "admin-cli")
        except NoSuchReport:
            raise click.ClickException(f"There is no report {report_id}.") from None
    out.write_bytes(exported.data)
    click.echo(f"Wrote {out} ({exported.revisions} revisions).")


@evidence.command("verify")
@click.argument("case_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--server-key",
    "expected",
    multiple=True,
    help="A key id the server is known to sign with (from /api/v1/meta); repeatable.",
)
def verify(case_file: Path, expected: tuple[str, ...]) -> None:
    """Check a case file offline: attachments, signatures, the chain, the checkpoints."""
    from sync.casefile import CaseFileError
    from sync.casefile import verify as check

    try:
        result = check(str(case_file))
    except CaseFileError as exc:
        raise click.ClickException(f"{exc}.") from None
    unknown = [k for k in result.server_keys if expected and k not in expected]
    if unknown:
        raise click.ClickException(
            f"signed by server key {unknown[0]}, which is not one of the keys you named."
        )
    click.echo("verified")
    click.echo(
        f"report {result.report_id}: {result.revisions} revisions, "
        f"{result.attachments} attachments, {result.checkpoints} checkpoints; "
        f"server keys {', '.join(result.server_keys)}"
    )
