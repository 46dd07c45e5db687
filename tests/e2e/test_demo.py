"""``patroli demo`` runs its whole tour against a real server and reports a conflict."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from patroli.serve_process import free_port


def test_demo_tour_runs_end_to_end(tmp_path: Path) -> None:
    """The tour syncs every device, produces one conflict and review decisions, then exits."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "patroli",
            "demo",
            "--port",
            "0",
            "--exit",
            "--workdir",
            str(tmp_path / "demo"),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1 conflict(s) kept for the commander" in out
    assert "could not reach the server" in out  # the simulated lost link
    assert "approved" in out and "password patroli-demo" in out
    assert out.count(" ok ") >= 6  # every device's last sync completed
    assert (tmp_path / "demo" / "patroli.sqlite3").exists()
    # The demo exports the shared report's case file and verifies it offline.
    assert "$ patroli evidence verify" in out and "\n    verified\n" in out
    assert (tmp_path / "demo" / "case.zip").exists()
    # The field app's address and a working enrollment link for a phone.
    assert re.search(r"Field app for officers: http://127\.0\.0\.1:\d+/field/", out)
    assert re.search(r"http://127\.0\.0\.1:\d+/field/#enroll=[0-9A-Z]{12}", out)
    assert "▀" in out or "▄" in out  # the QR code, drawn with half blocks


def _parents() -> dict[int, int]:
    """Every process's parent, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it ended while we looked
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
            found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return found


def _descendants(pid: int) -> set[int]:
    parents, found, todo = _parents(), set(), [pid]
    while todo:
        current = todo.pop()
        children = {child for child, parent in parents.items() if parent == current}
        todo += list(children - found)
        found |= children
    return found


def _alive(pid: int) -> bool:
    """Running or sleeping, not gone and not a zombie waiting to be reaped."""
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _serving(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Lines:
    """The demo's output read by a thread, so that waiting for a line is bounded in time."""

    def __init__(self, stream: IO[str]):
        self.queue: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.queue.put(line)

    def wait_for(self, text: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not any(text in line for line in self.seen):
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no {text!r} in {len(self.seen)} lines:\n{''.join(self.seen)}"
            with contextlib.suppress(queue.Empty):
                self.seen.append(self.queue.get(timeout=remaining))


@pytest.mark.parametrize(
    ("sig", "after"),
    [
        (signal.SIGTERM, "Press Ctrl-C to stop."),
        (signal.SIGHUP, "Press Ctrl-C to stop."),
        (signal.SIGINT, "Press Ctrl-C to stop."),
        (signal.SIGKILL, "Press Ctrl-C to stop."),
        (signal.SIGTERM, "The link is back"),  # mid-tour
    ],
)
def test_a_signal_to_the_demo_stops_everything_it_started(
    tmp_path: Path, sig: signal.Signals, after: str
) -> None:
    """No process the demo started survives it, and its port is free again."""
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "patroli", "demo", "--port", str(port)]
        + ["--workdir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a test run's Ctrl-C is not the demo's
    )
    started: set[int] = set()
    lines = Lines(demo.stdout)  # type: ignore[arg-type]
    try:
        lines.wait_for(after, timeout_s=180)
        started = _descendants(demo.pid)
        assert started and _serving(port)
        demo.send_signal(sig)
        demo.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in started) and time.monotonic() < deadline:
            time.sleep(0.1)  # polling for the processes' end, bounded
        assert [pid for pid in started if _alive(pid)] == []
        assert not _serving(port)
    finally:
        for pid in [demo.pid, *started]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        demo.wait(timeout=10)
        lines.reader.join(timeout=10)  # the pipe ends with the demo
        demo.stdout.close()  # type: ignore[union-attr]
