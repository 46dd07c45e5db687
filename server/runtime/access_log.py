"""One access-log line per request: client, request line, status, size, time.

The line has the shape gunicorn's access log had
(``127.0.0.1 "POST /api/v1/sync/push HTTP/1.1" 200 1234 12ms``).  The time
is the application's (the server sends the answer on its own afterwards),
and the size is the ``Content-Length`` of the answer (``-`` when streamed):
counting bytes would mean wrapping the response, which stops the server
sending attachments straight from their files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("patroli.access")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _request_line(environ: dict[str, Any]) -> str:
    path = environ.get("PATH_INFO", "")
    if environ.get("QUERY_STRING"):
        path += "?" + environ["QUERY_STRING"]
    # The path arrives as latin-1 decoded bytes; show it as sent, escaped for the log.
    shown = path.encode("latin-1", "replace").decode("ascii", "backslashreplace")
    return f"{environ.get('REQUEST_METHOD', '-')} {shown} {environ.get('SERVER_PROTOCOL', '-')}"


def with_access_log(app: WSGIApp) -> WSGIApp:
    """``app``, logging each request it answers to ``patroli.access``."""

    def logged(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        seen: dict[str, Any] = {}

        def recording_start_response(status: str, headers: list[tuple[str, str]], *exc: Any):
            seen["status"] = status.split(" ", 1)[0]
            seen["size"] = next((v for k, v in headers if k.lower() == "content-length"), "-")
            return start_response(status, headers, *exc)

        try:
            return app(environ, recording_start_response)
        finally:
            log.info(
                '%s "%s" %s %s %dms',
                environ.get("REMOTE_ADDR", "-"),
                _request_line(environ),
                seen.get("status", "-"),
                seen.get("size", "-"),
                (time.perf_counter() - started) * 1000,
            )

    return logged
