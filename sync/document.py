"""The full report document (DESIGN §2): every field, always, in one order.

A document holds only the units that were ever sent, so a report created
without actions has no ``actions`` key in its stored units.  Whoever reads
a document (a phone, a script, the commander's pages) must not have to know
that: wherever a document is served or stored it goes through ``full``, and
carries every field, with empty maps as ``{}``, ``retracted`` as ``false``
and every other unset value as ``null``.  Documents stored by older
versions are made full the same way when they are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from sync.units import MAP_FIELDS

#: The device-writable fields, in the order DESIGN §2 shows them.
DEVICE_ORDER = (
    "post",
    "kind",
    "occurred_at",
    "ended_at",
    "location",
    "route",
    "title",
    "narrative",
    "modus",
    "destination_country",
    "agencies",
    "audience_size",
    "topics",
    "persons",
    "vehicles",
    "actions",
    "attachments",
    "retracted",
    "retract_reason",
)

#: The server-owned fields, last.
SERVER_ORDER = ("author", "device_id", "created_at", "received_at", "review", "rev")

#: Every key of a full document, in order.
FIELDS = ("id", *DEVICE_ORDER, *SERVER_ORDER)

_MAPS = frozenset(MAP_FIELDS)


#: A document's element maps, as a tuple.
_map_values = itemgetter(*MAP_FIELDS)


def full(doc: Mapping[str, Any]) -> dict[str, Any]:
    """``doc`` with exactly the keys of ``FIELDS``, in that order, absent ones filled in.

    Element maps are shared with ``doc``, not copied.  No other key exists in
    a document (units outside ``DEVICE_FIELDS`` are refused), so none is lost.
    """
    if tuple(doc) == FIELDS and doc["retracted"] is not None and None not in _map_values(doc):
        # Already full, as every served document is: a device taking in a
        # post's 50,000 reports calls this for each of them.
        return dict(doc)
    out: dict[str, Any] = {}
    for name in FIELDS:
        value = doc.get(name)
        if value is None:
            if name in _MAPS:
                value = {}
            elif name == "retracted":
                value = False
        out[name] = value
    return out
