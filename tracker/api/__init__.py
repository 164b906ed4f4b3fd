"""The JSON API: every blueprint registered from this one list."""

from flask import Flask

from tracker.api import catalog, exports, naloxone, reports, sites, stock, tallies
from tracker.extensions import api, csrf

BLUEPRINTS = [
    sites.blp,
    catalog.blp,
    stock.blp,
    tallies.blp,
    naloxone.blp,
    reports.blp,
    exports.blp,
]


def init_app(app: Flask) -> None:
    api.init_app(app)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)  # bearer tokens, no cookies: CSRF does not apply
        api.register_blueprint(blueprint)
