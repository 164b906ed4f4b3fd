"""/api/v1/reports: distribution totals per site, item category and period bucket."""

from flask import Response, current_app
from flask.views import MethodView

from tracker.api.common import RowPage, actor, make_blueprint
from tracker.exports import distribution_csv
from tracker.schemas.reports import (
    DistributionCsvQuery,
    DistributionQuery,
    DistributionReportOut,
    EventsQuery,
    EventsReportOut,
    NaloxoneQuery,
    NaloxoneReportOut,
    SourceOut,
    SourcesQuery,
    StockMovementsOut,
    StockMovementsQuery,
)
from tracker.services import event_reports, naloxone, report_sources, reports, stock_history

blp = make_blueprint(
    "reports", __name__, "/reports", "Distribution reports for site leads and coordinators."
)
ERRORS = {
    400: "Malformed request.",
    403: "Staff cannot see reports; leads see their own sites, coordinators their municipality.",
    404: "Unknown site or municipality.",
    422: "Bad period (from after to, over 10 years, malformed date) or a municipality "
    "without sites.",
}


def _document_errors(view):  # noqa: ANN001, ANN202
    for status, description in ERRORS.items():
        view = blp.alt_response(status, description=description, success=False)(view)
    return view


def _report(args) -> reports.DistributionReport:  # noqa: ANN001
    return reports.distribution_report(
        actor(),
        date_from=args["date_from"],
        date_to=args["date_to"],
        by=args["by"],
        sites=args["site"],
        municipality=args.get("municipality"),
    )


@blp.route("/distribution")
class Distribution(MethodView):
    @blp.arguments(DistributionQuery, location="query")
    @blp.response(200, DistributionReportOut)
    @_document_errors
    def get(self, args):
        """Totals per site, item category and period bucket, completeness and SWITCH ratio.

        A bucket in which a site made no entry is null (not reported), never 0; an entry
        reports 0 for the categories on the site's item list it left blank."""
        return reports.distribution_json(
            actor(),
            date_from=args["date_from"],
            date_to=args["date_to"],
            by=args["by"],
            sites=args["site"],
            municipality=args.get("municipality"),
        )


@blp.route("/naloxone")
class Naloxone(MethodView):
    @blp.arguments(NaloxoneQuery, location="query")
    @blp.response(200, NaloxoneReportOut)
    @_document_errors
    def get(self, args):
        """Naloxone kits by recipient group, first vs refill, refill reasons, training given."""
        return naloxone.naloxone_report(
            actor(),
            date_from=args["date_from"],
            date_to=args["date_to"],
            sites=args["site"],
            municipality=args.get("municipality"),
            external=args["external"],
        )


@blp.route("/distribution.csv")
class DistributionCsv(MethodView):
    @blp.arguments(DistributionCsvQuery, location="query")
    @blp.response(200, content_type="text/csv", description="One line per site, category, bucket.")
    @_document_errors
    def get(self, args):
        """The same report as CSV: UTF-8 with a byte order mark, `;` between fields (for a
        Norwegian Excel) unless `sep=comma`, ISO dates, plain integers."""
        report = _report(args)
        name = f"utdeling_{report.scope.start}_{report.scope.end}_{report.by}.csv"
        return Response(
            distribution_csv.lines(
                report.rows(), args["lang"], args["sep"], report.category_names(args["lang"])
            ),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


@blp.route("/stock-movements")
class StockMovements(MethodView):
    @blp.arguments(StockMovementsQuery, location="query")
    @blp.response(200, StockMovementsOut)
    @blp.alt_response(403, description="Not a site you may see.", success=False)
    @blp.alt_response(404, description="Unknown site.", success=False)
    @blp.alt_response(422, description="from after to, or to after today.", success=False)
    def get(self, args):
        """Per item: opening balance, movements by kind, closing balance (a stock card).

        Opening is stock at the end of the day before `from`; opening + movements = closing,
        and closing equals `GET /stock?site=&date=` at `to`.
        """
        return stock_history.movement_report(
            actor(), args["site"], args["date_from"], args["date_to"]
        )


@blp.route("/sources")
class Sources(MethodView):
    @blp.arguments(SourcesQuery, location="query")
    @blp.response(200, SourceOut(many=True))
    @blp.paginate(RowPage)
    @blp.alt_response(
        403,
        description="Staff and leads: own sites; coordinators: their municipality.",
        success=False,
    )
    @blp.alt_response(404, description="Unknown site, municipality or item.", success=False)
    @blp.alt_response(422, description="Bad period or filter.", success=False)
    def get(self, args):
        """The entries and movements that make up one report figure (they add up to it).

        Give the figure's filters: period, sites or municipality, item category or item,
        and the measure (quantity handed out, or contacts).
        """
        return report_sources.sources(
            actor(),
            date_from=args["date_from"],
            date_to=args["date_to"],
            sites=args["site"],
            municipality=args.get("municipality"),
            category=args.get("category"),
            item=args.get("item"),
            measure=args["measure"],
        )


@blp.route("/events")
class Events(MethodView):
    @blp.arguments(EventsQuery, location="query")
    @blp.response(200, EventsReportOut)
    @_document_errors
    def get(self, args):
        """Overdoses, referrals, returns and contacts by group, per site and month.

        The same figures as the workbook's Overdoser, Henvisninger and Retur sheets and the
        contacts by group on Sammendrag; with external=true protected as the external file.
        """
        return event_reports.events_report(
            actor(),
            date_from=args["date_from"],
            date_to=args["date_to"],
            sites=args["site"],
            municipality=args.get("municipality"),
            external=args["external"],
            threshold=int(current_app.config.get("SUPPRESSION_THRESHOLD", 5)),
        )
