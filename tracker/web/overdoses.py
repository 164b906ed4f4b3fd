"""The overdose page: a phone-friendly form, the site's recent events, edit and delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice

from tracker import dates
from tracker.errors import DomainError
from tracker.services import overdoses
from tracker.services.overdoses import EventScreen
from tracker.web.common import (
    current_actor,
    new_form_key,
    once,
    site_page,
    valid_form_key,
)
from tracker.web.formats import day, number
from tracker.web.forms import (
    DATE_LABEL,
    KeyedForm,
    as_int,
    date_field,
    parse_day,
    quantity_field,
    show_domain_error,
    valid_day,
)
from tracker.web.validators import NoNationalId

bp = Blueprint("web_overdoses", __name__)

PLACE_LABELS = [
    SelectChoice("at_site", _l("På stedet")),
    SelectChoice("outreach", _l("Oppsøkende")),
    SelectChoice("elsewhere", _l("Annet sted")),
]
OUTCOME_LABELS = [
    SelectChoice("recovered_on_site", _l("Kom seg på stedet")),
    SelectChoice("to_hospital", _l("Til sykehus/legevakt")),
    SelectChoice("died", _l("Døde")),
    SelectChoice("unknown", _l("Ukjent")),
]
FIELDS = {
    "date": "event_date",
    "place": "place",
    "outcome": "outcome",
    "naloxone_doses": "naloxone_doses",
    "lot": "lot",
    "item": "lot",
    "note": "note",
}


def labels(choices: list[SelectChoice]) -> dict[str, str]:
    return {choice.value: str(choice.label) for choice in choices}


def event_form(screen: EventScreen, **kwargs: Any) -> KeyedForm:
    lot_choices = [SelectChoice("", _("Automatisk (først utløpende)"))] + [
        SelectChoice(
            lot.lot_number,
            _(
                "%(lot)s – utløper %(expiry)s – %(qty)s på lager",
                lot=lot.lot_number,
                expiry=day(lot.expiry) if lot.expiry else "–",
                qty=number(on_hand),
            ),
        )
        for lot, on_hand in screen.lots
    ]

    class EventForm(KeyedForm):
        event_date = date_field(DATE_LABEL)
        place = RadioField(_l("Hvor"), choices=PLACE_LABELS, default="at_site")
        naloxone_doses = quantity_field(_l("Doser nalokson gitt av ansatte"), overdoses.MAX_DOSES)
        lot = SelectField(_l("Parti (lot)"), choices=lot_choices, default="")
        oxygen_given = BooleanField(_l("Oksygen gitt"))
        cpr_given = BooleanField(_l("HLR gitt"))
        ambulance_called = BooleanField(_l("Ambulanse tilkalt"))
        outcome = RadioField(_l("Utfall"), choices=OUTCOME_LABELS, default="recovered_on_site")
        note = TextAreaField(
            _l("Merknad (ingen navn eller fødselsnummer)"), validators=[NoNationalId()]
        )
        version = HiddenField()

    return EventForm(**kwargs)


def _fields(form: KeyedForm) -> dict[str, Any]:
    doses = as_int(form.naloxone_doses)
    return {
        "date": valid_day(form.event_date.data),
        "place": form.place.data,
        "outcome": form.outcome.data,
        "naloxone_doses": doses,
        "lot": (form.lot.data or None) if doses else None,
        "oxygen_given": bool(form.oxygen_given.data),
        "cpr_given": bool(form.cpr_given.data),
        "ambulance_called": bool(form.ambulance_called.data),
        "note": (form.note.data or "").strip() or None,
    }


@bp.get("/overdoser")
@login_required
def events_here():
    return site_page("web_overdoses.events")


@bp.route("/steder/<code>/overdoser", methods=["GET", "POST"])
@login_required
def events(code: str):
    """Record an overdose attended; the site's events this year below."""
    today = dates.today()
    on = parse_day(request.args.get("dato")) or today
    screen = overdoses.screen(current_actor(), code, on, today.replace(month=1, day=1))
    form = event_form(screen, data={"event_date": on.isoformat(), "form_key": new_form_key()})
    status = 200
    if form.validate_on_submit():
        if not valid_form_key(form.form_key.data):
            abort(400)
        fields = _fields(form)
        try:
            event, stored = once(
                f"overdose:{screen.site.code}",
                form.form_key.data,
                fields,
                lambda idem: overdoses.record(
                    current_actor(),
                    site_code=screen.site.code,
                    event_date=fields["date"],
                    **{k: v for k, v in fields.items() if k != "date"},
                    idem=idem,
                ),
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, FIELDS), "error")
            status = exc.status
        else:
            if stored is not None:
                flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
            else:
                flash(_("Overdosen er registrert."), "success")
            return redirect(url_for("web_overdoses.events", code=code))
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()
    return render_template(
        "overdoses/events.html",
        form=form,
        screen=screen,
        places=labels(PLACE_LABELS),
        outcomes=labels(OUTCOME_LABELS),
    ), status


@bp.route("/steder/<code>/overdoser/<int:event_id>/endre", methods=["GET", "POST"])
@login_required
def edit(code: str, event_id: int):
    """Change an event; doses, lot or date changes are written to the ledger as corrections."""
    event = overdoses.get_event(current_actor(), event_id)
    if event.site.code != code:
        abort(404)
    if event.deleted_at is not None:
        abort(409)
    screen = overdoses.screen(current_actor(), code, event.event_date, event.event_date)
    data = {
        "event_date": event.event_date.isoformat(),
        "place": event.place,
        "outcome": event.outcome,
        "naloxone_doses": str(event.naloxone_doses),
        "lot": event.lot.lot_number if event.lot else "",
        "oxygen_given": event.oxygen_given,
        "cpr_given": event.cpr_given,
        "ambulance_called": event.ambulance_called,
        "note": event.note or "",
        "form_key": new_form_key(),
        "version": str(event.version),
    }
    form = event_form(screen, data=data)
    if event.lot and event.lot.lot_number not in {c.value for c in form.lot.choices}:
        form.lot.choices.append(SelectChoice(event.lot.lot_number, event.lot.lot_number))
    status = 200
    if form.validate_on_submit():
        if not valid_form_key(form.form_key.data):
            abort(400)
        changes = _fields(form)
        raw = (form.version.data or "").strip()
        read_at = {int(raw)} if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
        try:
            once(
                f"overdose-edit:{event.id}",
                form.form_key.data,
                changes,
                lambda idem: overdoses.update(
                    current_actor(), event.id, changes=changes, expected=read_at, idem=idem
                ),
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, FIELDS), "error")
            status = exc.status
        else:
            flash(_("Endringen er lagret."), "success")
            return redirect(url_for("web_overdoses.events", code=code))
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()
        form.version.data = str(event.version)
    return render_template("overdoses/edit.html", form=form, screen=screen, event=event), status


@bp.post("/steder/<code>/overdoser/<int:event_id>/slett")
@login_required
def delete(code: str, event_id: int):
    """Delete an event: it is kept, marked deleted, and naloxone it used comes back to stock."""
    key = request.form.get("form_key", "")
    if not valid_form_key(key):
        overdoses.get_event(current_actor(), event_id)  # someone else's: 403/404 first
        abort(400)
    deleted, _stored = once(
        f"overdose-delete:{event_id}",
        key,
        {"id": event_id},
        lambda idem: overdoses.delete(current_actor(), event_id, idem=idem),
    )
    if deleted is None:
        flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
    else:
        flash(_("Overdosen er slettet."), "success")
    return redirect(url_for("web_overdoses.events", code=code))
