"""Per-worker cache of site and item rows for the entry path (tally POSTs).

Every tally POST needs its site and its items (active? naloxone? tracks lots?). They change
rarely, so each worker process keeps the column values of the rows it has read, by code, for
`TTL` seconds, and puts them back into the request's session without a query.

Staleness bound: a change committed through this process (any ORM flush of a Site or Item,
e.g. `update_site`, `update_item`) empties the cache at once. A change committed by another
worker process (gunicorn runs 4) is seen there at the latest `TTL` seconds later: a site or
item deactivated now may still take entries in another worker for up to `TTL` seconds, the
same kind of window as an entry already in flight when the deactivation commits. Unknown
codes are never cached (a new site or item is found at once). Keys include the database URL.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached

from tracker.extensions import db
from tracker.models import Item, Site

TTL = 2.0  # seconds; the staleness bound across worker processes
CACHED = (Site, Item)

M = TypeVar("M", Site, Item)

_now = time.monotonic  # the clock; tests move it
_rows: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}


def clear() -> None:
    _rows.clear()


def _columns(model: type) -> list[str]:
    return [column.key for column in inspect(model).column_attrs]


_COLUMNS = {model: _columns(model) for model in CACHED}


def lookup(model: type[M], codes: Iterable[str]) -> dict[str, M]:
    """The rows of `model` with these codes, persistent in the session; unknown codes absent."""
    now = _now()
    url = str(db.engine.url)
    session = db.session()
    found: dict[str, M] = {}
    missing = []
    for code in codes:
        hit = _rows.get((url, model.__name__, code))
        if hit is None or now - hit[0] >= TTL:
            missing.append(code)
            continue
        found[code] = _attach(session, model, hit[1])
    if missing:
        for row in session.scalars(select(model).where(model.code.in_(missing))):
            values = {name: getattr(row, name) for name in _COLUMNS[model]}
            _rows[(url, model.__name__, row.code)] = (now, values)
            found[row.code] = row
    return found


def _attach(session: Session, model: type[M], values: dict[str, Any]) -> M:
    """The session's own object for this row if it has one, else the cached values attached."""
    present = session.identity_map.get((model, (values["id"],), None))
    if present is not None:
        return present  # type: ignore[return-value]
    row = model(**values)
    make_transient_to_detached(row)  # as if freshly loaded: no pending changes
    session.add(row)
    return row


def _touches_cached(session: Session) -> bool:
    changed = (session.new, session.dirty, session.deleted)
    return any(isinstance(obj, CACHED) for objs in changed for obj in objs)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _touches_cached(session):
        session.info["facts_changed"] = True
        clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    # Again after the commit: another request of this process may have refilled the cache
    # between the flush and the commit with the old values (threads, tests).
    if session.info.pop("facts_changed", False):
        clear()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("facts_changed", None)
