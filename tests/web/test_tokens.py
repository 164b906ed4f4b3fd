"""API tokens from the account page: made (shown once), listed and revoked (issue 19)."""

import re

from sqlalchemy import select

from tests.factories import login, make_site, make_user
from tests.web.pages import form_post
from tracker.extensions import db
from tracker.models import ApiToken, AuditEvent
from tracker.services import users


def _shown_token(html: str) -> str:
    match = re.search(r'id="new-token"[^>]*value="([^"]+)"', html)
    assert match, "the new token is not on the page"
    return match.group(1)


def test_a_user_makes_their_own_token_once_and_it_works_until_revoked(client, app):
    user = make_user("staff", [make_site("OSL-MO")])
    login(client, user)
    response = form_post(client, "/konto/nokler", {"name": "Regneark", "days": "30"}, "/konto")
    assert response.status_code == 201
    raw = _shown_token(response.get_data(as_text=True))
    token = db.session.scalars(select(ApiToken)).one()
    assert (token.user_id, token.name) == (user.id, "Regneark")
    assert token.token_hash == users.hash_token(raw)  # only the hash is kept
    assert raw not in client.get("/konto").get_data(as_text=True)  # shown only once
    api = client.get("/api/v1/sites", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200
    assert round((token.expires_at - token.created_at).total_seconds() / 86400) == 30
    page = client.get("/konto").get_data(as_text=True)
    assert "Regneark" in page
    assert token.prefix in page
    revoke = form_post(client, f"/konto/nokler/{token.id}/trekk-tilbake", {}, "/konto")
    assert revoke.status_code == 302
    again = client.get("/api/v1/sites", headers={"Authorization": f"Bearer {raw}"})
    assert again.status_code == 401
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "api_token"))
    assert list(actions) == ["create", "revoke"]


def test_a_non_admin_cannot_make_a_token_for_someone_else(client, app):
    site = make_site("OSL-MO")
    login(client, make_user("coordinator", municipality="0301"))
    other = make_user("staff", [site])
    for owner in (other.email, "nobody@test.no"):  # the same answer: no probing for emails
        response = form_post(client, "/konto/nokler", {"name": "x", "owner": owner}, "/konto")
        assert response.status_code == 403
    assert db.session.scalars(select(ApiToken)).all() == []


def test_an_admin_makes_a_token_for_another_user(client, app):
    login(client, make_user("admin"))
    staff = make_user("staff", [make_site("OSL-MO")])
    assert 'name="owner"' in client.get("/konto").get_data(as_text=True)
    response = form_post(
        client, "/konto/nokler", {"name": "Integrasjon", "owner": staff.email}, "/konto"
    )
    assert response.status_code == 201
    assert db.session.scalars(select(ApiToken)).one().user_id == staff.id
    unknown = form_post(client, "/konto/nokler", {"name": "x", "owner": "no@test.no"}, "/konto")
    assert unknown.status_code == 404


def test_bad_token_forms_are_refused_and_nothing_is_made(client, app):
    login(client, make_user("staff", [make_site("OSL-MO")]))
    for body in (
        {"name": ""},
        {"name": "x" * 101},
        {"name": "Nøkkel", "days": "0"},
        {"name": "Nøkkel", "days": "100000"},
        {"name": "Nøkkel", "days": "tre"},
        {"name": "31129956715"},  # a national id is never stored
    ):
        response = form_post(client, "/konto/nokler", body, "/konto")
        assert response.status_code == 422, body
        assert "31129956715" not in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiToken)).all() == []
    assert 'name="owner"' not in client.get("/konto").get_data(as_text=True)
