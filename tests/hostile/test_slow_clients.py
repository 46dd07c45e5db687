"""Slow clients (officers on 2G links, or an attacker) do not stall the server for others.

More connections than the server has threads dribble a push body a byte
at a time; a good device's pulls are answered while they still dribble,
and once they go silent the server closes them after its read timeout.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.e2e.test_blob_upload import enroll
from tests.hostile.counts import live_row_counts
from tests.live import live_server

THREADS = 4  # patroli serve's default --threads
TICK_S = 0.25  # one byte per connection per tick
DRIBBLE_S = 8.0  # how long the slow clients keep sending
READ_TIMEOUT_S = 3
PULLS = 5


def _open_slow(port: int, headers: dict[str, str]) -> socket.socket:
    """A connection that has sent a push's headers and the first byte of a 10 kB body."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        "POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {headers['Authorization']}\r\n"
        "Content-Type: application/json\r\nContent-Length: 10000\r\n\r\n{"
    )
    sock.sendall(head.encode())
    return sock


class Dribbler(threading.Thread):
    """Sends one byte on every slow connection each tick for DRIBBLE_S, then goes silent."""

    def __init__(self, socks: list[socket.socket]):
        super().__init__(daemon=True)
        self.socks = socks
        self.warmed = threading.Event()  # two rounds sent: the server holds every request
        self.finished = threading.Event()
        self.stop = threading.Event()
        self.last_byte_at = 0.0
        self.error: OSError | None = None  # a connection the server closed while it dribbled

    def run(self) -> None:
        try:
            for tick in range(int(DRIBBLE_S / TICK_S)):
                for sock in self.socks:
                    sock.sendall(b" ")
                self.last_byte_at = time.monotonic()
                if tick == 1:
                    self.warmed.set()
                if self.stop.wait(TICK_S):
                    return
        except OSError as exc:
            self.error = exc
        finally:
            self.warmed.set()
            self.finished.set()


def _closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """Whether the server closed ``sock`` (EOF or reset) before ``deadline``."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            if sock.recv(65536) == b"":
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
    return False


@pytest.mark.e2e
@pytest.mark.parametrize("workers", [1, 2])
def test_slow_clients_do_not_stall_a_good_device(
    tmp_path: Path, backend: str, workers: int
) -> None:
    """2 more dribbling pushes than the server has threads: pulls are answered meanwhile;
    the silent connections are closed by the read timeout; nothing of them is stored."""
    extra = {"PATROLI_READ_TIMEOUT_S": str(READ_TIMEOUT_S), "PATROLI_SCHEDULER": "0"}
    posts = {"NNK": ["ofc.nnk.1", "ofc.nnk.2"]}
    with live_server(tmp_path, backend, posts, workers=workers, extra_env=extra) as server:
        slow_device, good_device = enroll(server, "ofc.nnk.1"), enroll(server, "ofc.nnk.2")
        before = live_row_counts(server)
        socks = [_open_slow(server.port, slow_device) for _ in range(THREADS * workers + 2)]
        dribbler = Dribbler(socks)
        dribbler.start()
        try:
            assert dribbler.warmed.wait(30) and not dribbler.finished.is_set()
            with requests.Session() as session:
                for _ in range(PULLS):
                    resp = session.get(
                        f"{server.url}/api/v1/sync/pull", headers=good_device, timeout=DRIBBLE_S
                    )
                    assert resp.status_code == 200, resp.text
            # Answered while every slow client was still sending.
            assert not dribbler.finished.is_set()
            assert dribbler.finished.wait(DRIBBLE_S + 10)
            assert dribbler.error is None, "a slow but active connection was closed"
            deadline = dribbler.last_byte_at + READ_TIMEOUT_S + 15
            assert all(_closed_by_server(sock, deadline) for sock in socks)
        finally:
            dribbler.stop.set()
            for sock in socks:
                sock.close()
        assert live_row_counts(server) == before
        health = requests.get(f"{server.url}/healthz", timeout=10)
        assert health.status_code == 200
