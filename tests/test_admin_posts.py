"""``patroli admin add-post``: post codes are ones the protocol accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from patroli.cli import main
from sync.report_schema import FIELDS_SCHEMA


@pytest.mark.parametrize("code", ["NNKÉ", "NN²", "ＮＮＫ", "N", "X" * 17, "NN-K", "N K"])
def test_add_post_refuses_codes_a_device_could_not_send(
    code: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Letters or digits of other scripts, lengths outside 2..16, punctuation: refused."""
    monkeypatch.setenv("PATROLI_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    result = CliRunner().invoke(main, ["admin", "add-post", code, "Somewhere"])
    assert result.exit_code == 1
    assert "A post code is 2 to 16 letters or digits" in result.output


def test_add_post_stores_the_upper_case_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A valid code is stored upper-cased, and a device may send it as its report's post."""
    monkeypatch.setenv("PATROLI_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    result = CliRunner().invoke(main, ["admin", "add-post", "nnk2", "Nunukan"])
    assert result.exit_code == 0, result.output
    assert "Added post NNK2 (Nunukan)." in result.output
    assert FIELDS_SCHEMA.validate({"post": "NNK2"}) == {}
