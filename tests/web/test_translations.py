"""The Indonesian catalogue covers every message and its compiled .mo is current."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "server" / "translations" / "id" / "LC_MESSAGES"
METHODS = [("server/**.py", "python"), ("server/templates/**.html", "jinja2")]


def _extracted() -> set[str | tuple[str, ...]]:
    """Every message id in the code and templates."""
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHODS):
        found.add(message if isinstance(message, str) else tuple(message))
    return {m for m in found if m}


def test_every_page_message_is_translated() -> None:
    """Each message in the code and templates has a Bahasa Indonesia translation."""
    with open(CATALOG / "messages.po", "rb") as f:
        catalog = read_po(f)
    missing = []
    for message in sorted(_extracted(), key=str):
        key = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(key)
        strings = entry.string if entry else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            missing.append(message)
    assert not missing, f"untranslated (run the steps in docs/dashboard.md): {missing}"


def test_compiled_catalogue_matches_po() -> None:
    """messages.mo holds exactly the translations of messages.po (recompile after edits)."""

    def entries(catalog: object) -> dict:
        # read_mo gives plural ids and strings as lists, read_po as tuples.
        """A catalogue as comparable id -> translation pairs."""
        return {_tuple(m.id): _tuple(m.string) for m in catalog if m.id}  # type: ignore[attr-defined]

    with open(CATALOG / "messages.po", "rb") as f:
        po = entries(read_po(f))
    with open(CATALOG / "messages.mo", "rb") as f:
        mo = entries(read_mo(f))
    assert po == mo


def _tuple(value: object) -> object:
    """Lists (from .mo) as tuples (as in .po)."""
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize(("lang", "heading"), [("id", "Masuk"), ("en", "Sign in")])
def test_sign_in_page_in_each_language(client: object, lang: str, heading: str) -> None:
    """The sign-in page speaks Bahasa Indonesia by default and English on request."""
    url = "/sign-in" if lang == "id" else "/sign-in?lang=en"
    html = client.get(url).get_data(as_text=True)  # type: ignore[attr-defined]
    assert f"<h1>{heading}</h1>" in html and f'<html lang="{lang}">' in html
