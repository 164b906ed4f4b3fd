"""The daily distribution form, its receipt, double submit, history, edit and delete."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_item, make_site, make_user
from tests.web.pages import form_post, hidden
from tracker.dates import today
from tracker.extensions import db
from tracker.models import StockBalance, StockMovement, TallyEntry


@pytest.fixture
def shop(app):
    site = make_site("OSL-MO")
    syringes = make_item("SPR-2", "syringe")
    needles = make_item("KAN-23", "needle")
    foil = make_item("FOLIE", "foil")
    naloxone = make_item("NAL", "naloxone")
    staff = make_user("staff", [site])
    return {
        "site": site,
        "syringes": syringes,
        "needles": needles,
        "foil": foil,
        "naloxone": naloxone,
        "staff": staff,
    }


def entries() -> int:
    return db.session.scalar(select(func.count()).select_from(TallyEntry))


def on_hand(item) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(StockBalance.quantity), 0)).where(
            StockBalance.item_id == item.id
        )
    )


def test_the_form_shows_items_grouped_by_category_with_today_as_date(client, shop):
    login(client, shop["staff"])
    response = client.get("/steder/OSL-MO/utdeling")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for legend in ("Sprøyter", "Kanyler", "Røykefolie", "Nalokson", "Kontakter"):
        assert legend in html
    assert f'value="{today().isoformat()}"' in html
    assert 'inputmode="numeric"' in html
    assert f'name="item_{shop["naloxone"].id}"' not in html  # naloxone has its own form


def test_saving_records_the_entry_and_shows_a_receipt(client, shop):
    login(client, shop["staff"])
    response = form_post(
        client,
        "/steder/OSL-MO/utdeling",
        {f"item_{shop['syringes'].id}": "1200", f"item_{shop['foil'].id}": "5", "contacts": "14"},
    )
    assert response.status_code == 302
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lagret" in receipt
    assert "1\u00a0200" in receipt  # Norwegian grouping
    assert entries() == 1
    assert on_hand(shop["syringes"]) == -1200
    assert on_hand(shop["foil"]) == -5


def test_a_double_submit_saves_once(client, shop):
    login(client, shop["staff"])
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        f"item_{shop['syringes'].id}": "40",
        "contacts": "3",
    }
    first = client.post("/steder/OSL-MO/utdeling", data=body)
    second = client.post("/steder/OSL-MO/utdeling", data=body)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]  # the same receipt
    assert entries() == 1
    assert on_hand(shop["syringes"]) == -40
    assert "allerede sendt" in client.get(second.headers["Location"]).get_data(as_text=True)


def test_a_fresh_form_gets_a_fresh_key(client, shop):
    login(client, shop["staff"])
    first = hidden(client.get("/steder/OSL-MO/utdeling").get_data(as_text=True), "form_key")
    second = hidden(client.get("/steder/OSL-MO/utdeling").get_data(as_text=True), "form_key")
    assert first != second


def test_two_separate_forms_save_two_entries_that_add_up(client, shop):
    login(client, shop["staff"])
    for _ in range(2):
        form_post(client, "/steder/OSL-MO/utdeling", {f"item_{shop['syringes'].id}": "10"})
    assert entries() == 2
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert "2 registreringer" in html
    assert on_hand(shop["syringes"]) == -20


def test_the_form_without_csrf_is_refused_and_saves_nothing(client, shop):
    login(client, shop["staff"])
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    response = client.post(
        "/steder/OSL-MO/utdeling",
        data={"form_key": hidden(html, "form_key"), f"item_{shop['syringes'].id}": "10"},
    )
    assert response.status_code == 400
    assert "Skjemaet ble avvist" in response.get_data(as_text=True)
    assert entries() == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("abc", "Skriv et helt tall"),
        ("-3", "Skriv et helt tall"),
        ("2.5", "Skriv et helt tall"),
        ("100001", "Høyst 100\u00a0000."),
    ],
)
def test_a_bad_quantity_gets_a_norwegian_field_error_and_saves_nothing(
    client, shop, value, message
):
    login(client, shop["staff"])
    field = f"item_{shop['syringes'].id}"
    response = form_post(client, "/steder/OSL-MO/utdeling", {field: value, "contacts": "2"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert f'id="{field}-error"' in html
    assert 'aria-invalid="true"' in html
    assert entries() == 0
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0


def test_a_date_in_the_future_is_refused_in_norwegian(client, shop):
    login(client, shop["staff"])
    response = form_post(
        client,
        "/steder/OSL-MO/utdeling",
        {
            f"item_{shop['syringes'].id}": "4",
            "entry_date": (today() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "Datoen kan ikke være fram i tid." in response.get_data(as_text=True)
    assert entries() == 0


def test_an_all_zero_form_asks_once_and_then_saves_open_nothing_handed_out(client, shop):
    login(client, shop["staff"])
    response = form_post(client, "/steder/OSL-MO/utdeling", {})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Alle antall er 0" in html
    assert 'name="nothing_handed_out"' in html  # the confirmation appears only now
    assert entries() == 0
    confirmed = form_post(client, "/steder/OSL-MO/utdeling", {"nothing_handed_out": "y"})
    assert confirmed.status_code == 302
    assert entries() == 1
    entry = db.session.scalar(select(TallyEntry))
    assert (entry.contacts, entry.lines) == (0, [])
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0


def test_the_confirmation_is_not_shown_on_a_fresh_form(client, shop):
    login(client, shop["staff"])
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    assert 'name="nothing_handed_out"' not in html


def test_contacts_alone_can_be_recorded(client, shop):
    login(client, shop["staff"])
    response = form_post(client, "/steder/OSL-MO/utdeling", {"contacts": "7"})
    assert response.status_code == 302
    assert db.session.scalar(select(TallyEntry.contacts)) == 7


def test_staff_cannot_open_or_post_to_another_sites_form(client, shop):
    other = make_site("BGO-MO", "4601")
    login(client, shop["staff"])
    refused = client.get(f"/steder/{other.code}/utdeling")
    assert refused.status_code == 403
    assert "Ingen tilgang" in refused.get_data(as_text=True)
    missing = client.get("/steder/NOPE/utdeling")
    assert missing.status_code == 404
    assert "Fant ikke siden" in missing.get_data(as_text=True)
    own = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    response = client.post(
        f"/steder/{other.code}/utdeling",
        data={
            "csrf_token": hidden(own, "csrf_token"),
            "form_key": hidden(own, "form_key"),
            "contacts": "3",
        },
    )
    assert response.status_code == 403
    assert entries() == 0


def test_anonymous_users_are_sent_to_login(client, shop):
    response = client.get("/steder/OSL-MO/utdeling")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def save(client, shop, syringes: int, contacts: int = 1) -> int:
    form_post(
        client,
        "/steder/OSL-MO/utdeling",
        {f"item_{shop['syringes'].id}": str(syringes), "contacts": str(contacts)},
    )
    return db.session.scalar(select(func.max(TallyEntry.id)))


def test_history_shows_entries_by_day_and_who_entered_them(client, shop):
    login(client, shop["staff"])
    save(client, shop, 30)
    html = client.get("/steder/OSL-MO/historikk").get_data(as_text=True)
    assert today().strftime("%d.%m.%Y") in html
    assert "registrert av Test Bruker" in html
    assert "Vare SPR-2: <strong>30</strong>" in html


def test_editing_an_entry_writes_a_correction_shown_in_history(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    url = f"/steder/OSL-MO/utdeling/{tally_id}/endre"
    response = form_post(
        client, url, {f"item_{shop['syringes'].id}": "25", "contacts": "1", "entry_date": ""}
    )
    assert response.status_code == 422  # the date is required
    response = form_post(
        client,
        url,
        {
            f"item_{shop['syringes'].id}": "25",
            "contacts": "1",
            "entry_date": today().isoformat(),
        },
    )
    assert response.status_code == 302
    assert on_hand(shop["syringes"]) == -25
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Korrigeringer" in html
    assert "Vare SPR-2 −5" in html  # handed out 5 fewer
    assert "endret" in html


def test_deleting_an_entry_reverses_it_and_keeps_it_marked(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    response = form_post(
        client,
        f"/steder/OSL-MO/utdeling/{tally_id}/slett",
        {},
        page_url=f"/steder/OSL-MO/utdeling/{tally_id}/endre",
    )
    assert response.status_code == 302
    assert on_hand(shop["syringes"]) == 0
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "slettet" in html
    assert db.session.get(TallyEntry, tally_id).deleted_at is not None


def test_staff_cannot_edit_another_sites_entry(client, shop):
    other = make_site("BGO-MO", "4601")
    colleague = make_user("staff", [other])
    login(client, colleague)
    form_post(client, "/steder/BGO-MO/utdeling", {"contacts": "3"})
    tally_id = db.session.scalar(select(func.max(TallyEntry.id)))
    login(client, shop["staff"])
    assert client.get(f"/steder/BGO-MO/utdeling/{tally_id}/endre").status_code == 403
    assert client.get(f"/steder/OSL-MO/utdeling/{tally_id}/endre").status_code == 403
    assert client.get("/steder/BGO-MO/historikk").status_code == 403


def test_the_menu_entry_opens_the_remembered_site(client, shop):
    second = make_site("OSL-SPR")
    user = make_user("staff", [shop["site"], second])
    login(client, user)
    response = client.get("/utdeling")
    assert response.headers["Location"].startswith("/?neste=web_tallies.entry")
    picked = form_post(
        client, "/velg-sted", {"site": "OSL-SPR", "neste": "web_tallies.history"}, page_url="/"
    )
    assert picked.headers["Location"] == "/steder/OSL-SPR/historikk"
    assert client.get("/utdeling").headers["Location"] == "/steder/OSL-SPR/utdeling"


def test_the_picker_lists_only_the_users_sites(client, shop):
    make_site("BGO-MO", "4601")
    login(client, shop["staff"])
    html = client.get("/").get_data(as_text=True)
    assert "OSL-MO" in html
    assert "BGO-MO" not in html


def test_picking_another_sites_code_is_refused(client, shop):
    make_site("BGO-MO", "4601")
    login(client, shop["staff"])
    response = form_post(client, "/velg-sted", {"site": "BGO-MO"}, page_url="/")
    assert response.status_code == 403


def test_a_saved_form_sent_again_with_other_numbers_is_not_saved_silently(client, shop):
    login(client, shop["staff"])
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    body = {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        f"item_{shop['syringes'].id}": "40",
    }
    assert client.post("/steder/OSL-MO/utdeling", data=body).status_code == 302
    changed = client.post(
        "/steder/OSL-MO/utdeling", data={**body, f"item_{shop['syringes'].id}": "45"}
    )
    page = changed.get_data(as_text=True)
    assert changed.status_code == 409
    assert "allerede lagret, med andre tall" in page
    assert 'value="45"' in page  # the numbers are kept
    assert hidden(page, "form_key") != body["form_key"]  # a fresh form saves them on purpose
    assert entries() == 1
    again = client.post(
        "/steder/OSL-MO/utdeling",
        data={
            **body,
            "form_key": hidden(page, "form_key"),
            f"item_{shop['syringes'].id}": "45",
        },
    )
    assert again.status_code == 302
    assert entries() == 2


def test_history_refuses_a_reversed_or_overlong_range(client, shop):
    login(client, shop["staff"])
    reversed_range = client.get("/steder/OSL-MO/historikk?fra=2026-02-01&til=2026-01-01")
    assert reversed_range.status_code == 422
    overlong = client.get("/steder/OSL-MO/historikk?fra=2001-01-01&til=2026-01-01")
    assert overlong.status_code == 422
    assert "Ugyldige opplysninger" in overlong.get_data(as_text=True)


def edit_body(client, shop, tally_id: int, syringes: int) -> dict[str, str]:
    """The edit form as the page gives it (CSRF token, form key, version), with new numbers."""
    html = client.get(f"/steder/OSL-MO/utdeling/{tally_id}/endre").get_data(as_text=True)
    return {
        "csrf_token": hidden(html, "csrf_token"),
        "form_key": hidden(html, "form_key"),
        "version": hidden(html, "version"),
        "entry_date": today().isoformat(),
        "contacts": "1",
        f"item_{shop['syringes'].id}": str(syringes),
    }


def corrections() -> int:
    return db.session.scalar(
        select(func.count()).select_from(StockMovement).where(StockMovement.kind == "correction")
    )


def test_a_double_tapped_edit_is_saved_once(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    body = edit_body(client, shop, tally_id, 25)
    url = f"/steder/OSL-MO/utdeling/{tally_id}/endre"
    first, second = client.post(url, data=body), client.post(url, data=body)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "allerede sendt" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert corrections() == 1
    assert db.session.get(TallyEntry, tally_id).version == 2
    assert on_hand(shop["syringes"]) == -25


def test_an_edit_sent_again_with_other_numbers_is_not_saved_silently(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    body = edit_body(client, shop, tally_id, 25)
    url = f"/steder/OSL-MO/utdeling/{tally_id}/endre"
    assert client.post(url, data=body).status_code == 302
    changed = client.post(url, data={**body, f"item_{shop['syringes'].id}": "20"})
    page = changed.get_data(as_text=True)
    assert changed.status_code == 409
    assert "trykk Lagre endring igjen" in page
    assert on_hand(shop["syringes"]) == -25
    again = client.post(
        url,
        data={
            **body,
            "form_key": hidden(page, "form_key"),
            "version": hidden(page, "version"),
            f"item_{shop['syringes'].id}": "20",
        },
    )
    assert again.status_code == 302
    assert on_hand(shop["syringes"]) == -20


def test_an_edit_from_a_form_read_before_someone_elses_change_is_refused(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    url = f"/steder/OSL-MO/utdeling/{tally_id}/endre"
    mine = edit_body(client, shop, tally_id, 25)
    theirs = edit_body(client, shop, tally_id, 10)
    assert client.post(url, data=theirs).status_code == 302
    refused = client.post(url, data=mine)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 412
    assert "endret av noen andre" in page
    assert 'value="25"' in page  # my numbers are kept
    assert on_hand(shop["syringes"]) == -10  # theirs stands
    assert hidden(page, "version") == "2"
    again = client.post(url, data={**mine, "form_key": hidden(page, "form_key"), "version": "2"})
    assert again.status_code == 302  # saved on purpose, over theirs
    assert on_hand(shop["syringes"]) == -25


def test_a_double_tapped_delete_deletes_once_and_shows_the_first_result(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    html = client.get(f"/steder/OSL-MO/utdeling/{tally_id}/endre").get_data(as_text=True)
    body = {"csrf_token": hidden(html, "csrf_token"), "form_key": hidden(html, "form_key")}
    url = f"/steder/OSL-MO/utdeling/{tally_id}/slett"
    first, second = client.post(url, data=body), client.post(url, data=body)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert "allerede sendt" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert on_hand(shop["syringes"]) == 0
    assert corrections() == 1


def test_a_delete_without_its_form_key_is_refused(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    html = client.get(f"/steder/OSL-MO/utdeling/{tally_id}/endre").get_data(as_text=True)
    response = client.post(
        f"/steder/OSL-MO/utdeling/{tally_id}/slett",
        data={"csrf_token": hidden(html, "csrf_token")},
    )
    assert response.status_code == 400
    assert db.session.get(TallyEntry, tally_id).deleted_at is None


def test_a_delete_of_another_sites_entry_is_forbidden_with_or_without_a_key(client, shop):
    login(client, shop["staff"])
    tally_id = save(client, shop, 30)
    stranger = make_user("staff", [make_site("BGO-MO", "4601")])
    login(client, stranger)
    html = client.get("/steder/BGO-MO/utdeling").get_data(as_text=True)
    url = f"/steder/OSL-MO/utdeling/{tally_id}/slett"
    for body in ({}, {"form_key": hidden(html, "form_key")}):
        response = client.post(url, data={"csrf_token": hidden(html, "csrf_token"), **body})
        assert response.status_code == 403
    assert db.session.get(TallyEntry, tally_id).deleted_at is None


def test_staff_cannot_date_an_entry_beyond_the_backdating_window_on_the_page(client, shop):
    login(client, shop["staff"])
    old = (today() - timedelta(days=15)).isoformat()
    response = form_post(
        client, "/steder/OSL-MO/utdeling", {f"item_{shop['syringes'].id}": "4", "entry_date": old}
    )
    assert response.status_code == 403
    assert "må føres av en stedsleder" in response.get_data(as_text=True)
    assert entries() == 0
    within = (today() - timedelta(days=14)).isoformat()
    saved = form_post(
        client,
        "/steder/OSL-MO/utdeling",
        {f"item_{shop['syringes'].id}": "4", "entry_date": within},
    )
    assert saved.status_code == 302
    assert entries() == 1
