"""The demo looks like real outlets: weeks of stock, levels from use, a coordinator per
municipality, and something for the demo lead to act on at their own sites (issue 19)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tracker.dates import today
from tracker.extensions import db
from tracker.models import DistributionDaily, Item, Municipality, User
from tracker.services import (
    counts,
    demo,
    discrepancies,
    ledger_check,
    reorder,
    reports,
    stock,
    transfers,
)
from tracker.services.access import Actor

DAYS = 70  # long enough for weekly deliveries to settle and for 28 days of recent use


@pytest.fixture
def seeded(app):
    result = demo.seed(days=DAYS)
    assert result.created
    return result


def test_stock_is_weeks_of_use_with_levels_from_use_and_the_ledger_holds(seeded):
    """Every site holds two to eight weeks of each item it hands out (outreach teams'
    naloxone too), reorder and target levels are three and six weeks of use everywhere."""
    lines = reorder.stock_levels(None)
    with_use = [line for line in lines if line.daily_usage > 0]
    off = len(demo.SITES) - len(demo.KIT_SITES)  # the kit is off where it is not handed out
    assert len(with_use) == len(lines) == len(demo.SITES) * len(demo.CATALOGUE) - off
    assert {(line.site.code) for line in lines if line.item.code == demo.KIT} == set(demo.KIT_SITES)
    wrong = [
        f"{line.site.code} {line.item.code}: {line.days_left:.1f} days"
        for line in with_use
        if not 14 <= (line.days_left or 0) <= 56
    ]
    assert not wrong
    for line in with_use:
        assert line.reorder_level == math.ceil(line.daily_usage * 21), line
        assert line.target_level == math.ceil(line.daily_usage * 42), line
    assert ledger_check.verify() == []


def _handed_out(site_id: int, first: date, last: date) -> dict[str, int]:
    """Item code -> what the ledger's daily aggregate holds (kits as kits)."""
    rows = db.session.execute(
        select(Item.code, func.sum(DistributionDaily.quantity))
        .join(Item, Item.id == DistributionDaily.item_id)
        .where(
            DistributionDaily.site_id == site_id,
            DistributionDaily.day >= first,
            DistributionDaily.day <= last,
        )
        .group_by(Item.code)
    )
    return {code: int(q) for code, q in rows}


def _counted(handed: dict[str, int], category: str) -> int:
    """A category's figure: its items, and what the kits held of it (never the kit itself)."""
    held = dict(demo.KIT_CONTENTS)
    kits = handed.get(demo.KIT, 0)
    return sum(
        handed.get(code, 0) + kits * held.get(code, 0)
        for code, _, _, item_category, *_ in demo.CATALOGUE
        if item_category == category and code != demo.KIT
    )


def test_the_kit_counts_as_its_contents_in_the_report_and_the_stock_trend(seeded):
    """The brukerpakke is stock of its own at the sites that hand it out, while the report
    and the stock page's trend count what the kits held, under the contents' categories."""
    admin = Actor(db.session.scalar(select(User).where(User.global_role == "admin")))
    end = today() - timedelta(days=1)
    first = end - timedelta(days=27)
    scope = reports.resolve_scope(admin, date_from=first, date_to=end)
    report = reports.build_distribution(scope)
    for site in scope.sites:
        handed = _handed_out(site.id, first, end)
        assert bool(handed.get(demo.KIT)) == (site.code in demo.KIT_SITES), site.code
        for category in ("syringe", "needle", "foil", "other"):
            cells = sum(q for (s, c, _), q in report.cells.items() if (s, c) == (site.id, category))
            assert cells == _counted(handed, category), (site.code, category)
        mondays, trend = stock.weekly_distribution(site.id, today())
        handed = _handed_out(site.id, mondays[0], today())
        for category in ("syringe", "foil", "other"):
            assert sum(trend.get(category, [])) == _counted(handed, category), site.code


def test_each_municipality_has_a_coordinator_and_the_lead_has_work_at_their_sites(seeded):
    coordinators = list(db.session.scalars(select(User).where(User.global_role == "coordinator")))
    places = {m.id for m in db.session.scalars(select(Municipality))}
    assert {c.municipality_id for c in coordinators if c.municipality_id} == places
    assert sum(c.municipality_id is None for c in coordinators) == 1  # the national one
    admins = db.session.scalars(select(User).where(User.global_role == "admin")).all()
    assert len(admins) == 1
    lead = Actor(db.session.scalar(select(User).where(User.email == "stedsleder@tracker.local")))
    own = {m.site.code for m in lead.user.memberships}
    assert all(m.role == "lead" for m in lead.user.memberships)
    below = reorder.reorder_list(lead)
    assert {line.site.code for line in below} <= own
    assert below, "no line under its reorder level"
    soon = [lot for lot in reorder.expiring(lead, days=90) if not lot.expired]
    assert soon, "no lot expiring within 90 days"
    open_counts = db.session.scalars(counts.counts_query(lead, status="open")).all()
    open_issues = db.session.scalars(discrepancies.discrepancies_query(lead, open_only=True)).all()
    assert open_counts or open_issues
    incoming = db.session.scalars(transfers.transfers_query(lead, status="shipped")).all()
    assert any(t.to_site.code in own and t.shipped_on <= today() for t in incoming)
    roles: dict[str, list[tuple[str, list[str]]]] = {}
    for email, _, role, sites, _ in demo.USERS:
        roles.setdefault(role, []).append((email, sites))
    assert set(roles) == {"admin", "coordinator", "lead", "staff"}
    single = [email for email, sites in roles["staff"] if len(sites) == 1]
    assert single  # the staff user who skips the site picker
