"""A site's stock page (on hand, expiry, reorder, days left, trend) and the goods received form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from tracker import dates
from tracker.errors import DomainError, LotExpiredOnReceipt, LotLooksLikeNationalId
from tracker.models import Item
from tracker.services import stock, tallies
from tracker.services.tallies import EntryScreen
from tracker.web.charts import line_chart
from tracker.web.common import current_actor, new_form_key, once, site_page, valid_form_key
from tracker.web.formats import category, item_name, number
from tracker.web.forms import (
    DATE_LABEL,
    KeyedForm,
    as_int,
    date_field,
    optional_date_field,
    parse_day,
    quantity_field,
    show_domain_error,
    valid_day,
)
from tracker.web.validators import LotNumber, NoNationalId, clear_national_ids

bp = Blueprint("web_stock", __name__)

MAX_RECEIVED = 1_000_000


@bp.get("/lager")
@login_required
def site_stock_here():
    return site_page("web_stock.site_stock")


@bp.get("/steder/<code>/lager")
@login_required
def site_stock(code: str):
    """On hand per item and lot, warnings, days of stock left, and the 12-week trend."""
    found = stock.overview(current_actor(), code)
    order = {name: n for n, name in enumerate(tallies.ENTRY_CATEGORIES)}
    series = [
        (category(name), values)
        for name, values in sorted(found.trend.items(), key=lambda kv: order.get(kv[0], 99))
    ]
    chart = line_chart(
        [str(monday.isocalendar().week) for monday in found.weeks],
        series,
        _("Utdelt per uke, siste %(n)d uker", n=len(found.weeks)),
        fmt_number=number,
        axis_label=_("uke"),
    )
    return render_template(
        "stock/site_stock.html",
        overview=found,
        chart=chart,
        can_set_start=stock.can_confirm_lot_numbers(current_actor(), found.site),
    )


def receipt_items(screen: EntryScreen) -> list[Item]:
    return [item for _, items in screen.groups for item in items]


def receive_form(screen: EntryScreen, **kwargs: Any) -> KeyedForm:
    class ReceiveForm(KeyedForm):
        received_on = date_field(DATE_LABEL)
        note = StringField(
            _l("Merknad (valgfritt)"),
            validators=[Length(max=2000, message=_l("Høyst 2000 tegn.")), NoNationalId()],
        )
        confirm_lot_number = BooleanField(_l("Lotnummeret står på esken"))
        confirm_expired = BooleanField(_l("Partiet er utløpt og tas imot for å kasseres"))

    for item in receipt_items(screen):
        setattr(ReceiveForm, f"item_{item.id}", quantity_field(item_name(item), MAX_RECEIVED))
        if item.tracks_lots:
            setattr(
                ReceiveForm,
                f"lot_{item.id}",
                StringField(_l("Parti (lot)"), validators=[Length(max=64), LotNumber()]),
            )
            setattr(ReceiveForm, f"expiry_{item.id}", optional_date_field(_l("Utløpsdato")))
    return ReceiveForm(**kwargs)


@bp.get("/mottak")
@login_required
def receive_here():
    return site_page("web_stock.receive")


@bp.route("/steder/<code>/mottak", methods=["GET", "POST"])
@login_required
def receive(code: str):
    """Goods received: the quantities that came in, with lot and expiry where the item has them."""
    on = dates.today()
    screen = tallies.entry_screen(current_actor(), code, on)
    form = receive_form(screen, data={"received_on": on.isoformat(), "form_key": new_form_key()})
    status = 200
    ask_lot_confirmation = ask_expired = False
    if form.validate_on_submit():
        if not valid_form_key(form.form_key.data):
            abort(400)
        lines: list[dict[str, Any]] = []
        fields = {"date": "received_on", "note": "note"}
        for item in receipt_items(screen):
            quantity = as_int(form[f"item_{item.id}"])
            if not quantity:
                continue
            line: dict[str, Any] = {"item": item.code, "quantity": quantity}
            fields[f"lines.{len(lines)}"] = f"item_{item.id}"
            if item.tracks_lots:
                line["lot"] = (form[f"lot_{item.id}"].data or "").strip() or None
                line["expiry"] = parse_day(form[f"expiry_{item.id}"].data)
                fields[f"lines.{len(lines)}.lot"] = f"lot_{item.id}"
                fields[f"lines.{len(lines)}.expiry"] = f"expiry_{item.id}"
            lines.append(line)
        if not lines:
            form.received_on.errors = [_("Skriv inn minst ett antall.")]
            status = 422
        else:
            received_on = valid_day(form.received_on.data)
            try:
                receipt, _stored = once(
                    f"receipt:{screen.site.code}",
                    form.form_key.data,
                    {"date": received_on, "lines": lines},
                    lambda idem: stock.receive(
                        current_actor(),
                        site_code=screen.site.code,
                        received_on=received_on,
                        lines=lines,
                        note=form.note.data or None,
                        confirm_lot_number=form.confirm_lot_number.data,
                        confirm_expired=form.confirm_expired.data,
                        idem=idem,
                    ),
                )
            except LotLooksLikeNationalId as exc:
                status = exc.status
                ask_lot_confirmation = can_confirm_lots(screen)
                _ask_about_lots(form, exc, fields, ask_lot_confirmation)
            except LotExpiredOnReceipt as exc:
                status = exc.status
                ask_expired = True
                flash(show_domain_error(form, exc, fields), "error")
            except DomainError as exc:
                flash(show_domain_error(form, exc, fields), "error")
                status = exc.status
            else:
                total = number(sum(line["quantity"] for line in lines))
                flash(
                    _("Mottaket er lagret: %(n)s varer.", n=total)
                    if receipt is not None
                    else _("Skjemaet var allerede sendt. Det er lagret én gang."),
                    "success",
                )
                return redirect(url_for("web_stock.site_stock", code=code))
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()  # nothing was saved with the old one
    return render_template(
        "stock/receive.html",
        form=form,
        screen=screen,
        items=receipt_items(screen),
        ask_lot_confirmation=ask_lot_confirmation,
        ask_expired=ask_expired,
    ), status


def can_confirm_lots(screen: EntryScreen) -> bool:
    """Only a site lead (or above) confirms that a lot number is printed on the box."""
    return stock.can_confirm_lot_numbers(current_actor(), screen.site)


def _ask_about_lots(
    form: KeyedForm, exc: LotLooksLikeNationalId, fields: dict[str, str], can_confirm: bool
) -> None:
    """Ask a lead to tick "the lot number is on the box"; staff are told to ask one.

    The lot number stays in the form for a lead to check against the box; for staff, who
    cannot confirm it, it is cleared like any refused number.
    """
    if can_confirm:
        message = _(
            "Lotnummeret ser ut som et fødselsnummer, D- eller H-nummer. Sjekk at det står "
            "på esken, kryss av under og lagre igjen."
        )
    else:
        message = _(
            "Lotnummeret ser ut som et fødselsnummer, D- eller H-nummer. En stedsleder må "
            "bekrefte at det står på esken."
        )
        clear_national_ids(form)
    for key in fields:
        if key.endswith(".lot") and _dotted_has(exc.errors, key):
            form[fields[key]].errors = [*form[fields[key]].errors, message]
    flash(message, "error")


def _dotted_has(errors: dict[str, Any], key: str) -> bool:
    node: Any = errors
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True
