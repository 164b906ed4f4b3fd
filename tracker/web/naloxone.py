"""The naloxone handout form with the national programme's fields."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, HiddenField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from tracker import dates
from tracker.errors import DomainError
from tracker.models import Lot
from tracker.services import naloxone
from tracker.services.naloxone import HandoutScreen
from tracker.services.plausibility import UnusualQuantity
from tracker.services.unit import parse_id
from tracker.web import confirm
from tracker.web.common import (
    current_actor,
    new_form_key,
    once,
    receipt_redirect,
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

bp = Blueprint("web_naloxone", __name__)

RECIPIENT_LABELS = [
    SelectChoice("pwud", _l("Person som bruker rusmidler")),
    SelectChoice("relative", _l("Pårørende")),
    SelectChoice("staff", _l("Ansatt")),
    SelectChoice("other", _l("Annen")),
]
REFILL_LABELS = [
    SelectChoice("", _l("– ikke påfyll –")),
    SelectChoice("used_on_overdose", _l("Brukt ved overdose")),
    SelectChoice("lost", _l("Mistet")),
    SelectChoice("stolen", _l("Stjålet")),
    SelectChoice("confiscated", _l("Beslaglagt")),
    SelectChoice("expired", _l("Utløpt")),
    SelectChoice("other", _l("Annet")),
    SelectChoice("unknown", _l("Ukjent")),
]
FIELDS = {
    "date": "handed_out_on",
    "quantity": "quantity",
    "recipient_group": "recipient_group",
    "refill_reason": "refill_reason",
    "lot": "lot",
    "handed_out_by": "handed_out_by",
}


def _hander_choices(screen: HandoutScreen) -> list[SelectChoice]:
    """The person entering first (the default), then the site's other staff."""
    me = current_actor().user
    others = [u for u in screen.staff if u.id != me.id]
    return [SelectChoice(str(u.id), u.name or u.email) for u in [me, *others]]


def _lot_label(lot: Lot, on_hand: int | None) -> str:
    expiry = day(lot.expiry) if lot.expiry else "–"
    if on_hand is None:  # never held here: allowed (printed on the box), flagged, never default
        return _(
            "%(lot)s – utløper %(expiry)s – ikke mottatt her", lot=lot.lot_number, expiry=expiry
        )
    return _(
        "%(lot)s – utløper %(expiry)s – %(qty)s på lager",
        lot=lot.lot_number,
        expiry=expiry,
        qty=number(on_hand),
    )


def handout_form(screen: HandoutScreen, versioned: bool = False, **kwargs: object) -> KeyedForm:
    """The handout form; versioned: the edit form, carrying the version it was filled from."""
    automatic = _("Som nå (endres ikke)") if versioned else _("Automatisk (først utløpende)")
    lot_choices = [SelectChoice("", automatic)] + [
        SelectChoice(lot.lot_number, _lot_label(lot, on_hand)) for lot, on_hand in screen.lots
    ]

    class HandoutForm(KeyedForm):
        handed_out_on = date_field(DATE_LABEL)
        quantity = quantity_field(_l("Antall sett"), naloxone.MAX_KITS, minimum=1, required=True)
        recipient_group = RadioField(_l("Hvem får"), choices=RECIPIENT_LABELS, default="pwud")
        first_time = RadioField(
            _l("Første gang eller påfyll"),
            choices=[SelectChoice("yes", _l("Første gang")), SelectChoice("no", _l("Påfyll"))],
            default="yes",
        )
        refill_reason = SelectField(_l("Grunn til påfyll"), choices=REFILL_LABELS, default="")
        training_given = BooleanField(_l("Opplæring gitt"))
        lot = SelectField(_l("Parti (lot)"), choices=lot_choices, default="")
        confirm_unusual = confirm.confirm_field()

    if versioned:
        HandoutForm.version = HiddenField()
    else:  # who handed the kit out: a new handout only
        HandoutForm.handed_out_by = SelectField(
            _l("Delt ut av"),
            choices=_hander_choices(screen),
            default=str(current_actor().user_id),
        )
    return HandoutForm(**kwargs)


def _fields(form: KeyedForm) -> dict[str, Any]:
    return {
        "handed_out_on": valid_day(form.handed_out_on.data),
        "quantity": as_int(form.quantity),
        "recipient_group": form.recipient_group.data,
        "first_time": form.first_time.data == "yes",
        "training_given": bool(form.training_given.data),
        "refill_reason": form.refill_reason.data or None,
        "lot": form.lot.data or None,
    }


@bp.get("/nalokson")
@login_required
def handout_here():
    return site_page("web_naloxone.handout")


@bp.route("/steder/<code>/nalokson", methods=["GET", "POST"])
@login_required
def handout(code: str):
    """Record a naloxone handout; the receipt shows what was saved."""
    on = parse_day(request.args.get("dato")) or dates.today()
    screen = naloxone.handout_screen(
        current_actor(), code, on, parse_id(request.args.get("kvittering"))
    )
    form = handout_form(
        screen, data={"handed_out_on": on.isoformat(), "form_key": new_form_key(), "quantity": "1"}
    )
    status = 200
    if form.validate_on_submit():
        if not valid_form_key(form.form_key.data):
            abort(400)
        fields = _fields(form)
        saved_on = fields["handed_out_on"]
        if "handed_out_by" in form:
            fields["handed_out_by"] = parse_id(form.handed_out_by.data)
        asked = {"quantity": fields["quantity"]}
        try:
            handout, stored = once(
                f"naloxone:{screen.site.code}",
                form.form_key.data,
                fields,
                lambda idem: naloxone.hand_out(
                    current_actor(),
                    site_code=screen.site.code,
                    idem=idem,
                    unusual_confirmed=confirm.confirmed(form, asked),
                    **fields,
                ),
            )
        except UnusualQuantity as exc:
            flash(confirm.ask(form, exc, asked, FIELDS), "error")
            status = exc.status
        except DomainError as exc:
            flash(show_domain_error(form, exc, FIELDS), "error")
            status = exc.status
        else:
            return receipt_redirect("web_naloxone.handout", code, saved_on, handout, stored)
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()  # nothing was saved with the old one
    return render_template("naloxone/handout.html", form=form, screen=screen), status


@bp.route("/steder/<code>/nalokson/<int:handout_id>/endre", methods=["GET", "POST"])
@login_required
def edit(code: str, handout_id: int):
    """Change a handout; the ledger gets per-lot corrections for the difference.

    Like the entry edit form: a one-time key (a double tap saves once) and the version it
    was read at (a change someone else saved since is not overwritten unseen).
    """
    handout, screen = naloxone.edit_screen(current_actor(), code, handout_id)
    if handout.deleted_at is not None:
        abort(409)
    data = {
        "handed_out_on": handout.handed_out_on.isoformat(),
        "quantity": str(handout.quantity),
        "recipient_group": handout.recipient_group,
        "first_time": "yes" if handout.first_time else "no",
        "refill_reason": handout.refill_reason or "",
        "training_given": handout.training_given,
        "lot": "",
        "form_key": new_form_key(),
        "version": str(handout.version),
    }
    form = handout_form(screen, versioned=True, data=data)
    status = 200
    if form.validate_on_submit():
        if not valid_form_key(form.form_key.data):
            abort(400)
        fields = _fields(form)
        changes = {("date" if k == "handed_out_on" else k): v for k, v in fields.items()}
        if changes["lot"] is None:
            del changes["lot"]  # "as now": the split stays unless kits or date change
        read_at = _version(form.version.data)
        try:
            _saved, stored = once(
                f"naloxone-edit:{handout.id}",
                form.form_key.data,
                changes,
                lambda idem: naloxone.update_handout(
                    current_actor(), handout.id, changes=changes, expected=read_at, idem=idem
                ),
                changed=_(
                    "Dette skjemaet er allerede lagret, med andre tall. Sjekk historikken; "
                    "trykk Lagre endring igjen for å lagre disse tallene."
                ),
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, FIELDS), "error")
            status = exc.status
        else:
            if stored is not None:
                flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
            else:
                flash(_("Endringen er lagret."), "success")
            return redirect(
                url_for("web_naloxone.handout", code=code, dato=fields["handed_out_on"].isoformat())
            )
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()  # nothing was saved with the old one
        form.version.data = str(handout.version)  # saving again applies to what is there now
    return render_template("naloxone/edit.html", form=form, screen=screen, handout=handout), status


@bp.post("/steder/<code>/nalokson/<int:handout_id>/slett")
@login_required
def delete(code: str, handout_id: int):
    """Delete a handout: kept, marked deleted, its kits back on their lots; a double tap
    deletes once."""
    key = request.form.get("form_key", "")
    if not valid_form_key(key):
        naloxone.get_handout(current_actor(), handout_id)  # someone else's: 404 first
        abort(400)
    deleted, _stored = once(
        f"naloxone-delete:{handout_id}",
        key,
        {"id": handout_id},
        lambda idem: naloxone.delete_handout(current_actor(), handout_id, idem=idem),
    )
    if deleted is None:  # the second tap: the first deleted it
        flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
        deleted = naloxone.get_handout(current_actor(), handout_id)
    else:
        flash(_("Utdelingen er slettet."), "success")
    return redirect(
        url_for("web_naloxone.handout", code=code, dato=deleted.handed_out_on.isoformat())
    )


def _version(raw: str | None) -> set[int] | None:
    """The version the edit form was filled from; None (last writer wins) if it has none."""
    raw = (raw or "").strip()
    return {int(raw)} if raw.isascii() and raw.isdigit() and len(raw) < 12 else None
