"""Starting ``patroli serve``: waiting for the health check."""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from patroli.serve_process import _wait_healthy


def test_a_health_check_slower_than_its_timeout_is_asked_again(tmp_path: Path) -> None:
    """A server too busy to answer the first /healthz within 1 s is waited for, not given up on.

    The first request is held until a second one arrives: only a caller that
    retries after the read timeout ever gets the 200.
    """
    second = threading.Event()
    calls: list[int] = []

    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            calls.append(1)
            if len(calls) == 1:
                second.wait(30)
            else:
                second.set()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stand_in = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/healthz"
        _wait_healthy(stand_in, url, 20, tmp_path / "server.log")
    finally:
        stand_in.kill()
        stand_in.wait()
        second.set()
        server.shutdown()
        server.server_close()
    assert len(calls) >= 2
