"""The naloxone handout form with the national programme's fields."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice

from tracker import dates
from tracker.errors import DomainError
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


def handout_form(screen: HandoutScreen, **kwargs: object) -> KeyedForm:
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
        handed_out_by = SelectField(
            _l("Delt ut av"),
            choices=_hander_choices(screen),
            default=str(current_actor().user_id),
        )
        confirm_unusual = confirm.confirm_field()

    return HandoutForm(**kwargs)


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
        saved_on = valid_day(form.handed_out_on.data)
        fields = {
            "handed_out_on": saved_on,
            "quantity": as_int(form.quantity),
            "recipient_group": form.recipient_group.data,
            "first_time": form.first_time.data == "yes",
            "training_given": bool(form.training_given.data),
            "refill_reason": form.refill_reason.data or None,
            "lot": form.lot.data or None,
            "handed_out_by": parse_id(form.handed_out_by.data),
        }
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
