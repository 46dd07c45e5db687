"""The ``patroli`` console script, composed from the server and field-client groups.

Subcommands are imported when they are run, not when the script starts: a
field device's ``patroli field list`` must not pay for importing Flask,
SQLAlchemy and every blueprint of the server it does not run.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

#: Command name -> "module:attribute"; each module is imported only when its
#: command runs (or when ``--help`` lists the commands with their summaries).
COMMANDS = {
    "admin": "server.cli:admin",
    "demo": "patroli.demo:demo",
    "evidence": "patroli.evidence_cli:evidence",
    "field": "client_sqlite.cli:field",
    "jobs": "server.cli:jobs",
    "serve": "server.cli:serve",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use (click's documented pattern)."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module_name, attribute = self.lazy[cmd_name].split(":")
            command = getattr(importlib.import_module(module_name), attribute)
            if not isinstance(command, click.Command):
                raise TypeError(f"{self.lazy[cmd_name]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="patroli")
def main() -> None:
    """Patroli: offline-first field reporting with sync for border posts."""
