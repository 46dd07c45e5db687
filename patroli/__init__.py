"""The ``patroli`` command: server, field client and demo in one console script."""
