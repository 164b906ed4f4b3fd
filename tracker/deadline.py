"""A deadline on every wait for PostgreSQL, so a frozen server gets a 503, not a hung worker.

Against a server that stopped answering (SIGSTOP, a hung VM, a dead network path) nothing on
the server side fires: statement_timeout, tcp_user_timeout and TCP keepalives all wait on the
server (STACK.md). Two things do: libpq's connect_timeout (set on the engine) and an alarm in
this process. So each psycopg wait on the server (a statement, a fetch, a commit, a rollback,
the pool's ping, a new connection) is armed with `signal.setitimer`; when it rings, the
connection is closed and psycopg's OperationalError raised, which SQLAlchemy reads as a
disconnect: it invalidates the connection (and the pool's older ones), and errors.py answers
503 with Retry-After. The rest of that request's database work fails at once; the next request
tries again, so the app recovers by itself when the server does.

Signals reach only the main thread, so the deadline is armed only for a request served there
(a gunicorn sync worker) and only when DB_REQUEST_DEADLINE is on; in threaded servers, tests
and the CLI it does nothing. The budget is per wait, not per request: an import or an export
may take minutes, as long as the database answers each step within DB_TIMEOUT_SECONDS + 1
(the extra second lets the server's own statement_timeout cancel a slow query cleanly first).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

import psycopg
from flask import Flask, current_app

from tracker.errors import ServiceUnavailable


class DatabaseTimeout(ServiceUnavailable):
    """The alarm rang while waiting for the database (raised from the signal handler)."""


class _Deadline:
    """The deadline of the request being served in the main thread (one per process)."""

    seconds: float = 0.0  # 0: off
    waiting: bool = False
    expired: bool = False


_state = _Deadline()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _ring(signum: int, frame: Any) -> None:
    if _state.waiting:
        raise DatabaseTimeout(f"The database did not answer within {_state.seconds:g} s.")


@contextlib.contextmanager
def _waiting(connection: psycopg.Connection[Any] | None) -> Iterator[None]:
    """Arm the alarm around one wait on the server; close the connection if it rings."""
    if not _state.seconds or _state.waiting or not _in_main_thread():
        yield
        return
    if _state.expired:
        if connection is not None:
            connection.close()  # read as a disconnect, so the pool does not try it again now
        raise psycopg.OperationalError("The database did not answer earlier in this request.")
    _state.waiting = True
    signal.setitimer(signal.ITIMER_REAL, _state.seconds)
    try:
        yield
    except DatabaseTimeout as exc:
        _state.expired = True
        if connection is not None:
            connection.close()  # its socket is mid-message with a server that went silent
        raise psycopg.OperationalError(exc.detail) from None
    finally:
        _state.waiting = False
        signal.setitimer(signal.ITIMER_REAL, 0)


class DeadlineConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait on the server runs under the request's deadline."""

    def wait(self, gen: Any, *args: Any, **kwargs: Any) -> Any:
        with _waiting(self):
            return super().wait(gen, *args, **kwargs)

    @classmethod
    def connect(cls, *args: Any, **kwargs: Any) -> Any:
        with _waiting(None):
            return super().connect(*args, **kwargs)


def connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> DeadlineConnection:
    """SQLAlchemy's do_connect hook: make the engine's connections DeadlineConnections."""
    return DeadlineConnection.connect(*cargs, **cparams)


def _start() -> None:
    if not current_app.config.get("DB_REQUEST_DEADLINE"):
        return
    if not _in_main_thread():
        return
    if signal.getsignal(signal.SIGALRM) is not _ring:
        signal.signal(signal.SIGALRM, _ring)
    _state.seconds = float(current_app.config["DB_TIMEOUT_SECONDS"]) + 1
    _state.waiting = _state.expired = False


def _end(exc: BaseException | None = None) -> None:
    if _in_main_thread() and _state.seconds:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _state.seconds = 0.0
        _state.waiting = _state.expired = False


def init_app(app: Flask) -> None:
    """Arm per request; disarm after the app context's last teardown (the session's rollback).

    Call before db.init_app: teardown_appcontext functions run in reverse order, so `_end`
    runs after Flask-SQLAlchemy has returned the request's connections to the pool.
    """
    app.before_request(_start)
    app.teardown_appcontext(_end)
