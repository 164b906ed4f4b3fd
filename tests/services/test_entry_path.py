"""The optimised entry path keeps its invariants: counters, movement ids, one transaction."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, update

from tests.factories import (
    actor,
    api_client,
    make_item,
    make_lot,
    make_site,
    make_user,
    tally_body,
)
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    Discrepancy,
    DistributionDaily,
    IdempotencyKey,
    Item,
    Site,
    StockBalance,
    StockMovement,
    TallyEntry,
)
from tracker.services import ledger, ledger_check, tallies
from tracker.services.unit import Idempotency, IdempotentReplay


def _contacts(site) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(ContactsDaily.contacts), 0)).where(
            ContactsDaily.site_id == site.id
        )
    )


def test_contacts_are_counted_with_and_without_lines_and_follow_changes(app):
    site = make_site()
    item = make_item()
    staff = actor(make_user("staff", [site]))
    with_lines = tallies.create_tally(
        staff,
        site_code=site.code,
        entry_date=today(),
        contacts=4,
        lines=[{"item": item.code, "quantity": 3}],
    )
    tallies.create_tally(
        staff,
        site_code=site.code,
        entry_date=today(),
        contacts=2,
        lines=[{"item": item.code, "quantity": 0}],
    )
    assert _contacts(site) == 6
    tallies.update_tally(staff, with_lines.id, changes={"contacts": 1})
    assert _contacts(site) == 3
    tallies.delete_tally(staff, with_lines.id)
    assert _contacts(site) == 2
    assert ledger_check.verify() == []


def test_post_returns_the_new_movement_ids_in_order_and_moves_every_counter(app):
    site = make_site()
    items = [make_item() for _ in range(3)]
    lead = actor(make_user("lead", [site]))
    moves = [
        ledger.Move(site.id, item.id, None, "distribution", -(n + 1), today())
        for n, item in enumerate(items)
    ]
    ids = ledger.post(lead, moves)
    db.session.commit()
    stored = db.session.execute(
        select(StockMovement.id, StockMovement.item_id, StockMovement.quantity).order_by(
            StockMovement.id
        )
    ).all()
    assert ids == [row.id for row in stored]
    assert [(row.item_id, row.quantity) for row in stored] == [
        (item.id, -(n + 1)) for n, item in enumerate(items)
    ]
    balances = dict(db.session.execute(select(StockBalance.item_id, StockBalance.quantity)).all())
    assert balances == {item.id: -(n + 1) for n, item in enumerate(items)}
    daily = dict(
        db.session.execute(select(DistributionDaily.item_id, DistributionDaily.quantity)).all()
    )
    assert daily == {item.id: n + 1 for n, item in enumerate(items)}
    assert ledger_check.verify() == []


def test_post_flags_each_key_below_zero_once_per_open_discrepancy(app):
    """Invariant 2 on the direct path: one open negative-balance discrepancy per key (a lot
    is its own key), written with the right date and time, none for a key still above zero."""
    site = make_site()
    plain, tracked, spare = make_item(), make_item(tracks_lots=True), make_item()
    lot = make_lot(tracked)
    staff = actor(make_user("staff", [site]))
    ledger.post(staff, [ledger.Move(site.id, spare.id, None, "receipt", 10, today())])
    db.session.commit()
    before = datetime.now(UTC)
    for _ in range(2):
        ledger.post(
            staff,
            [
                ledger.Move(site.id, plain.id, None, "distribution", -2, today()),
                ledger.Move(site.id, tracked.id, lot.id, "distribution", -1, today()),
                ledger.Move(site.id, spare.id, None, "distribution", -1, today()),
            ],
        )
        db.session.commit()
    found = db.session.scalars(select(Discrepancy).order_by(Discrepancy.item_id)).all()
    assert [(d.item_id, d.lot_id, d.kind, d.quantity) for d in found] == [
        (plain.id, None, "negative_balance", -2),
        (tracked.id, lot.id, "negative_balance", -1),
    ]  # the quantity when first flagged; the second posting found them open
    assert all(d.detected_on == today() and before <= d.detected_at for d in found)
    assert all(d.detected_at.tzinfo is not None for d in found)
    assert ledger_check.verify() == []


def test_a_failed_service_leaves_no_movement_and_no_counter(app):
    """Everything ledger.post wrote (also through PostgreSQL's pipeline) rolls back together."""
    site = make_site()
    item = make_item()
    staff = actor(make_user("staff", [site]))
    moves = [ledger.Move(site.id, item.id, None, "distribution", -5, today())]
    ledger.post(
        staff,
        moves,
        counters=(
            ledger.Counter(
                ContactsDaily,
                ("site_id", "day"),
                "contacts",
                [{"site_id": site.id, "day": today(), "contacts": 7}],
            ),
        ),
    )
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0
    assert db.session.scalar(select(func.count()).select_from(StockBalance)) == 0
    assert _contacts(site) == 0


def test_sqlite_post_takes_the_write_lock_only_for_the_writes(client, is_postgres):
    """The token, the idempotency check, the site and the items are read in deferred
    transactions; BEGIN IMMEDIATE comes after them and is followed by writes only, but for
    the period-lock check, which must read under the write lock (a submission committed
    just before would be missed by a snapshot taken earlier)."""
    if is_postgres:
        pytest.skip("SQLite's write lock only")
    site = make_site()
    item = make_item()
    api = api_client(client, make_user("staff", [site]))
    # The token's first use writes its last_used_at (at most hourly): not the entry's cost.
    assert api.post("/tallies", tally_body(site, {item.code: 1})).status_code == 201
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = api.post(
            "/tallies", tally_body(site, {item.code: 2}), headers={"Idempotency-Key": "k1"}
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 201
    begins = [n for n, s in enumerate(seen) if s.startswith("BEGIN")]
    assert [seen[n] for n in begins] == ["BEGIN", "BEGIN", "BEGIN", "BEGIN IMMEDIATE"]
    reads, writes = seen[: begins[-1]], seen[begins[-1] + 1 :]
    for table in ("api_token", "idempotency_key", "site", "item"):
        assert any(s.startswith("SELECT") and f"FROM {table}" in s for s in reads), table
    assert writes[0].startswith("SELECT"), writes[0]
    assert "FROM submission" in writes[0], writes[0]
    assert all(s.startswith("INSERT") for s in writes[1:]), writes


def test_a_key_committed_by_a_racing_request_turns_into_a_replay(app):
    """Another request committed the same Idempotency-Key after this one checked for it:
    writing the key (before the ledger) fails, everything rolls back, and the API replays."""
    site = make_site()
    item = make_item()
    staff = actor(make_user("staff", [site]))
    db.session.add(
        IdempotencyKey(
            scope="s", key="k", request_hash="h", status_code=201, response_body='{"id": 1}'
        )
    )
    db.session.commit()
    claim = Idempotency("s", "k", "h", render=lambda result: (201, {"id": result.id}))
    with pytest.raises(IdempotentReplay):
        tallies.create_tally(
            staff,
            site_code=site.code,
            entry_date=today(),
            contacts=1,
            lines=[{"item": item.code, "quantity": 2}],
            idem=claim,
        )
    assert db.session.scalar(select(func.count()).select_from(StockMovement)) == 0
    assert db.session.scalar(select(func.count()).select_from(TallyEntry)) == 0
    assert _contacts(site) == 0


def test_core_insert_of_entry_lines_and_audit_reads_back_as_the_orm_wrote_it(app):
    from tracker.models import AuditEvent, TallyLine

    site = make_site()
    items = [make_item() for _ in range(3)]
    staff = actor(make_user("staff", [site]))
    tally = tallies.create_tally(
        staff,
        site_code=site.code,
        entry_date=today(),
        contacts=2,
        lines=[{"item": item.code, "quantity": n + 1} for n, item in enumerate(items)],
        note="ok",
    )
    expected = tallies.snapshot(tally)
    assert [line.item_id for line in tally.lines] == [item.id for item in items]
    db.session.close()
    again = db.session.get(TallyEntry, tally.id)
    assert tallies.snapshot(again) == expected
    assert again.created_at is not None
    assert again.granularity == "day"
    stored = db.session.scalars(select(TallyLine).where(TallyLine.tally_id == tally.id)).all()
    assert sorted((line.id, line.item_id, line.quantity) for line in stored) == [
        (line_id, item.id, n + 1)
        for n, (line_id, item) in enumerate(zip([x.id for x in tally.lines], items, strict=True))
    ]
    event_row = db.session.execute(
        select(AuditEvent.id, AuditEvent.before.is_(None), AuditEvent.after).where(
            AuditEvent.entity == "tally", AuditEvent.entity_id == str(tally.id)
        )
    ).one()
    assert event_row[1] is True  # SQL NULL, not JSON null
    assert event_row[2] == expected
    assert ledger_check.verify() == []


def test_deactivating_a_site_or_item_refuses_the_next_entry_at_once(client):
    """No per-worker cache: a deactivation committed by plain SQL (as another worker's would
    reach this one: no ORM event here) is seen by the very next entry, however recently
    the site and item were read."""
    site = make_site()
    item = make_item()
    api = api_client(client, make_user("staff", [site]))

    def another_worker(*statements) -> None:  # noqa: ANN002
        for statement in statements:
            db.session.execute(statement)
        db.session.commit()

    assert api.post("/tallies", tally_body(site, {item.code: 2})).status_code == 201
    another_worker(update(Item).where(Item.id == item.id).values(active=False))
    response = api.post("/tallies", tally_body(site, {item.code: 2}))
    assert response.status_code == 422
    assert "ikke lenger i bruk" in response.get_json()["detail"]
    another_worker(
        update(Item).where(Item.id == item.id).values(active=True),
        update(Site).where(Site.id == site.id).values(active=False),
    )
    response = api.post("/tallies", tally_body(site, {item.code: 2}))
    assert response.status_code == 409
    assert response.get_json()["code"] == "site-inactive"
    assert db.session.scalar(select(func.count()).select_from(TallyEntry)) == 1
