"""The JSON API: every blueprint registered from this one list."""

from flask import Flask

from tracker.api import (
    alerts,
    audit,
    catalog,
    categories,
    counts,
    day_counts,
    deliveries,
    discards,
    discrepancies,
    exports,
    imports,
    municipalities,
    naloxone,
    overdoses,
    reorder,
    reports,
    sites,
    stock,
    submissions,
    tallies,
    tokens,
    training,
    transfers,
    unmet_demand,
    users,
)
from tracker.extensions import api, csrf

BLUEPRINTS = [sites.blp, catalog.blp, stock.blp, tallies.blp, naloxone.blp, training.blp]
BLUEPRINTS += [transfers.blp, counts.blp, discards.blp, reorder.blp, discrepancies.blp]
BLUEPRINTS += [overdoses.blp, day_counts.referrals_blp, day_counts.returns_blp]
BLUEPRINTS += [day_counts.groups_blp]
BLUEPRINTS += [audit.blp]
BLUEPRINTS += [imports.blp]
BLUEPRINTS += [reports.blp, exports.blp, submissions.blp]
BLUEPRINTS += [tokens.blp]
BLUEPRINTS += [municipalities.blp, users.blp]
BLUEPRINTS += [unmet_demand.blp, alerts.blp, deliveries.blp]
BLUEPRINTS += [categories.blp]


def init_app(app: Flask) -> None:
    api.init_app(app)
    for blueprint in BLUEPRINTS:
        csrf.exempt(blueprint)  # bearer tokens, no cookies: CSRF does not apply
        api.register_blueprint(blueprint)
