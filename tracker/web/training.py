"""Training pages: the session list, the register form and the staff certification overview."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from tracker.dates import today
from tracker.errors import ValidationError
from tracker.models.training import AUDIENCES, TRAINING_TYPES
from tracker.services import certifications, training
from tracker.services.certifications import STATUSES
from tracker.web.common import current_actor
from tracker.web.validators import NoNationalId

bp = Blueprint("web_training", __name__, url_prefix="/opplaering")

TYPE_LABELS = {
    "cpr": _l("HLR (kameratredning)"),
    "first_aid": _l("Førstehjelp"),
    "naloxone": _l("Nalokson"),
    "smoking_technique": _l("Røyketeknikk (SWITCH)"),
    "overdose_conversation": _l("Overdosesamtale"),
    "naloxone_course": _l("Naloksonkurset (for ansatte som deler ut)"),
}
AUDIENCE_LABELS = {
    "pwud": _l("Brukere"),
    "relative": _l("Pårørende"),
    "staff": _l("Ansatte"),
    "other": _l("Andre"),
}
STATUS_LABELS = {
    "valid": _l("Gyldig"),
    "expiring": _l("Utløper innen 60 dager"),
    "expired": _l("Utløpt"),
    "missing": _l("Aldri kurset"),
}


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _count(label: object) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional(), NumberRange(0, training.MAX_AUDIENCE)],
        render_kw={"min": 0, "max": training.MAX_AUDIENCE, "inputmode": "numeric"},
    )


class SessionForm(FlaskForm):
    held_on = DateField(_l("Dato"), default=today)
    training_type = SelectField(
        _l("Type kurs"), choices=[SelectChoice(k, v) for k, v in TYPE_LABELS.items()]
    )
    pwud = _count(_l("Brukere"))
    relative = _count(_l("Pårørende"))
    staff = _count(_l("Ansatte (tom = antall avkrysset under)"))
    other = _count(_l("Andre"))
    attendees = CheckboxesField(_l("Ansatte som deltok (får sertifisering)"), choices=[])
    duration_minutes = IntegerField(
        _l("Varighet (minutter)"),
        validators=[Optional(), NumberRange(1, training.MAX_DURATION)],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    trainer = StringField(_l("Kursholder"), validators=[Optional(), NoNationalId()])
    note = TextAreaField(
        _l("Merknad (ikke navn eller fødselsnummer på deltakere)"),
        validators=[Optional(), NoNationalId()],
    )


# The service's reasons, said in bokmål beside the field they concern.
FIELD_MESSAGES = {
    "held_on": _l("Datoen kan ikke være i fremtiden eller før 2000."),
    "note": _l("Ser ut som et fødselsnummer, D- eller H-nummer. Deltakerne er anonyme: fjern det."),
    "trainer": _l("Ser ut som et fødselsnummer, D- eller H-nummer: fjern det."),
    "staff": _l("Kan ikke være færre enn de ansatte som er krysset av."),
    "attendees": _l("Bare aktive ansatte ved stedet kan krysses av."),
    "duration_minutes": _l("Ugyldig varighet."),
}
SERVICE_FIELDS = {"date": "held_on", "type": "training_type"}


def _show_errors(form: SessionForm, exc: ValidationError) -> None:
    """Put a refused save's reasons on the form's fields, in bokmål where we know them."""
    if "_schema" in exc.errors:
        flash(_("Kurset må ha minst én deltaker."), "error")
    else:
        flash(_("Kurset ble ikke lagret. Se feltene som er merket."), "error")
    for name in exc.errors:
        field = getattr(form, SERVICE_FIELDS.get(name, name), None)
        if field is not None and hasattr(field, "errors"):
            message = FIELD_MESSAGES.get(field.name, exc.detail)
            field.errors = [*field.errors, str(message)]


def _resolved(labels: dict[str, object]) -> dict[str, str]:
    """Translate lazy labels once per page, not once per table cell."""
    return {key: str(label) for key, label in labels.items()}


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@login_required
def sessions():
    """Sessions by site and period."""
    site = request.args.get("sted") or None
    start, end = _date_arg("fra"), _date_arg("til")
    page = training.list_sessions(current_actor(), site=site, date_from=start, date_to=end)
    return render_template(
        "training/list.html",
        page=page,
        site=site,
        start=start,
        end=end,
        types=_resolved(TYPE_LABELS),
        audiences=_resolved(AUDIENCE_LABELS),
        audience_keys=AUDIENCES,
    )


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def register():
    """Register a held session; the site's staff are ticked off as attendees."""
    actor = current_actor()
    choices = training.register_choices(actor, request.args.get("sted"))
    site = choices.site
    form = SessionForm()
    form.attendees.choices = [SelectChoice(u.email, u.name or u.email) for u in choices.staff]
    status = 200
    if form.validate_on_submit():
        counts = {a: getattr(form, a).data for a in AUDIENCES}
        try:
            training.record_session(
                actor,
                site_code=site.code,
                held_on=form.held_on.data,
                training_type=form.training_type.data,
                counts=counts,
                attendees=form.attendees.data,
                duration_minutes=form.duration_minutes.data,
                trainer=form.trainer.data or None,
                note=form.note.data or None,
            )
        except ValidationError as exc:
            _show_errors(form, exc)
            status = 422
        else:
            flash(_("Kurset er registrert."), "success")
            return redirect(url_for(".sessions", sted=site.code))
    elif request.method == "POST":
        status = 422
    page = render_template(
        "training/register.html",
        form=form,
        choices=choices,
        site=site,
        heading=_("Registrer kurs"),
        action=url_for(".register", sted=site.code),
    )
    return page, status


@bp.route("/<int:session_id>/endre", methods=["GET", "POST"])
@login_required
def edit(session_id: int):
    """Correct a recorded session; its attendees' certifications are re-issued."""
    actor = current_actor()
    session, staff = training.edit_choices(actor, session_id)
    form = SessionForm(data=None if request.method == "POST" else _form_data(session))
    form.attendees.choices = [SelectChoice(u.email, u.name or u.email) for u in staff]
    status = 200
    if form.validate_on_submit():
        changes = {
            "held_on": form.held_on.data,
            "training_type": form.training_type.data,
            "counts": {a: getattr(form, a).data for a in AUDIENCES},
            "attendees": form.attendees.data,
            "duration_minutes": form.duration_minutes.data,
            "trainer": form.trainer.data or None,
            "note": form.note.data or None,
        }
        try:
            training.correct_session(actor, session.id, changes)
        except ValidationError as exc:
            _show_errors(form, exc)
            status = 422
        else:
            flash(_("Kurset er endret."), "success")
            return redirect(url_for(".sessions", sted=session.site.code))
    elif request.method == "POST":
        status = 422
    page = render_template(
        "training/register.html",
        form=form,
        choices=None,
        site=session.site,
        heading=_("Endre kurs"),
        action=url_for(".edit", session_id=session.id),
    )
    return page, status


def _form_data(session) -> dict[str, object]:
    data: dict[str, object] = {a: getattr(session, f"{a}_count") for a in AUDIENCES}
    data.update(
        held_on=session.held_on,
        training_type=session.training_type,
        attendees=[a.user.email for a in session.attendees],
        duration_minutes=session.duration_minutes,
        trainer=session.trainer,
        note=session.note,
    )
    return data


@bp.get("/sertifiseringer")
@login_required
def overview():
    """Who at each site is validly certified, expiring soon, expired or never trained."""
    kind = request.args.get("type") if request.args.get("type") in TRAINING_TYPES else "cpr"
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    on = _date_arg("dato") or today()
    page = certifications.overview_page(
        current_actor(),
        on=on,
        site=request.args.get("sted") or None,
        training_type=kind,
        status=status,
    )
    return render_template(
        "training/overview.html",
        page=page,
        site=request.args.get("sted") or None,
        kind=kind,
        status=status,
        on=on,
        types=_resolved(TYPE_LABELS),
        statuses=_resolved(STATUS_LABELS),
    )
