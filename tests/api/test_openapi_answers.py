"""Every answer of a scripted session on real data matches the OpenAPI document.

Generated requests (tests/api/test_openapi.py) rarely get past validation
or a 404 to the success paths: a review needs the current revision, a
resolution an open conflict, an enrollment a fresh code.  This walks each
of them once with data that works, and checks every answer's status,
content type and body against the document.
"""

from __future__ import annotations

import hashlib
from fnmatch import fnmatch
from typing import Any

import schemathesis
from flask.testing import FlaskClient

from tests.world import PASSWORD, World, new_id

P = "/api/v1"


class Session:
    """Sends requests with the test client and checks each answer against the document."""

    def __init__(self, client: FlaskClient):
        """Load the served document."""
        self.client = client
        self.document = client.get(f"{P}/openapi.json").get_json()
        self.schema = schemathesis.openapi.from_dict(self.document)
        self.seen: set[tuple[str, str, int]] = set()

    def _answer(self, op: dict[str, Any], status: int) -> dict[str, Any]:
        """The documented answer for ``status`` (following a components reference)."""
        answer = op["responses"].get(str(status))
        assert answer is not None, f"{status} is not documented: {sorted(op['responses'])}"
        if "$ref" in answer:
            answer = self.document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
        return answer

    def call(
        self, method: str, template: str, expect: int, path: dict[str, str] | None = None, **kw: Any
    ) -> Any:
        """``method template`` (filled from ``path``): expect a status; check the answer."""
        # buffered: read and close the answer as a server would (a served blob is a file).
        url = P + template.format(**(path or {}))
        resp = self.client.open(url, method=method, buffered=True, **kw)
        assert resp.status_code == expect, resp.get_data(as_text=True)[:500]
        op = self.document["paths"][P + template][method.lower()]
        content = self._answer(op, resp.status_code).get("content")
        if content and method != "HEAD" and resp.status_code != 304:
            assert any(fnmatch(resp.mimetype, m) for m in content), (resp.mimetype, list(content))
        self.schema[P + template][method].validate_response(resp)
        self.seen.add((method, template, resp.status_code))
        return resp


def _chunked_upload(s: Session, device: dict[str, str]) -> None:
    """A blob in two chunks: 202 with the offset, then 201; HEAD finds it."""
    data = b"%PDF-1.4 scanned travel document " * 8
    sha = {"sha256": hashlib.sha256(data).hexdigest()}
    half, total = len(data) // 2, len(data)
    for first, last, status in ((0, half - 1, 202), (half, total - 1, 201)):
        s.call(
            "PUT",
            "/blobs/{sha256}",
            status,
            sha,
            data=data[first : last + 1],
            content_type="application/pdf",
            headers={**device, "Content-Range": f"bytes {first}-{last}/{total}"},
        )
    s.call("HEAD", "/blobs/{sha256}", 200, sha, headers=device)


def test_success_answers_match_the_document(client: FlaskClient, world: World) -> None:
    """Each operation's success answers (and a few refusals) on real data, as documented."""
    s = Session(client)
    ids = world.seed_conflict_with_attachment()
    officer = world.devices["ofc.nnk.1"]
    cmd, hq = world.token("cmd.nnk"), world.token("hq.1")
    s.call("GET", "/meta", 200)
    s.call("GET", "/vocabularies", 200)
    s.call("POST", "/auth/token", 200, json={"username": "admin", "password": PASSWORD})
    code = s.call(
        "POST", "/devices/enrollment-codes", 201, json={"username": "ofc.nnk.3"}, headers=cmd
    ).get_json()["code"]
    s.call("POST", "/devices/enroll", 201, json={"enrollment_code": code, "device_name": "tab"})
    s.call("POST", "/devices/enroll", 401, json={"enrollment_code": code, "device_name": "tab"})
    s.call("GET", "/devices", 200, headers=cmd)
    s.call("POST", "/devices/{device_id}/revoke", 200, ids, json={"reason": "lost"}, headers=cmd)

    s.call(
        "PUT",
        "/blobs/{sha256}",
        200,
        ids,
        data=b"x",
        content_type="image/jpeg",
        headers=officer.headers,
    )
    _chunked_upload(s, officer.headers)
    s.call("GET", "/blobs/{sha256}", 200, ids, headers=cmd)
    s.call("GET", "/blobs/{sha256}", 206, ids, headers={**cmd, "Range": "bytes=0-3"})
    s.call(
        "GET", "/blobs/{sha256}", 304, ids, headers={**cmd, "If-None-Match": f'"{ids["sha256"]}"'}
    )
    s.call("HEAD", "/blobs/{sha256}", 404, {"sha256": "0" * 64}, headers=officer.headers)

    s.call(
        "POST",
        "/sync/push",
        200,
        json={"batch_id": new_id(), "changes": []},
        headers=officer.headers,
    )
    s.call("GET", "/sync/pull", 200, headers=officer.headers)
    s.call(
        "GET", "/sync/pull", 410, query_string={"cursor": "cDE6OTk5OTk5"}, headers=officer.headers
    )
    s.call("GET", "/reports", 200, query_string={"status": "submitted,in_review"}, headers=cmd)
    s.call("GET", "/reports.geojson", 200, headers=hq)
    rev = s.call("GET", "/reports/{report_id}", 200, ids, headers=cmd).get_json()["report"]["rev"]
    s.call("GET", "/conflicts", 200, headers=cmd)
    s.call("GET", "/conflicts/{conflict_id}", 200, ids, headers=cmd)
    s.call(
        "POST", "/conflicts/{conflict_id}/resolve", 200, ids, json={"choose": "lost"}, headers=cmd
    )
    s.call(
        "POST", "/conflicts/{conflict_id}/resolve", 409, ids, json={"choose": "kept"}, headers=cmd
    )
    s.call(
        "POST",
        "/reports/{report_id}/review",
        409,
        ids,
        json={"status": "approved", "rev": rev},
        headers=cmd,
    )
    s.call(
        "POST",
        "/reports/{report_id}/review",
        200,
        ids,
        json={"status": "approved", "rev": rev + 1},
        headers=cmd,
    )
    for fmt in ("json", "csv"):
        query = {"group_by": "post,kind,week,modus", "format": fmt, "min_count": "2"}
        s.call("GET", "/aggregates", 200, query_string=query, headers=hq)
    documented = {
        (method.upper(), path.removeprefix(P))
        for path, item in s.document["paths"].items()
        for method in item
    }
    reached = {(method, path) for method, path, status in s.seen if status < 300}
    assert documented - reached == {("GET", "/openapi.json")}
