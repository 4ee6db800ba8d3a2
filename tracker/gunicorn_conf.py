"""gunicorn's settings for production: `gunicorn -c python:tracker.gunicorn_conf wsgi:app`.

Each setting can be changed by the environment (the systemd unit's environment file) without editing
this file. Threads rather than many processes: pages wait on the database far more than they compute,
and each process holds its own connection pool and figure cache.
"""
import gc
import multiprocessing
import os

bind = os.environ.get("TRACKER_WEB_BIND", "127.0.0.1:8000")  # nginx in front; never exposed directly
workers = int(os.environ.get("TRACKER_WEB_WORKERS", min(4, multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("TRACKER_WEB_THREADS", 4))
worker_class = "gthread"
# An export of a 50,000-task plan takes a few seconds; a request still running after this is killed.
timeout = int(os.environ.get("TRACKER_WEB_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# A worker is replaced after this many requests (with jitter, so they don't all restart together).
max_requests = 2000
max_requests_jitter = 200
# nginx on the same host sets X-Forwarded-*; the app trusts them through TRACKER_PROXY_FIX=1.
forwarded_allow_ips = os.environ.get("TRACKER_FORWARDED_ALLOW_IPS", "127.0.0.1")
# Requests are logged by the app (one JSON line each, with the request id); gunicorn's own access log
# would say the same without it.
accesslog = None
errorlog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "tracker.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("TRACKER_LOG_LEVEL", "INFO")},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
                "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False}},
}


def post_worker_init(worker) -> None:
    """Move everything the worker holds once the app is loaded out of the cyclic collector's reach."""
    # Python's full (generation 2) collection walks every tracked object, and a loaded app holds some
    # 190,000 that live as long as the process (modules, routes, the ORM's mappers, the catalogues): about
    # 150 ms of pure overhead, paid by whichever request happens to allocate when it falls due. Frozen
    # objects are never walked (and a fork's copy-on-write pages stay shared). Not in create_app: tests
    # create many apps in one process, and the garbage of each would be kept for ever. Collect first, so no
    # garbage is frozen with them. The thresholds stay: raising them saved under 1% of a page in measurement.
    gc.collect()
    gc.freeze()
