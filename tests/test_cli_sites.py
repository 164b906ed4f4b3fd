"""The command line for a site's items: list them, turn one on or off, set its levels."""

import pytest
from sqlalchemy import select

from tests.factories import make_item, make_site, make_user
from tracker.extensions import db
from tracker.models import AuditEvent, SiteItem


@pytest.fixture
def outlet(app):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    make_item("FOLIE", "foil")
    return site


def _listed(runner) -> dict[str, list[str]]:
    result = runner.invoke(args=["sites", "items", "OSL-MO"])
    assert result.exit_code == 0, result.output
    return {line.split()[0]: line.split()[1:4] for line in result.output.splitlines()[1:]}


def test_a_lead_turns_an_item_off_and_sets_levels_and_the_list_shows_it(runner, outlet):
    lead = make_user("lead", [outlet])
    off = runner.invoke(
        args=["sites", "set-item", "OSL-MO", "FOLIE", "--off", "--user", lead.email]
    )
    assert off.exit_code == 0, off.output
    assert "OSL-MO FOLIE: off, reorder 0, target 0." in off.output
    levels = ["--reorder", "100", "--target", "300", "--user", lead.email]
    assert runner.invoke(args=["sites", "set-item", "OSL-MO", "SPR-2", *levels]).exit_code == 0
    assert _listed(runner) == {"SPR-2": ["on", "100", "300"], "FOLIE": ["off", "0", "0"]}
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "site_item")).all()
    assert {e.user_id for e in events} == {lead.id}


def test_staff_another_site_s_lead_and_bad_levels_are_refused(runner, outlet):
    staff = make_user("staff", [outlet])
    other_lead = make_user("lead", [make_site("BGO-MO", "4601")])
    lead = make_user("lead", [outlet])
    for email, extra in (
        (staff.email, ["--off"]),
        (other_lead.email, ["--off"]),
        (lead.email, ["--reorder", "10", "--target", "5"]),
    ):
        result = runner.invoke(
            args=["sites", "set-item", "OSL-MO", "FOLIE", *extra, "--user", email]
        )
        assert result.exit_code == 2, result.output
        assert result.output.startswith("Error: ")
    assert runner.invoke(args=["sites", "items", "NOWHERE"]).exit_code == 2
    negative = ["--reorder", "-1", "--user", lead.email]
    assert runner.invoke(args=["sites", "set-item", "OSL-MO", "FOLIE", *negative]).exit_code == 2
    assert db.session.scalars(select(SiteItem).where(SiteItem.active.is_(False))).all() == []
