"""Benchmarks of Patroli against a real server on 127.0.0.1 (``python -m bench``)."""
