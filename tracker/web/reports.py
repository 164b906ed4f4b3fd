"""The Reports page (/rapporter) for site leads and coordinators, and the workbook download."""

from __future__ import annotations

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from tracker import periods
from tracker.dates import today
from tracker.errors import DomainError, Forbidden
from tracker.services import event_reports, exports, report_page, report_sources, submissions
from tracker.web import charts, day_counts, overdoses
from tracker.web.common import current_actor
from tracker.web.formats import category_names, number, period_label
from tracker.web.forms import parse_day
from tracker.web.submissions import SubmitForm

bp = Blueprint("web_reports", __name__, url_prefix="/rapporter")

PRESETS = [
    SelectChoice("last_12_months", _l("Siste 12 måneder")),
    SelectChoice("this_month", _l("Denne måneden")),
    SelectChoice("last_month", _l("Forrige måned")),
    SelectChoice("this_tertial", _l("Dette tertialet")),
    SelectChoice("last_tertial", _l("Forrige tertial")),
    SelectChoice("this_year", _l("I år")),
    SelectChoice("last_year", _l("I fjor")),
    SelectChoice("custom", _l("Egendefinert (fra–til)")),
]
BUCKETS = [
    SelectChoice("month", _l("Måned")),
    SelectChoice("week", _l("Uke")),
    SelectChoice("tertial", _l("Tertial")),
    SelectChoice("quarter", _l("Kvartal")),
    SelectChoice("year", _l("År")),
    SelectChoice("day", _l("Dag")),
]


GROUP_LABELS = {
    "kits": _l("Sett totalt"),
    "group.pwud": _l("Brukere"),
    "group.relative": _l("Pårørende"),
    "group.staff": _l("Ansatte"),
    "group.other": _l("Andre"),
    "first": _l("Første gang"),
    "refill": _l("Påfyll"),
    "reason.used_on_overdose": _l("Påfyll: brukt ved overdose"),
    "reason.lost": _l("Påfyll: mistet"),
    "reason.stolen": _l("Påfyll: stjålet"),
    "reason.confiscated": _l("Påfyll: beslaglagt"),
    "reason.expired": _l("Påfyll: utløpt"),
    "reason.other": _l("Påfyll: annet"),
    "reason.unknown": _l("Påfyll: ukjent"),
    "training_given": _l("Opplæring gitt (utleveringer)"),
}
TRAINING_LABELS = {
    "cpr": _l("HLR"),
    "first_aid": _l("Førstehjelp"),
    "naloxone": _l("Nalokson"),
    "smoking_technique": _l("Røyketeknikk (SWITCH)"),
    "overdose_conversation": _l("Overdosesamtale"),
    "naloxone_course": _l("Naloksonkurset"),
}


class ReportForm(FlaskForm):
    """The filters; a GET form (it only reads), so without a CSRF token."""

    class Meta:
        csrf = False

    periode = SelectField(_l("Periode"), choices=PRESETS, default=report_page.DEFAULT_PRESET)
    fra = DateField(_l("Fra"), validators=[Optional()])
    til = DateField(_l("Til"), validators=[Optional()])
    inndeling = SelectField(_l("Inndeling"), choices=BUCKETS, default="month")
    sted = SelectField(_l("Sted"), choices=[], validate_choice=False, default="")
    kommune = SelectField(_l("Kommune"), choices=[], validate_choice=False, default="")
    ekstern = BooleanField(_l("Til ekstern bruk (skjul små tall om personer)"))
    sammenlign = BooleanField(_l("Ta med samme periode året før (arket Data)"))
    sprak = SelectField(
        _l("Språk i regnearket"),
        choices=[SelectChoice("nb", "Norsk bokmål"), SelectChoice("en", "English")],
        default="nb",
    )


def event_headings() -> dict[str, str]:
    """The headings of the events tables, keyed as the report's figures."""
    headings = {
        "events": _("Overdoser"),
        "doses": _("Doser nalokson gitt av ansatte"),
        "with_naloxone": _("Med nalokson"),
        "oxygen": _("Oksygen"),
        "cpr": _("HLR"),
        "ambulance": _("Ambulanse"),
        "referred": _("Henvist totalt"),
        "handed_out": _("Sprøyter og kanyler utdelt"),
        "per_hundred": _("Talt retur per 100 utdelt"),
    }
    for prefix, choices in (
        ("place.", overdoses.PLACE_LABELS),
        ("outcome.", overdoses.OUTCOME_LABELS),
        ("to.", day_counts.DESTINATION_LABELS),
        ("", day_counts.RETURN_LABELS),
        ("", day_counts.GROUP_LABELS),
    ):
        headings.update({prefix + c.value: str(c.label) for c in choices})
    return headings


def _nb_int(value: int) -> str:
    """1 234: Norwegian digit grouping with a no-break space."""
    return f"{value:,}".replace(",", "\u00a0")


@bp.app_template_filter("nb_int")
def nb_int_filter(value: int) -> str:
    return _nb_int(value)


@bp.get("/")
@login_required
def index():
    """Choose a period and sites; see totals, the trend, and download the workbook."""
    form = ReportForm(request.args)
    asked = bool(request.args)
    error = None
    if asked and not form.validate():
        error = _("Sjekk datoene: bruk formatet dd.mm.åååå.")
    try:
        page = report_page.report_page(
            current_actor(),
            preset=form.periode.data if asked else report_page.DEFAULT_PRESET,
            date_from=form.fra.data,
            date_to=form.til.data,
            by=form.inndeling.data or "month",
            site=form.sted.data or None,
            municipality=form.kommune.data or None,
            on=today(),
            run=error is None,
            external=bool(form.ekstern.data),
            first_visit=not asked,
        )
    except Forbidden:
        raise
    except DomainError as exc:  # bad period or filter: show the form again with the reason
        error = exc.detail
        page = report_page.report_page(
            current_actor(),
            preset=None,
            date_from=None,
            date_to=None,
            on=today(),
            run=False,
        )
    form.sted.choices = [("", _("Alle mine steder"))] + [
        (s.code, f"{s.code} – {s.name}" + ("" if s.active else _(" (inaktiv)"))) for s in page.sites
    ]
    form.kommune.choices = [("", _("Alle"))] + [
        (number, f"{number} {name}") for number, name in page.municipalities
    ]
    chart = events = None
    names = category_names()
    submit_form = None
    if page.report is not None and submissions.may_submit(current_actor()):
        submit_form = SubmitForm(
            formdata=None,
            fra=page.date_from,
            til=page.date_to,
            sted=form.sted.data or "",
            kommune=form.kommune.data or "",
        )
    if page.report is not None:
        trend = page.report.bucket_totals()
        chart = charts.line_chart(
            [period_label(b) for b in page.report.buckets],
            [
                (names.get(c, c), [row[c] for row in trend])
                for c in page.report.categories
                if any(row[c] for row in trend)  # no flat line for what nobody hands out
            ],
            _("Utdeling per periode"),
            fmt_number=number,
            axis_label=_("Antall per periode; brudd i linjen: ikke rapportert"),
        )
        form.fra.data, form.til.data = page.date_from, page.date_to
        if not asked:
            form.periode.data = page.preset_name
        events = event_reports.events_report(
            current_actor(),
            date_from=page.date_from,
            date_to=page.date_to,
            sites=page.report.scope.site_codes,
            municipality=page.report.scope.municipality,
        )
    return (
        render_template(
            "reports/index.html",
            form=form,
            page=page,
            report=page.report,
            chart=chart,
            error=error,
            categories=names,
            submit_form=submit_form,
            groups=GROUP_LABELS,
            training_types=TRAINING_LABELS,
            events=events,
            headings=event_headings() if events else {},
        ),
        422 if error else 200,
    )


@bp.get("/sammendrag.xlsx")
@login_required
def download():
    """The Helsedirektoratet workbook for the chosen period and filters."""
    args = request.args
    form = ReportForm(args)
    form.validate()
    date_from, date_to = form.fra.data, form.til.data
    if not (date_from or date_to) and form.periode.data in periods.PRESETS:
        chosen = periods.preset(form.periode.data, today())  # a link may name just a preset
        date_from, date_to = chosen.start, chosen.end
    result = exports.export_summary(
        current_actor(),
        date_from=date_from,
        date_to=date_to,
        sites=[form.sted.data] if form.sted.data else [],
        municipality=form.kommune.data or None,
        lang=form.sprak.data or "nb",
        external=bool(form.ekstern.data),
        by=form.inndeling.data if form.inndeling.data in periods.BUCKETS else "month",
        compare=bool(form.sammenlign.data),
    )
    return send_file(
        result.path,
        mimetype=exports.XLSX,
        as_attachment=True,
        download_name=result.filename,
        max_age=0,
    )


SOURCES_PER_PAGE = 100
SOURCE_NAMES = {
    "movement": _l("Lagerbevegelse"),
    "history_line": _l("Registrering før lagerstart"),
    "history_handout": _l("Naloksonutdeling før lagerstart"),
    "entry": _l("Registrering"),
}


@bp.get("/kilder")
@login_required
def sources():
    """The entries and movements behind one figure of the report, a page at a time."""
    args = request.args
    start, end = parse_day(args.get("fra")), parse_day(args.get("til"))
    if start is None or end is None:
        raise DomainError(_l("Kildene trenger fra- og til-dato."), {"fra": [_l("Må fylles ut.")]})
    query = report_sources.sources(
        current_actor(),
        date_from=start,
        date_to=end,
        sites=args.getlist("sted"),
        municipality=args.get("kommune") or None,
        category=args.get("kategori") or None,
        item=args.get("vare") or None,
        measure=args.get("mal") or "quantity",
    )
    page = max(1, min(args.get("side", 1, type=int) or 1, 10**9))
    rows = report_sources.page(query, page, SOURCES_PER_PAGE)
    return render_template(
        "reports/sources.html",
        rows=rows,
        total=report_sources.total(query),
        count=report_sources.count(query),
        page=page,
        per_page=SOURCES_PER_PAGE,
        start=start,
        end=end,
        names=SOURCE_NAMES,
        category=args.get("kategori"),
        categories=category_names(),
        measure=args.get("mal") or "quantity",
    )
