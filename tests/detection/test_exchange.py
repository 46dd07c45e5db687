"""HQ's person lookup and the partner-agency export (pseudonymous keys, no names)."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from typing import Any

from tests.detection.scenario import APPLICANT, PASSPORT, VICTIM, seed
from tests.world import World

KEY = "test-exchange-key-0123456789"  # tests/conftest.py configures it


def _partner_key(doc_type: str, number: str) -> str:
    """What a partner agency computes from its own records (docs/early-detection.md)."""
    normal = "".join(ch for ch in number.upper() if ch.isalnum())
    return hmac.new(KEY.encode(), f"{doc_type}:{normal}".encode(), hashlib.sha256).hexdigest()


def _persons(world: World, username: str, number: str) -> Any:
    return world.client.get(
        "/api/v1/persons", query_string={"document_number": number}, headers=world.token(username)
    )


def test_hq_finds_every_appearance_of_a_document(world: World) -> None:
    ids = seed(world)
    resp = _persons(world, "hq.1", "c-123 4567")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["appearances"] == [
        {
            "report_id": ids.deferral,
            "post": "DUM",
            "kind": "passport_deferral",
            "occurred_at": "2026-08-01T03:00:00.000Z",
            "person_id": "a1",
            "role": "applicant",
            "basis": "document",
        },
        {
            "report_id": ids.incident,
            "post": "NNK",
            "kind": "incident",
            "occurred_at": "2026-11-19T19:15:00.000Z",
            "person_id": "v1",
            "role": "victim",
            "basis": "document",
        },
    ]


def test_person_lookup_is_for_hq_only(world: World) -> None:
    seed(world)
    resp = _persons(world, "cmd.nnk", PASSPORT)
    assert resp.status_code == 403
    assert resp.get_json()["type"] == "urn:patroli:problem:forbidden"


def test_person_lookup_needs_a_number(world: World) -> None:
    resp = _persons(world, "hq.1", " - ")
    assert resp.status_code == 400
    assert resp.get_json()["type"] == "urn:patroli:problem:validation-failed"
    assert "document_number" in resp.get_json()["errors"]


def test_exchange_has_no_names_and_joins_with_a_partners_keys(world: World) -> None:
    ids = seed(world)
    resp = world.client.get("/api/v1/exchange", headers=world.token("hq.1"))
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    text = resp.get_data(as_text=True)
    for name in (APPLICANT["name"], VICTIM["name"], "Siti", "Haliza", "Abdullah"):
        assert name.lower() not in text.lower()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["post"], r["role"], r["occurred_on"]) for r in rows] == [
        ("DUM", "applicant", "2026-08-01"),
        ("NNK", "victim", "2026-11-19"),
    ]
    # The partner's own records, keyed the same way, join both appearances of her.
    partner = {_partner_key("passport", "C-1234567"): "partner case 77"}
    joined = [partner.get(r["person_key"]) for r in rows]
    assert joined == ["partner case 77", "partner case 77"]
    assert PASSPORT not in text and ids.incident not in text


def test_exchange_without_a_key_is_refused(world: World) -> None:
    seed(world)
    world.app.config["PATROLI_EXCHANGE_KEY"] = ""
    resp = world.client.get("/api/v1/exchange", headers=world.token("hq.1"))
    assert resp.status_code == 503
    assert resp.get_json()["type"] == "urn:patroli:problem:not-configured"


def test_exchange_is_for_hq_only(world: World) -> None:
    resp = world.client.get("/api/v1/exchange", headers=world.token("cmd.dum"))
    assert resp.status_code == 403
    assert resp.get_json()["type"] == "urn:patroli:problem:forbidden"
