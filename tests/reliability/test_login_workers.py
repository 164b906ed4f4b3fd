"""The documented login limits hold with 4 gunicorn workers (the default `make run` set-up)."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from sqlalchemy import select

from tests.factories import make_site, make_user
from tests.servers import gunicorn
from tracker.extensions import db
from tracker.models import LoginFailure

ATTEMPTS = 15
LIMIT = 10  # LOGIN_RATE_LIMIT's default: 10 per minute per account


def _form(http: requests.Session, base: str) -> str:
    page = http.get(f"{base}/login", timeout=30).text
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match
    return match.group(1)


def _wait_for_a_fresh_minute() -> None:
    """The counting window is the clock minute: start well inside one, not at its end."""
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)


@pytest.mark.slow
def test_parallel_failures_for_one_account_stop_at_the_limit_across_workers(app, database_uri):
    user = make_user(sites=[make_site()])
    db.session.remove()
    with gunicorn(database_uri, workers=4) as base:
        browsers = [requests.Session() for _ in range(ATTEMPTS)]
        tokens = [_form(http, base) for http in browsers]
        start = threading.Barrier(ATTEMPTS)

        def attempt(n: int) -> requests.Response:
            start.wait()
            return browsers[n].post(
                f"{base}/login",
                data={"email": user.email, "password": "wrong password!", "csrf_token": tokens[n]},
                allow_redirects=False,
                timeout=60,
            )

        _wait_for_a_fresh_minute()
        with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
            responses = list(pool.map(attempt, range(ATTEMPTS)))
        for http in browsers:
            http.close()
    statuses = sorted(r.status_code for r in responses)
    # A 401 is an attempt whose password was checked; the rest were refused before that.
    assert statuses == [401] * LIMIT + [429] * (ATTEMPTS - LIMIT), statuses
    for response in responses:
        if response.status_code == 429:
            assert 1 <= int(response.headers["Retry-After"]) <= 60
    count = db.session.scalar(select(LoginFailure.count).where(LoginFailure.kind == "account"))
    assert count == ATTEMPTS
