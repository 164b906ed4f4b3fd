"""Logging in: failed attempts counted in the database per account and per client address.

Each attempt first adds one to both counters of the current window, atomically
(INSERT ... ON CONFLICT DO UPDATE SET count = count + 1 RETURNING count), and commits; over
either limit it is refused before the password is checked. A successful login takes its
one back, so only failures use up the limit. Every worker and host shares the counters, so
the limits hold with any number of them. Windows are fixed (e.g. each clock minute).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import limits
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update
from sqlalchemy.dialects import postgresql, sqlite

from tracker.errors import TooManyAttempts
from tracker.extensions import db
from tracker.models import LoginFailure, User
from tracker.models.base import utcnow
from tracker.privacy import redact_national_ids
from tracker.services import sessions, users
from tracker.services.unit import commit, service

# Rows of windows older than this are deleted (whenever a new window starts for some key).
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Counter:
    kind: str  # account | address
    key: str
    amount: int  # attempts allowed per window
    seconds: int  # the window

    def window(self, now: datetime) -> datetime:
        start = math.floor(now.timestamp() / self.seconds) * self.seconds
        return datetime.fromtimestamp(start, UTC)


def counters(email: str, address: str) -> list[Counter]:
    """The account's and the address's counter, with the configured limits."""
    account = limits.parse(current_app.config["LOGIN_RATE_LIMIT"])
    per_address = limits.parse(current_app.config["LOGIN_RATE_LIMIT_ADDRESS"])
    return [
        # What was typed as the email is kept for the window: never a national ID number.
        Counter(
            "account",
            redact_national_ids(email.strip().lower())[:254],
            account.amount,
            account.get_expiry(),
        ),
        Counter("address", address[:254], per_address.amount, per_address.get_expiry()),
    ]


def _upsert(counter: Counter, window: datetime):  # type: ignore[no-untyped-def]
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(LoginFailure).values(
        kind=counter.kind, key=counter.key, window_start=window, count=1
    )
    return statement.on_conflict_do_update(
        index_elements=["kind", "key", "window_start"],
        set_={"count": LoginFailure.count + 1},
    ).returning(LoginFailure.count)


@service
def reserve(counters: list[Counter]) -> None:
    """Count this attempt on every counter; over any limit, TooManyAttempts (committed)."""
    now = utcnow()
    retry_after = 0
    for counter in counters:
        window = counter.window(now)
        count = db.session.execute(_upsert(counter, window)).scalar_one()
        if count == 1:  # a new window: drop long-past ones (indexed, rare)
            db.session.execute(delete(LoginFailure).where(LoginFailure.window_start < now - KEEP))
        if count > counter.amount:
            wait = (window + timedelta(seconds=counter.seconds) - now).total_seconds()
            retry_after = max(retry_after, math.ceil(wait), 1)
    commit()
    if retry_after:
        raise TooManyAttempts(
            _l("For mange mislykkede innlogginger; prøv igjen senere."), retry_after
        )


@service
def release(counters: list[Counter]) -> None:
    """Take back a successful attempt: only failures count."""
    now = utcnow()
    for counter in counters:
        db.session.execute(
            update(LoginFailure)
            .where(
                LoginFailure.kind == counter.kind,
                LoginFailure.key == counter.key,
                LoginFailure.window_start == counter.window(now),
                LoginFailure.count > 0,
            )
            .values(count=LoginFailure.count - 1)
        )
    commit()


def log_in(email: str, password: str, address: str, max_age: timedelta) -> tuple[User, str] | None:
    """The user and a new session key for the right email and password, else None.

    Raises TooManyAttempts (before any password check) over the account's or the address's
    limit. An unknown email costs one password hash, as a known one does.
    """
    attempt = counters(email, address)
    reserve(attempt)
    user = users.find_login(email)
    db.session.commit()  # end the read: the slow hash below holds no lock or transaction
    right = users.verify_password(user, password)  # also for an unknown email (same cost)
    if user is None or not right:
        return None
    release(attempt)
    return user, sessions.start(user, max_age)
