"""A fault-injecting TCP proxy on 127.0.0.1 for tests.

Put it between a client and a real server to make the link behave like a
satellite uplink on a bad day::

    with FaultProxy(server_port) as proxy:
        proxy.queue(FaultPlan(cut_up_after=300_000), FaultPlan(reject=True))
        client.base_url = proxy.url       # 1st connection is cut, 2nd refused,
        ...                               # later ones forwarded faithfully
        assert proxy.bytes_up < 2 * size

Each accepted connection gets a ``FaultPlan``: the next one queued with
``queue``, else what ``chooser(index)`` returns, else the default.  The
proxy counts the bytes it forwarded each way, per connection and in total.
It only ever listens on 127.0.0.1, and it is bounded in time: every socket
has a timeout, idle connections are closed, and after ``lifetime_s`` the
proxy stops itself.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

_RECV = 16 * 1024
_POLL_S = 0.1


@dataclass(frozen=True)
class FaultPlan:
    """What the proxy does to one connection; the default forwards it faithfully.

    - ``reject``: accept, then close at once without contacting the server.
    - ``cut_up_after`` / ``cut_down_after``: forward that many bytes
      client→server / server→client, then cut the connection both ways.
    - ``reset``: cut (and reject) with a TCP RST instead of a FIN.
    - ``delay_s``: wait this long before connecting to the server.
    - ``response_delay_s``: hold the first server→client bytes this long
      (a slow answer; makes client read timeouts fire after the server
      has already done the work).
    - ``bandwidth_bps``: throttle each direction to this many bytes/second.
    - ``latency_s``: one-way delay of every byte in each direction (half the
      round trip); data already on its way keeps flowing meanwhile, so a
      long link costs time per round trip, not per segment.
    """

    reject: bool = False
    cut_up_after: int | None = None
    cut_down_after: int | None = None
    reset: bool = False
    delay_s: float = 0.0
    response_delay_s: float = 0.0
    bandwidth_bps: int | None = None
    latency_s: float = 0.0


@dataclass
class ConnectionStats:
    """What happened to one proxied connection."""

    index: int
    plan: FaultPlan
    bytes_up: int = 0
    bytes_down: int = 0
    cut: str | None = None  # "reject", "up", "down", "idle", "stopped" or None
    # What was forwarded each way, kept only when the proxy records.
    up_data: bytearray = field(default_factory=bytearray, repr=False)
    down_data: bytearray = field(default_factory=bytearray, repr=False)
    closed: threading.Event = field(default_factory=threading.Event, repr=False)


class _Conn:
    """One client connection and its upstream socket, pumped by two threads."""

    def __init__(self, proxy: FaultProxy, client: socket.socket, stats: ConnectionStats):
        self.proxy, self.client, self.stats = proxy, client, stats
        self.upstream: socket.socket | None = None
        self.done = threading.Event()
        self.last_activity = time.monotonic()
        self.lock = threading.Lock()

    def run(self) -> None:
        """Apply the plan, connect upstream, pump both ways until either side ends."""
        plan = self.stats.plan
        try:
            if plan.reject:
                self.close("reject")
                return
            if plan.delay_s and self.proxy._stopping.wait(plan.delay_s):
                self.close("stopped")
                return
            try:
                self.upstream = socket.create_connection(self.proxy.upstream, timeout=5)
            except OSError:
                self.close("upstream-refused")
                return
            for s in (self.client, self.upstream):
                s.settimeout(_POLL_S)
            down = threading.Thread(target=self._pump, args=(False,), daemon=True)
            down.start()
            self._pump(True)
            down.join(self.proxy.idle_timeout_s + 1)
        finally:
            self.close(None)

    def _pump(self, up: bool) -> None:
        """Read one direction into a delay line and deliver what is due, until it ends.

        Reading goes on while earlier data waits out its latency (bounded to
        a few receive buffers, so the sender still feels back-pressure).
        """
        plan = self.stats.plan
        src, dst = (self.client, self.upstream) if up else (self.upstream, self.client)
        line: deque[tuple[float, bytes]] = deque()
        held, first = 0, True
        while not self.done.is_set():
            if self.proxy._stopping.is_set():
                self.close("stopped")
                return
            now = time.monotonic()
            if now - self.last_activity > self.proxy.idle_timeout_s:
                self.close("idle")
                return
            if line and line[0][0] <= now:
                data = line.popleft()[1]
                held -= len(data)
                if not self._deliver(dst, data, up):
                    return
                continue
            wait = min(_POLL_S, line[0][0] - now) if line else _POLL_S
            if held >= 4 * _RECV:
                # The line is full: the sender feels back-pressure until data is due.
                self.proxy._stopping.wait(wait)
                continue
            data = self._receive(src, wait)
            if data is None:
                continue
            if not data:
                self._drain(line, dst, up)
                return
            self.last_activity = now
            due = now + plan.latency_s
            if first and not up:
                due += plan.response_delay_s
            first = False
            line.append((due, data))
            held += len(data)

    def _receive(self, src: socket.socket, wait: float) -> bytes | None:
        """Up to one buffer from ``src`` within ``wait`` seconds.

        None when nothing came; ``b""`` at its end, or when reading failed
        (the connection is then closed).
        """
        try:
            ready, _, _ = select.select([src], [], [], max(0.0, wait))
            return src.recv(_RECV) if ready else None
        except TimeoutError:
            return None
        except (OSError, ValueError):
            self.close(None)
            return b""

    def _drain(self, line: deque[tuple[float, bytes]], dst: socket.socket, up: bool) -> None:
        """The sender finished: deliver what is still on the line, then pass the FIN on."""
        while line and not self.done.is_set():
            due, data = line.popleft()
            if self.proxy._stopping.wait(max(0.0, due - time.monotonic())):
                return
            if not self._deliver(dst, data, up):
                return
        if not self.done.is_set():
            self._half_close(dst)

    def _deliver(self, dst: socket.socket, data: bytes, up: bool) -> bool:
        """Forward ``data``, cutting the connection where the plan says; False when it ended."""
        limit = self.stats.plan.cut_up_after if up else self.stats.plan.cut_down_after
        sent = self.stats.bytes_up if up else self.stats.bytes_down
        if limit is not None and sent + len(data) >= limit:
            self._forward(dst, data[: max(0, limit - sent)], up)
            self.close("up" if up else "down")
            return False
        return self._forward(dst, data, up)

    def _forward(self, dst: socket.socket, data: bytes, up: bool) -> bool:
        """Send ``data`` (throttled if planned) and count it; False when the peer is gone."""
        rate = self.stats.plan.bandwidth_bps
        step = max(1, rate // 20) if rate else len(data) or 1
        for i in range(0, len(data), step):
            piece = data[i : i + step]
            try:
                dst.sendall(piece)
            except OSError:
                self.close(None)
                return False
            if up:
                self.stats.bytes_up += len(piece)
            else:
                self.stats.bytes_down += len(piece)
            if self.proxy.record:
                (self.stats.up_data if up else self.stats.down_data).extend(piece)
            self.last_activity = time.monotonic()
            if rate and self.proxy._stopping.wait(len(piece) / rate):
                return False
        return True

    def _half_close(self, dst: socket.socket) -> None:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(None)

    def close(self, reason: str | None) -> None:
        """Close both sockets once; ``reason`` records a fault (RST when the plan says so)."""
        with self.lock:
            if self.done.is_set():
                return
            self.done.set()
            if reason is not None:
                self.stats.cut = reason
        for s in (self.client, self.upstream):
            if s is None:
                continue
            try:
                if reason is not None and self.stats.plan.reset:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            except OSError:
                pass
        self.stats.closed.set()


class FaultProxy:
    """A threaded TCP proxy on 127.0.0.1 that injects faults per connection."""

    def __init__(
        self,
        upstream_port: int,
        upstream_host: str = "127.0.0.1",
        *,
        default: FaultPlan | None = None,
        chooser: Callable[[int], FaultPlan | None] | None = None,
        lifetime_s: float = 120.0,
        idle_timeout_s: float = 30.0,
        record: bool = False,
    ):
        """Proxy to ``upstream_host:upstream_port``; call ``start`` (or use ``with``).

        With ``record`` the bytes forwarded each way are kept per connection
        (``ConnectionStats.up_data``/``down_data``) for tests that read the
        HTTP exchanges back.
        """
        self.record = record
        self.upstream = (upstream_host, upstream_port)
        self.default = default or FaultPlan()
        self.chooser = chooser
        self.lifetime_s, self.idle_timeout_s = lifetime_s, idle_timeout_s
        self._queue: deque[FaultPlan] = deque()
        self._stats: list[ConnectionStats] = []
        self._conns: list[_Conn] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None

    # -- life cycle --

    def start(self) -> FaultProxy:
        """Listen on a free port of 127.0.0.1 and start accepting; returns self."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(_POLL_S)
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)
        self._acceptor.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection and wait (briefly) for the threads."""
        self._stopping.set()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            conn.close("stopped")
        if self._acceptor is not None and self._acceptor is not threading.current_thread():
            self._acceptor.join(5)
        for thread in list(self._threads):
            thread.join(2)

    def __enter__(self) -> FaultProxy:
        """Start the proxy."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the proxy."""
        self.stop()

    def _accept_loop(self) -> None:
        end = time.monotonic() + self.lifetime_s
        assert self._listener is not None
        try:
            while not self._stopping.is_set():
                if time.monotonic() > end:
                    # Bounded in time: a forgotten proxy stops itself.
                    self._stopping.set()
                    break
                try:
                    client, _ = self._listener.accept()
                except TimeoutError:
                    continue
                except OSError:
                    break
                self._serve(client)
        finally:
            self._listener.close()
            if self._stopping.is_set():
                self.stop()

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            index = len(self._stats)
            plan = self._queue.popleft() if self._queue else None
        if plan is None and self.chooser is not None:
            # Outside the lock: a chooser may well look at the proxy's stats.
            plan = self.chooser(index)
        with self._lock:
            stats = ConnectionStats(index, plan or self.default)
            conn = _Conn(self, client, stats)
            self._stats.append(stats)
            self._conns.append(conn)
            thread = threading.Thread(target=conn.run, daemon=True)
            self._threads.append(thread)
        thread.start()

    # -- configuration --

    @property
    def port(self) -> int:
        """The port the proxy listens on (after ``start``)."""
        assert self._listener is not None, "start the proxy first"
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``, for HTTP clients."""
        return f"http://127.0.0.1:{self.port}"

    def queue(self, *plans: FaultPlan) -> None:
        """Give the next connections these plans, in accept order."""
        with self._lock:
            self._queue.extend(plans)

    def set_default(self, plan: FaultPlan) -> None:
        """The plan of connections with nothing queued and no chooser answer."""
        self.default = plan

    # -- observation --

    @property
    def connections(self) -> list[ConnectionStats]:
        """Stats of every connection accepted so far, in accept order."""
        with self._lock:
            return list(self._stats)

    @property
    def bytes_up(self) -> int:
        """Bytes forwarded client→server over all connections."""
        return sum(s.bytes_up for s in self.connections)

    @property
    def bytes_down(self) -> int:
        """Bytes forwarded server→client over all connections."""
        return sum(s.bytes_down for s in self.connections)

    @property
    def faults(self) -> int:
        """Connections the proxy cut or rejected on purpose."""
        return sum(1 for s in self.connections if s.cut in ("reject", "up", "down"))

    def wait_idle(self, timeout_s: float = 10.0) -> bool:
        """Wait until every connection so far is closed; False on timeout."""
        end = time.monotonic() + timeout_s
        for stats in self.connections:
            if not stats.closed.wait(max(0.0, end - time.monotonic())):
                return False
        return True
