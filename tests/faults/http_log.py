"""Read HTTP/1.1 exchanges back out of the bytes a recording ``FaultProxy`` forwarded.

The field-link test uses it to judge the upload from the wire, not from the
client's own account: which chunks went up, which the server answered, and
whether any chunk the server had committed was sent again.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.faults.proxy import ConnectionStats


@dataclass
class Exchange:
    """One request as it crossed the link, and the answer's status if any came back."""

    connection: int
    method: str
    path: str
    headers: dict[str, str]
    body_sent: int  # bytes of the body that crossed the link
    body_length: int  # bytes the request announced
    status: int | None = None  # None: no status line came back before the link died

    @property
    def content_range(self) -> tuple[int, int, int] | None:
        """``(first, last, total)`` of a ``Content-Range: bytes a-b/t`` header."""
        value = self.headers.get("content-range", "")
        if not value.startswith("bytes "):
            return None
        span, total = value[6:].split("/")
        first, last = span.split("-")
        return int(first), int(last), int(total)


@dataclass
class _Reader:
    """A cursor over one direction's bytes."""

    data: bytes
    pos: int = 0

    def head(self) -> tuple[str, dict[str, str]] | None:
        """The start line and headers at ``pos``; None when they did not all arrive."""
        end = self.data.find(b"\r\n\r\n", self.pos)
        if end < 0:
            return None
        lines = self.data[self.pos : end].decode("latin-1").split("\r\n")
        self.pos = end + 4
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return lines[0], headers

    def skip_body(self, headers: dict[str, str]) -> int:
        """Move past a body framed by Content-Length or chunked; return the bytes present."""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            start = self.pos
            while True:
                line_end = self.data.find(b"\r\n", self.pos)
                if line_end < 0:
                    self.pos = len(self.data)
                    return self.pos - start
                size = int(self.data[self.pos : line_end].split(b";")[0], 16)
                self.pos = min(len(self.data), line_end + 2 + size + 2)
                if size == 0:
                    return self.pos - start
        want = int(headers.get("content-length", "0"))
        present = min(want, len(self.data) - self.pos)
        self.pos += present
        return present


def exchanges(stats: ConnectionStats) -> list[Exchange]:
    """Every request of one recorded connection, paired with its answer's status."""
    up = _Reader(stats.up_data)
    requests: list[Exchange] = []
    while (parsed := up.head()) is not None:
        line, headers = parsed
        method, path, _ = line.split(" ", 2)
        want = int(headers.get("content-length", "0"))
        sent = up.skip_body(headers)
        requests.append(Exchange(stats.index, method, path, headers, sent, want))
        if sent < want:
            break
    down = _Reader(stats.down_data)
    for exchange in requests:
        parsed = down.head()
        if parsed is None:
            break
        line, headers = parsed
        exchange.status = int(line.split(" ")[1])
        no_body = exchange.method == "HEAD" or exchange.status in (204, 304)
        if not no_body:
            down.skip_body(headers)
    return requests


def all_exchanges(connections: list[ConnectionStats]) -> list[Exchange]:
    """The requests of every connection in order (one client opens one connection at a time)."""
    return [e for stats in connections for e in exchanges(stats)]


def resent_committed_chunks(log: list[Exchange], sha256: str) -> list[Exchange]:
    """PUTs of ``sha256`` whose range overlaps bytes an earlier answered PUT had committed.

    A chunk counts as committed once the server's 2xx status line for it
    crossed the link; a chunk cut off before its answer does not count (the
    server may have kept part of it, and the client asks where to resume).
    """
    committed: list[tuple[int, int]] = []
    repeated = []
    for exchange in log:
        span = exchange.content_range
        if exchange.method != "PUT" or sha256 not in exchange.path or span is None:
            continue
        first, last, _ = span
        if exchange.body_sent and any(
            a <= first + exchange.body_sent - 1 and first <= b for a, b in committed
        ):
            repeated.append(exchange)
        if exchange.status is not None and 200 <= exchange.status < 300:
            committed.append((first, last))
    return repeated
