"""Issue 22: a figure far above the site's usual one gets a second look.

More than 5 x the site's 90th-percentile daily figure for the item over the last 8 weeks,
and at least 100 (10 for naloxone kits): the daily and naloxone forms ask once and save
nothing until the same figures are sent again; the API takes the figure as given; every saved
unusual figure opens an `unusual_quantity` discrepancy for the lead.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import (
    actor,
    api_client,
    login,
    make_item,
    make_site,
    make_user,
    tally_body,
)
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Discrepancy, NaloxoneHandout, TallyEntry
from tracker.services import naloxone, plausibility, stock, tallies


@pytest.fixture
def busy(app):
    """A site that hands out 10-40 syringes a day, on 20 of the last 8 weeks' days."""
    site = make_site("OSL-MO")
    syringes = make_item("SPR-2", "syringe")
    foil = make_item("FOLIE", "foil")
    staff = make_user("staff", [site])
    lead = make_user("lead", [site])  # staff may backdate only 14 days
    for n in range(20):
        tallies.create_tally(
            actor(lead),
            site_code=site.code,
            entry_date=today() - timedelta(days=2 + n),
            contacts=1,
            lines=[{"item": "SPR-2", "quantity": 10 + (n % 4) * 10}],
        )
    return site, syringes, foil, staff


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(TallyEntry))


def unusual_flags() -> list[Discrepancy]:
    return list(
        db.session.scalars(select(Discrepancy).where(Discrepancy.kind == "unusual_quantity"))
    )


# The rule


def test_the_usual_figure_is_the_90th_percentile_of_the_last_8_weeks(busy):
    site, syringes, _foil, _staff = busy
    assert plausibility.percentile([10, 20, 30, 40] * 5) == 40
    assert plausibility.usual_daily(site.id, [syringes.id], today()) == {syringes.id: 40}
    # Days before the 8 weeks do not count, nor days before the entry's date.
    assert plausibility.usual_daily(site.id, [syringes.id], today() - timedelta(days=60)) == {}


@pytest.mark.parametrize(
    ("quantity", "unusual"),
    [(200, False), (201, True), (5000, True)],  # 5 x 40 = 200 is still usual
)
def test_more_than_five_times_the_usual_day_is_unusual(busy, quantity, unusual):
    site, syringes, _foil, _staff = busy
    found = plausibility.find_unusual(site.id, today(), [(syringes, quantity)])
    assert bool(found) is unusual


def test_under_100_is_never_unusual_nor_is_an_item_without_history(busy):
    site, syringes, foil, _staff = busy
    quiet = make_site("OSL-SR")
    assert plausibility.find_unusual(site.id, today(), [(syringes, 99)]) == []
    assert plausibility.find_unusual(site.id, today(), [(foil, 5000)]) == []  # no history
    assert plausibility.find_unusual(quiet.id, today(), [(syringes, 5000)]) == []


# The daily form


def _post_day(client, syringes, quantity: str, confirm: str | None = None, html: str | None = None):
    html = html or client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        f"item_{syringes.id}": quantity,
        "contacts": "3",
    }
    if confirm is not None:
        body["confirm_unusual"] = confirm
    return client.post("/steder/OSL-MO/utdeling", data=body)


def test_the_daily_form_asks_once_and_saves_nothing_until_confirmed(client, busy):
    _site, syringes, _foil, staff = busy
    login(client, staff)
    before = entries()
    asked = _post_day(client, syringes, "50000")
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert entries() == before
    assert unusual_flags() == []
    assert "mye mer enn vanlig" in page
    assert "50\u00a0000" in page
    assert "en travel dag: 40" in page
    assert 'aria-invalid="true"' in page  # the message sits at the field
    assert 'class="error-summary" role="alert"' in page
    confirmed = _post_day(client, syringes, "50000", hidden(page, "confirm_unusual"), page)
    assert confirmed.status_code == 302
    assert entries() == before + 1
    (flag,) = unusual_flags()
    assert (flag.item_id, flag.quantity) == (syringes.id, 50000)


def test_a_changed_figure_is_asked_about_again(client, busy):
    _site, syringes, _foil, staff = busy
    login(client, staff)
    before = entries()
    page = _post_day(client, syringes, "50000").get_data(as_text=True)
    again = _post_day(client, syringes, "5000", hidden(page, "confirm_unusual"), page)
    assert again.status_code == 422
    assert entries() == before


def test_a_forged_confirmation_does_not_skip_the_question(client, busy):
    _site, syringes, _foil, staff = busy
    login(client, staff)
    before = entries()
    assert _post_day(client, syringes, "50000", "SPR-2=1").status_code == 422
    assert entries() == before


def test_a_usual_figure_saves_at_once_without_a_flag(client, busy):
    _site, syringes, _foil, staff = busy
    login(client, staff)
    assert _post_day(client, syringes, "60").status_code == 302
    assert unusual_flags() == []


# The naloxone form


@pytest.fixture
def kits(app):
    """A site that hands out one naloxone kit a day, on 10 days."""
    site = make_site("OSL-MO")
    item = make_item("NAL", "naloxone")
    staff = make_user("staff", [site])
    lead = make_user("lead", [site])  # staff may backdate only 14 days
    stock.receive(
        actor(lead),
        site_code=site.code,
        received_on=today() - timedelta(days=30),
        lines=[{"item": "NAL", "quantity": 100, "lot": "L1",
                "expiry": today() + timedelta(days=300)}],
    )  # fmt: skip
    for n in range(10):
        naloxone.hand_out(
            actor(lead),
            site_code=site.code,
            handed_out_on=today() - timedelta(days=2 + n),
            quantity=1,
            recipient_group="pwud",
            first_time=True,
            training_given=False,
        )
    return site, item, staff


def test_the_naloxone_form_asks_once_about_an_unusual_number_of_kits(client, kits):
    _site, item, staff = kits
    login(client, staff)
    fields = {"quantity": "40", "recipient_group": "pwud", "first_time": "yes"}
    asked = form_post(client, "/steder/OSL-MO/nalokson", fields)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert "mye mer enn vanlig" in page
    count = db.session.scalar(select(func.count()).select_from(NaloxoneHandout))
    assert count == 10
    body = {
        "csrf_token": hidden(page, "csrf_token"),
        "form_key": hidden(page, "form_key"),
        "confirm_unusual": hidden(page, "confirm_unusual"),
        **fields,
    }
    assert client.post("/steder/OSL-MO/nalokson", data=body).status_code == 302
    (flag,) = unusual_flags()
    assert (flag.item_id, flag.quantity) == (item.id, 40)


# The API


def test_the_api_takes_an_unusual_figure_as_given_and_flags_it_for_the_lead(client, busy):
    site, syringes, _foil, staff = busy
    api = api_client(client, staff)
    response = api.post("/tallies", json=tally_body(site, {"SPR-2": 50000}))
    assert response.status_code == 201, response.get_json()
    (flag,) = unusual_flags()
    assert (flag.site_id, flag.item_id, flag.quantity) == (site.id, syringes.id, 50000)
    lead = make_user("lead", [site])
    listed = api_client(client, lead).get("/discrepancies?site=OSL-MO").get_json()
    assert "unusual_quantity" in [d["kind"] for d in listed]


def test_the_discrepancy_page_names_an_unusual_figure(client, busy):
    site, _syringes, _foil, staff = busy
    api_client(client, staff).post("/tallies", json=tally_body(site, {"SPR-2": 9000}))
    login(client, make_user("lead", [site]))
    assert "Uvanlig høyt antall" in client.get("/avvik").get_data(as_text=True)


def test_raising_an_entry_to_an_unusual_figure_is_asked_about_too(client, busy):
    site, syringes, _foil, staff = busy
    tally = tallies.create_tally(
        actor(staff), site_code=site.code, entry_date=today(), contacts=1,
        lines=[{"item": "SPR-2", "quantity": 30}],
    )  # fmt: skip
    login(client, staff)
    url = f"/steder/OSL-MO/utdeling/{tally.id}/endre"
    page = client.get(url).get_data(as_text=True)
    fields = {f"item_{syringes.id}": "30000", "contacts": "1", "entry_date": today().isoformat()}

    def send(html: str, **extra: str):
        data = {name: hidden(html, name) for name in ("csrf_token", "form_key", "version")}
        return client.post(url, data={**data, **fields, **extra})

    asked = send(page)
    assert asked.status_code == 422
    db.session.remove()
    assert [line.quantity for line in db.session.get(TallyEntry, tally.id).lines] == [30]
    again = asked.get_data(as_text=True)
    assert send(again, confirm_unusual=hidden(again, "confirm_unusual")).status_code == 302
    (flag,) = unusual_flags()
    assert flag.quantity == 30000


def test_lowering_or_keeping_a_figure_is_never_asked_about(client, busy):
    site, _syringes, _foil, staff = busy
    tally = tallies.create_tally(
        actor(staff), site_code=site.code, entry_date=today(), contacts=1,
        lines=[{"item": "SPR-2", "quantity": 9000}],
    )  # fmt: skip
    tallies.update_tally(
        actor(staff), tally.id, changes={"lines": [{"item": "SPR-2", "quantity": 8000}]},
        unusual_confirmed=False,
    )  # fmt: skip
    assert len(unusual_flags()) == 1  # the create's flag only
