"""``patroli admin reindex-persons``: reports stored before the person index get linked."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import delete

from patroli.cli import main
from server.detection.models import PersonAlert, PersonEntry, PersonLink, PersonNameKey
from server.infra.db import db
from tests.detection.scenario import seed
from tests.world import World


def test_reindex_links_reports_stored_before(
    world: World, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = seed(world)
    expected = world.report(ids.incident, "hq.1")
    assert expected["alerts"]
    with world.app.app_context():
        for model in (PersonAlert, PersonLink, PersonNameKey, PersonEntry):
            db.session.execute(delete(model))
        db.session.commit()
    assert world.report(ids.incident, "hq.1")["alerts"] == []
    monkeypatch.setenv("PATROLI_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["admin", "reindex-persons"])
    assert result.exit_code == 0, result.output
    assert "Matched the persons of 2 reports." in result.output
    again = world.report(ids.incident, "hq.1")
    assert again["person_links"] == expected["person_links"]
    assert again["alerts"] == expected["alerts"]
    # Twice changes nothing.
    assert CliRunner().invoke(main, ["admin", "reindex-persons"]).exit_code == 0
    assert world.report(ids.incident, "hq.1")["alerts"] == expected["alerts"]
