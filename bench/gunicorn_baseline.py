"""gunicorn settings for the baseline app: the tracker's layout, its own engine disposal."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8001")
workers = int(os.environ.get("WEB_CONCURRENCY", 4))
worker_class = "sync"
preload_app = True
accesslog = None
control_socket_disable = True


def post_fork(server, worker):
    worker.app.wsgi().extensions["engine"].dispose(close=False)
