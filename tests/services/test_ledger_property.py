"""Property: any sequence of receipts, tallies, edits and deletes keeps balance = sum of ledger."""

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.factories import make_item, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Item, StockBalance
from tracker.services import ledger, ledger_check, stock, tallies
from tracker.services.access import Actor

ITEMS = ("SPR-2", "KAN-23", "FOLIE")
quantities = st.integers(min_value=0, max_value=500)
lines = st.dictionaries(st.sampled_from(ITEMS), quantities, min_size=1, max_size=3)
operation = st.one_of(
    st.tuples(st.just("receive"), st.sampled_from(ITEMS), st.integers(1, 1000)),
    st.tuples(st.just("tally"), lines, st.integers(0, 5)),
    st.tuples(st.just("edit"), st.integers(0, 20), lines),
    st.tuples(st.just("delete"), st.integers(0, 20)),
)
_sites = itertools.count(1)


def _as_lines(quantities_by_item):
    return [{"item": code, "quantity": q} for code, q in quantities_by_item.items()]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=12))
def test_any_sequence_keeps_every_balance_equal_to_its_ledger(app, operations):
    for code in ITEMS:  # hypothesis runs many examples inside one test: create items once
        if db.session.scalar(select(Item.id).where(Item.code == code)) is None:
            make_item(code, "foil" if code == "FOLIE" else "syringe")
    site = make_site(f"PROP-{next(_sites)}")
    actor = Actor(make_user("staff", [site]))
    expected = dict.fromkeys(ITEMS, 0)
    live: list[tuple[int, dict[str, int]]] = []
    day = today() - timedelta(days=1)
    for op in operations:
        if op[0] == "receive":
            stock.receive(
                actor,
                site_code=site.code,
                received_on=day,
                lines=[{"item": op[1], "quantity": op[2]}],
            )
            expected[op[1]] += op[2]
        elif op[0] == "tally":
            if not any(op[1].values()) and op[2] == 0:
                continue
            tally = tallies.create_tally(
                actor, site_code=site.code, entry_date=day, contacts=op[2], lines=_as_lines(op[1])
            )
            live.append((tally.id, op[1]))
            for code, q in op[1].items():
                expected[code] -= q
        elif op[0] == "edit" and live:
            tally_id, old = live[op[1] % len(live)]
            if not any(op[2].values()):
                continue
            tallies.update_tally(actor, tally_id, changes={"lines": _as_lines(op[2])})
            for code in ITEMS:
                expected[code] += old.get(code, 0) - op[2].get(code, 0)
            live[op[1] % len(live)] = (tally_id, op[2])
        elif op[0] == "delete" and live:
            tally_id, old = live.pop(op[1] % len(live))
            tallies.delete_tally(actor, tally_id)
            for code, q in old.items():
                expected[code] += q
    balances = {
        b.item.code: b.quantity
        for b in db.session.scalars(select(StockBalance).where(StockBalance.site_id == site.id))
    }
    assert {code: balances.get(code, 0) for code in ITEMS} == expected
    assert ledger_check.verify() == []


def test_a_batch_bigger_than_one_statement_allows_is_posted_whole(app):
    """Over 65 535 bound values (PostgreSQL's limit per statement) in one post still lands."""
    from sqlalchemy import func

    from tracker.models import StockMovement

    site, item = make_site("BIG"), make_item("SPR")
    actor = Actor(make_user("admin"))
    db.session.commit()
    moves = [ledger.Move(site.id, item.id, None, "receipt", 1, today()) for _ in range(4000)]
    ids = ledger.post(actor, moves)
    db.session.commit()
    assert len(ids) == 4000
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 4000
    assert ledger_check.verify() == []
