"""The ``blob-cleanup`` job: drop abandoned partial uploads, report unreferenced blobs.

Unreferenced blobs are reported, never deleted: a device uploads a photo
before it pushes the op that attaches it, so a fresh blob is unreferenced
for a while, and a blob is evidence.  Deleting one is an operator's call.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask

from server.infra.blob_files import store_for
from server.infra.db import db
from server.jobs.registry import job_of
from server.reports import blob_refs

log = logging.getLogger("patroli.blobs")
_LISTED = 20


def blob_cleanup(app: Flask) -> dict[str, Any]:
    """Remove partial uploads idle past PATROLI_PARTIAL_UPLOAD_TTL_HOURS; count orphan blobs."""
    store = store_for(app)
    ttl_s = int(app.config.get("PATROLI_PARTIAL_UPLOAD_TTL_HOURS", 48)) * 3600
    cutoff = time.time() - ttl_s
    removed = removed_bytes = 0
    for partial in list(store.iter_partials()):
        if partial.updated_at < cutoff and store.discard_partial(partial.sha256):
            removed += 1
            removed_bytes += partial.offset
    temp_removed = store.remove_stale_temp(cutoff)
    blobs = dict(store.iter_blobs())
    with db.engine.connect() as conn:
        used = blob_refs.referenced(conn, blobs)
    orphans = sorted(set(blobs) - used)
    if orphans:
        log.warning(
            "%d stored blob(s) (%d bytes) are referenced by no report, e.g. %s",
            len(orphans),
            sum(blobs[h] for h in orphans),
            ", ".join(orphans[:_LISTED]),
        )
    return {
        "partials_removed": removed,
        "partial_bytes_removed": removed_bytes,
        "temp_files_removed": temp_removed,
        "blobs": len(blobs),
        "unreferenced_blobs": len(orphans),
        "unreferenced_bytes": sum(blobs[h] for h in orphans),
    }


JOB = job_of(
    blob_cleanup, name="blob-cleanup", interval_key="PATROLI_JOB_BLOB_CLEANUP_S", default_s=3600
)
