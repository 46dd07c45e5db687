"""Every CLI command is documented in the README (as sqlite-utils checks its docs)."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from patroli.cli import main

README = (Path(__file__).parent.parent / "README.md").read_text()


def _commands(group: click.Group, prefix: str) -> list[str]:
    # list_commands/get_command, not .commands: `patroli` loads its groups lazily.
    found = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found += _commands(command, path)
        else:
            found.append(path)
    return found


COMMANDS = _commands(main, "patroli")


def test_there_are_commands() -> None:
    """The walk finds the command tree (a guard for the test below)."""
    assert "patroli field sync" in COMMANDS and "patroli serve" in COMMANDS


@pytest.mark.parametrize("command", COMMANDS)
def test_command_is_documented(command: str) -> None:
    """Each command appears in the README, as 'patroli group cmd' or 'patroli cmd'."""
    group_form = command.replace("patroli field", "patroli field --db phone.sqlite3")
    words = command.split()
    short = f"{words[0]} {words[-1]}"
    assert command in README or group_form in README or (len(words) == 2 and short in README), (
        f"{command} is not documented in README.md"
    )
