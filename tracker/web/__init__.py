"""Server-rendered pages for staff, site leads and coordinators: one blueprint per area."""

from flask import Flask

from tracker.web import (
    alerts,
    audit,
    auth,
    catalog,
    counts,
    day_counts,
    deliveries,
    discards,
    discrepancies,
    formats,
    health,
    home,
    imports,
    municipalities,
    naloxone,
    nav,
    offline,
    overdoses,
    reorder,
    reports,
    sites,
    stock,
    stock_history,
    submissions,
    tallies,
    training,
    transfers,
    unmet_demand,
    users,
)

# Every page blueprint, registered from this one list (like the API's).
BLUEPRINTS = [home.bp, auth.bp, tallies.bp, naloxone.bp, stock.bp, users.bp, training.bp]
BLUEPRINTS += [transfers.bp, counts.bp, discards.bp, reorder.bp, discrepancies.bp]
BLUEPRINTS += [health.bp, audit.bp]
BLUEPRINTS += [imports.bp]
BLUEPRINTS += [overdoses.bp, day_counts.bp]
BLUEPRINTS += [reports.bp, stock_history.bp, submissions.bp]
BLUEPRINTS += [municipalities.bp, sites.bp, catalog.bp]
BLUEPRINTS += [unmet_demand.bp, alerts.bp, deliveries.bp]
BLUEPRINTS += [offline.bp]


def init_app(app: Flask) -> None:
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    nav.init_app(app)
    formats.init_app(app)
