"""The start page and the shared static files (blueprint "web")."""

from flask import Blueprint, render_template

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/static"
)


@bp.get("/")
def home():
    """The start page."""
    return render_template("home.html")
