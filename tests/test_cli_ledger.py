"""verify-ledger names every figure that disagrees with the ledger; --rebuild fixes the derived."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from tests.factories import actor, make_item, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ContactsDaily,
    DistributionDaily,
    DistributionMonthly,
    Site,
    StockBalance,
    TallyLine,
)
from tracker.services import counts, ledger_check, naloxone, stock, tallies, transfers


@dataclass
class World:
    kept: int  # a tally, changed once
    gone: int  # a deleted tally
    handout: int
    sent: int  # a transfer received short
    back: int  # a cancelled transfer
    count: int  # a closed stock count with a variance


@pytest.fixture
def world(app) -> World:
    """One of every write whose figures the check covers, all through their services."""
    make_site("OSL-MO")
    make_site("BGO-MO", "4601")
    make_item("SPR-2")
    make_item("NAL", "naloxone")
    admin = actor(make_user("admin"))
    day = today() - timedelta(days=1)
    expiry = today() + timedelta(days=300)
    stock.receive(
        admin,
        site_code="OSL-MO",
        received_on=day,
        lines=[
            {"item": "SPR-2", "quantity": 500},
            {"item": "NAL", "quantity": 20, "lot": "L1", "expiry": expiry},
        ],
    )
    kept = tallies.create_tally(
        admin,
        site_code="OSL-MO",
        entry_date=day,
        contacts=3,
        lines=[{"item": "SPR-2", "quantity": 40}],
    )
    tallies.update_tally(
        admin, kept.id, changes={"date": today(), "lines": [{"item": "SPR-2", "quantity": 30}]}
    )
    gone = tallies.create_tally(
        admin,
        site_code="OSL-MO",
        entry_date=day,
        contacts=1,
        lines=[{"item": "SPR-2", "quantity": 5}],
    )
    tallies.delete_tally(admin, gone.id)
    handout = naloxone.hand_out(
        admin,
        site_code="OSL-MO",
        handed_out_on=day,
        quantity=2,
        recipient_group="pwud",
        first_time=True,
        training_given=False,
    )
    sent = transfers.ship(
        admin,
        from_code="OSL-MO",
        to_code="BGO-MO",
        shipped_on=day,
        lines=[{"item": "SPR-2", "quantity": 50}, {"item": "NAL", "quantity": 4, "lot": "L1"}],
    )
    transfers.receive(
        admin,
        sent.id,
        received_on=today(),
        lines=[
            {"line_id": sent.lines[0].id, "quantity": 45},
            {"line_id": sent.lines[1].id, "quantity": 4},
        ],
    )
    back = transfers.ship(
        admin,
        from_code="OSL-MO",
        to_code="BGO-MO",
        shipped_on=day,
        lines=[{"item": "SPR-2", "quantity": 10}],
    )
    transfers.cancel(admin, back.id, reason="wrong site")
    count = counts.open_count(admin, site_code="BGO-MO", counted_on=today())
    counted = counts.set_lines(admin, count.id, [{"item": "SPR-2", "quantity": 40}])
    counts.close(admin, count.id, reasons={line.id: "lost" for line in counted.lines})
    return World(kept.id, gone.id, handout.id, sent.id, back.id, count.id)


def _mismatched_tables(output: str) -> set[str]:
    return {line.split()[1] for line in output.splitlines() if line.startswith("MISMATCH ")}


def test_verify_ledger_is_ok_after_every_kind_of_write(runner, world):
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 0, result.output
    assert "Ledger OK" in result.output
    assert ledger_check.verify() == []


# Each case spoils one stored figure with a raw UPDATE; the check must name that table only.
CORRUPTIONS = {
    "stock_balance": "UPDATE stock_balance SET quantity = quantity + 1",
    "distribution_daily": "UPDATE distribution_daily SET quantity = quantity + 1",
    "distribution_monthly": "UPDATE distribution_monthly SET quantity = quantity - 1",
    "contacts_daily": "UPDATE contacts_daily SET contacts = contacts + 1",
    "tally_line": "UPDATE tally_line SET quantity = quantity + 1 WHERE tally_id = :kept",
    "naloxone_handout": "UPDATE naloxone_handout SET quantity = 3 WHERE id = :handout",
    "transfer_line.shipped": (
        "UPDATE transfer_line SET quantity_shipped = quantity_shipped + 1 WHERE transfer_id = :sent"
    ),
    "transfer_line.received": (
        "UPDATE transfer_line SET quantity_received = 0 WHERE transfer_id = :sent"
    ),
    "stock_count_line": "UPDATE stock_count_line SET variance = variance + 1",
}


@pytest.mark.parametrize("table", list(CORRUPTIONS))
def test_verify_ledger_names_the_table_whose_figures_were_changed(runner, world, table):
    db.session.execute(text(CORRUPTIONS[table]), vars(world))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert _mismatched_tables(result.output) == {table}, result.output


def test_a_deleted_tally_must_net_to_zero_whatever_its_lines_say(runner, world):
    db.session.execute(
        text("UPDATE tally_line SET quantity = 99 WHERE tally_id = :gone"), vars(world)
    )
    db.session.commit()
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    db.session.execute(
        text("UPDATE tally_entry SET deleted_at = NULL WHERE id = :gone"), vars(world)
    )
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert (
        f"MISMATCH tally_line tally {world.gone}, site OSL-MO, item SPR-2: stored 99, ledger 0"
        in (result.output)
    )


def test_a_cancelled_transfer_must_have_been_put_back_at_the_sender(runner, world):
    db.session.execute(text("UPDATE transfer SET status = 'shipped' WHERE id = :back"), vars(world))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert (
        f"MISMATCH transfer_line.shipped transfer {world.back}, site OSL-MO, item SPR-2, lot -: "
        "stored 10, ledger 0" in result.output
    )


def test_verify_ledger_prints_the_key_in_codes_and_both_figures(runner, world):
    on_hand = db.session.scalar(
        select(StockBalance.quantity).where(
            StockBalance.lot_key != 0, StockBalance.site_id == _site_id("BGO-MO")
        )
    )
    db.session.execute(text("UPDATE stock_balance SET quantity = 1000 WHERE lot_key <> 0"))
    db.session.execute(text("UPDATE contacts_daily SET contacts = 7"))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert (
        f"MISMATCH stock_balance site BGO-MO, item NAL, lot L1: stored 1000, ledger {on_hand}"
        in lines
    )
    assert (
        f"MISMATCH contacts_daily site OSL-MO, day {today().isoformat()}: stored 7, ledger 3"
        in lines
    )
    assert "mismatches." in result.output


def _site_id(code: str) -> int:
    return db.session.scalar(select(Site.id).where(Site.code == code))


def _derived() -> dict[str, dict]:
    return {
        "balances": {
            (b.site_id, b.item_id, b.lot_key): b.quantity
            for b in db.session.scalars(select(StockBalance))
        },
        "daily": {
            (d.site_id, d.item_id, d.day): d.quantity
            for d in db.session.scalars(select(DistributionDaily))
            if d.quantity
        },
        "monthly": {
            (m.site_id, m.item_id, m.month): m.quantity
            for m in db.session.scalars(select(DistributionMonthly))
            if m.quantity
        },
        "contacts": {
            (c.site_id, c.day): c.contacts
            for c in db.session.scalars(select(ContactsDaily))
            if c.contacts
        },
    }


def test_rebuild_recomputes_every_derived_table_in_one_go_and_lists_the_changes(runner, world):
    before = _derived()
    for statement in (
        "UPDATE stock_balance SET quantity = quantity + 5",
        "DELETE FROM distribution_daily",
        "UPDATE distribution_monthly SET quantity = 0",
        "UPDATE contacts_daily SET contacts = contacts + 2",
    ):
        db.session.execute(text(statement))
    db.session.commit()
    assert runner.invoke(args=["verify-ledger"]).exit_code == 1
    result = runner.invoke(args=["verify-ledger", "--rebuild"])
    assert result.exit_code == 0, result.output
    rebuilt = {
        line.split()[1] for line in result.output.splitlines() if line.startswith("REBUILT ")
    }
    assert rebuilt == {
        "stock_balance",
        "distribution_daily",
        "distribution_monthly",
        "contacts_daily",
    }
    assert "Ledger OK" in result.output
    db.session.expire_all()
    assert _derived() == before
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "rebuild"))
    assert event.entity == "ledger"
    assert event.after["stock_balance"] == len(before["balances"])


def test_rebuild_with_nothing_to_do_changes_nothing(runner, world):
    events = db.session.scalar(select(func.count(AuditEvent.id)))
    result = runner.invoke(args=["verify-ledger", "--rebuild"])
    assert result.exit_code == 0
    assert "0 figures changed" in result.output
    assert "REBUILT" not in result.output
    assert db.session.scalar(select(func.count(AuditEvent.id))) == events


def test_rebuild_reports_a_tally_that_disagrees_with_its_movements_and_leaves_it(runner, world):
    db.session.execute(
        text("UPDATE tally_line SET quantity = 31 WHERE tally_id = :kept"), vars(world)
    )
    db.session.execute(text("UPDATE distribution_daily SET quantity = quantity + 1"))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger", "--rebuild"])
    assert result.exit_code == 1
    assert "REBUILT distribution_daily" in result.output
    assert _mismatched_tables(result.output) == {"tally_line"}
    assert "not rebuilt" in result.output
    db.session.expire_all()
    assert (
        db.session.scalar(select(TallyLine.quantity).where(TallyLine.tally_id == world.kept)) == 31
    )
