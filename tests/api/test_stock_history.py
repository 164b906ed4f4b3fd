"""Stock at any date, the movement report, and history that leaves stock alone (issue 21)."""

import io
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text, update

from tests.factories import api_client, make_item, make_site, make_user, receipt_body, tally_body
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    Item,
    Site,
    StockBalance,
    StockDaily,
    StockMonthly,
    StockMovement,
    TallyEntry,
    User,
)
from tracker.services import demo, ledger_check, stock_history
from tracker.services.access import Actor

M = StockMovement


def ledger_at(site_id: int, day: date) -> dict[tuple[int, int], int]:
    """The ledger itself summed per (item, lot) up to the end of `day`."""
    rows = db.session.execute(
        select(M.item_id, M.lot_id, func.sum(M.quantity))
        .where(M.site_id == site_id, M.occurred_on <= day)
        .group_by(M.item_id, M.lot_id)
    )
    return {(i, k or 0): int(q) for i, k, q in rows if q}


def ledger_item_at(site_id: int, day: date) -> dict[int, int]:
    per_item: dict[int, int] = {}
    for (item_id, _), quantity in ledger_at(site_id, day).items():
        per_item[item_id] = per_item.get(item_id, 0) + quantity
    return {i: q for i, q in per_item.items() if q}


@pytest.fixture
def world(client):
    site = make_site("OSL-MO")
    other = make_site("BGO-MO", municipality="4601")
    make_item("SPR-2", "syringe")
    make_item("FOLIE", "foil")
    staff = make_user("staff", [site])
    lead = make_user("lead", [site])
    coordinator = make_user("coordinator", municipality="0301")
    return {
        "site": site,
        "other": other,
        "staff": api_client(client, staff),
        "lead": api_client(client, lead),
        "coordinator": api_client(client, coordinator),
        "admin": api_client(client, make_user("admin")),
        "client": client,
    }


def post_ok(api, path, body):
    response = api.post(path, body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def stock_on(api, code, day=None):
    query = f"/stock?site={code}" + (f"&date={day.isoformat()}" if day else "")
    response = api.get(query)
    assert response.status_code == 200, response.get_json()
    return {
        (line["item"], line["lot"]): line["quantity"]
        for line in response.get_json()
        if line["quantity"]
    }


# --- stock at a date -------------------------------------------------------------------------


def test_stock_at_yesterday_does_not_move_when_todays_distribution_is_entered(world):
    yesterday = today() - timedelta(days=1)
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}, yesterday))
    post_ok(world["staff"], "/tallies", tally_body(world["site"], {"SPR-2": 7}, day=yesterday))
    before = stock_on(world["staff"], "OSL-MO", yesterday)
    assert before == {("SPR-2", None): 93}
    post_ok(world["staff"], "/tallies", tally_body(world["site"], {"SPR-2": 30}))
    assert stock_on(world["staff"], "OSL-MO", yesterday) == before
    assert stock_on(world["staff"], "OSL-MO", today()) == {("SPR-2", None): 63}
    assert stock_on(world["staff"], "OSL-MO")[("SPR-2", None)] == 63


def test_stock_at_a_date_equals_the_ledger_summed_to_that_date_for_random_dates(app):
    demo.seed(days=40)
    rng = random.Random(21)
    admin = Actor(db.session.scalar(select(User).where(User.global_role == "admin")))
    sites = list(db.session.scalars(select(Site)))
    for _ in range(25):
        site = rng.choice(sites)
        day = today() - timedelta(days=rng.randint(0, 45))
        lines = stock_history.stock_at(admin, site.code, day)
        got = {(s.item.id, s.lot.id if s.lot else 0): s.quantity for s in lines}
        assert got == ledger_at(site.id, day), (site.code, day)


def test_a_date_after_today_is_refused_and_bad_dates_are_422(world):
    future = (today() + timedelta(days=1)).isoformat()
    assert world["staff"].get(f"/stock?site=OSL-MO&date={future}").status_code == 422
    assert world["staff"].get("/stock?site=OSL-MO&date=2026-13-01").status_code == 422


def test_stock_at_a_date_is_for_the_sites_own_people(world):
    day = today().isoformat()
    assert world["staff"].get(f"/stock?site=BGO-MO&date={day}").status_code == 403
    assert world["coordinator"].get(f"/stock?site=BGO-MO&date={day}").status_code == 403
    assert world["coordinator"].get(f"/stock?site=OSL-MO&date={day}").status_code == 200
    assert world["admin"].get(f"/stock?site=BGO-MO&date={day}").status_code == 200


# --- the movement report ---------------------------------------------------------------------


def test_the_movement_report_arithmetic_holds_for_every_site_and_item_in_the_demo(app, client):
    demo.seed(days=40)
    admin = db.session.scalar(select(User).where(User.global_role == "admin"))
    api = api_client(client, admin)
    start, end = today() - timedelta(days=30), today() - timedelta(days=3)
    checked = 0
    for site in db.session.scalars(select(Site)).all():
        response = api.get(f"/reports/stock-movements?site={site.code}&from={start}&to={end}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        opening = ledger_item_at(site.id, start - timedelta(days=1))
        closing = ledger_item_at(site.id, end)
        ids = dict(db.session.execute(select(Item.code, Item.id)).tuples().all())
        seen = set()
        for line in body["lines"]:
            item_id = ids[line["item"]]
            seen.add(item_id)
            assert line["opening"] + sum(line["movements"].values()) == line["closing"]
            assert line["opening"] == opening.get(item_id, 0)
            assert line["closing"] == closing.get(item_id, 0)
            for kind, quantity in line["movements"].items():
                in_ledger = db.session.scalar(
                    select(func.coalesce(func.sum(M.quantity), 0)).where(
                        M.site_id == site.id, M.item_id == item_id, M.kind == kind,
                        M.occurred_on >= start, M.occurred_on <= end,
                    )
                )  # fmt: skip
                assert quantity == in_ledger, (site.code, line["item"], kind)
            checked += 1
        assert set(closing) <= seen
        assert set(opening) <= seen
        at_end = stock_on(api, site.code, end)
        for line in body["lines"]:
            assert line["closing"] == sum(q for (i, _), q in at_end.items() if i == line["item"])
    assert checked > 10
    assert set(body["kinds"]) == {
        "receipt", "transfer_in", "transfer_out", "distribution", "discard",
        "count_adjustment", "correction", "used_on_site",
    }  # fmt: skip


def test_the_movement_report_refuses_a_backwards_period_and_other_sites(world):
    day = today().isoformat()
    earlier = (today() - timedelta(days=3)).isoformat()
    report = "/reports/stock-movements?site={}&from={}&to={}"
    assert world["staff"].get(report.format("OSL-MO", day, earlier)).status_code == 422
    assert world["staff"].get(report.format("BGO-MO", earlier, day)).status_code == 403
    assert world["staff"].get(report.format("NOPE", earlier, day)).status_code == 404
    assert world["staff"].get(report.format("OSL-MO", earlier, day)).status_code == 200


# --- stock start (invariant 9) ---------------------------------------------------------------


def test_the_first_receipt_sets_the_stock_start_and_gives_back_earlier_distribution(world):
    last_week = today() - timedelta(days=7)
    post_ok(world["staff"], "/tallies", tally_body(world["site"], {"SPR-2": 5}, day=last_week))
    assert stock_on(world["staff"], "OSL-MO") == {("SPR-2", None): -5}
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    db.session.expire_all()
    assert db.session.get(Site, world["site"].id).stock_start == today()
    assert stock_on(world["staff"], "OSL-MO") == {("SPR-2", None): 100}
    tally = db.session.scalar(select(TallyEntry))
    assert tally.before_stock_start is True
    assert ledger_check.verify() == []
    # the history still counts in the report
    report = (
        world["lead"]
        .get(f"/reports/distribution?site=OSL-MO&from={last_week}&to={today()}&by=day")
        .get_json()
    )
    assert report["totals"]["syringe"] == 5


def test_receipts_transfers_counts_and_discards_before_the_stock_start_are_refused(world):
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    earlier = today() - timedelta(days=2)
    refused = world["lead"].post("/receipts", receipt_body(world["site"], {"SPR-2": 5}, earlier))
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "before-stock-start"
    assert "lagerstart" in refused.get_json()["detail"]
    ship = {"from": "OSL-MO", "to": "BGO-MO", "date": earlier.isoformat(),
            "lines": [{"item": "SPR-2", "quantity": 1}]}  # fmt: skip
    assert world["admin"].post("/transfers", ship).status_code == 409
    discard = {"site": "OSL-MO", "date": earlier.isoformat(), "item": "SPR-2", "quantity": 1,
               "reason": "damaged"}  # fmt: skip
    assert world["lead"].post("/discards", discard).status_code == 409
    count = world["lead"].post("/stock-counts", {"site": "OSL-MO", "date": earlier.isoformat()})
    assert count.status_code == 409, count.get_json()
    assert db.session.scalar(select(func.count(M.id))) == 1
    assert stock_on(world["lead"], "OSL-MO") == {("SPR-2", None): 100}


def test_distribution_before_the_stock_start_writes_no_movement_but_counts_in_reports(world):
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    old = date(2021, 3, 4)
    post_ok(world["lead"], "/tallies", tally_body(world["site"], {"SPR-2": 40}, day=old))
    assert db.session.scalar(select(func.count(M.id))) == 1
    assert stock_on(world["staff"], "OSL-MO") == {("SPR-2", None): 100}
    report = world["lead"].get(f"/reports/distribution?site=OSL-MO&from={old}&to={old}")
    assert report.get_json()["totals"]["syringe"] == 40
    assert ledger_check.verify() == []


def test_an_entry_moved_across_the_stock_start_moves_stock_accordingly(world):
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    tally = post_ok(world["staff"], "/tallies", tally_body(world["site"], {"SPR-2": 10}))
    old = (today() - timedelta(days=30)).isoformat()
    moved = world["lead"].patch(f"/tallies/{tally['id']}", {"date": old})
    assert moved.status_code == 200, moved.get_json()
    assert stock_on(world["staff"], "OSL-MO") == {("SPR-2", None): 100}
    assert ledger_check.verify() == []
    back = world["lead"].patch(
        f"/tallies/{tally['id']}", {"date": today().isoformat(), "lines": [
            {"item": "SPR-2", "quantity": 12}]}
    )  # fmt: skip
    assert back.status_code == 200, back.get_json()
    assert stock_on(world["staff"], "OSL-MO") == {("SPR-2", None): 88}
    assert ledger_check.verify() == []


def test_a_lead_moves_the_stock_start_earlier_and_history_after_it_moves_stock(world):
    three_weeks = today() - timedelta(days=21)
    post_ok(world["lead"], "/tallies", tally_body(world["site"], {"SPR-2": 6}, day=three_weeks))
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    assert stock_on(world["staff"], "OSL-MO") == {("SPR-2", None): 100}
    month = today() - timedelta(days=30)
    by_staff = world["staff"].patch("/sites/OSL-MO", {"stock_start": month.isoformat()})
    assert by_staff.status_code == 403
    response = world["lead"].patch("/sites/OSL-MO", {"stock_start": month.isoformat()})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["stock_start"] == month.isoformat()
    assert stock_on(world["staff"], "OSL-MO") == {("SPR-2", None): 94}
    assert ledger_check.verify() == []
    # a receipt dated from the new start is now accepted
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 1}, month))
    later = world["lead"].patch("/sites/OSL-MO", {"stock_start": today().isoformat()})
    assert later.status_code == 409
    assert later.get_json()["code"] == "stock-start-later"


def test_importing_2019_history_leaves_on_hand_unchanged_while_the_2019_report_shows_it(world):
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 500}))
    post_ok(world["staff"], "/tallies", tally_body(world["site"], {"SPR-2": 20}))
    before = stock_on(world["staff"], "OSL-MO")
    rows = "\n".join(f"OSL-MO;{d:02d}.0{m}.2019;SPR-2;{100 + d}" for m in (1, 2) for d in (1, 2))
    data = f"sted;dato;vare;antall\n{rows}\n"
    upload = {"file": (io.BytesIO(data.encode()), "hist.csv")}
    dry = world["coordinator"].post(
        "/imports", None, data={**upload, "dry_run": "true"}, content_type="multipart/form-data"
    )
    assert dry.status_code == 200, dry.get_json()
    assert (dry.get_json()["before_stock_start"], dry.get_json()["from_stock_start"]) == (4, 0)
    upload = {"file": (io.BytesIO(data.encode()), "hist.csv")}
    done = world["coordinator"].post("/imports", None, data=upload,
                                     content_type="multipart/form-data")  # fmt: skip
    assert done.status_code in (200, 201), done.get_json()
    assert stock_on(world["staff"], "OSL-MO") == before
    year = "from=2019-01-01&to=2019-12-31"
    report = world["coordinator"].get(f"/reports/distribution?site=OSL-MO&{year}")
    assert report.get_json()["totals"]["syringe"] == 101 + 102 + 101 + 102
    assert ledger_check.verify() == []


# --- verify-ledger and the aggregate ---------------------------------------------------------


def test_verify_ledger_catches_a_corrupted_stock_daily_and_rebuild_mends_it(world, runner):
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    post_ok(world["staff"], "/tallies", tally_body(world["site"], {"SPR-2": 4}))
    db.session.execute(update(StockDaily).values(quantity=StockDaily.quantity + 1))
    db.session.execute(update(StockMonthly).values(quantity=StockMonthly.quantity - 2))
    db.session.commit()
    result = runner.invoke(args=["verify-ledger"])
    assert result.exit_code == 1
    assert "stock_daily" in result.output
    assert "stock_monthly" in result.output
    rebuilt = runner.invoke(args=["verify-ledger", "--rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    db.session.expire_all()
    assert stock_on(world["staff"], "OSL-MO", today() - timedelta(days=1)) == {}


def test_verify_ledger_catches_a_history_line_missing_from_the_aggregates(world):
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    post_ok(world["lead"], "/tallies", tally_body(world["site"], {"SPR-2": 9},
                                                   day=date(2020, 5, 5)))  # fmt: skip
    db.session.execute(text("UPDATE distribution_daily SET quantity = quantity - 1"))
    db.session.commit()
    found = ledger_check.verify()
    assert {m.table for m in found} == {"distribution_daily"}
    assert found[0].from_ledger == 9


def test_the_balances_stay_the_sum_of_the_ledger(world):
    post_ok(world["lead"], "/receipts", receipt_body(world["site"], {"SPR-2": 100}))
    total = db.session.scalar(select(func.sum(StockBalance.quantity)))
    assert total == db.session.scalar(select(func.sum(M.quantity)))
