"""A tiny HTTP front on 127.0.0.1 that answers 5xx for a while, then forwards to the server."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class FlakyFront:
    """Answer ``status`` to the first ``failures`` requests whose path contains ``match``."""

    def __init__(self, upstream: str, status: int, failures: int, match: str = "/sync/push"):
        self.upstream, self.status, self.left, self.match = upstream, status, failures, match
        self.answered_error = 0
        self.lock = threading.Lock()
        front = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                with front.lock:
                    fail = front.match in self.path and front.left > 0
                    if fail:
                        front.left -= 1
                        front.answered_error += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if fail:
                    payload = b'{"type": "about:blank", "title": "down"}'
                    self.send_response(front.status)
                    self.send_header("Content-Type", "application/problem+json")
                    self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                resp = requests.request(
                    self.command,
                    front.upstream + self.path,
                    data=body,
                    headers=headers,
                    timeout=30,
                    stream=True,
                )
                raw = resp.raw.read(decode_content=False)
                self.send_response(resp.status_code)
                for key, value in resp.raw.headers.items():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_HEAD = _handle

            def log_message(self, *args: object) -> None:
                """Stay quiet."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> FlakyFront:
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
