"""The checked-in golden vectors still say what the Python sync code does.

The Node tests of the field app (tests/js) read the same file, so a change
to a sync rule that is not carried into the JavaScript fails one side.
"""

from __future__ import annotations

from tests.golden import sync_vectors


def test_vectors_match_the_python_code() -> None:
    assert sync_vectors.VECTORS.read_text(encoding="utf-8") == sync_vectors.render(), (
        "sync rules changed: run `python -m tests.golden.sync_vectors` and update "
        "server/static/field/js to match (the Node tests check it)"
    )


def test_vectors_cover_each_rule_family() -> None:
    vectors = sync_vectors.build()
    assert vectors["hlc"]["tick"] and vectors["hlc"]["receive"]
    assert any("errors" in case for case in vectors["units"]["expand"])
    states = {op["state"] for step in vectors["outbox"][0]["steps"] for op in step["outbox"]}
    assert states == {"pending", "in_flight", "rejected"}
    assert len({case["fit"] for case in vectors["batching"]["fit"]}) > 1
