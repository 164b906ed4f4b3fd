"""Stock history pages: the stock start on the stock page, the movement report, its xlsx stock
card, and the report page's figures linking to their sources."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from html import unescape

import pytest
from openpyxl import load_workbook

from tests.factories import actor, login, make_item, make_site, make_user
from tests.web.pages import form_post
from tracker.dates import today
from tracker.extensions import db
from tracker.models import Site
from tracker.services import stock, tallies


@pytest.fixture
def site(app):
    site = make_site("OSL-MO")
    make_item("SPR-2", "syringe")
    return site


@pytest.fixture
def lead(site):
    return make_user("lead", [site])


def stocked(site, lead):
    stock.receive(
        actor(lead), site_code=site.code, received_on=today() - timedelta(days=5),
        lines=[{"item": "SPR-2", "quantity": 100}],
    )  # fmt: skip
    tallies.create_tally(
        actor(lead), site_code=site.code, entry_date=today(), contacts=4,
        lines=[{"item": "SPR-2", "quantity": 30}],
    )  # fmt: skip


def test_the_stock_page_shows_the_stock_start_and_a_lead_sets_it_earlier(client, site, lead):
    stocked(site, lead)
    login(client, lead)
    html = client.get("/steder/OSL-MO/lager").get_data(as_text=True)
    start = (today() - timedelta(days=5)).strftime("%d.%m.%Y")
    assert f"lagerstart {start}" in html
    earlier = today() - timedelta(days=40)
    response = form_post(
        client, "/steder/OSL-MO/lager/lagerstart", {"stock_start": earlier.isoformat()},
        page_url="/steder/OSL-MO/lager",
    )  # fmt: skip
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Site, site.id).stock_start == earlier
    later = form_post(
        client, "/steder/OSL-MO/lager/lagerstart", {"stock_start": today().isoformat()},
        page_url="/steder/OSL-MO/lager",
    )  # fmt: skip
    assert later.status_code == 303
    assert "bare flyttes tidligere" in client.get("/steder/OSL-MO/lager").get_data(as_text=True)


def test_staff_see_the_stock_start_but_get_no_form(client, site, lead):
    stocked(site, lead)
    login(client, make_user("staff", [site]))
    html = client.get("/steder/OSL-MO/lager").get_data(as_text=True)
    assert "Lageret føres fra lagerstart" in html
    assert 'lagerstart" method' not in html
    assert 'name="stock_start"' not in html


def test_the_movement_page_and_the_stock_card_show_opening_movements_and_closing(
    client, site, lead
):
    stocked(site, lead)
    login(client, lead)
    start = (today() - timedelta(days=10)).isoformat()
    html = client.get(f"/steder/OSL-MO/lager/bevegelser?fra={start}&til={today()}").get_data(
        as_text=True
    )
    row = re.search(r"<tr>\s*<th scope=\"row\">[^<]*SPR-2.*?</tr>", html, re.S) or re.search(
        r"<tr>\s*<th scope=\"row\">.*?</tr>", html, re.S
    )
    assert row is not None
    cells = [
        unescape(c).replace("\u00a0", " ")
        for c in re.findall(r"<td class=\"num\">([^<]*)</td>", row.group(0))
    ]  # noqa: E501
    assert cells == ["0", "100", "0", "0", "-30", "0", "0", "0", "0", "70"]
    response = client.get(f"/steder/OSL-MO/lager/bevegelser.xlsx?fra={start}&til={today()}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Vare"
    assert rows[2][0] == "SPR-2"
    assert rows[2][2:] == (0, 100, 0, 0, -30, 0, 0, 0, 0, 70)  # used on site before closing


def test_a_backwards_period_shows_a_message_not_an_error(client, site, lead):
    login(client, lead)
    start = today().isoformat()
    end = (today() - timedelta(days=3)).isoformat()
    response = client.get(f"/steder/OSL-MO/lager/bevegelser?fra={start}&til={end}")
    assert response.status_code == 200
    assert "Fra-datoen er etter til-datoen" in response.get_data(as_text=True)


def test_each_report_figure_links_to_a_page_listing_its_sources(client, site, lead):
    stocked(site, lead)
    login(client, lead)
    day = today().isoformat()
    html = client.get(f"/rapporter/?periode=custom&fra={day}&til={day}").get_data(as_text=True)
    links = [unescape(h) for h in re.findall(r'class="source-link" href="([^"]+)"', html)]
    assert links
    syringes = next(link for link in links if "kategori=syringe" in link and "sted=OSL-MO" in link)
    page = client.get(syringes).get_data(as_text=True)
    assert "Sum: 30 fra 1 rader." in page
    contacts = next(link for link in links if "mal=contacts" in link)
    assert "Sum: 4 fra 1 rader." in client.get(contacts).get_data(as_text=True)
