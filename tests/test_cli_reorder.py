"""The reorder-list command prints what to order, per site or across sites."""

from tests.factories import make_item, make_site, make_user
from tracker.dates import today
from tracker.services import catalog, stock
from tracker.services.access import Actor


def test_reorder_list_prints_the_suggestion_per_site(runner, app):
    site = make_site("OSL-MO")
    make_site("OSL-SR")
    make_item("SPR-2")
    lead = Actor(make_user("lead", [site]))
    stock.receive(
        lead, site_code="OSL-MO", received_on=today(), lines=[{"item": "SPR-2", "quantity": 30}]
    )
    catalog.set_levels(lead, "OSL-MO", "SPR-2", reorder_level=50, target_level=200)
    result = runner.invoke(args=["reorder-list"])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.strip().splitlines()]
    assert rows[0][0] == "site"
    assert rows[1] == ["OSL-MO", "SPR-2", "30", "0", "50", "200", "", "170"]
    assert runner.invoke(args=["reorder-list", "--site", "OSL-SR"]).output.strip() == (
        "Nothing to reorder."
    )
    assert runner.invoke(args=["reorder-list", "--site", "NOPE"]).exit_code == 2
