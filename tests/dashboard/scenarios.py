"""Scenarios the dashboard tests share: conflicts and a spread of reports."""

from __future__ import annotations

from typing import Any

from tests.world import DeviceAPI, World, incident


def make_conflict(
    world: World, field: str = "narrative", kept: Any = "Seen at dawn.", lost: Any = "Seen at dusk."
) -> tuple[str, dict[str, Any]]:
    """Two NNK devices edit ``field`` of one report from the same revision.

    The second device's edit carries the higher HLC, so ``kept`` is its
    value and ``lost`` the first device's.  Returns the report id and the
    conflict record.
    """
    a, b = world.devices["ofc.nnk.1"], world.devices["ofc.nnk.2"]
    report_id, result = a.create()
    base = result["rev"]
    (first,) = a.push(a.op(report_id, {field: lost}, base_rev=base))
    assert first["status"] == "applied"
    later = max(a.clock.ms, b.clock.ms if b.clock else 0) + 1000
    (second,) = b.push(b.op(report_id, {field: kept}, base_rev=base, hlc=b.hlc(later)))
    assert second["status"] == "conflict", second
    (record,) = second["conflicts"]
    assert record["kept"] == kept and record["lost"] == lost
    return report_id, record


def create_many(device: DeviceAPI, specs: list[dict[str, Any]]) -> list[str]:
    """Create one incident per spec (fields overriding the default incident)."""
    return [device.create(incident(**spec))[0] for spec in specs]
