"""No N+1: the stock API sends the same number of queries for 1 item and for 20 items with lots."""

from datetime import timedelta

from tests.factories import api_client, make_item, make_lot, make_site, make_user, receipt_body
from tests.querycount import count_queries
from tracker.dates import today


def _stock_queries(client, items: int) -> int:
    site = make_site()
    api = api_client(client, make_user("lead", [site]))
    for n in range(items):
        item = make_item(f"I{items}-{n}", "naloxone" if n % 2 else "syringe")
        if n % 2:
            lot = make_lot(item, expiry=today() + timedelta(days=40 + n))
            api.post(
                "/receipts",
                {
                    "site": site.code,
                    "date": today().isoformat(),
                    "lines": [{"item": item.code, "quantity": 5, "lot": lot.lot_number}],
                },
            )
        else:
            api.post("/receipts", receipt_body(site, {item.code: 5}))
            api.post(
                "/tallies",
                {
                    "site": site.code,
                    "date": today().isoformat(),
                    "lines": [{"item": item.code, "quantity": 1}],
                },
            )
    with count_queries() as counter:
        response = api.get(f"/stock?site={site.code}")
    assert response.status_code == 200
    assert len(response.get_json()) >= items
    return counter.count


def test_stock_api_queries_do_not_grow_with_items_and_lots(client):
    assert _stock_queries(client, 1) == _stock_queries(client, 20)
