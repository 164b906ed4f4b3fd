"""Issue 22: a new transfer starts from the user's own site and offers its neighbours first."""

from __future__ import annotations

import re

from tests.factories import login, make_site, make_user
from tracker.extensions import db


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    match = re.search(r'<option selected value="([^"]*)"', select.group(1))
    return match.group(1) if match else None


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'value="([^"]*)"', select.group(1))


def test_an_oslo_lead_does_not_start_out_sending_to_bergen(client, app):
    make_site("BGO-MO", "4601")
    oslo, other = make_site("OSL-MO"), make_site("OSL-SR")
    login(client, make_user("lead", [oslo]))
    html = client.get("/overforinger/ny").get_data(as_text=True)
    assert selected(html, "from_site") == "OSL-MO"
    assert selected(html, "to_site") == other.code
    assert options(html, "to_site")[:2] == ["OSL-SR", "BGO-MO"]  # own municipality first


def test_an_oslo_coordinator_starts_from_the_last_picked_oslo_site(client, app):
    make_site("BGO-MO", "4601")
    make_site("OSL-MO")
    picked = make_site("OSL-SR")
    coordinator = make_user("coordinator", municipality="0301")
    coordinator.last_site_id = picked.id
    db.session.commit()
    login(client, coordinator)
    html = client.get("/overforinger/ny").get_data(as_text=True)
    assert selected(html, "from_site") == "OSL-SR"
    assert selected(html, "to_site") == "OSL-MO"


def test_a_global_admin_without_a_last_site_starts_from_the_first_site(client, app):
    make_site("BGO-MO", "4601")
    make_site("BGO-SR", "4601")
    make_site("OSL-MO")
    login(client, make_user("admin"))
    html = client.get("/overforinger/ny").get_data(as_text=True)
    assert selected(html, "from_site") == "BGO-MO"
    assert selected(html, "to_site") == "BGO-SR"  # a neighbour in the sender's municipality


def test_the_discard_and_count_forms_start_at_the_last_picked_site(client, app):
    make_site("BGO-MO", "4601")
    make_site("OSL-MO")
    picked = make_site("OSL-SR")
    admin = make_user("admin")
    admin.last_site_id = picked.id
    db.session.commit()
    login(client, admin)
    for path in ("/kassering", "/varetelling"):
        html = client.get(path).get_data(as_text=True)
        assert options(html, "site")[:3] == ["OSL-SR", "OSL-MO", "BGO-MO"], path
