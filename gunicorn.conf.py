"""gunicorn settings: sync workers, app preloaded, each worker with its own connections."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 4))
worker_class = "sync"
preload_app = True
timeout = 60
graceful_timeout = 20
# The app writes one JSON line per request to stdout (tracker/requestlog.py), with a
# request id, user and site; gunicorn's own access log would only repeat it.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# gunicorn 27's control socket lives at one fixed path per user; several servers on one
# machine (tests, benchmarks) would fight over it, and we do not use it.
control_socket_disable = True


def post_fork(server, worker):
    """Forked workers must not share the parent's pooled connections (STACK.md)."""
    from tracker.extensions import db

    with worker.app.wsgi().app_context():
        db.engine.dispose(close=False)
