"""The ``patroli`` console script, composed from the server and field-client groups."""

from __future__ import annotations

import click

from client_sqlite.cli import field
from patroli.demo import demo
from server.cli import admin, jobs, serve


@click.group()
@click.version_option(package_name="patroli")
def main() -> None:
    """Patroli: offline-first field reporting with sync for border posts."""


main.add_command(serve)
main.add_command(admin)
main.add_command(jobs)
main.add_command(field)
main.add_command(demo)
