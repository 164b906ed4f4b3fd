"""Changes to existing accounts, tokens and levels: from the committed row, once."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from tests.factories import actor, make_item, make_site, make_user
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent, User
from tracker.services import catalog, users


def _audits(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    )


def _elsewhere(app, call) -> None:
    """Run a service call as another request would: its own thread, context and session."""

    def run() -> None:
        with app.app_context():
            call()
            db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def test_the_session_version_is_bumped_from_the_committed_value(app):
    user = make_user("staff", [make_site("OSL-MO")])
    me = actor(user)
    assert user.session_version == 1
    db.session.commit()  # `user` stays loaded, at version 1
    _elsewhere(app, lambda: users.end_all_sessions(actor(db.session.get(User, user.id))))
    assert users.end_all_sessions(me).session_version == 3  # not 2 again: no lost bump


def test_deactivating_twice_changes_the_account_once(app):
    admin = actor(make_user("admin"))
    user = make_user("staff", [make_site("OSL-MO")])
    users.set_active(admin, user.email, False)
    again = users.set_active(admin, user.email, False)
    assert (again.active, again.session_version) == (False, 2)
    assert _audits("deactivate") == 1


def test_revoking_twice_keeps_the_first_revocation(app):
    user = make_user("staff", [make_site("OSL-MO")])
    token, _ = users.create_token(None, user.email, "phone")
    first = users.revoke_token(actor(user), token.id).revoked_at
    assert users.revoke_token(actor(user), token.id).revoked_at == first
    assert db.session.get(ApiToken, token.id).revoked_at == first
    assert _audits("revoke") == 1


def test_first_levels_are_audited_as_new_and_later_ones_with_what_they_replaced(app):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    lead = actor(make_user("lead", [site]))
    catalog.set_levels(lead, "OSL-MO", "SPR-2", reorder_level=10, target_level=50)
    row = catalog.set_levels(lead, "OSL-MO", "SPR-2", reorder_level=20, target_level=60)
    assert (row.reorder_level, row.target_level) == (20, 60)
    before = db.session.scalars(
        select(AuditEvent.before).where(AuditEvent.action == "set_levels").order_by(AuditEvent.id)
    ).all()
    assert before == [None, {"reorder_level": 10, "target_level": 50}]
