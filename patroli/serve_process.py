"""A ``patroli serve`` child process on this machine: start it, wait for it, stop it.

The demo, the end-to-end tests and the benchmarks all run the real server
as a separate process (gunicorn, its jobs, its own database connections),
exactly as an operator would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


class ServerDidNotStart(RuntimeError):
    """The server exited at start, or did not answer ``/healthz`` in time."""


_GIVEN: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now and this process has not handed out.

    The kernel may hand the same free port to two quick ``bind(0)`` calls;
    two servers then share a port (and a log named after it), and the one
    that lost the bind is taken for started because the other answers.
    """
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port
    raise RuntimeError("no fresh free port on 127.0.0.1")


def start(
    env: dict[str, str],
    log_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int,
    workers: int = 1,
    threads: int | None = None,
    timeout_s: float = 60.0,
    own_group: bool = True,
) -> subprocess.Popen:
    """Start ``patroli serve``; return once it answers ``/healthz``.

    ``own_group`` puts it in a process group of its own (tests kill the
    group); the demo keeps it in the terminal's group, so that Ctrl-C or a
    closed terminal reaches the server too.
    """
    cmd = [sys.executable, "-m", "patroli", "serve", "--host", host, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    with open(log_path, "ab") as log:
        # The child keeps its own descriptor of the log; ours can close.
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=log, start_new_session=own_group)
    url = f"http://{host}:{port}/healthz"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDidNotStart(f"The server stopped at start; see {log_path}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return proc
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    stop(proc)
    raise ServerDidNotStart(f"The server did not answer in {timeout_s:.0f} s; see {log_path}")


def _signal(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to the server's own group (its gunicorn workers too), else to it."""
    try:
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    except ProcessLookupError:
        pass


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the server (a power cut, as far as it knows)."""
    if proc.poll() is None:
        _signal(proc, signal.SIGKILL)
        proc.wait(timeout=10)


def stop(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """Stop the server gracefully (SIGTERM), or kill it after ``grace_s``."""
    if proc.poll() is None:
        _signal(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            kill(proc)
