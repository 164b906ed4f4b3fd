"""Importing historical distribution: checks, all-or-nothing, re-import, edits, the ledger."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import make_item, make_lot, make_site, make_user
from tracker.extensions import db
from tracker.models import (
    AuditEvent,
    ContactsDaily,
    DistributionDaily,
    ImportBatch,
    NaloxoneHandout,
    StockMovement,
    TallyEntry,
)
from tracker.services import imports, ledger
from tracker.services.access import Actor

HEADER = (
    "sted;dato;måned;vare;antall;kontakter;merknad;parti;"
    "mottakergruppe;førstegang;påfyllsgrunn;opplæring"
)


def csv_file(*rows: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8"))


@pytest.fixture
def world(app):
    site = make_site("OSL-MO", municipality="0301")
    other = make_site("BGO-MO", municipality="4601")
    syringe = make_item("SPR-2", "syringe")
    foil = make_item("FOLIE", "foil")
    nal = make_item("NAL-1", "naloxone")
    lot = make_lot(nal, "L1")
    coordinator = make_user("coordinator", municipality="0301")
    return {
        "site": site,
        "other": other,
        "syringe": syringe,
        "foil": foil,
        "nal": nal,
        "lot": lot,
        "actor": Actor(coordinator),
        "coordinator": coordinator,
    }


def counts() -> dict[str, int]:
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (StockMovement, TallyEntry, NaloxoneHandout, ImportBatch, DistributionDaily)
    }


def daily() -> dict[tuple[int, int, date], int]:
    return {
        (d.site_id, d.item_id, d.day): d.quantity
        for d in db.session.scalars(select(DistributionDaily))
    }


def test_import_writes_distribution_through_the_ledger(world):
    f = csv_file(
        "OSL-MO;05.06.2025;;SPR-2;1 234;12;;;;;;",
        "OSL-MO;05.06.2025;;FOLIE;40;;;;;;;",
        "OSL-MO;2025-06-06;;SPR-2;10;3;;;;;;",
        "OSL-MO;;03.2025;SPR-2;5\u00a0000;100;;;;;;",
        "OSL-MO;06.06.2025;;NAL-1;2;;;L1;pårørende;ja;;nei",
    )
    result = imports.import_file(world["actor"], f, "hist.csv")
    assert result.ok, result.errors
    assert result.imported == 5
    s, spr, fo, nal = world["site"].id, world["syringe"].id, world["foil"].id, world["nal"].id
    assert daily() == {
        (s, spr, date(2025, 6, 5)): 1234,
        (s, fo, date(2025, 6, 5)): 40,
        (s, spr, date(2025, 6, 6)): 10,
        (s, spr, date(2025, 3, 1)): 5000,
        (s, nal, date(2025, 6, 6)): 2,
    }
    assert ledger.verify() == []
    monthly = db.session.scalar(select(TallyEntry).where(TallyEntry.granularity == "month"))
    assert monthly.entry_date == date(2025, 3, 1)
    assert monthly.contacts == 100
    handout = db.session.scalars(select(NaloxoneHandout)).one()
    assert (handout.recipient_group, handout.first_time, handout.lot_id) == (
        "relative",
        True,
        world["lot"].id,
    )
    movements = db.session.scalars(select(StockMovement)).all()
    assert {m.import_batch_id for m in movements} == {result.batch_id}
    assert sorted(m.import_row for m in movements) == [2, 3, 4, 5, 6]
    assert {m.recorded_by_id for m in movements} == {world["coordinator"].id}
    contacts = {(c.site_id, c.day): c.contacts for c in db.session.scalars(select(ContactsDaily))}
    assert contacts == {
        (s, date(2025, 6, 5)): 12,
        (s, date(2025, 6, 6)): 3,
        (s, date(2025, 3, 1)): 100,
    }
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "import_batch")).one()
    assert event.user_id == world["coordinator"].id
    assert event.after["imported"] == 5
