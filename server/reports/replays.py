"""The answer to an op already applied, and what a device cannot know of its result.

A replayed ``op_id`` gets the stored result back and changes nothing; an
``op_id`` another device already used is refused and reveals nothing of that
device's op (idempotency keys belong to the device that sent them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.reports import document as documents
from server.reports import store
from server.reports.push_checks import result_of
from sync import merge as sync_merge

FOREIGN_OP_ERROR = {
    "op_id": ["was already used by another device; send the change with a new op_id"]
}


@dataclass(frozen=True)
class Done:
    """An op already applied: the device that sent it and the result it got."""

    device_id: str
    result: dict[str, Any]


def answer_done(change: dict[str, Any], done: Done, device_id: str) -> dict[str, Any]:
    """The answer to an op_id seen before: a replay for its own device only.

    The op record's key is the op_id alone, so another device's op cannot
    be recorded beside it: that op is refused (not recorded, so it is
    refused the same way each time it is sent) with nothing of the stored
    result in the answer, which belongs to another device, maybe another post.
    """
    if done.device_id != device_id:
        return result_of(change, sync_merge.REJECTED, None, errors=FOREIGN_OP_ERROR)
    return dict(done.result, replayed=True)


def settled_fields(state: store.ReportState) -> dict[str, Any]:
    """What a device cannot know of the document its applied op left: the
    server-owned fields and the post (settled on creation)."""
    return {**documents.server_fields(state.row), "post": state.post}
