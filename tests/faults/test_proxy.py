"""The fault-injecting proxy on its own, against a small echo server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.faults.proxy import FaultPlan, FaultProxy


class Echo:
    """A TCP server that echoes what it gets, or greets with ``greeting`` bytes first."""

    def __init__(self, greeting: bytes = b""):
        self.greeting, self.received, self.accepted = greeting, [], 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        """Its port."""
        return self.sock.getsockname()[1]

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            threading.Thread(target=self._echo, args=(conn,), daemon=True).start()

    def _echo(self, conn: socket.socket) -> None:
        got = bytearray()
        self.received.append(got)
        conn.settimeout(5)
        with conn:
            try:
                if self.greeting:
                    conn.sendall(self.greeting)
                while data := conn.recv(65536):
                    got += data
                    conn.sendall(data)
            except OSError:
                pass

    def close(self) -> None:
        """Stop accepting."""
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def echo() -> Iterator[Echo]:
    """An echo server for one test."""
    server = Echo()
    yield server
    server.close()


def _connect(proxy: FaultProxy) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    return sock


def _read_all(sock: socket.socket, want: int | None = None) -> bytes:
    out = bytearray()
    try:
        while want is None or len(out) < want:
            data = sock.recv(65536)
            if not data:
                break
            out += data
    except (ConnectionResetError, TimeoutError):
        pass
    return bytes(out)


def test_forwards_faithfully_and_counts(echo: Echo) -> None:
    """Without faults every byte goes through both ways and is counted."""
    payload = bytes(range(256)) * 400
    with FaultProxy(echo.port) as proxy, _connect(proxy) as sock:
        sock.sendall(payload)
        assert _read_all(sock, len(payload)) == payload
        sock.close()
        assert proxy.wait_idle(5)
        assert proxy.bytes_up == proxy.bytes_down == len(payload)
        (stats,) = proxy.connections
        assert stats.cut is None and stats.plan == FaultPlan()


def test_cut_client_to_server_after_n_bytes(echo: Echo) -> None:
    """``cut_up_after`` lets exactly N bytes reach the server, then cuts both ways."""
    with FaultProxy(echo.port) as proxy:
        proxy.queue(FaultPlan(cut_up_after=1000))
        with _connect(proxy) as sock:
            try:
                sock.sendall(b"x" * 50_000)
            except OSError:
                pass  # the cut may reach us while we are still sending
            _read_all(sock)
        assert proxy.wait_idle(5)
    assert proxy.connections[0].cut == "up" and proxy.bytes_up == 1000
    assert len(echo.received[0]) == 1000


def test_cut_server_to_client_after_n_bytes() -> None:
    """``cut_down_after`` truncates the answer at exactly N bytes."""
    server = Echo(greeting=b"g" * 10_000)
    try:
        with FaultProxy(server.port) as proxy:
            proxy.queue(FaultPlan(cut_down_after=2500))
            with _connect(proxy) as sock:
                got = _read_all(sock)
            assert proxy.wait_idle(5)
        assert got == b"g" * 2500 and proxy.connections[0].cut == "down"
    finally:
        server.close()


@pytest.mark.parametrize("reset", [False, True])
def test_reject_never_reaches_server(echo: Echo, reset: bool) -> None:
    """A rejected connection is closed (FIN or RST) before the server sees it."""
    with FaultProxy(echo.port) as proxy:
        proxy.queue(FaultPlan(reject=True, reset=reset))
        if reset:
            # The RST can land while connect() is still returning, on the
            # send, or on the read (which waits for it): any one will do.
            with pytest.raises(ConnectionResetError), _connect(proxy) as sock:
                sock.sendall(b"hello")
                sock.recv(10)
        else:
            with _connect(proxy) as sock:
                assert sock.recv(10) == b""
        assert proxy.wait_idle(5) and proxy.faults == 1
    assert echo.accepted == 0 and proxy.connections[0].cut == "reject"


def test_queue_then_chooser_then_default(echo: Echo) -> None:
    """Queued plans go first, then the chooser's, then the default."""
    chosen = FaultPlan(delay_s=0.01)

    def chooser(index: int) -> FaultPlan | None:
        # Choosers may read the proxy's own stats (e.g. "cut until 4 faults").
        return chosen if index == 1 and proxy.faults == 1 else None

    with FaultProxy(echo.port, chooser=chooser) as proxy:
        proxy.queue(FaultPlan(reject=True))
        for _ in range(3):
            with _connect(proxy) as sock:
                sock.sendall(b"ping")
                _read_all(sock, 4)
        assert proxy.wait_idle(5)
        plans = [s.plan for s in proxy.connections]
    assert plans == [FaultPlan(reject=True), chosen, FaultPlan()]


def test_throttle_and_response_delay_slow_the_link(echo: Echo) -> None:
    """Bandwidth and response delay hold bytes back (a lower bound, never a speed claim)."""
    plan = FaultPlan(bandwidth_bps=40_000, response_delay_s=0.2)
    with FaultProxy(echo.port, default=plan) as proxy, _connect(proxy) as sock:
        start = time.monotonic()
        sock.sendall(b"z" * 8000)
        assert _read_all(sock, 8000) == b"z" * 8000
        # The answer waits 0.2 s, then its 8000 bytes trickle at 40 kB/s in
        # 2000-byte steps (the last arrives 0.15 s after the first).
        assert time.monotonic() - start >= 0.3


def test_idle_connections_are_closed(echo: Echo) -> None:
    """A connection idle past ``idle_timeout_s`` is closed and recorded as such."""
    with FaultProxy(echo.port, idle_timeout_s=0.3) as proxy, _connect(proxy) as sock:
        assert sock.recv(10) == b""
        assert proxy.wait_idle(5) and proxy.connections[0].cut == "idle"


def test_proxy_stops_itself_after_lifetime(echo: Echo) -> None:
    """Past ``lifetime_s`` the proxy stops accepting on its own."""
    proxy = FaultProxy(echo.port, lifetime_s=0.3).start()
    port = proxy.port
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and proxy._acceptor.is_alive():
            time.sleep(0.05)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        proxy.stop()


def test_single_bytes_and_recording(echo: Echo) -> None:
    """Messages of one byte, any byte, go through; a recording proxy keeps what it carried."""
    with FaultProxy(echo.port, record=True) as proxy, _connect(proxy) as sock:
        for byte in (b"?", b"\x00", b"x"):
            sock.sendall(byte)
            assert _read_all(sock, 1) == byte
        sock.close()
        assert proxy.wait_idle(5)
        (stats,) = proxy.connections
        assert bytes(stats.up_data) == bytes(stats.down_data) == b"?\x00x"


def test_latency_delays_each_way_and_keeps_order(echo: Echo) -> None:
    """With 0.2 s each way an echo takes at least 0.4 s, and bytes keep their order."""
    payload = bytes(range(256)) * 100
    with FaultProxy(echo.port, default=FaultPlan(latency_s=0.2)) as proxy, _connect(proxy) as sock:
        started = time.monotonic()
        sock.sendall(payload)
        assert _read_all(sock, len(payload)) == payload
        assert time.monotonic() - started >= 0.4
