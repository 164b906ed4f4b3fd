"""The unit of work: services commit once here, with the idempotency record if any."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from tracker.errors import Conflict, ServiceUnavailable
from tracker.extensions import db
from tracker.models import IdempotencyKey

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class IdempotentReplay(Exception):
    """Another request with the same key committed first; replay its response."""


@dataclass
class Idempotency:
    """A claimed Idempotency-Key; `render` turns the service's result into (status, body)."""

    scope: str
    key: str
    request_hash: str
    render: Callable[[Any], tuple[int, Any]]
    stored: bool = False

    def store(self, result: Any) -> None:
        status, body = self.render(result)
        db.session.add(
            IdempotencyKey(
                scope=self.scope,
                key=self.key,
                request_hash=self.request_hash,
                status_code=status,
                response_body=json.dumps(body, sort_keys=True, default=str),
            )
        )
        self.stored = True


def request_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def find_idempotency(scope: str, key: str) -> IdempotencyKey | None:
    return db.session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
    )


def _conflict(idem: Idempotency | None, exc: IntegrityError) -> Exception:
    db.session.rollback()
    if idem is not None and find_idempotency(idem.scope, idem.key) is not None:
        return IdempotentReplay()
    return Conflict("The change conflicts with data saved at the same time; try again.")


def remember(idem: Idempotency | None, result: Any) -> None:
    """Write the idempotency record now, before the ledger's hot rows are locked.

    For services whose response is complete before `ledger.post` (a new tally): the record's
    INSERT then does not add a round trip while balance rows are locked. commit() skips it.
    """
    if idem is None:
        return
    db.session.flush()
    idem.store(result)
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise _conflict(idem, exc) from exc


def commit(idem: Idempotency | None = None, result: Any = None) -> None:
    """Commit the service's transaction; a duplicate idempotency key means replay."""
    if idem is not None and not idem.stored:
        db.session.flush()
        idem.store(result)
    try:
        db.session.commit()
    except IntegrityError as exc:
        raise _conflict(idem, exc) from exc


def service(fn: Callable[P, R]) -> Callable[P, R]:
    """Roll back everything the service did if it raises; map a lost database to 503."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except OperationalError as exc:
            db.session.rollback()
            raise ServiceUnavailable(
                _l("Databasen svarer ikke akkurat nå. Prøv igjen om litt.")
            ) from exc
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL


def get_by_id(model: type[T], object_id: int) -> T | None:
    """The row with this id, or None; an id beyond the column's range is simply not found
    (asking the database would be a driver error, not a 404)."""
    return db.session.get(model, object_id) if 0 < object_id <= MAX_ID else None


def locked(query: Select[Any]) -> Select[Any]:
    """The query's rows locked until commit, and read fresh from the database.

    A change to an existing row reads it through this (invariant 8): the row lock makes a
    racing change on PostgreSQL wait for this one's commit and then see its result; on
    SQLite the clause is left out and BEGIN IMMEDIATE has already serialised the writers.
    FOR NO KEY UPDATE, not FOR UPDATE: it does not block inserts whose foreign key points
    at the row (they take FOR KEY SHARE), so locking a user or a site does not hold up
    their entries. populate_existing overwrites what the session's identity map holds (a
    page may have loaded the row before calling the service), so checks and corrections
    start from the committed state, not from a stale copy.
    """
    return query.with_for_update(key_share=True).execution_options(populate_existing=True)


def lock_by_id(model: type[T], object_id: int, *options: Any) -> T | None:
    """The row with this id locked for this transaction and freshly read, or None."""
    if not 0 < object_id <= MAX_ID:
        return None
    query = select(model).where(model.id == object_id).options(*options)  # type: ignore[attr-defined]
    found: T | None = db.session.scalar(locked(query))
    return found


def insert_on_conflict(model: type) -> Any:
    """An INSERT that can say ON CONFLICT DO NOTHING, on PostgreSQL and SQLite alike.

    For a row two requests may create at once (a first reorder level, a new lot): insert
    if absent, then read (or lock) what is there; no IntegrityError, no 500.
    """
    dialect = db.session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(model)


def replayed(idem: Idempotency | None) -> None:
    """After taking a row lock: if a request with the same key committed meanwhile, replay it.

    The key is looked up before the service runs; a double tap racing on PostgreSQL finds
    none, waits on the lock, and only then can see the first tap's committed record.
    """
    if idem is not None and find_idempotency(idem.scope, idem.key) is not None:
        raise IdempotentReplay()


def parse_id(raw: str | None) -> int | None:
    """An id written in a URL, query string or session: ASCII digits in the id range, or None."""
    if raw is None or not (0 < len(raw) <= 10 and raw.isascii() and raw.isdigit()):
        return None
    value = int(raw)
    return value if 0 < value <= MAX_ID else None
