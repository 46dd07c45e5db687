"""The Patroli protocol heart: HLC, document units, merge rules, wire schemas.

Nothing here imports Flask or a database; ``server`` and ``client_sqlite``
both build on it.
"""

PROTOCOL_VERSION = 1
