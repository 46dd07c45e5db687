"""Running the app: gunicorn processes, waitress buffering, access log, waitress's own errors."""
