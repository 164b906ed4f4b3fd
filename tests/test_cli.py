"""The command line: users, tokens, demo data and the ledger check."""

from sqlalchemy import func, select, update

from tests.factories import make_item, make_site, make_user
from tracker.dates import today
from tracker.extensions import db
from tracker.models import ApiToken, Site, StockBalance, TallyEntry, User
from tracker.services import stock
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
    assert "need a site" in result.output
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
