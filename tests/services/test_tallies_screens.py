"""What the entry form and the history read: totals of the day, entries, corrections."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import actor, make_item, make_lot, make_site, make_user
from tracker.dates import today
from tracker.errors import Forbidden
from tracker.services import naloxone, stock, tallies


@pytest.fixture
def world(app):
    site = make_site("OSL-MO")
    syringes = make_item("SPR-2", "syringe")
    make_item("FOLIE", "foil")
    user = make_user("staff", [site])
    return site, syringes, user


def enter(user, site, item, quantity, contacts=1, day=None):
    return tallies.create_tally(
        actor(user),
        site_code=site.code,
        entry_date=day or today(),
        contacts=contacts,
        lines=[{"item": item.code, "quantity": quantity}],
    )


def test_the_entry_screen_adds_up_the_day(world):
    site, syringes, user = world
    enter(user, site, syringes, 10, contacts=2)
    enter(user, site, syringes, 5, contacts=1)
    enter(user, site, syringes, 99, day=today() - timedelta(days=1))
    screen = tallies.entry_screen(actor(user), site.code, today())
    assert screen.totals == {syringes.id: 15}
    assert screen.contacts == 3
    assert len(screen.entries) == 2
    assert [c for c, _ in screen.groups] == ["syringe", "foil"]


def test_a_receipt_from_another_site_is_not_shown(world):
    site, syringes, user = world
    other = make_site("OSL-SPR")
    elsewhere = enter(make_user("staff", [other]), other, syringes, 3)
    screen = tallies.entry_screen(actor(user), site.code, today(), elsewhere.id)
    assert screen.receipt is None


def test_history_lists_corrections_and_deleted_entries(world):
    site, syringes, user = world
    kept = enter(user, site, syringes, 10)
    gone = enter(user, site, syringes, 4)
    tallies.update_tally(
        actor(user), kept.id, changes={"lines": [{"item": syringes.code, "quantity": 12}]}
    )
    tallies.delete_tally(actor(user), gone.id)
    found = tallies.history(actor(user), site.code, today() - timedelta(days=1), today())
    ((day, entries),) = found.days
    assert day == today()
    assert {e.id for e in entries} == {kept.id, gone.id}
    assert [m.quantity for m in found.corrections[kept.id]] == [-2]
    assert [m.quantity for m in found.corrections[gone.id]] == [4]
    assert found.names[user.id] == user.name


def test_history_of_another_site_is_forbidden(world):
    _site, _syringes, user = world
    other = make_site("BGO-MO", "4601")
    with pytest.raises(Forbidden):
        tallies.history(actor(user), other.code, today(), today())


def test_the_lot_picker_offers_the_sites_unexpired_lots_soonest_first(world):
    site, _syringes, user = world
    item = make_item("NAL", "naloxone")
    for number, days in (("LATE", 200), ("SOON", 20)):
        stock.receive(
            actor(user),
            site_code=site.code,
            received_on=today(),
            lines=[
                {
                    "item": item.code,
                    "quantity": 3,
                    "lot": number,
                    "expiry": today() + timedelta(days=days),
                }
            ],
        )
    make_lot(item, "OLD", today() - timedelta(days=1))
    make_lot(item, "ELSEWHERE", today() + timedelta(days=5))  # not held at this site
    lots = naloxone.site_lots(site.id, item, today())
    # The site's own lots first, soonest first; a lot never held here comes last, without a
    # quantity, so it is never the default pick (issue 23); the expired lot is not offered.
    assert [(lot.lot_number, qty) for lot, qty in lots] == [
        ("SOON", 3),
        ("LATE", 3),
        ("ELSEWHERE", None),
    ]


def test_without_stock_every_unexpired_lot_is_offered(world):
    site, _syringes, _user = world
    item = make_item("NAL", "naloxone")
    make_lot(item, "B", today() + timedelta(days=50))
    make_lot(item, "A", today() + timedelta(days=10))
    make_lot(item, "OLD", today() - timedelta(days=1))
    lots = naloxone.site_lots(site.id, item, today())
    assert [lot.lot_number for lot, _ in lots] == ["A", "B"]


def test_history_includes_naloxone_handouts_with_who(world):
    site, _syringes, user = world
    make_item("NAL", "naloxone")
    handout = naloxone.hand_out(
        actor(user),
        site_code=site.code,
        handed_out_on=today(),
        quantity=2,
        recipient_group="pwud",
        first_time=True,
        training_given=False,
    )
    found = tallies.history(actor(user), site.code, today(), today())
    assert found.days == [(today(), [])]
    assert found.handouts[today()] == [handout]
    assert found.names[user.id] == user.name
