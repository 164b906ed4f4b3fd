"""The command line: users, tokens, demo data and the ledger check."""

from datetime import timedelta

from sqlalchemy import func, select, update

from tests.factories import make_item, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    ApiToken,
    AuditEvent,
    Certification,
    Discrepancy,
    Site,
    StockBalance,
    StockCount,
    StockMovement,
    TallyEntry,
    TrainingSession,
    Transfer,
    User,
)
from tracker.services import demo, reorder, stock, users
from tracker.services.access import Actor


def test_users_create_takes_the_password_from_the_environment(runner, app):
    make_site("OSL-MO")
    result = runner.invoke(
        args=["users", "create", "ola@test.no", "--role", "staff", "--site", "OSL-MO"],
        env={"TRACKER_PASSWORD": "a long enough password"},
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "ola@test.no"))
    assert user.memberships[0].site.code == "OSL-MO"
    assert user.password_hash.startswith("scrypt:")


def test_users_create_refuses_staff_without_a_site(runner, app):
    result = runner.invoke(
        args=["users", "create", "ola@test.no", "--role", "staff"],
        env={"TRACKER_PASSWORD": "a long enough password"},
    )
    assert result.exit_code == 2
    assert "må ha et sted" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_tokens_create_prints_the_token_last_and_stores_only_its_hash(runner, app, client):
    user = make_user("admin", email="admin@test.no")
    result = runner.invoke(args=["tokens", "create", user.email, "--name", "laptop"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip().splitlines()[-1]
    assert raw.startswith("trk_")
    stored = db.session.scalars(select(ApiToken)).one()
    assert stored.token_hash != raw
    assert raw not in stored.token_hash
    response = client.get("/api/v1/sites", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200


def test_verify_ledger_passes_then_fails_on_a_tampered_balance(runner, app):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    actor = Actor(make_user("staff", [site]))
    stock.receive(
        actor, site_code=site.code, received_on=today(), lines=[{"item": "SPR-2", "quantity": 10}]
    )
    ok = runner.invoke(args=["verify-ledger"])
    assert ok.exit_code == 0
    assert "Ledger OK" in ok.output
    db.session.execute(update(StockBalance).values(quantity=StockBalance.quantity + 1))
    db.session.commit()
    bad = runner.invoke(args=["verify-ledger"])
    assert bad.exit_code == 1
    assert "MISMATCH stock_balance" in bad.output


def test_seed_demo_loads_once_and_the_ledger_holds(runner, app):
    first = runner.invoke(args=["seed-demo", "--days", "10"])
    assert first.exit_code == 0, first.output
    assert "admin@tracker.local" in first.output
    sites = db.session.scalar(select(func.count(Site.id)))
    entries = db.session.scalar(select(func.count(TallyEntry.id)))
    assert sites >= 9
    assert entries > 0
    second = runner.invoke(args=["seed-demo", "--days", "10"])
    assert second.exit_code == 0
    assert "already loaded" in second.output
    assert db.session.scalar(select(func.count(TallyEntry.id))) == entries
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    roles = {u.global_role or u.memberships[0].role for u in db.session.scalars(select(User))}
    assert roles == {"admin", "coordinator", "lead", "staff"}


def test_seed_demo_show_users_prints_every_demo_user_with_a_new_password(runner, app):
    """Only hashes are kept, so showing the users again gives them new passwords: the old
    ones stop working, the printed ones log in."""
    first = runner.invoke(args=["seed-demo", "--days", "3"])
    old = _demo_passwords(first.output)
    shown = runner.invoke(args=["seed-demo", "--show-users"])
    assert shown.exit_code == 0, shown.output
    new = _demo_passwords(shown.output)
    assert set(new) == set(old) == {email for email, *_ in demo.USERS}
    assert "koordinator.bergen@tracker.local       coordinator 4601" in shown.output
    assert "stedsleder@tracker.local               lead        OSL-MO, OSL-SPR" in shown.output
    for email, password in new.items():
        assert password != old[email]
        assert users.authenticate(email, password) is not None
        assert users.authenticate(email, old[email]) is None
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "demo_password_reset")
    ).all()
    assert len(events) == len(demo.USERS)
    assert "already loaded; nothing to do" in runner.invoke(args=["seed-demo"]).output


def _demo_passwords(output: str) -> dict[str, str]:
    """email -> password from seed-demo's list of users."""
    return {
        line.split()[0]: line.split()[-1]
        for line in output.splitlines()
        if line.startswith("  ") and "@tracker.local" in line
    }


def test_seed_demo_fills_training_and_stock_operations(runner, app):
    """Training, certifications, transfers, a count, a discard and reorder levels, all
    through their services; a second run adds nothing and the ledger holds. (Levels come
    from the last 28 days of use, so the reorder list needs that much history.)"""
    first = runner.invoke(args=["seed-demo", "--days", "35"])
    assert first.exit_code == 0, first.output
    assert "training sessions" in first.output
    sessions = db.session.scalar(select(func.count(TrainingSession.id)))
    assert sessions > 0
    on = today()
    certs = list(
        db.session.scalars(select(Certification).where(Certification.training_type == "cpr"))
    )
    assert any(c.valid_until > on + timedelta(days=60) for c in certs)  # valid
    assert any(on <= c.valid_until <= on + timedelta(days=60) for c in certs)  # expiring soon
    assert any(c.valid_until < on for c in certs)  # expired
    statuses = dict(
        db.session.execute(
            select(Transfer.status, func.count(Transfer.id)).group_by(Transfer.status)
        ).all()
    )
    assert statuses.get("received", 0) >= 1
    assert statuses.get("shipped", 0) == 1
    count = db.session.scalar(select(StockCount).where(StockCount.status == "closed"))
    assert count is not None
    assert any(line.variance for line in count.lines)
    assert db.session.scalar(
        select(func.count(Discrepancy.id)).where(Discrepancy.kind == "count_variance")
    )
    discard = db.session.scalar(select(StockMovement).where(StockMovement.kind == "discard"))
    assert discard is not None
    assert discard.lot is not None
    assert discard.lot.expiry < on
    assert discard.reason.startswith("expired")
    assert reorder.reorder_list(None)  # a few lines due for reorder
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    second = runner.invoke(args=["seed-demo", "--days", "35"])
    assert "already loaded" in second.output
    assert db.session.scalar(select(func.count(TrainingSession.id))) == sessions
    assert db.session.scalar(select(func.count(Transfer.id))) == sum(statuses.values())
