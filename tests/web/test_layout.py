"""Issue 22: the shared layout: a compact menu with no link twice, an app name and favicon,
the accessibility statement linked from every page's footer."""

from __future__ import annotations

import re

from tests.factories import login, make_item, make_site, make_user


def header(html: str) -> str:
    return re.search(r'<header class="top">.*?</header>', html, re.S).group(0)


def test_on_a_site_page_the_menu_leaves_out_the_site_menus_links(client, app):
    site = make_site("OSL-MO")
    make_item("SPR-2")
    login(client, make_user("lead", [site]))
    html = client.get("/steder/OSL-MO/utdeling").get_data(as_text=True)
    menu = header(html)
    for here in ('href="/utdeling"', 'href="/nalokson"', 'href="/mottak"', 'href="/lager"'):
        assert here not in menu
    assert 'href="/steder/OSL-MO/lager"' in html  # the site menu has them
    assert 'href="/overforinger"' in menu  # the rest of the menu is there
    hrefs = re.findall(r'<a href="([^"]+)"', menu)
    assert len(hrefs) == len(set(hrefs))
    start = header(client.get("/").get_data(as_text=True))
    assert 'href="/utdeling"' in start  # elsewhere the menu's way to today's form stays


def test_the_menu_is_a_details_element_that_needs_no_script(client, app):
    site = make_site("OSL-MO")
    login(client, make_user("staff", [site]))
    html = client.get("/").get_data(as_text=True)
    assert '<details class="menu">' in html
    assert "<summary>Meny</summary>" in html
    # The menu opens without script: the only scripts are the app's own offline queue.
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts == ['<script src="/static/offline.js" defer>'] or all(
        'src="/static/' in tag or 'type="application/json"' in tag for tag in scripts
    ), scripts


def test_every_page_names_the_app_and_has_a_favicon_and_the_statement_link(client, app):
    for path in ("/", "/login", "/tilgjengelighet"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(r"<title>[^<]+ · Utdelingsregister</title>", html), path
        assert '<meta name="application-name" content="Utdelingsregister">' in html
        assert 'rel="icon" href="/static/favicon.svg"' in html
        assert '<a href="/tilgjengelighet">Tilgjengelighetserklæring</a>' in html
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200
        assert icon.mimetype == "image/svg+xml"
    assert client.get("/favicon.ico").headers["Location"].endswith("/static/favicon.svg")


def test_the_accessibility_statement_says_what_is_tested_in_bokmal_and_english(client, app):
    html = client.get("/tilgjengelighet").get_data(as_text=True)
    assert "<h1>Tilgjengelighetserklæring</h1>" in html
    for said in ("WCAG 2.1 nivå AA", "axe-core", "360 piksler", "tastaturet alene"):
        assert said in html
    english = client.get("/tilgjengelighet?lang=en").get_data(as_text=True)
    assert "<h1>Accessibility statement</h1>" in english
    assert "tested with a screen reader" in english


def test_every_scrollable_table_is_a_labelled_keyboard_stop(client, app):
    """A table wrapper that scrolls sideways can be reached and scrolled with the keyboard."""
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "tracker/web/templates"
    for path in templates.rglob("*.html"):
        wrappers = r'<div class="(?:table-wrap|scroll|training-table)"[^>]*>'
        for tag in re.findall(wrappers, path.read_text()):
            assert 'role="region"' in tag, path
            assert 'tabindex="0"' in tag, path
            assert "aria-label=" in tag or "aria-labelledby=" in tag, path


def test_the_error_summary_reads_the_messages_of_a_form_with_lines(client, app):
    """A form with a list of lines (a transfer) lists its lines' messages as text, not dicts."""
    from tests.web.pages import form_post

    make_site("BGO-MO", "4601")
    site = make_site("OSL-MO")
    make_item("SPR-2")
    login(client, make_user("lead", [site]))
    response = form_post(
        client,
        "/overforinger/ny",
        {"from_site": "OSL-MO", "to_site": "BGO-MO", "date": "2026-12-01",
         "lines-0-item": "SPR-2", "lines-0-quantity": "-4"},
    )  # fmt: skip
    html = response.get_data(as_text=True)
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert summary, html[:2000]
    assert "{" not in summary.group(0)
    assert "Linjer:" in summary.group(0)
    assert 'href="#' in summary.group(0)
