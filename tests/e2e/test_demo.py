"""``patroli demo`` runs its whole tour against a real server and reports a conflict."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


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
    assert "did not answer" in out  # the simulated lost link
    assert "approved" in out and "password patroli-demo" in out
    assert out.count(" ok ") >= 6  # every device's last sync completed
    assert (tmp_path / "demo" / "patroli.sqlite3").exists()
    # The field app's address and a working enrollment link for a phone.
    assert re.search(r"Field app for officers: http://127\.0\.0\.1:\d+/field/", out)
    assert re.search(r"http://127\.0\.0\.1:\d+/field/#enroll=[0-9A-Z]{12}", out)
    assert "▀" in out or "▄" in out  # the QR code, drawn with half blocks
