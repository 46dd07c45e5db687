"""Hybrid logical clock: wire format, ordering, tick/receive, clamping, server_time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import hlc as H

# Keep ms clear of the 16-digit limit so a counter overflow still fits.
MS = st.integers(min_value=0, max_value=10**15)
COUNTER = st.integers(min_value=0, max_value=H.MAX_COUNTER)
NODE = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-",
    min_size=1,
    max_size=64,
)
HLCS = st.builds(H.HLC, MS, COUNTER, NODE)

FAST = settings(max_examples=150, deadline=None)


# --- wire format -------------------------------------------------------------


def test_str_is_zero_padded_wire_form():
    """str() pads ms to 16 digits and the counter to 5, then appends the node."""
    assert str(H.HLC(1763800000000, 3, "dev-1")) == "0001763800000000-00003-dev-1"


def test_parse_reads_the_wire_form():
    """parse() splits the three parts; a node may itself contain '-' and ':'."""
    assert H.HLC.parse("0001763800000000-00003-dev-1:a") == H.HLC(1763800000000, 3, "dev-1:a")


@given(HLCS)
@FAST
def test_format_parse_round_trip(clock):
    """Formatting then parsing gives the same clock back."""
    text = str(clock)
    assert H.is_valid(text)
    assert H.HLC.parse(text) == clock


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1763800000000-00003-dev",  # ms not padded to 16 digits
        "0001763800000000-3-dev",  # counter not padded
        "0001763800000000-00003-",  # empty node
        "0001763800000000-00003-dev/1",  # node with a slash
        "0001763800000000-00003-" + "x" * 65,  # node too long
        "000176380000000a-00003-dev",
        " 0001763800000000-00003-dev",
        "0001763800000000-00003-dev\n",  # `$` alone would take a trailing newline
        "\u0660" * 16 + "-00003-dev",  # Arabic-Indic digits: int() reads them
        "0001763800000000-\uff10\uff10\uff10\uff10\uff13-dev",  # fullwidth digits
    ],
)
def test_parse_rejects_malformed_text(text):
    """Malformed strings raise ValueError with a plain message and are not valid."""
    assert not H.is_valid(text)
    with pytest.raises(ValueError, match="not a valid HLC"):
        H.HLC.parse(text)


@pytest.mark.parametrize("value", [None, 17, b"0001763800000000-00003-dev"])
def test_non_strings_are_not_valid(value):
    """Only str values can be HLCs."""
    assert H.is_valid(value) is False
    with pytest.raises(ValueError):
        H.HLC.parse(value)


@given(HLCS, HLCS)
@FAST
def test_string_order_equals_tuple_order(a, b):
    """Comparing wire strings orders exactly like comparing (ms, counter, node)."""
    assert (str(a) < str(b)) == (a < b)
    assert (str(a) == str(b)) == (a == b)
    assert (str(a) < str(b)) == ((a.ms, a.counter, a.node) < (b.ms, b.counter, b.node))


def test_node_breaks_ties_on_equal_time():
    """Equal ms and counter: the higher node id sorts last (the merge tie-break)."""
    assert str(H.HLC(5, 0, "dev-a")) < str(H.HLC(5, 0, "dev-b"))


# --- tick ----------------------------------------------------------------------


def test_tick_from_nothing_uses_the_wall_clock():
    """The first tick is the wall clock with counter 0."""
    assert H.tick(None, "d", wall_ms=1000) == H.HLC(1000, 0, "d")


@pytest.mark.parametrize(
    ("last", "wall", "expected"),
    [
        (H.HLC(1000, 4, "d"), 2000, H.HLC(2000, 0, "d")),  # clock moved on
        (H.HLC(1000, 4, "d"), 1000, H.HLC(1000, 5, "d")),  # clock stalled
        (H.HLC(1000, 4, "d"), 10, H.HLC(1000, 5, "d")),  # clock went backwards
    ],
)
def test_tick_cases(last, wall, expected):
    """Tick follows the wall clock when it advances and bumps the counter otherwise."""
    assert H.tick(last, "d", wall_ms=wall) == expected


def test_tick_counter_overflow_carries_into_ms():
    """A full 5-digit counter borrows the next millisecond instead of a 6th digit."""
    last = H.HLC(1000, H.MAX_COUNTER, "d")
    nxt = H.tick(last, "d", wall_ms=1000)
    assert nxt == H.HLC(1001, 0, "d")
    assert str(last) < str(nxt)
    assert H.is_valid(str(nxt))


@given(
    start=st.integers(min_value=0, max_value=10**13),
    walls=st.lists(st.integers(min_value=0, max_value=10**13), min_size=1, max_size=40),
)
@FAST
def test_tick_is_strictly_monotonic_whatever_the_wall_clock_does(start, walls):
    """Successive ticks increase strictly even if the wall clock stalls or goes back."""
    last = H.tick(None, "dev", wall_ms=start)
    for wall in walls:
        nxt = H.tick(last, "dev", wall_ms=wall)
        assert nxt > last
        assert str(nxt) > str(last)
        assert nxt.ms >= wall
        last = nxt


@given(walls=st.lists(st.just(7), min_size=1, max_size=5))
@FAST
def test_tick_with_stalled_clock_at_counter_limit(walls):
    """A stalled clock sitting at the counter limit still yields increasing clocks."""
    last = H.HLC(7, H.MAX_COUNTER - 1, "dev")
    for wall in walls:
        nxt = H.tick(last, "dev", wall_ms=wall)
        assert nxt > last and nxt.counter <= H.MAX_COUNTER
        last = nxt


# --- receive -------------------------------------------------------------------


@given(
    last=st.none() | HLCS,
    remote=HLCS,
    wall=st.integers(min_value=0, max_value=10**15),
)
@FAST
def test_receive_is_past_both_local_and_remote(last, remote, wall):
    """receive() returns a clock above the local last reading and the remote one."""
    got = H.receive(last, remote, "me", wall_ms=wall)
    assert got.node == "me"
    assert (got.ms, got.counter) > (remote.ms, remote.counter)
    assert got > remote and str(got) > str(remote)
    if last is not None:
        assert (got.ms, got.counter) > (last.ms, last.counter)
        assert got > last
    assert got.ms >= wall


@pytest.mark.parametrize(
    ("last", "remote", "wall", "expected"),
    [
        (None, H.HLC(500, 2, "srv"), 100, H.HLC(500, 3, "me")),
        (H.HLC(500, 7, "me"), H.HLC(500, 2, "srv"), 100, H.HLC(500, 8, "me")),
        (H.HLC(500, 1, "me"), H.HLC(500, 9, "srv"), 100, H.HLC(500, 10, "me")),
        (H.HLC(600, 0, "me"), H.HLC(500, 9, "srv"), 100, H.HLC(600, 1, "me")),
        (H.HLC(400, 0, "me"), H.HLC(500, 9, "srv"), 100, H.HLC(500, 10, "me")),
        (H.HLC(400, 0, "me"), H.HLC(500, 9, "srv"), 900, H.HLC(900, 0, "me")),
        (H.HLC(500, 1, "me"), H.HLC(500, H.MAX_COUNTER, "srv"), 0, H.HLC(501, 0, "me")),
    ],
)
def test_receive_cases(last, remote, wall, expected):
    """receive() takes the largest of wall, local and remote and bumps on a tie."""
    assert H.receive(last, remote, "me", wall_ms=wall) == expected


# --- clamp ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ahead_ms", "clamped"),
    [(-5_000, False), (0, False), (59_999, False), (60_000, False), (60_001, True)],
)
def test_clamp_only_more_than_60s_ahead(ahead_ms, clamped):
    """Only an HLC more than 60 s ahead of the server is clamped; the node is kept."""
    server = H.HLC(1_763_800_000_000, 4, "server")
    device = H.HLC(server.ms + ahead_ms, 9, "dev-7")
    got, flag = H.clamp(device, server)
    assert flag is clamped
    if clamped:
        assert got == H.HLC(server.ms, server.counter, "dev-7")
    else:
        assert got is device


def test_clamp_keeps_tie_break_on_device():
    """Two clamped devices still order by device id, not by the server's node."""
    server = H.HLC(1000, 0, "server")
    a, _ = H.clamp(H.HLC(10**9, 0, "dev-a"), server)
    b, _ = H.clamp(H.HLC(10**9, 0, "dev-b"), server)
    assert str(a) < str(b)
    assert a.node == "dev-a" and b.node == "dev-b"


def test_clamp_honours_custom_drift():
    """The drift bound is a parameter."""
    server = H.HLC(1000, 0, "s")
    assert H.clamp(H.HLC(1011, 0, "d"), server, max_drift_ms=10)[1] is True
    assert H.clamp(H.HLC(1010, 0, "d"), server, max_drift_ms=10)[1] is False


# --- server_time ---------------------------------------------------------------


def test_format_server_time_example():
    """The example from DESIGN §3: RFC 3339 UTC with milliseconds and a Z."""
    ms = 1_795_144_500_123
    since_epoch = datetime(2026, 11, 20, 3, 15, 0, 123_000, tzinfo=UTC) - datetime(
        1970, 1, 1, tzinfo=UTC
    )
    assert since_epoch == timedelta(milliseconds=ms)
    assert H.format_server_time(ms) == "2026-11-20T03:15:00.123Z"
    assert H.parse_server_time("2026-11-20T03:15:00.123Z") == ms


@pytest.mark.parametrize(
    ("ms", "text"),
    [
        (0, "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.001Z"),
        (999, "1970-01-01T00:00:00.999Z"),
        (1_795_144_500_000, "2026-11-20T03:15:00.000Z"),
    ],
)
def test_format_server_time_edges(ms, text):
    """Milliseconds are always three digits, including zero."""
    assert H.format_server_time(ms) == text
    assert H.parse_server_time(text) == ms


def test_parse_server_time_accepts_offsets():
    """An offset form of the same instant parses to the same milliseconds."""
    assert H.parse_server_time("2026-11-20T11:15:00.123+08:00") == H.parse_server_time(
        "2026-11-20T03:15:00.123Z"
    )


@given(st.integers(min_value=0, max_value=253_402_300_799_999))
@FAST
def test_parse_server_time_inverts_format(ms):
    """parse_server_time(format_server_time(ms)) == ms up to year 9999."""
    text = H.format_server_time(ms)
    assert text.endswith("Z") and len(text) == 24
    assert H.parse_server_time(text) == ms


def test_format_server_time_defaults_to_now():
    """Without an argument the current time is formatted."""
    before = H.now_ms()
    got = H.parse_server_time(H.format_server_time())
    assert before <= got <= H.now_ms()
