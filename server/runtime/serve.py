"""Running the app from ``patroli serve``: gunicorn's processes, waitress's buffering.

gunicorn's master manages the worker processes (start, restart, signals);
each worker serves with waitress (server.runtime.buffering_worker), which holds a
request back from the app's threads until all of it has arrived.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from gunicorn.app.base import BaseApplication

from server import create_app
from server.runtime.buffering_worker import BufferingWorker

log = logging.getLogger("patroli.serve")


class PatroliServer(BaseApplication):  # type: ignore[misc]
    """A gunicorn application whose workers each build their own Flask app."""

    def __init__(self, options: dict[str, Any], app_config: dict[str, Any] | None = None):
        self.options = options
        self.app_config = app_config
        super().__init__()

    def load_config(self) -> None:
        """Hand our options to gunicorn."""
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key.lower(), value)

    def load(self) -> Any:
        """Build the Flask app inside the worker, after the fork."""
        app = create_app(self.app_config)
        # Everything loaded so far (modules, schemas, country tables) lives
        # as long as the worker: keep it out of the cyclic garbage
        # collector's scans, which otherwise cost a request ~15%.
        gc.collect()
        gc.freeze()
        return app


def _post_worker_init(worker: Any) -> None:
    # Each worker runs the scheduler; the jobs' database lease makes every
    # job run once per interval however many workers and hosts there are.
    from server.jobs.catalog import default_registry

    if worker.wsgi.config.get("PATROLI_SCHEDULER", True):
        # The worker's scheduler owns the registry for the worker's lifetime.
        default_registry().start_scheduler(worker.wsgi)


def serve(
    host: str, port: int, workers: int, threads: int, app_config: dict[str, Any] | None = None
) -> None:
    """Serve until stopped; logs go to stderr."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": BufferingWorker,
        "errorlog": "-",
        "loglevel": "info",
        # A worker's loop beats every second whatever its requests do; one
        # silent this long is stuck and is replaced.
        "timeout": 120,
        "graceful_timeout": 10,
        "post_worker_init": _post_worker_init,
        # gunicorn >= 25.1 opens one control socket per user at a fixed
        # path; several servers on one host (or a test cluster) would take
        # it from each other. Nothing of Patroli uses it.
        "control_socket_disable": True,
    }
    log.info(
        "serving on http://%s:%s with %d worker(s) x %d thread(s)", host, port, workers, threads
    )
    PatroliServer(options, app_config).run()
