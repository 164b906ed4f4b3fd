"""Build a large, consistent ledger fast: movements, balances and daily aggregates in bulk.

The benchmarks need millions of ledger rows; posting them one service call at a time would
take hours. This writes the same rows the services would (every movement; balances and the
daily aggregate equal to their sums), straight into the tables, in large batches.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert, text, update

from tracker.extensions import db
from tracker.models import (
    DistributionDaily,
    DistributionMonthly,
    Item,
    Membership,
    Municipality,
    Site,
    StockBalance,
    User,
)

BATCH = 20_000


def build(sites: int, items: int, days: int, movements: int, seed: int = 1) -> dict[str, int]:
    """sites x items over `days` days ending yesterday, with about `movements` ledger rows."""
    rng = random.Random(seed)
    place = Municipality(number="0301", name="Oslo")
    site_rows = [
        Site(code=f"S{n:03d}", name=f"Site {n}", municipality=place, kind="mo_senter")
        for n in range(sites)
    ]
    categories = ["syringe", "needle", "foil", "overdose_card", "other"]
    item_rows = [
        Item(
            code=f"I{n:02d}",
            name_nb=f"Vare {n}",
            name_en=f"Item {n}",
            category=categories[n % len(categories)],
            sort_order=n,
        )
        for n in range(items)
    ]
    admin = User(
        email="bench-admin@test.no",
        name="Bench",
        password_hash="x",
        global_role="admin",
        active=True,
        session_version=1,
    )
    lead = User(
        email="bench-lead@test.no",
        name="Lead",
        password_hash="x",
        active=True,
        session_version=1,
        memberships=[Membership(site=site_rows[0], role="lead")],
    )
    db.session.add_all([place, *site_rows, *item_rows, admin, lead])
    db.session.commit()
    end = date.today() - timedelta(days=1)
    start = end - timedelta(days=days - 1)
    combos = sites * items * days
    per_combo, remainder = divmod(movements, combos)
    chance = remainder / combos
    balances: dict[tuple[int, int], int] = defaultdict(int)
    daily: dict[tuple[int, int, date], int] = defaultdict(int)
    rows: list[tuple[object, ...]] = []
    written = 0
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    raw = db.session.connection().connection.driver_connection
    is_pg = db.engine.dialect.name == "postgresql"

    def flush() -> None:
        """Raw driver bulk insert: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        columns = "site_id, item_id, kind, quantity, occurred_on, recorded_at, recorded_by_id"
        if is_pg:
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY stock_movement ({columns}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            raw.executemany(
                f"INSERT INTO stock_movement ({columns}) "  # noqa: S608
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        rows.clear()

    for day_index in range(days):
        day = start + timedelta(days=day_index)
        iso_day = day.isoformat()
        for site in site_rows:
            for item in item_rows:
                count = per_combo + (1 if rng.random() < chance else 0)
                for _ in range(count):
                    quantity = rng.randint(1, 40)
                    receipt = rng.random() < 0.3
                    delta = quantity if receipt else -quantity
                    rows.append(
                        (
                            site.id,
                            item.id,
                            "receipt" if receipt else "distribution",
                            delta,
                            day if is_pg else iso_day,
                            now,
                            admin.id,
                        )
                    )
                    balances[(site.id, item.id)] += delta
                    if not receipt:
                        daily[(site.id, item.id, day)] += quantity
                    written += 1
                    if len(rows) >= BATCH:
                        flush()
    flush()
    db.session.execute(
        insert(StockBalance),
        [
            {"site_id": s, "item_id": i, "lot_key": 0, "quantity": q}
            for (s, i), q in balances.items()
        ],
    )
    aggregate = [
        {"site_id": s, "item_id": i, "day": d, "quantity": q} for (s, i, d), q in daily.items()
    ]
    for offset in range(0, len(aggregate), BATCH):
        db.session.execute(insert(DistributionDaily), aggregate[offset : offset + BATCH])
    monthly: dict[tuple[int, int, date], int] = defaultdict(int)
    for (s, i, d), q in daily.items():
        monthly[(s, i, d.replace(day=1))] += q
    months = [
        {"site_id": s, "item_id": i, "month": m, "quantity": q} for (s, i, m), q in monthly.items()
    ]
    for offset in range(0, len(months), BATCH):
        db.session.execute(insert(DistributionMonthly), months[offset : offset + BATCH])
    # The per-day stock aggregate, set-based from the ledger just written (as migration 0014)
    db.session.execute(
        text(
            "INSERT INTO stock_daily (site_id, day, item_id, lot_key, kind, lot_id, quantity)"
            " SELECT site_id, occurred_on, item_id, coalesce(lot_id, 0), kind, max(lot_id),"
            " sum(quantity) FROM stock_movement"
            " GROUP BY site_id, occurred_on, item_id, coalesce(lot_id, 0), kind"
        )
    )
    month = (
        "CAST(date_trunc('month', day) AS DATE)" if is_pg else "date(day, 'start of month')"
    )
    db.session.execute(
        text(
            "INSERT INTO stock_monthly (site_id, month, item_id, lot_key, kind, lot_id, quantity)"  # noqa: S608
            f" SELECT site_id, {month}, item_id, lot_key, kind, max(lot_id), sum(quantity)"
            f" FROM stock_daily GROUP BY site_id, {month}, item_id, lot_key, kind"
        )
    )
    db.session.execute(update(Site).values(stock_start=start))
    db.session.commit()
    return {"movements": written, "sites": sites, "items": items, "days": days}
