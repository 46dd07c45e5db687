"""Scheduled jobs: the registry and lease (``registry``), one module per job, ``catalog``."""
