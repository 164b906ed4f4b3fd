"""Issue 24: the reorder formula with delivery days, worked through by hand on one site."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import actor, make_item, make_site, make_user
from tracker.dates import today
from tracker.services import (
    alerts,
    catalog,
    deliveries,
    reorder,
    stock,
    tallies,
    transfers,
    unmet_demand,
)


def test_the_worked_example_of_the_reorder_docstring(app):
    """A Monday; deliveries Tuesday and Friday, lead time 1 day: the order arrives Tuesday
    and must last until Friday, 4 days. 280 handed out and 56 asked for in vain in the 4
    weeks before is 12 a day; 12 x 4 = 48, plus reorder level 20, minus 30 usable and 8 in
    transit: 30. During a drug alert the naloxone figure would use 1.5 x usage; syringes not."""
    monday = today() - timedelta(days=today().weekday() + 7)
    site, other = make_site("OSL-MO"), make_site("OSL-SR")
    make_item("SPR", "syringe")
    admin = actor(make_user("admin"))
    stock.receive(
        admin,
        site_code="OSL-MO",
        received_on=monday - timedelta(days=20),
        lines=[{"item": "SPR", "quantity": 310}],
    )
    stock.receive(
        admin,
        site_code="OSL-SR",
        received_on=monday - timedelta(days=20),
        lines=[{"item": "SPR", "quantity": 50}],
    )
    tallies.create_tally(
        admin,
        site_code="OSL-MO",
        entry_date=monday - timedelta(days=5),
        contacts=3,
        lines=[{"item": "SPR", "quantity": 280}],
    )
    unmet_demand.record(
        admin, site_code="OSL-MO", day=monday - timedelta(days=3), item_code="SPR", quantity=56
    )
    transfers.ship(
        admin,
        from_code="OSL-SR",
        to_code="OSL-MO",
        shipped_on=monday,
        lines=[{"item": "SPR", "quantity": 8}],
    )
    catalog.set_site_levels(admin, "OSL-MO", {"SPR": (20, 500)})
    deliveries.update(admin, "OSL-MO", weekdays=[2, 5], dates=[], lead_time_days=1)

    (line,) = [x for x in reorder.stock_levels(None, "OSL-MO", on=monday) if x.item.code == "SPR"]
    assert (line.usable, line.in_transit, line.unmet_recent) == (30, 8, 56)
    assert line.daily_usage == 12.0
    assert line.next_delivery == monday + timedelta(days=1)
    assert line.cover_until == monday + timedelta(days=4)
    assert line.suggested == 12 * 4 + 20 - 30 - 8 == 30
    assert line.below_reorder
    assert alerts.naloxone_factors([site, other], monday) == {site.id: 1.0, other.id: 1.0}


def test_the_summary_workbook_has_unmet_demand_per_site(app):
    import io

    from openpyxl import load_workbook

    from tracker.exports import summary
    from tracker.services import exports

    make_site("OSL-MO")
    make_site("OSL-SR")
    make_item("SPR", "syringe")
    admin = actor(make_user("admin"))
    for quantity in (30, 8):
        unmet_demand.record(
            admin, site_code="OSL-MO", day=today(), item_code="SPR", quantity=quantity
        )
    data = exports.gather(admin, date_from=today(), date_to=today(), municipality="0301")
    target = io.BytesIO()
    summary.write(data, target)
    rows = list(load_workbook(target)["Sammendrag"].iter_rows(values_only=True))
    header = next(n for n, row in enumerate(rows) if row[2] == "Sted")
    assert rows[header][13] == "Spurt om, ikke gitt"
    by_site = {row[2]: row[13] for row in rows[header + 1 :] if row[2]}
    assert by_site == {"OSL-MO": 38, "OSL-SR": None, "Totalt": 38}
