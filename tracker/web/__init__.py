"""Server-rendered pages for staff, site leads and coordinators."""

from flask import Blueprint, Flask, render_template

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def home():
    """The start page."""
    return render_template("home.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
