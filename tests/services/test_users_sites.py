"""Remembering the last site, and which accounts a coordinator manages."""

from __future__ import annotations

import pytest

from tests.factories import actor, make_site, make_user
from tracker.errors import Forbidden
from tracker.services import users


def test_a_single_site_user_needs_no_picker(app):
    site = make_site("OSL-MO")
    assert users.last_site_code(actor(make_user("staff", [site]))) == "OSL-MO"


def test_a_multi_site_user_gets_the_remembered_site(app):
    first, second = make_site("OSL-MO"), make_site("OSL-SPR")
    user = make_user("staff", [first, second])
    assert users.last_site_code(actor(user)) is None
    users.remember_site(actor(user), "OSL-SPR")
    assert users.last_site_code(actor(user)) == "OSL-SPR"


def test_a_remembered_site_no_longer_allowed_is_forgotten(app):
    first, second = make_site("OSL-MO"), make_site("OSL-SPR")
    user = make_user("staff", [first, second])
    users.remember_site(actor(user), "OSL-SPR")
    user.memberships = [m for m in user.memberships if m.site_id != second.id]
    from tracker.extensions import db

    db.session.commit()
    assert users.last_site_code(actor(user)) == "OSL-MO"


def test_remembering_another_sites_code_is_forbidden(app):
    make_site("BGO-MO", "4601")
    user = make_user("staff", [make_site("OSL-MO")])
    with pytest.raises(Forbidden):
        users.remember_site(actor(user), "BGO-MO")
    assert user.last_site_id is None


def test_staff_cannot_list_users(app):
    with pytest.raises(Forbidden):
        users.list_users(actor(make_user("staff", [make_site()])))


def test_an_admin_lists_everyone(app):
    make_user("staff", [make_site("OSL-MO")])
    make_user("staff", [make_site("BGO-MO", "4601")])
    admin = make_user("admin")
    assert len(users.list_users(actor(admin))) == 3
