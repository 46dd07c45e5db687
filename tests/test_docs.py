"""Every CLI command is documented in the README (as sqlite-utils checks its docs)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from client_sqlite.store import Store
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


def _field_example() -> dict:
    """The report.json example of the README's field section."""
    section = README.split("## On a field device", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```json\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 1, "the field section has one report.json example"
    return json.loads(blocks[0])


def test_readme_incident_example_is_accepted_whole(tmp_path: Path) -> None:
    """The README's report.json, given to the real CLI, is stored with every field it shows."""
    example = _field_example()
    assert {"persons", "actions", "location", "agencies", "modus"} <= set(example)
    assert all("document" in person for person in example["persons"].values())
    (tmp_path / "report.json").write_text(json.dumps(example))
    db = tmp_path / "phone.sqlite3"
    proc = subprocess.run(
        [sys.executable, "-m", "patroli", "field", "--db", str(db), "new"]
        + ["--kind", "incident", "--json", "report.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    store = Store(db)
    try:
        doc = store.report(proc.stdout.strip())
    finally:
        store.close()
    assert doc is not None and doc["kind"] == "incident"
    assert {key: doc.get(key) for key in example} == example


def test_readme_links_the_field_list() -> None:
    """The field section links the list of every field of the report document."""
    section = README.split("## On a field device", 1)[1].split("\n## ", 1)[0]
    assert "(docs/protocol.md#the-report-document)" in section
    protocol = (Path(__file__).parent.parent / "docs" / "protocol.md").read_text()
    assert "\n## The report document\n" in protocol
