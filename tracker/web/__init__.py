"""Server-rendered pages for staff, site leads and coordinators: one blueprint per area."""

from flask import Flask

from tracker.web import home, nav, reports

# Every page blueprint, registered from this one list (like the API's).
BLUEPRINTS = [home.bp, reports.bp]


def init_app(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    nav.init_app(app)
