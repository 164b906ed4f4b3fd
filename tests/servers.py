"""Real servers for tests: gunicorn with several workers on the test database."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(
    database_uri: str, workers: int = 4, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Serve wsgi:app with gunicorn (preloaded, post_fork dispose) and yield its base URL."""
    port = free_port()
    env = {
        **os.environ,
        # Two busy cores under a test run: a lock wait must not hit the production 5 s limit.
        "DB_TIMEOUT_SECONDS": os.environ.get("DB_TIMEOUT_SECONDS", "60"),
        **(env or {}),
        "DATABASE_URL": database_uri,
        "SECRET_KEY": "test-secret-key",
        "WEB_CONCURRENCY": str(workers),
        "BIND": f"127.0.0.1:{port}",
    }
    binary = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(binary), "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{base}/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "gunicorn did not start: "
                    + (process.stderr.read().decode()[-2000:] if process.stderr else "")
                )
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


class FreezableProxy:
    """A TCP proxy to a server that a test can freeze (no byte passes either way) and thaw.

    Frozen, it behaves like a SIGSTOPped server: connections are accepted (the kernel would
    accept them too) and requests are sent, but nothing comes back.
    """

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._flowing = threading.Event()
        self._flowing.set()
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def freeze(self) -> None:
        self._flowing.clear()

    def thaw(self) -> None:
        self._flowing.set()

    def close(self) -> None:
        self._closed.set()
        self._flowing.set()
        self._listener.close()

    def __enter__(self) -> FreezableProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            server = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            client.close()
            return
        peer = {client: server, server: client}
        try:
            while not self._closed.is_set():
                if not self._flowing.wait(0.1):
                    continue
                readable, _, _ = select.select(list(peer), [], [], 0.1)
                for sock in readable:
                    if not self._flowing.is_set():
                        break  # frozen since select: hold the bytes
                    data = sock.recv(65536)
                    if not data:
                        return
                    peer[sock].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()
