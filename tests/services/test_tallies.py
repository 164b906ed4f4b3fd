"""Changing an entry: from the committed state, once, and only the version the client read."""

import threading

import pytest
from sqlalchemy import func, select

from tests.factories import actor, make_item, make_site, make_user
from tracker.dates import today
from tracker.errors import Conflict, PreconditionFailed
from tracker.extensions import db
from tracker.models import StockMovement, TallyEntry
from tracker.services import ledger_check, tallies


@pytest.fixture
def entry(app):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    staff = actor(make_user("staff", [site]))
    tally = tallies.create_tally(
        staff,
        site_code=site.code,
        entry_date=today(),
        contacts=5,
        lines=[{"item": "SPR-2", "quantity": 40}],
    )
    return staff, tally.id


def _syringes(quantity: int) -> dict:
    return {"lines": [{"item": "SPR-2", "quantity": quantity}]}


def _handed_out(tally_id: int) -> int:
    """What the ledger says the entry handed out: minus the sum of its movements."""
    return -db.session.scalar(
        select(func.sum(StockMovement.quantity)).where(StockMovement.tally_id == tally_id)
    )


def _elsewhere(app, call) -> None:
    """Run a service call as another request would: its own thread, context and session."""

    def run() -> None:
        with app.app_context():
            call()
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_an_edit_corrects_from_the_committed_lines_not_a_stale_copy(app, entry):
    staff, tally_id = entry
    stale = tallies.get_tally(staff, tally_id)
    assert [line.quantity for line in stale.lines] == [40]  # loaded, as the edit page does
    db.session.commit()  # the page's read ends; the loaded rows stay in the session
    _elsewhere(app, lambda: tallies.update_tally(staff, tally_id, changes=_syringes(30)))

    tally = tallies.update_tally(staff, tally_id, changes=_syringes(50))
    assert [line.quantity for line in tally.lines] == [50]
    assert tally.version == 3
    assert _handed_out(tally_id) == 50  # 40, corrected by -10 and then by +20
    assert ledger_check.verify() == []


def test_a_delete_after_a_delete_elsewhere_is_refused_and_reverses_nothing(app, entry):
    staff, tally_id = entry
    tallies.get_tally(staff, tally_id).lines  # noqa: B018 - loaded before the race
    db.session.commit()
    _elsewhere(app, lambda: tallies.delete_tally(staff, tally_id))

    with pytest.raises(Conflict, match="allerede slettet"):
        tallies.delete_tally(staff, tally_id)
    with pytest.raises(Conflict, match="allerede slettet"):
        tallies.update_tally(staff, tally_id, changes={"contacts": 1})
    assert _handed_out(tally_id) == 0
    assert ledger_check.verify() == []


def test_a_stale_expected_version_is_refused_and_changes_nothing(app, entry):
    staff, tally_id = entry
    tallies.update_tally(staff, tally_id, changes={"contacts": 6})
    for call in (
        lambda: tallies.update_tally(staff, tally_id, changes=_syringes(1), expected={1}),
        lambda: tallies.delete_tally(staff, tally_id, expected={1}),
        lambda: tallies.delete_tally(staff, tally_id, expected=set()),
    ):
        with pytest.raises(PreconditionFailed, match="versjon 2"):
            call()
    db.session.expire_all()
    tally = db.session.get(TallyEntry, tally_id)
    assert (tally.version, tally.contacts, tally.deleted_at) == (2, 6, None)
    assert _handed_out(tally_id) == 40


def test_the_expected_version_lets_the_change_through(app, entry):
    staff, tally_id = entry
    tally = tallies.update_tally(staff, tally_id, changes=_syringes(10), expected={1})
    assert tally.version == 2
    tally = tallies.delete_tally(staff, tally_id, expected={2})
    assert (tally.version, tally.deleted_at is not None) == (3, True)
    assert _handed_out(tally_id) == 0
    assert ledger_check.verify() == []
