"""A ``patroli serve`` child process on this machine: start it, wait for it, stop it.

The demo, the end-to-end tests and the benchmarks all run the real server
as a separate process (gunicorn, its jobs, its own database connections),
exactly as an operator would.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class ServerDidNotStart(RuntimeError):
    """The server exited at start, or did not answer ``/healthz`` in time."""


_GIVEN: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now and this process has not handed out.

    The kernel may hand the same free port to two quick ``bind(0)`` calls;
    two servers then share a port (and a log named after it), and the one
    that lost the bind is taken for started because the other answers.
    Processes picking ports at the same time (the test suite's parallel
    workers) each get a share of their own: ``PATROLI_PORT_SHARE=i/n`` makes
    this process take only ports ``p`` with ``p // 2 % n == i`` (halved
    because Linux hands ``bind(0)`` odd ports only).
    """
    index, count = _port_share()
    for _ in range(100 * count):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port // 2 % count == index and port not in _GIVEN:
            _GIVEN.add(port)
            return port
    raise RuntimeError("no fresh free port on 127.0.0.1")


def _port_share() -> tuple[int, int]:
    """``PATROLI_PORT_SHARE`` as (index, count); (0, 1), every port, when unset."""
    text = os.environ.get("PATROLI_PORT_SHARE", "")
    if not text:
        return 0, 1
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"PATROLI_PORT_SHARE must be i/n (e.g. 0/2), not {text!r}") from None
    if not 0 <= index < count:
        raise ValueError(f"PATROLI_PORT_SHARE {text!r}: i must be at least 0 and below n")
    return index, count


def start(
    env: dict[str, str],
    log_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int,
    workers: int = 1,
    threads: int | None = None,
    timeout_s: float = 60.0,
    die_with_parent: bool = False,
) -> subprocess.Popen:
    """Start ``patroli serve`` in a session of its own; return once it answers ``/healthz``.

    Whatever the server runs (gunicorn and its workers, or another server),
    it all stays in that session's process group, so ``stop`` and ``kill``
    end every process of it. ``die_with_parent`` has Linux send the server
    SIGTERM if this process dies without stopping it (SIGKILL leaves no
    chance to clean up).
    """
    cmd = [sys.executable, "-m", "patroli", "serve", "--host", host, "--port", str(port)]
    cmd += ["--workers", str(workers)]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    with open(log_path, "ab") as log:
        # The child keeps its own descriptor of the log; ours can close.
        proc = subprocess.Popen(
            cmd,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
            preexec_fn=_parent_death_signal(os.getpid()) if die_with_parent else None,
        )
    try:
        _wait_healthy(proc, f"http://{host}:{port}/healthz", timeout_s, log_path)
    except BaseException:
        # Also on Ctrl-C or a signal while waiting: the caller never got the
        # process, so nobody else would stop it.
        stop(proc)
        raise
    return proc


def _wait_healthy(proc: subprocess.Popen, url: str, timeout_s: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDidNotStart(f"The server stopped at start; see {log_path}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            # Not up yet, or up but slow on a busy machine: ask again until the deadline.
            pass
        time.sleep(0.1)
    raise ServerDidNotStart(f"The server did not answer in {timeout_s:.0f} s; see {log_path}")


def _parent_death_signal(parent: int) -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when ``parent`` dies."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None  # not Linux: stop() on exit is all there is

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return hook


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    """Send ``sig`` to every process of the server's group (workers, helpers)."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the server's whole group (a power cut, as far as it knows)."""
    # Only while the leader is unreaped (a zombie at worst): until then its
    # pid is surely still this group's id and no other process's.
    if proc.returncode is None:
        _signal_group(proc, signal.SIGKILL)
        proc.wait(timeout=10)


def stop(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    """Stop the server gracefully (SIGTERM), or kill it after ``grace_s``; leave nothing behind."""
    if proc.returncode is not None:
        return
    _signal_group(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        kill(proc)
    # A member that outlived its leader keeps the group, and with it the
    # group id, alive; right after the leader is reaped this reaches only
    # such leftovers (or nobody).
    _signal_group(proc, signal.SIGKILL)
