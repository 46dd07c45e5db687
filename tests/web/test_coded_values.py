"""The pages write words, not codes: sex, action and document types, countries,
persons without their element ids, and dates that read the same in both languages."""

from __future__ import annotations

import re

import pytest

from server.infra.localtime import local
from tests.dashboard.scenarios import make_conflict
from tests.web.pages import sign_in
from tests.world import World, incident

# Element ids are keys a device makes up; none of these may reach a page.
WITNESS, VICTIM, ACTION = "wit-7f3a9c", "vic-2b81d0", "act-9e04c1"


def _report(world: World) -> str:
    """An NNK report with two persons and an action, then an edit of the witness."""
    device = world.devices["ofc.nnk.1"]
    report_id, _ = device.create(
        incident(
            occurred_at="2026-11-09T10:00:00+08:00",
            destination_country="MY",
            persons={
                WITNESS: {
                    "role": "witness",
                    "sex": "M",
                    "age": 35,
                    "nationality": "PH",
                    "document": {"type": "passport", "number": "P0012345"},
                },
                VICTIM: {"role": "victim", "sex": "F", "age": 16, "nationality": "ID"},
            },
            actions={ACTION: {"type": "referred", "agency": "POLRI"}},
        )
    )
    witness = {
        "role": "witness",
        "sex": "M",
        "age": 36,
        "nationality": "PH",
        "document": {"type": "passport", "number": "P0012345"},
    }
    (edit,) = device.push(device.op(report_id, {f"persons.{WITNESS}": witness}, base_rev=1))
    assert edit["status"] == "applied", edit
    return report_id


def _cells(html: str, label: str) -> list[str]:
    """The text of every table cell labelled ``label`` (the persons table)."""
    pattern = rf'<td[^>]*data-label="{re.escape(label)}"[^>]*>(.*?)</td>'
    return [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(pattern, html, re.S)]


def test_indonesian_report_page_translates_every_code(world: World) -> None:
    """L/P for sex, Indonesian action, document and country names, no element id."""
    report_id = _report(world)
    commander = world.app.test_client()
    sign_in(commander, "cmd.nnk")
    html = commander.get(f"/reports/{report_id}").get_data(as_text=True)
    assert _cells(html, "Jenis kelamin") == ["L", "P"]
    assert 'title="Laki-laki"' in html and 'title="Perempuan"' in html
    assert _cells(html, "Kewarganegaraan") == ["Filipina", "Indonesia"]
    assert _cells(html, "Dokumen") == ["Paspor P0012345", "—"]
    assert "Dirujuk" in html and ">referred<" not in html
    assert "<dt>Tujuan</dt><dd>Malaysia</dd>" in html
    # The history names the edited person by place and role, never by its key.
    assert "Orang ke-1 (Saksi)" in html
    for key in (WITNESS, VICTIM, ACTION):
        assert key not in html


def test_english_report_page_uses_english_words(world: World) -> None:
    """The same report in English: F/M, English document, action and country names."""
    report_id = _report(world)
    client = world.app.test_client()
    sign_in(client, "cmd.nnk")
    html = client.get(f"/reports/{report_id}?lang=en").get_data(as_text=True)
    assert _cells(html, "Sex") == ["M", "F"]
    assert _cells(html, "Nationality") == ["Philippines", "Indonesia"]
    assert _cells(html, "Document") == ["Passport P0012345", "—"]
    assert "Referred" in html and "Person 1 (Witness)" in html
    assert WITNESS not in html


def test_person_conflict_reads_in_words(world: World) -> None:
    """Both sides of a person conflict show Indonesian keys and words, never the raw codes."""
    kept = {"role": "victim", "sex": "F", "age": 16, "document": {"type": "passport"}}
    lost = {"role": "victim", "sex": "F", "age": 17, "nationality": "MY"}
    _, record = make_conflict(world, "persons.p1", kept, lost)
    commander = world.app.test_client()
    sign_in(commander, "cmd.nnk")
    html = commander.get(f"/conflicts/{record['id']}").get_data(as_text=True)
    sides = html[html.index('id="sides"') : html.index('id="merge"')]
    rows = re.findall(r"<th>([^<]*)</th><td>([^<]*)</td>", sides)
    assert ("Peran", "Korban") in rows and ("Jenis kelamin", "Perempuan") in rows
    assert ("Dokumen", "Paspor") in rows and ("Kewarganegaraan", "Malaysia") in rows
    assert not {"role", "sex", "victim", "passport", "nationality"} & {
        k for row in rows for k in row
    }
    text = re.sub(r"<[^>]+>", " ", html.split('id="merge"')[0])
    assert "Konflik pada “Orang ke-1 (Korban)”" in text and not re.search(r"\bp1\b", text)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_dates_are_day_month_year_in_both_languages(world: World, lang: str) -> None:
    """9 November is "9 Nov 2026" in both languages, never 9/11/26 or 11/9/26."""
    report_id = _report(world)
    client = world.app.test_client()
    sign_in(client, "cmd.nnk")
    html = client.get(f"/reports/{report_id}?lang={lang}").get_data(as_text=True)
    assert re.search(r"<dd>9 Nov 2026 10[.:]00", html)
    queue = client.get("/queue").get_data(as_text=True)
    assert "9 Nov 2026" in queue
    for page in (html, queue):
        assert not re.search(r"\b\d{1,2}/\d{1,2}/\d{2}\b", page)


@pytest.mark.parametrize(
    ("lang", "expected"), [("id", r"9 Nov 2026 10\.00 WITA"), ("en", r"9 Nov 2026 10:00\WAM WITA")]
)
def test_local_time_writes_the_month_as_a_word(world: World, lang: str, expected: str) -> None:
    """``local`` gives the same day-month-year order whatever the format asked for."""
    with world.app.test_request_context(f"/?lang={lang}"):
        for fmt in ("medium", "short"):
            text = local("2026-11-09T02:00:00Z", "NNK", fmt)
            assert re.fullmatch(expected, text), text
