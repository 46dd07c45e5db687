"""Many devices, random offline periods, concurrent edits of shared reports → convergence."""

from __future__ import annotations

import random
from pathlib import Path

from tests.convergence import Convergence, Fleet
from tests.live import live_server

FLEET = Fleet(
    posts={"NNK": [f"ofc.n{i}" for i in range(10)], "DUM": [f"ofc.d{i}" for i in range(2)]},
    shared={"NNK": 4, "DUM": 2},
    rounds=6,
)


def test_devices_converge_and_nothing_is_lost(tmp_path: Path, backend: str) -> None:
    """12 devices, 6 rounds of random offline edits: all equal the server, no value dropped."""
    with live_server(tmp_path, backend, FLEET.posts) as server:
        run = Convergence(
            server=server, directory=tmp_path, fleet=FLEET, rng=random.Random(20261123)
        )
        verdict = run.run()
    assert verdict.divergent == [] and verdict.duplicated == [] and verdict.lost == []
    assert verdict.edits > 50 and verdict.sent > verdict.edits / 2
    assert verdict.conflicted > 0
