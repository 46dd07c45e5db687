"""What the server publishes for the field app: the shell, the worker, the
manifest, the vocabularies, and the enrollment link with its QR code."""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from patroli.cli import main
from server import create_app
from server.devices import field_link
from server.infra.clock import utcnow
from server.infra.db import db
from server.infra.models import EnrollmentCode, Post
from server.web import field
from sync import vocab
from tests.web.pages import post_form, sign_in
from tests.world import World


def _worker(client: FlaskClient) -> tuple[str, list[str]]:
    source = client.get("/field/sw.js").get_data(as_text=True)
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', source).group(1)
    urls = re.search(r"const SHELL = (\[.*?\]);", source).group(1)
    return version, re.findall(r'"([^"]+)"', urls)


def test_shell_is_served_with_a_stamped_worker(client: FlaskClient) -> None:
    page = client.get("/field/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<script type="module" src="/field/js/app.js">' in page.get_data(as_text=True)
    version, urls = _worker(client)
    assert "/field/" in urls and "/field/js/app.js" in urls and "/field/sw.js" not in urls
    for url in urls:  # everything the worker precaches exists, or its install would fail
        assert client.get(url).status_code == 200, url
    # The Node package marker beside the modules is not part of the shell.
    assert client.get("/field/js/package.json").status_code == 404
    assert client.get("/field/sw.js").headers["Cache-Control"] == "no-cache"


def test_worker_version_follows_the_shell_files(
    client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, _ = _worker(client)
    copy = tmp_path / "field"
    shutil.copytree(field.FIELD_DIR, copy)
    (copy / "app.css").write_text("body { color: #000; }\n")
    monkeypatch.setattr(field, "FIELD_DIR", copy)
    field.shell.cache_clear()
    try:
        after, _ = _worker(client)
    finally:
        field.shell.cache_clear()
    assert after != before


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_manifest_makes_the_app_installable(client: FlaskClient) -> None:
    resp = client.get("/field/manifest.webmanifest")
    assert resp.mimetype == "application/manifest+json"
    manifest = resp.get_json(force=True)
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/field/"
    sizes = set()
    for icon in manifest["icons"]:
        width, height = _png_size(client.get(icon["src"]).data)
        assert icon["sizes"] == f"{width}x{height}"
        sizes.add(width)
    assert {192, 512} <= sizes


def test_vocabularies_carry_every_code_with_both_labels(client: FlaskClient) -> None:
    doc = client.get("/api/v1/vocabularies").get_json()
    assert [e["code"] for e in doc["kinds"]] == list(vocab.KINDS)
    assert [e["code"] for e in doc["action_types"]] == list(vocab.ACTION_TYPES)
    assert [e["code"] for e in doc["sexes"]] == list(vocab.SEXES)
    kinds = {e["code"]: e["label"] for e in doc["kinds"]}
    assert kinds["incident"] == {"id": "Kejadian", "en": "Incident"}
    sexes = {e["code"]: e["label"] for e in doc["sexes"]}
    assert sexes["F"] == {"id": "Perempuan", "en": "Female"}
    countries = {e["code"]: e["label"] for e in doc["countries"]}
    assert countries["SA"] == {"id": "Arab Saudi", "en": "Saudi Arabia"}
    assert doc["required"]["by_kind"]["patrol"] == ["route"]
    assert doc["required"]["when_true"] == {"retracted": ["retract_reason"]}
    assert "/api/v1/vocabularies" in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_vocabularies_carry_each_posts_time_zone_as_it_is_now(world: World) -> None:
    client = world.app.test_client()
    assert client.get("/api/v1/vocabularies").get_json()["post_time_zones"] == {
        "DUM": "Asia/Jakarta",
        "NNK": "Asia/Makassar",
    }
    # A post added after the first answer is there too: zones are not cached.
    with world.app.app_context():
        db.session.add(Post(code="SKW", name="Skouw", tz="Asia/Jayapura", created_at=utcnow()))
        db.session.commit()
    zones = client.get("/api/v1/vocabularies").get_json()["post_time_zones"]
    assert zones["SKW"] == "Asia/Jayapura"


def test_enrollment_page_shows_the_field_link_and_its_qr_code(world: World) -> None:
    commander = world.app.test_client()
    assert sign_in(commander, "cmd.nnk").status_code == 302
    resp = post_form(commander, "/devices", "/devices/enrollment-code", {"username": "ofc.nnk.3"})
    html = resp.get_data(as_text=True)
    code = re.search(r'id="enrollment-code">([0-9A-Z-]+)<', html).group(1)
    link = f"http://localhost/field/#enroll={code.replace('-', '')}"
    assert f'id="enrollment-link">{link}<' in html
    assert field_link.qr_svg(link) in html
    assert world.enroll(code, "ofc.nnk.3").post == "NNK"


def _cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setenv("PATROLI_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    return CliRunner().invoke(main, list(args))


def _codes(tmp_path: Path) -> int:
    app: Flask = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}", "SECRET_KEY": "t"}
    )
    with app.app_context():
        count = db.session.query(EnrollmentCode).count()
        db.engine.dispose()
        return count


def test_enroll_code_cli_prints_link_and_qr_before_the_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _cli(tmp_path, monkeypatch, "admin", "add-post", "NNK", "Nunukan").exit_code == 0
    added = _cli(
        tmp_path, monkeypatch, "admin", "add-user", "ofc.1", "--role", "officer", "--post", "NNK"
    )
    assert added.exit_code == 0, added.output
    result = _cli(
        tmp_path, monkeypatch, "admin", "enroll-code", "ofc.1", "--server", "http://10.0.0.5:5000"
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    code = lines[-1]
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert f"http://10.0.0.5:5000/field/#enroll={code.replace('-', '')}" in lines
    assert field_link.qr_text(field_link.enroll_link("http://10.0.0.5:5000", code)) in result.output


def test_enroll_code_cli_refuses_a_server_that_is_not_an_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _cli(tmp_path, monkeypatch, "admin", "add-post", "NNK", "Nunukan").exit_code == 0
    added = _cli(
        tmp_path, monkeypatch, "admin", "add-user", "ofc.1", "--role", "officer", "--post", "NNK"
    )
    assert added.exit_code == 0
    before = _codes(tmp_path)
    result = _cli(tmp_path, monkeypatch, "admin", "enroll-code", "ofc.1", "--server", "10.0.0.5 x")
    assert result.exit_code == 1
    assert "--server takes the server's address" in result.output
    assert _codes(tmp_path) == before
