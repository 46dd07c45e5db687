"""problem+json for the errors the HTTP server answers before the app sees a request.

waitress refuses some requests itself (a body past its size cap, a
malformed request line or chunk, headers too large) with a plain-text page;
the API answers every error as problem+json, so these do too.
"""

from __future__ import annotations

from typing import Any

import orjson
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from server.infra.problems import PROBLEM_MIME, TITLES

_SLUGS = {413: "payload-too-large", 500: "internal-error", 501: "internal-error"}


def problem_document(code: int, body: str) -> bytes:
    """The problem+json body for a waitress error ``code`` with its explanation ``body``."""
    slug = _SLUGS.get(code, "malformed-body")
    if code == 413:
        # waitress says "exceeds max_body of N"; N is ours, not the client's limit.
        detail = "The request body is larger than any this server accepts; send less."
    else:
        detail = body.strip().rstrip(".") + "."
    return orjson.dumps(
        {
            "type": f"urn:patroli:problem:{slug}",
            "title": TITLES[slug],
            "status": code,
            "detail": detail[0].upper() + detail[1:],
        }
    )


class ProblemErrorTask(ErrorTask):  # type: ignore[misc]
    """waitress's error answer, as problem+json."""

    def execute(self) -> None:
        error: Any = self.request.error
        body = problem_document(error.code, error.body)
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", PROBLEM_MIME))
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class ProblemChannel(HTTPChannel):  # type: ignore[misc]
    """A waitress connection whose own error answers are problem+json."""

    error_task_class = ProblemErrorTask
