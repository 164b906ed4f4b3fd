"""The browser harness works: chromium opens the home page served by the live server."""

import pytest

from tests.browser import screenshot


@pytest.mark.browser
def test_home_page_renders_in_chromium(browser_page):
    browser_page.goto("/")
    assert browser_page.locator("h1").inner_text().startswith("Utdelingsregister")
    assert screenshot(browser_page, "home").exists()
