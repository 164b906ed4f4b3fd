"""The daily distribution form, its receipt, and the history with edit and delete."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms import BooleanField, HiddenField, TextAreaField
from wtforms.validators import Length

from tracker import dates
from tracker.errors import DomainError
from tracker.models import Item
from tracker.services import day_counts, tallies
from tracker.services.plausibility import UnusualQuantity
from tracker.services.tallies import EntryScreen
from tracker.services.unit import parse_id
from tracker.web import confirm
from tracker.web import day_counts as day_counts_web
from tracker.web.common import (
    current_actor,
    new_form_key,
    once,
    receipt_redirect,
    site_page,
    valid_form_key,
)
from tracker.web.formats import item_name
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

bp = Blueprint("web_tallies", __name__)

MAX_QUANTITY = 100_000
HISTORY_DAYS = 14


def entry_items(screen: EntryScreen) -> list[Item]:
    """The items counted on this form (naloxone has its own form with the programme fields)."""
    return [item for _, items in screen.groups for item in items if item.category != "naloxone"]


def tally_form(screen: EntryScreen, versioned: bool = False, **kwargs: Any) -> KeyedForm:
    """The form for this site's items: one whole-number field per item, contacts and date.

    versioned: the edit form, which also carries the version of the entry it was filled from.
    """

    class TallyForm(KeyedForm):
        entry_date = date_field(DATE_LABEL)
        contacts = quantity_field(_l("Kontakter"), tallies.MAX_CONTACTS)
        note = TextAreaField(
            _l("Merknad (valgfritt, ingen navn eller fødselsnummer)"),
            validators=[Length(max=2000, message=_l("Høyst 2000 tegn.")), NoNationalId()],
            render_kw={"rows": 2},
        )

    for item in entry_items(screen):
        setattr(TallyForm, f"item_{item.id}", quantity_field(item_name(item), MAX_QUANTITY))
    TallyForm.confirm_unusual = confirm.confirm_field()
    if not versioned:
        TallyForm.nothing_handed_out = BooleanField(
            _l("Åpent, ingenting delt ut: lagre registreringen med bare 0")
        )
    if versioned:
        TallyForm.version = HiddenField()
    return TallyForm(**kwargs)


def _lines(form: KeyedForm, screen: EntryScreen) -> list[dict[str, Any]]:
    return [
        {"item": item.code, "quantity": as_int(form[f"item_{item.id}"])}
        for item in entry_items(screen)
    ]


def _error_fields(screen: EntryScreen) -> dict[str, str]:
    fields = {"date": "entry_date", "contacts": "contacts", "note": "note"}
    for index, item in enumerate(entry_items(screen)):
        fields[f"lines.{index}"] = f"item_{item.id}"
    return fields


def _nothing_entered(form: KeyedForm, lines: list[dict[str, Any]]) -> bool:
    """All zero and not yet confirmed: "open, nothing handed out" is saved after one tick
    (an entry of zeros is a reported 0, unlike a day without an entry)."""
    if any(line["quantity"] for line in lines) or as_int(form.contacts):
        return False
    if form.nothing_handed_out.data:
        return False
    form.nothing_handed_out.errors = [
        _(
            "Alle antall er 0. Var stedet åpent uten at noe ble delt ut, kryss av her og "
            "lagre igjen."
        )
    ]
    return True


@bp.get("/utdeling")
@login_required
def entry_here():
    """The menu's way in: the entry form at the user's site."""
    return site_page("web_tallies.entry")


@bp.route("/steder/<code>/utdeling", methods=["GET", "POST"])
@login_required
def entry(code: str):
    """Enter what was handed out; a receipt of what was saved follows."""
    day = parse_day(request.args.get("dato")) or dates.today()
    receipt_id = parse_id(request.args.get("kvittering"))
    screen = tallies.entry_screen(current_actor(), code, day, receipt_id)
    form = tally_form(screen, data={"entry_date": day.isoformat(), "form_key": new_form_key()})
    status = 200
    if form.validate_on_submit():
        lines = _lines(form, screen)
        status = 422  # unless the save below succeeds and redirects
        if not _nothing_entered(form, lines):
            if not valid_form_key(form.form_key.data):
                abort(400)
            saved_on = valid_day(form.entry_date.data)
            payload = {"date": saved_on, "lines": lines, "contacts": as_int(form.contacts)}
            asked = {line["item"]: line["quantity"] for line in lines}
            try:
                tally, stored = once(
                    f"tally:{screen.site.code}",
                    form.form_key.data,
                    payload,
                    lambda idem: tallies.create_tally(
                        current_actor(),
                        site_code=screen.site.code,
                        entry_date=saved_on,
                        contacts=as_int(form.contacts),
                        lines=lines,
                        note=form.note.data or None,
                        idem=idem,
                        unusual_confirmed=confirm.confirmed(form, asked),
                    ),
                )
            except UnusualQuantity as exc:
                flash(confirm.ask(form, exc, asked, _error_fields(screen)), "error")
                status = exc.status
            except DomainError as exc:
                flash(show_domain_error(form, exc, _error_fields(screen)), "error")
                status = exc.status
            else:
                return receipt_redirect("web_tallies.entry", code, saved_on, tally, stored)
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()  # nothing was saved with the old one
    return render_template(
        "tallies/entry.html",
        form=form,
        screen=screen,
        items=entry_items(screen),
        counts_form=day_counts_web.day_form(
            data={"count_date": day.isoformat(), "form_key": new_form_key()}
        ),
        counts_totals=day_counts.day_totals(screen.site, day),
        counts_labels=day_counts_web.LABELS,
    ), status


@bp.get("/historikk")
@login_required
def history_here():
    return site_page("web_tallies.history")


@bp.get("/steder/<code>/historikk")
@login_required
def history(code: str):
    """The site's entries by day, who entered them, and what was corrected."""
    date_to = parse_day(request.args.get("til")) or dates.today()
    date_from = parse_day(request.args.get("fra")) or date_to - timedelta(days=HISTORY_DAYS - 1)
    found = tallies.history(current_actor(), code, date_from, date_to)
    return render_template("tallies/history.html", history=found)


@bp.route("/steder/<code>/utdeling/<int:tally_id>/endre", methods=["GET", "POST"])
@login_required
def edit(code: str, tally_id: int):
    """Change an entry; the ledger gets corrections for the difference.

    The form carries a one-time key (a double tap saves once; the second tap is shown the
    first's result) and the version it was read at: a change someone else saved since is
    not overwritten unseen; the form comes back with the current version to save again.
    """
    tally, screen = tallies.edit_screen(current_actor(), code, tally_id)
    if tally.deleted_at is not None:
        abort(409)
    data: dict[str, Any] = {
        "entry_date": tally.entry_date.isoformat(),
        "contacts": str(tally.contacts),
        "note": tally.note or "",
        "form_key": new_form_key(),
        "version": str(tally.version),
    }
    quantities = {line.item_id: line.quantity for line in tally.lines}
    for item in entry_items(screen):
        data[f"item_{item.id}"] = str(quantities.get(item.id, 0))
    form = tally_form(screen, versioned=True, data=data)
    status = 200
    if form.validate_on_submit():
        if not valid_form_key(form.form_key.data):
            abort(400)
        new_date = valid_day(form.entry_date.data)
        changes = {
            "date": new_date,
            "contacts": as_int(form.contacts),
            "lines": _lines(form, screen),
            "note": form.note.data or None,
        }
        read_at = _version(form.version.data)
        asked = {line["item"]: line["quantity"] for line in changes["lines"]}
        try:
            _saved, stored = once(
                f"tally-edit:{tally.id}",
                form.form_key.data,
                changes,
                lambda idem: tallies.update_tally(
                    current_actor(),
                    tally.id,
                    changes=changes,
                    expected=read_at,
                    idem=idem,
                    unusual_confirmed=confirm.confirmed(form, asked),
                ),
                changed=_(
                    "Dette skjemaet er allerede lagret, med andre tall. Sjekk historikken; "
                    "trykk Lagre endring igjen for å lagre disse tallene."
                ),
            )
        except UnusualQuantity as exc:
            flash(confirm.ask(form, exc, asked, _error_fields(screen)), "error")
            status = exc.status
        except DomainError as exc:
            flash(show_domain_error(form, exc, _error_fields(screen)), "error")
            status = exc.status
        else:
            if stored is not None:
                flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
            else:
                flash(_("Endringen er lagret."), "success")
            return redirect(url_for("web_tallies.history", code=code, **_around(new_date)))
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()  # nothing was saved with the old one
        form.version.data = str(tally.version)  # saving again applies to what is there now
    return render_template(
        "tallies/edit.html", form=form, screen=screen, tally=tally, items=entry_items(screen)
    ), status


@bp.post("/steder/<code>/utdeling/<int:tally_id>/slett")
@login_required
def delete(code: str, tally_id: int):
    """Delete an entry: it stays in the history, marked deleted, and its stock comes back.

    The button carries the page's form key: a double tap deletes once and the second tap
    gets the first's result, not a 409.
    """
    key = request.form.get("form_key", "")
    if not valid_form_key(key):
        tallies.get_tally(current_actor(), tally_id)  # someone else's entry: 403/404 first
        abort(400)
    deleted, _stored = once(
        f"tally-delete:{tally_id}",
        key,
        {"id": tally_id},
        lambda idem: tallies.delete_tally(current_actor(), tally_id, idem=idem),
    )
    if deleted is None:  # the second tap: the first deleted it
        flash(_("Skjemaet var allerede sendt. Det er lagret én gang."), "info")
        deleted = tallies.get_tally(current_actor(), tally_id)
    else:
        flash(_("Registreringen er slettet."), "success")
    return redirect(url_for("web_tallies.history", code=code, **_around(deleted.entry_date)))


def _version(raw: str | None) -> set[int] | None:
    """The version the edit form was filled from; None (last writer wins) if it has none."""
    raw = (raw or "").strip()
    return {int(raw)} if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def _around(day: date) -> dict[str, Any]:
    """History bounds that include the day."""
    end = max(day, dates.today())
    start = min(day, end - timedelta(days=HISTORY_DAYS - 1))
    return {"til": end.isoformat(), "fra": start.isoformat()}
