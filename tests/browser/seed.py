"""Seeding a live server over HTTP the way devices would: reports, reviews, a conflict."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

from sync import hlc as H
from tests.live import LiveServer
from tests.world import incident


@dataclass
class Device:
    """An enrolled device of a live server, pushing and pulling with requests."""

    url: str
    device_id: str
    token: str
    clock: H.HLC | None = None
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def headers(self) -> dict[str, str]:
        """The device's bearer header."""
        return {"Authorization": f"Bearer {self.token}"}

    def push(
        self,
        report_id: str,
        fields: dict[str, Any],
        base_rev: int | None,
        wall_ms: int | None = None,
    ) -> dict[str, Any]:
        """Push one op; return its result."""
        self.clock = H.tick(self.clock, self.device_id, wall_ms)
        change = {
            "op_id": str(uuid.uuid4()),
            "report_id": report_id,
            "base_rev": base_rev,
            "hlc": str(self.clock),
            "fields": fields,
        }
        resp = self.session.post(
            f"{self.url}/api/v1/sync/push",
            headers=self.headers,
            json={"batch_id": str(uuid.uuid4()), "changes": [change]},
            timeout=30,
        )
        resp.raise_for_status()
        return resp.json()["results"][0]

    def create(self, fields: dict[str, Any]) -> str:
        """Create a report; return its id."""
        report_id = str(uuid.uuid4())
        result = self.push(report_id, fields, None)
        assert result["status"] == "applied", result
        return report_id

    def pull(self) -> dict[str, dict[str, Any]]:
        """Every report in scope, by id, at its latest state."""
        out: dict[str, dict[str, Any]] = {}
        cursor = None
        for _ in range(1000):
            params = {"cursor": cursor} if cursor else {}
            page = self.session.get(
                f"{self.url}/api/v1/sync/pull", params=params, headers=self.headers, timeout=30
            ).json()
            for change in page["changes"]:
                if "report" in change:
                    out[change["report"]["id"]] = change
            cursor = page["cursor"]
            if not page["has_more"]:
                return out
        raise AssertionError("pull did not finish")


def enroll(server: LiveServer, officer: str) -> Device:
    """Enroll a device for ``officer`` through the API."""
    body = requests.post(
        f"{server.url}/api/v1/devices/enroll",
        timeout=10,
        json={"enrollment_code": server.code_for(officer), "device_name": f"{officer} phone"},
    ).json()
    return Device(server.url, body["device_id"], body["token"])


REPORTS = [
    {"title": "Five workers crossing at night", "occurred_at": "2026-11-02T03:15:00+08:00"},
    {
        "title": "Boat landing at Sei Pancang",
        "route": "Sei Pancang jetty",
        "occurred_at": "2026-11-05T21:40:00+08:00",
        "modus": ["transit_route"],
        "destination_country": "MY",
    },
    {
        "title": "Agent offering plantation jobs",
        "route": "Sebatik market",
        "occurred_at": "2026-11-09T10:00:00+08:00",
        "modus": ["fake_job_offer"],
        "destination_country": "MY",
        "persons": {
            "v1": {"role": "victim", "sex": "F", "age": 17, "nationality": "ID"},
            "v2": {"role": "victim", "sex": "F", "age": 22, "nationality": "ID"},
            "s1": {"role": "suspect", "sex": "M", "age": 41, "nationality": "ID"},
        },
    },
    {
        "kind": "patrol",
        "title": "Night patrol east ridge",
        "route": "East ridge path",
        "occurred_at": "2026-11-12T22:00:00+08:00",
        "persons": {},
        "modus": [],
        "destination_country": None,
    },
    {
        "title": "Tourist visas for domestic workers",
        "route": "Nunukan harbour",
        "occurred_at": "2026-11-16T08:30:00+08:00",
        "modus": ["posing_as_tourist"],
        "destination_country": "HK",
    },
]


@dataclass
class Seeded:
    """What the seeding created."""

    devices: dict[str, Device]
    reports: list[str]
    conflict_report: str


def seed_site(server: LiveServer) -> Seeded:
    """Reports at two posts, and one report with a narrative conflict between two devices."""
    devices = {name: enroll(server, name) for name in ("ofc.nnk.1", "ofc.nnk.2", "ofc.dum.1")}
    a, b = devices["ofc.nnk.1"], devices["ofc.nnk.2"]
    reports = [a.create(incident(**spec)) for spec in REPORTS]
    devices["ofc.dum.1"].create(
        incident(
            title="Checkpoint at Dumai port",
            location={"lat": 1.68, "lon": 101.45},
            destination_country="SG",
        )
    )
    target = reports[0]
    b.pull()
    first = a.push(target, {"narrative": "Five workers met the agent at the river landing."}, 1)
    assert first["status"] == "applied"
    later = H.now_ms() + 5000
    second = b.push(
        target, {"narrative": "Five workers and a child met the agent at dawn."}, 1, wall_ms=later
    )
    assert second["status"] == "conflict", second
    return Seeded(devices, reports, target)
