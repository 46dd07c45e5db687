"""A gunicorn worker that serves with waitress: a request reaches a thread only once it is all here.

gunicorn's threaded worker hands a connection to a thread as soon as bytes
arrive, and the thread then reads the body at the client's pace: four
officers on 2G links pushing at a few bytes a second held all four threads
and stalled every other device.  waitress reads each request (headers and
body; large bodies spool to a temporary file) in one asynchronous loop and
queues it for a thread only once it is complete; answers go back through
the same loop, so a slow reader does not hold a thread either.  A
connection that sends nothing for ``PATROLI_READ_TIMEOUT_S`` is closed.

gunicorn still runs the processes: the master binds the socket, starts
``--workers`` of these, restarts one that dies, and stops them on SIGTERM
(gracefully: the requests in progress are answered) or SIGINT/SIGQUIT
(at once).  Each worker runs waitress on the listening socket it inherited.
"""

from __future__ import annotations

import os
import time
from typing import Any

from gunicorn.workers.base import Worker
from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server

from server.runtime.access_log import with_access_log
from server.runtime.waitress_errors import ProblemChannel

#: Connections per process; each idle one costs a socket and a few KiB.
CONNECTION_LIMIT = 1000
#: The loop wakes at least this often to tell the master it lives and to see signals.
_TICK_S = 1.0


def waitress_options(config: dict[str, Any], threads: int) -> dict[str, Any]:
    """waitress's settings from the app's configuration."""
    read_timeout = int(config["PATROLI_READ_TIMEOUT_S"])
    largest_body = max(config["PATROLI_MAX_BATCH_BYTES"], config["PATROLI_MAX_BLOB_BYTES"])
    return {
        "threads": threads,
        "channel_timeout": read_timeout,
        # How often silent connections are looked for: one is closed at most
        # half a timeout late.
        "cleanup_interval": max(1, min(30, read_timeout // 2)),
        # Anything larger is refused by the app anyway (with its own, more
        # precise problem); past this waitress stops reading and answers 413.
        "max_request_body_size": largest_body + 1,
        "connection_limit": CONNECTION_LIMIT,
        "asyncore_use_poll": True,
        "ident": "patroli",
        # As gunicorn did: a TLS front on this host may say the scheme.
        "trusted_proxy": "127.0.0.1",
        "trusted_proxy_headers": {"x-forwarded-proto"},
    }


def _busy(channel: Any) -> bool:
    return isinstance(channel, HTTPChannel) and bool(channel.requests or channel.total_outbufs_len)


class BufferingWorker(Worker):  # type: ignore[misc]
    """One server process: waitress on the inherited socket, beating gunicorn's heart."""

    def run(self) -> None:
        """Serve until told to stop, then answer what is in progress and close."""
        flask_app = self.wsgi
        self._map: dict[int, Any] = {}
        server = create_server(
            with_access_log(flask_app),
            map=self._map,
            sockets=[listener.sock for listener in self.sockets],
            **waitress_options(flask_app.config, self.cfg.threads),
        )
        self._listeners = [d for d in self._map.values() if isinstance(d, BaseWSGIServer)]
        for listener in self._listeners:
            listener.channel_class = ProblemChannel
        self._dispatcher = server.task_dispatcher
        try:
            while self.alive and self.ppid == os.getppid():
                self.notify()
                wasyncore.loop(timeout=_TICK_S, map=self._map, use_poll=True, count=1)
            self._drain()
        finally:
            self._dispatcher.shutdown(timeout=1)
            wasyncore.close_all(self._map)

    def _drain(self) -> None:
        """Stop accepting; keep the loop running until answers in progress are sent."""
        for listener in self._listeners:
            listener.accepting = False
        deadline = time.monotonic() + max(1.0, self.cfg.graceful_timeout - 1.0)
        while time.monotonic() < deadline and any(_busy(c) for c in list(self._map.values())):
            self.notify()
            wasyncore.loop(timeout=0.1, map=self._map, use_poll=True, count=1)
