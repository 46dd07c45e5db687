"""The server's hybrid logical clock (one per process, thread-safe)."""

from __future__ import annotations

import threading

from sync import hlc as H

SERVER_NODE = "server"


class ServerClock:
    """Issues server HLC readings; used to clamp device clocks and stamp reviews."""

    def __init__(self, node: str = SERVER_NODE):
        self._node = node
        self._last: H.HLC | None = None
        self._lock = threading.Lock()

    def now(self) -> H.HLC:
        """The next reading, never below the previous one."""
        with self._lock:
            self._last = H.tick(self._last, self._node)
            return self._last


clock = ServerClock()
