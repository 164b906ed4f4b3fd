"""The training pages fit a 360 px phone screen: wide tables scroll inside their box."""

from datetime import date

import pytest

from tests.factories import login, make_site, make_training, make_user


@pytest.mark.browser
def test_training_pages_fit_a_phone(app, phone_page, live_server):
    site = make_site("OSL-MO")
    lead = make_user("lead", [site], email="leder@test.no")
    anne = make_user("staff", [site], email="anne@test.no")
    make_training(site, lead, "cpr", date(2026, 1, 8), [anne], pwud=6, other=1)
    client = app.test_client()
    login(client, lead)  # session cookie: this test is about layout, not the login form
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    phone_page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server}]
    )
    for path in ("/opplaering/", "/opplaering/ny", "/opplaering/sertifiseringer"):
        phone_page.goto(path)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{path} is {width} px wide"
