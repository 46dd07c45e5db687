"""A small seeded world for API tests: posts, people, enrolled devices."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import uuid6
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from server.devices import seed_people
from sync import hlc as H
from sync import signing

PASSWORD = "correct horse battery"
# The server's own hashes (scrypt) are deliberately slow: ~0.1 s of CPU for
# every sign-in and token the suite asks for. Seeded people get a cheap
# PBKDF2 hash instead, which check_password_hash verifies the same way (the
# method is part of the hash); hashes the server makes itself (admin
# add-user, set-password) stay scrypt.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def new_id() -> str:
    """A fresh UUID string (time-ordered, as the reference clients mint them)."""
    return str(uuid6.uuid7())


def incident(**overrides: Any) -> dict[str, Any]:
    """A valid incident report's fields."""
    fields = {
        "kind": "incident",
        "occurred_at": "2026-11-20T03:15:00+08:00",
        "title": "Five workers crossing at night",
        "location": {"lat": 4.17, "lon": 117.82, "accuracy_m": 15, "place": "Aji Kuning"},
        "route": "Aji Kuning footpath",
        "narrative": "Group met at the river landing.",
        "modus": ["fake_job_offer", "unofficial_crossing"],
        "destination_country": "MY",
        "agencies": ["IMIGRASI", "TNI"],
        "persons": {"p1": {"role": "victim", "sex": "F", "age": 16, "nationality": "ID"}},
    }
    fields.update(overrides)
    return fields


@dataclass
class DeviceAPI:
    """One enrolled device talking to the test client."""

    client: FlaskClient
    device_id: str
    token: str
    officer: str
    post: str
    clock: H.HLC | None = None
    revs: dict[str, int] = field(default_factory=dict)
    #: The ES256 key of a device that signs its ops (None: an older, unsigned device).
    key: Any = None

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this device."""
        return {"Authorization": f"Bearer {self.token}"}

    def hlc(self, wall_ms: int | None = None) -> str:
        """The device's next HLC reading."""
        self.clock = H.tick(self.clock, self.device_id, wall_ms)
        return str(self.clock)

    def op(
        self,
        report_id: str,
        fields: dict[str, Any],
        base_rev: int | None = None,
        hlc: str | None = None,
    ) -> dict[str, Any]:
        """One change, with a fresh op id (signed when the device has a key)."""
        change = {
            "op_id": new_id(),
            "report_id": report_id,
            "base_rev": base_rev,
            "hlc": hlc or self.hlc(),
            "fields": fields,
        }
        if self.key is not None:
            change["signature"] = signing.sign_op(self.key, change)
        return change

    def push_raw(self, changes: list[dict[str, Any]], batch_id: str | None = None) -> Any:
        """POST a batch and return the raw response."""
        body = {"batch_id": batch_id or new_id(), "changes": changes}
        return self.client.post("/api/v1/sync/push", json=body, headers=self.headers)

    def push(self, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        """POST a batch, expect 200, return the results (and remember revs)."""
        resp = self.push_raw(list(changes))
        assert resp.status_code == 200, resp.get_json()
        results = resp.get_json()["results"]
        for r in results:
            if r["rev"] is not None:
                self.revs[r["report_id"]] = r["rev"]
        return results

    def create(self, fields: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Create a report; return its id and the op result."""
        report_id = new_id()
        (result,) = self.push(self.op(report_id, fields or incident()))
        return report_id, result

    def pull_all(
        self, cursor: str | None = None, limit: int = 500, skip_echo: bool = False
    ) -> tuple[list[Any], str]:
        """Pull every page; return the changes and the final cursor."""
        changes: list[Any] = []
        for _ in range(10_000):
            query = {"limit": limit} | ({"cursor": cursor} if cursor else {})
            if skip_echo:
                query["skip_echo"] = 1
            resp = self.client.get("/api/v1/sync/pull", query_string=query, headers=self.headers)
            assert resp.status_code == 200, resp.get_json()
            page = resp.get_json()
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["has_more"]:
                return changes, cursor
        raise AssertionError("pull did not finish")


@dataclass
class World:
    """The seeded people and devices of a test."""

    app: Flask
    client: FlaskClient
    devices: dict[str, DeviceAPI] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, app: Flask, client: FlaskClient) -> World:
        """Seed posts, people and one enrolled device per officer."""
        world = cls(app, client)
        staff: list[seed_people.Person] = [
            ("ofc.nnk.1", "officer", "NNK"),
            ("ofc.nnk.2", "officer", "NNK"),
            ("ofc.nnk.3", "officer", "NNK"),
            ("ofc.dum.1", "officer", "DUM"),
            ("cmd.nnk", "commander", "NNK"),
            ("cmd.dum", "commander", "DUM"),
            ("hq.1", "hq", None),
            ("admin", "admin", None),
        ]
        with app.app_context():
            seed_people.seed(
                [("NNK", "Nunukan", "Asia/Makassar"), ("DUM", "Dumai", "Asia/Jakarta")],
                staff,
                PASSWORD_HASH,
            )
            codes = seed_people.enrollment_codes(
                [name for name, role, _ in staff if role == "officer"], "test"
            )
        for username, code in codes.items():
            world.devices[username] = world.enroll(code, username)
        return world

    def enroll(self, code: str, officer: str, key: Any = None) -> DeviceAPI:
        """Enroll a device with ``code`` through the API (registering ``key`` if given)."""
        body = {"enrollment_code": code, "device_name": f"{officer} phone"}
        if key is not None:
            body["public_key"] = signing.public_key_text(key)
        resp = self.client.post("/api/v1/devices/enroll", json=body)
        assert resp.status_code == 201, resp.get_json()
        body = resp.get_json()
        return DeviceAPI(
            self.client, body["device_id"], body["token"], body["officer"], body["post"], key=key
        )

    def signing_device(self, officer: str) -> DeviceAPI:
        """A second device of ``officer`` that signs its ops with a key of its own."""
        return self.enroll(self.issue_code(officer), officer, key=signing.new_private_key())

    def issue_code(self, username: str, ttl_s: int | None = None) -> str:
        """A fresh enrollment code for an officer."""
        with self.app.app_context():
            return seed_people.enrollment_codes([username], "test", ttl_s)[username]

    def token(self, username: str) -> dict[str, str]:
        """Authorization header for a person, from ``/auth/token`` (once per person)."""
        if username not in self.tokens:
            resp = self.client.post(
                "/api/v1/auth/token", json={"username": username, "password": PASSWORD}
            )
            assert resp.status_code == 200, resp.get_json()
            self.tokens[username] = resp.get_json()["token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def seed_conflict_with_attachment(self) -> dict[str, str]:
        """An NNK report with an uploaded photo and an open conflict; the ids involved
        (``device_id`` is ofc.nnk.2's device, the other side of the conflict)."""
        a, b = self.devices["ofc.nnk.1"], self.devices["ofc.nnk.2"]
        photo = b"\xff\xd8\xff\xe0 not really a jpeg"
        sha = hashlib.sha256(photo).hexdigest()
        put = self.client.put(
            f"/api/v1/blobs/{sha}", data=photo, content_type="image/jpeg", headers=a.headers
        )
        assert put.status_code == 201, put.get_json()
        attachment = {f"attachments.{sha}": {"mime": "image/jpeg", "bytes": len(photo)}}
        report_id, _ = a.create(incident(**attachment))
        b.push(b.op(report_id, {"narrative": "B's account"}, base_rev=1))
        (lost,) = a.push(a.op(report_id, {"narrative": "A's account"}, base_rev=1))
        assert lost["status"] == "conflict", lost
        return {
            "report_id": report_id,
            "conflict_id": lost["conflicts"][0]["id"],
            "device_id": b.device_id,
            "sha256": sha,
        }

    def report(self, report_id: str, username: str = "cmd.nnk") -> dict[str, Any]:
        """``GET /reports/<id>`` as a person."""
        resp = self.client.get(f"/api/v1/reports/{report_id}", headers=self.token(username))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()
