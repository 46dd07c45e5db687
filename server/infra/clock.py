"""Server time: wall-clock UTC, its wire format, and the hybrid logical clock.

Every stored time is UTC; the ``UTCDateTime`` column type hands them back
timezone-aware on every database, so callers never repair them.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sync import hlc

SERVER_NODE = "server"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@lru_cache(maxsize=1024)
def iso_ms(value: datetime | None) -> str | None:
    """A stored time as RFC 3339 UTC with milliseconds (the ``server_time`` format)."""
    # Cached: every document of a batch carries the batch's own time.
    if value is None:
        return None
    return hlc.format_server_time(int(value.timestamp() * 1000))


class ServerClock:
    """Issues server HLC readings; used to clamp device clocks and stamp reviews."""

    def __init__(self, node: str = SERVER_NODE):
        self._node = node
        self._last: hlc.HLC | None = None
        self._lock = threading.Lock()

    def now(self) -> hlc.HLC:
        """The next reading, never below the previous one."""
        with self._lock:
            self._last = hlc.tick(self._last, self._node)
            return self._last


clock = ServerClock()


def parse_occurred_at(value: Any) -> datetime | None:
    """``occurred_at`` as a datetime for the indexed column (already validated)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def occurred_utc(value: Any) -> datetime | None:
    """``occurred_at`` as UTC: SQLite keeps datetimes without their offset."""
    parsed = parse_occurred_at(value)
    if parsed is None or parsed.tzinfo is None:
        return parsed
    return parsed.astimezone(UTC)
