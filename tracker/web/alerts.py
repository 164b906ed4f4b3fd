"""Drug alerts (varsling): coordinators and administrators list, post and end them;
the banner on every page shows the active ones to staff at the sites they cover."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from tracker import dates
from tracker.errors import DomainError
from tracker.services import alerts
from tracker.services.access import require_role
from tracker.web.common import current_actor
from tracker.web.forms import OptionalDate, parse_day
from tracker.web.validators import NoNationalId, clear_national_ids

bp = Blueprint("web_alerts", __name__, url_prefix="/varsler")

SEVERITIES = [
    SelectChoice("info", _l("Til orientering")),
    SelectChoice("warning", _l("Advarsel")),
    SelectChoice("critical", _l("Alvorlig")),
]


class AlertForm(FlaskForm):
    title = StringField(_l("Tittel"), validators=[DataRequired(), Length(max=200), NoNationalId()])
    text = TextAreaField(_l("Tekst"), validators=[DataRequired(), Length(max=4000), NoNationalId()])
    severity = SelectField(_l("Alvorlighet"), choices=SEVERITIES, default="warning")
    municipality = SelectField(_l("Gjelder"), validate_choice=False)
    valid_from = StringField(_l("Gyldig fra"), validators=[OptionalDate()])
    valid_to = StringField(_l("Gyldig til (tom: til det avsluttes)"), validators=[OptionalDate()])


def _areas() -> list[SelectChoice]:
    actor = current_actor()
    places = [SelectChoice(m.number, f"{m.number} {m.name}") for m in alerts.postable_areas(actor)]
    national = [SelectChoice("", _("Hele landet"))] if alerts.may_post(actor, None) else []
    return national + places


@bp.route("", methods=["GET", "POST"])
@login_required
def index():
    """The alerts the user may see, and the form to post one."""
    actor = current_actor()
    require_role(actor, "coordinator")
    form = AlertForm()
    form.municipality.choices = _areas()
    status = 200
    if form.validate_on_submit():
        try:
            alerts.post(
                actor,
                title=form.title.data,
                text=form.text.data,
                severity=form.severity.data,
                municipality=form.municipality.data or None,
                valid_from=parse_day(form.valid_from.data),
                valid_to=parse_day(form.valid_to.data),
            )
        except DomainError as exc:
            clear_national_ids(form)
            flash(str(exc.detail), "error")
            status = exc.status
        else:
            flash(_("Varselet er lagt ut."), "success")
            return redirect(url_for("web_alerts.index"), 303)
    elif form.is_submitted():
        clear_national_ids(form)
        status = 422
    found = alerts.list_alerts(actor)
    return render_template("alerts/index.html", form=form, found=found, today=dates.today()), status


@bp.post("/<int:alert_id>/avslutt")
@login_required
def end(alert_id: int):
    """End an alert now; it leaves the banner."""
    try:
        alerts.end(current_actor(), alert_id)
    except DomainError as exc:
        flash(str(exc.detail), "error")
    else:
        flash(_("Varselet er avsluttet."), "success")
    return redirect(url_for("web_alerts.index"), 303)


def banner() -> list[object]:
    """The active alerts for the logged-in user's sites; none if the database is away."""
    if not getattr(current_user, "is_authenticated", False):
        return []
    try:
        return list(alerts.active_for_user(current_actor().user))
    except SQLAlchemyError:
        return []


@bp.app_context_processor
def _banner() -> dict[str, object]:
    return {"alert_banner": banner}
