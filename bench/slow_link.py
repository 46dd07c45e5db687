"""A loopback proxy that turns every connection into a slow mobile link.

Each accepted connection gets its own upstream connection to the server,
and each direction is shaped on its own: bytes leave at ``rate`` bytes per
second (a transmit queue per direction, as on a 2G radio link) and arrive
``rtt / 2`` after they left, so a request and its answer cost a full round
trip on top of their transmission time.  The proxy runs an asyncio loop in
a daemon thread; it listens on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass

#: Bytes read at a time: small enough that shaping is smooth at 3 KB/s.
CHUNK = 512


@dataclass(frozen=True, kw_only=True)
class Shape:
    """A link: bytes per second each way and round-trip time in seconds."""

    rate: float = 3 * 1024
    rtt: float = 0.6


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, shape: Shape) -> None:
    """Copy one direction, each chunk delivered when the link would have carried it."""
    loop = asyncio.get_running_loop()
    free_at = loop.time()  # when the link finishes sending what it holds
    try:
        while chunk := await reader.read(CHUNK):
            free_at = max(free_at, loop.time()) + len(chunk) / shape.rate
            delay = free_at + shape.rtt / 2 - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()


class SlowLink:
    """The proxy: ``with SlowLink(upstream_port, shape) as link:`` then use ``link.url``."""

    def __init__(self, upstream_port: int, shape: Shape):
        self.upstream_port = upstream_port
        self.shape = shape
        self.port = 0
        self.connections = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        """Base URL through the proxy."""
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        try:
            await asyncio.gather(
                _pipe(reader, up_writer, self.shape),
                _pipe(up_reader, writer, self.shape),
            )
        except asyncio.CancelledError:
            # Only the proxy's shutdown cancels a connection; ending quietly
            # keeps asyncio's stream callback from logging it as an error.
            pass
        finally:
            for w in (writer, up_writer):
                w.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._loop.run_forever()

    def __enter__(self) -> SlowLink:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the slow-link proxy did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            # Waited for, so that no connection is left half torn down.
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
