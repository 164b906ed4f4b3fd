"""Transfer pages: the list with what is in transit, the ship form and the receive form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from tracker.dates import today
from tracker.errors import DomainError
from tracker.services import catalog, transfers
from tracker.web.common import current_actor, new_form_key, once, valid_form_key
from tracker.web.forms import KeyedForm
from tracker.web.validators import LotNumber, NoNationalId, clear_national_ids

bp = Blueprint("web_transfers", __name__, url_prefix="/overforinger")
LINES = 5


class LineForm(FlaskForm):
    class Meta:
        csrf = False  # the outer form carries the token

    item = SelectField(_l("Vare"), validators=[Optional()], validate_choice=False)
    lot = StringField(_l("Parti (valgfritt)"), validators=[Optional(), Length(max=64), LotNumber()])
    quantity = IntegerField(_l("Antall"), validators=[Optional(), NumberRange(1, 1_000_000)])


class ShipForm(KeyedForm):
    from_site = SelectField(_l("Fra sted"), validators=[DataRequired()], validate_choice=False)
    to_site = SelectField(_l("Til sted"), validators=[DataRequired()], validate_choice=False)
    date = DateField(_l("Sendt dato"), validators=[DataRequired()], default=today)
    lines = FieldList(FormField(LineForm), min_entries=LINES, max_entries=LINES)
    note = TextAreaField(_l("Merknad"), validators=[Optional(), Length(max=2000), NoNationalId()])


class ReceiveForm(FlaskForm):
    date = DateField(_l("Mottatt dato"), validators=[DataRequired()], default=today)
    note = TextAreaField(_l("Merknad"), validators=[Optional(), Length(max=2000), NoNationalId()])


class CancelForm(FlaskForm):
    reason = StringField(
        _l("Hvorfor"), validators=[DataRequired(), Length(max=2000), NoNationalId()]
    )


@bp.get("")
@login_required
def index():
    """Transfers into and out of your sites; what is in transit comes first."""
    return render_template(
        "transfers/index.html", transfers=transfers.recent(current_actor()), cancel=CancelForm()
    )


def _ship_form() -> ShipForm:
    actor = current_actor()
    form = ShipForm()
    choices = transfers.ship_choices(actor)
    form.from_site.choices = [(s.code, s.name) for s in choices.senders]
    form.to_site.choices = [(s.code, s.name) for s in choices.receivers]
    if not form.is_submitted():  # start from the user's own site and its neighbours
        form.from_site.data, form.to_site.data = choices.sender, choices.receiver
        form.form_key.data = new_form_key()
        _prefill(form)
    items = [("", "–")] + [(i.code, i.name_nb) for i in catalog.list_items(active=True)]
    for entry in form.lines:
        entry.form.item.choices = items
    return form


def _prefill(form: ShipForm) -> None:
    """A suggestion's link (?fra=&til=&vare=&parti=&antall=) fills the form's first line."""
    args = request.args
    form.from_site.data = args.get("fra") or form.from_site.data
    form.to_site.data = args.get("til") or form.to_site.data
    first = form.lines[0].form
    first.item.data = args.get("vare") or first.item.data
    first.lot.data = args.get("parti") or first.lot.data
    raw = args.get("antall", "")
    if raw.isascii() and raw.isdigit() and len(raw) < 8:
        first.quantity.data = int(raw)


@bp.route("/ny", methods=["GET", "POST"])
@login_required
def new():
    """Ship stock from a site you lead to another site.

    The form carries a one-time key: a double tap ships once, and the second tap is told so.
    """
    form = _ship_form()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("transfers/new.html", form=form), status
    if not valid_form_key(form.form_key.data):
        abort(400)
    fields = {
        "from_code": form.from_site.data,
        "to_code": form.to_site.data,
        "shipped_on": form.date.data,
        "lines": [
            {"item": e.item.data, "quantity": e.quantity.data, "lot": e.lot.data or None}
            for e in form.lines
            if e.item.data and e.quantity.data
        ],
        "note": form.note.data or None,
    }
    try:
        transfer, stored = once(
            "transfer-ship",
            form.form_key.data,
            fields,
            lambda idem: transfers.ship(current_actor(), **fields, idem=idem),
        )
    except DomainError as exc:
        flash(exc.detail, "error")
        clear_national_ids(form)  # e.g. an unknown lot typed as a national ID number
        form.form_key.data = new_form_key()  # nothing was saved with the old one
        return render_template("transfers/new.html", form=form), exc.status
    if stored is not None:
        flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
    else:
        flash(_("Overføring %(id)s er sendt.", id=transfer.id), "success")
    return redirect(url_for("web_transfers.index"))


@bp.route("/<int:transfer_id>/motta", methods=["GET", "POST"])
@login_required
def receive(transfer_id: int):
    """Take a shipment in at your site, with what actually arrived per line."""
    actor = current_actor()
    transfer = transfers.get_transfer(actor, transfer_id)
    form = ReceiveForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("transfers/receive.html", transfer=transfer, form=form), status
    try:
        lines = [
            {"line_id": line.id, "quantity": int(request.form.get(f"received-{line.id}", ""))}
            for line in transfer.lines
        ]
    except ValueError:
        flash(_("Skriv mottatt antall som hele tall."), "error")
        return render_template("transfers/receive.html", transfer=transfer, form=form), 422
    try:
        transfers.receive(
            actor, transfer_id, received_on=form.date.data, lines=lines, note=form.note.data or None
        )
    except DomainError as exc:
        flash(exc.detail, "error")
        return render_template("transfers/receive.html", transfer=transfer, form=form), exc.status
    flash(_("Overføring %(id)s er mottatt.", id=transfer_id), "success")
    return redirect(url_for("web_transfers.index"))


@bp.post("/<int:transfer_id>/kanseller")
@login_required
def cancel(transfer_id: int):
    """Call back a shipment that has not been received."""
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("Skriv hvorfor overføringen kanselleres."), "error")
        return redirect(url_for("web_transfers.index"))
    try:
        transfers.cancel(current_actor(), transfer_id, reason=form.reason.data)
    except DomainError as exc:
        flash(exc.detail, "error")
        return redirect(url_for("web_transfers.index"))
    flash(_("Overføring %(id)s er kansellert.", id=transfer_id), "success")
    return redirect(url_for("web_transfers.index"))
