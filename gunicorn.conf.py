"""gunicorn settings; `make run` and deployments use this file."""
import multiprocessing
import os

bind = os.environ.get("FREEZER_API_BIND", "127.0.0.1:9090")
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
timeout = 30
graceful_timeout = 30
