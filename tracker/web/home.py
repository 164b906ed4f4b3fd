"""The start page (the site picker once logged in) and the shared static files (blueprint "web")."""

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from tracker.services import sites, users
from tracker.web.common import current_actor

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)

# Per-site pages the picker may go on to; each takes the site code as `code`.
SITE_PAGES = {
    "web_tallies.entry",
    "web_tallies.history",
    "web_naloxone.handout",
    "web_stock.site_stock",
    "web_stock.receive",
    "web_sites.levels",
    "web_sites.items",
}


def _next_page(value: str | None) -> str:
    return value if value in SITE_PAGES else "web_tallies.entry"


@bp.get("/")
def home():
    """Anonymous: what this is and a way in. Logged in: pick a site (the last one first)."""
    if not current_user.is_authenticated:
        return render_template("home.html")
    actor = current_actor()
    return render_template(
        "home/pick.html",
        sites=sorted(  # the remembered site first: one tap to today's form
            sites.list_sites(actor, active=True), key=lambda s: s.id != current_user.last_site_id
        ),
        last_site_id=current_user.last_site_id,
        neste=_next_page(request.args.get("neste")),
    )


@bp.post("/velg-sted")
@login_required
def pick_site():
    """Remember the picked site and open the page the user was on the way to."""
    code = request.form.get("site", "")
    users.remember_site(current_actor(), code)
    return redirect(url_for(_next_page(request.form.get("neste")), code=code))


@bp.get("/tilgjengelighet")
def accessibility():
    """The accessibility statement (tilgjengelighetserklæring): what is tested and how."""
    return render_template("accessibility.html")


@bp.get("/favicon.ico")
def favicon():
    """Browsers and bookmarks that ask for /favicon.ico get the app's icon."""
    return redirect(url_for("web.static", filename="favicon.svg"), code=301)
