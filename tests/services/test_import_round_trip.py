"""Round trip: export a period in the import format, import it into an empty database, agree."""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import delete, select

from tests.factories import make_item, make_lot, make_site, make_user
from tracker.database import ledger_rewrite
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ContactsDaily,
    Discrepancy,
    DistributionDaily,
    DistributionMonthly,
    ImportBatch,
    NaloxoneHandout,
    StockBalance,
    StockDaily,
    StockMonthly,
    StockMovement,
    TallyEntry,
    TallyLine,
)
from tracker.services import import_files, imports, ledger_check, naloxone, tallies
from tracker.services.access import Actor

START = date(2025, 1, 1)


def _snapshot() -> tuple[dict, dict]:
    dist = {
        (d.site_id, d.item_id, d.day): d.quantity
        for d in db.session.scalars(select(DistributionDaily))
        if d.quantity
    }
    contacts = {
        (c.site_id, c.day): c.contacts
        for c in db.session.scalars(select(ContactsDaily))
        if c.contacts
    }
    return dist, contacts


def _empty_the_distribution_tables() -> None:
    models = (
        Discrepancy,  # flags point at movements and handouts
        StockMovement,
        TallyLine,
        TallyEntry,
        NaloxoneHandout,
        StockBalance,
        StockDaily,
        StockMonthly,
        DistributionDaily,
        DistributionMonthly,
        ContactsDaily,
        AuditEvent,
        ImportBatch,
    )
    with ledger_rewrite(db.session.connection()):  # the ledger and audit log are append-only
        for model in models:
            db.session.execute(delete(model))
    db.session.commit()


def _history(actor: Actor, oslo, tromso) -> None:
    for offset in range(0, 60, 3):
        day = START + timedelta(days=offset)
        tallies.create_tally(
            actor,
            site_code=oslo.code,
            entry_date=day,
            contacts=5 + offset,
            lines=[{"item": "SPR-2", "quantity": 10 + offset}, {"item": "FOLIE", "quantity": 3}],
        )
        tallies.create_tally(  # a second entry the same day adds up
            actor,
            site_code=oslo.code,
            entry_date=day,
            contacts=1,
            lines=[{"item": "SPR-2", "quantity": 2}],
        )
        tallies.create_tally(
            actor,
            site_code=tromso.code,
            entry_date=day + timedelta(days=1),
            contacts=0,
            lines=[{"item": "KAN", "quantity": offset + 1}],
        )
    edited = tallies.create_tally(
        actor,
        site_code=oslo.code,
        entry_date=START,
        contacts=2,
        lines=[{"item": "KAN", "quantity": 9}],
    )
    tallies.update_tally(actor, edited.id, changes={"lines": [{"item": "KAN", "quantity": 4}]})
    gone = tallies.create_tally(
        actor,
        site_code=oslo.code,
        entry_date=START,
        contacts=0,
        lines=[{"item": "KAN", "quantity": 50}],
    )
    tallies.delete_tally(actor, gone.id)
    for group, first, reason in (("pwud", True, None), ("pwud", False, "used_on_overdose")):
        for _ in range(2):  # two handouts with the same fields become one row of 2 kits
            naloxone.hand_out(
                actor,
                site_code=oslo.code,
                handed_out_on=START + timedelta(days=10),
                quantity=1,
                recipient_group=group,
                first_time=first,
                refill_reason=reason,
                training_given=True,
                lot="L1",
            )
    monthly = io.BytesIO(
        "sted;måned;vare;antall;kontakter\nOSL-MO;12.2024;SPR-2;9 000;400\n".encode()
    )
    imports.import_file(actor, monthly, "2024.csv")


def test_export_then_import_into_an_empty_database_gives_the_same_figures(app, runner):
    oslo = make_site("OSL-MO", municipality="0301")
    tromso = make_site("TOS-MO", municipality="5501")
    make_item("SPR-2", "syringe")
    make_item("FOLIE", "foil")
    make_item("KAN", "needle")
    make_lot(make_item("NAL-1", "naloxone"), "L1", expiry=date(2030, 1, 1))
    actor = Actor(make_user("admin"))
    _history(actor, oslo, tromso)
    before = _snapshot()
    assert before[0]
    assert before[1]

    text = "".join(
        import_files.export_csv(actor, date_from=date(2024, 1, 1), date_to=date(2025, 12, 31))
    )
    _empty_the_distribution_tables()
    assert _snapshot() == ({}, {})

    result = imports.import_file(actor, io.BytesIO(text.encode("utf-8")), "export.csv")
    assert result.ok, result.errors[:3]
    assert _snapshot() == before
    assert ledger_check.verify() == []
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    monthly = db.session.scalars(select(TallyEntry).where(TallyEntry.granularity == "month")).one()
    assert (monthly.entry_date, monthly.contacts) == (date(2024, 12, 1), 400)
    kits = sorted(h.quantity for h in db.session.scalars(select(NaloxoneHandout)))
    assert kits == [2, 2]

    # and the export of the imported data is the same file again
    again = "".join(
        import_files.export_csv(actor, date_from=date(2024, 1, 1), date_to=date(2025, 12, 31))
    )
    assert again == text


def test_the_export_covers_only_the_period_and_the_sites_asked_for(app):
    oslo = make_site("OSL-MO", municipality="0301")
    make_site("BGO-MO", municipality="4601")
    make_item("SPR-2", "syringe")
    admin = Actor(make_user("admin"))
    for site, day in (
        ("OSL-MO", date(2025, 3, 1)),
        ("BGO-MO", date(2025, 3, 1)),
        ("OSL-MO", date(2025, 5, 1)),
    ):
        tallies.create_tally(
            admin,
            site_code=site,
            entry_date=day,
            contacts=1,
            lines=[{"item": "SPR-2", "quantity": 1}],
        )
    coordinator = Actor(make_user("coordinator", municipality="0301"))
    text = "".join(
        import_files.export_csv(
            coordinator, date_from=date(2025, 3, 1), date_to=date(2025, 3, 31), lang="en"
        )
    )
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("site,date,month,item,quantity,contacts")
    assert lines[1:] == ["OSL-MO,2025-03-01,,SPR-2,1,1,,,,,,"]
    assert oslo.code in text


HOSTILE_LOTS = ('=HYPERLINK("http://x","klikk")', "+1+1", "-1", "@A1", "\t=1+1", "'=2+2", "''-3")


def test_lot_numbers_that_look_like_formulas_come_back_unchanged(app):
    """The export neutralises them with a leading ' and the import takes it off again."""
    make_site("OSL-MO", municipality="0301")
    kits = make_item("NAL-1", "naloxone")
    for number in HOSTILE_LOTS:
        make_lot(kits, number, expiry=date(2030, 1, 1))
    actor = Actor(make_user("admin"))
    for offset, number in enumerate(HOSTILE_LOTS):
        naloxone.hand_out(
            actor,
            site_code="OSL-MO",
            handed_out_on=START + timedelta(days=offset),
            quantity=offset + 1,
            recipient_group="relative",
            first_time=True,
            training_given=False,
            lot=number,
        )

    def handouts() -> list[tuple]:
        rows = db.session.scalars(select(NaloxoneHandout).order_by(NaloxoneHandout.handed_out_on))
        return [(h.handed_out_on, h.quantity, h.lot.lot_number) for h in rows]

    before = handouts()
    assert [lot for _, _, lot in before] == list(HOSTILE_LOTS)
    text = "".join(import_files.export_csv(actor, date_from=START, date_to=date(2025, 12, 31)))
    assert "\n=" not in text
    assert ";=" not in text
    _empty_the_distribution_tables()

    result = imports.import_file(actor, io.BytesIO(text.encode("utf-8")), "export.csv")
    assert result.ok, result.errors[:3]
    assert handouts() == before
    again = "".join(import_files.export_csv(actor, date_from=START, date_to=date(2025, 12, 31)))
    assert again == text
