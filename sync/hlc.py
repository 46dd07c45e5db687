"""Hybrid logical clocks in the wire format of DESIGN §3.

An HLC string is ``<16-digit ms>-<5-digit counter>-<node id>``.  Because both
numbers are zero-padded, plain string comparison orders HLCs by time, then
counter, then node id — the last part is the tie-break the merge rules use.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

MAX_COUNTER = 99_999
MS_DIGITS = 16
#: The wire form as a regular expression (also the OpenAPI ``pattern``).  ASCII
#: digits only, matched whole: ``\d`` would take other scripts' digits, which
#: ``int`` reads but which sort after ``9``, so such a clock would win every
#: merge; ``re.match`` with ``$`` would take a trailing newline.
PATTERN = r"^([0-9]{16})-([0-9]{5})-([A-Za-z0-9._:-]{1,64})$"
_HLC_RE = re.compile(PATTERN)

#: How far ahead of the server clock a device HLC may be before it is clamped.
MAX_DRIFT_MS = 60_000


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True)
class HLC:
    """One hybrid-logical-clock reading: wall ms, counter, node id."""

    ms: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.ms:0{MS_DIGITS}d}-{self.counter:05d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> HLC:
        """Parse the wire form; raise ValueError with a plain message if malformed."""
        m = _HLC_RE.fullmatch(text) if isinstance(text, str) else None
        if not m:
            raise ValueError("not a valid HLC (expected <16 digits>-<5 digits>-<node id>)")
        return cls(int(m.group(1)), int(m.group(2)), m.group(3))


def is_valid(text: object) -> bool:
    """True when ``text`` is a well-formed HLC string."""
    return isinstance(text, str) and _HLC_RE.fullmatch(text) is not None


def _bump(ms: int, counter: int) -> tuple[int, int]:
    # The counter is 5 digits on the wire; on overflow borrow the next
    # millisecond rather than emit a string that would sort wrongly.
    if counter >= MAX_COUNTER:
        return ms + 1, 0
    return ms, counter + 1


def tick(last: HLC | None, node: str, wall_ms: int | None = None) -> HLC:
    """Return the next local HLC for an event on ``node`` (send or local edit)."""
    wall = now_ms() if wall_ms is None else wall_ms
    if last is None or wall > last.ms:
        return HLC(wall, 0, node)
    ms, counter = _bump(last.ms, last.counter)
    return HLC(ms, counter, node)


def receive(last: HLC | None, remote: HLC, node: str, wall_ms: int | None = None) -> HLC:
    """Advance the local clock past a remote reading (e.g. a ``server_time``)."""
    wall = now_ms() if wall_ms is None else wall_ms
    base_ms = max(wall, remote.ms, last.ms if last else 0)
    if last is not None and base_ms == last.ms and base_ms == remote.ms:
        return HLC(*_bump(base_ms, max(last.counter, remote.counter)), node)
    if last is not None and base_ms == last.ms:
        return HLC(*_bump(base_ms, last.counter), node)
    if base_ms == remote.ms:
        return HLC(*_bump(base_ms, remote.counter), node)
    return HLC(base_ms, 0, node)


def clamp(device: HLC, server_now: HLC, max_drift_ms: int = MAX_DRIFT_MS) -> tuple[HLC, bool]:
    """Clamp a device HLC that runs too far ahead of the server clock.

    The clamped value keeps the device's node id so that the tie-break on
    equal clocks still depends on the device, not on the server.
    """
    if device.ms - server_now.ms > max_drift_ms:
        return HLC(server_now.ms, server_now.counter, device.node), True
    return device, False


def format_server_time(ms: int | None = None) -> str:
    """RFC 3339 UTC with milliseconds, e.g. ``2026-11-20T03:15:00.123Z``."""
    value = now_ms() if ms is None else ms
    dt = datetime.fromtimestamp(value / 1000, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value % 1000:03d}Z"


def parse_server_time(text: str) -> int:
    """Milliseconds since the epoch from a ``server_time`` string."""
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return int(round(dt.timestamp() * 1000))
