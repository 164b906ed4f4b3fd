"""Referrals, returns and contacts by group: a section of the daily form, and its own list."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from tracker import dates
from tracker.errors import DomainError
from tracker.models.events import CONTACT_GROUPS, REFERRAL_DESTINATIONS, RETURN_KINDS
from tracker.services import day_counts
from tracker.web.common import current_actor, new_form_key, once, site_page, valid_form_key
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

bp = Blueprint("web_day_counts", __name__)

DESTINATION_LABELS = [
    SelectChoice("lar_tsb", _l("LAR/TSB")),
    SelectChoice("legevakt", _l("Legevakt")),
    SelectChoice("nav", _l("NAV")),
    SelectChoice("housing", _l("Bolig")),
    SelectChoice("somatic_care", _l("Somatisk helsehjelp")),
    SelectChoice("other", _l("Annet")),
]
RETURN_LABELS = [
    SelectChoice("container_small", _l("Små kanylebokser (opptil 2 liter)")),
    SelectChoice("container_large", _l("Store kanylebokser")),
    SelectChoice("pieces", _l("Brukte sprøyter og kanyler, talt")),
]
GROUP_LABELS = [
    SelectChoice("women", _l("Kvinner")),
    SelectChoice("men", _l("Menn")),
    SelectChoice("other_gender", _l("Annet/ukjent kjønn")),
    SelectChoice("first_visit", _l("Første besøk i år")),
    SelectChoice("repeat_visit", _l("Har vært her før i år")),
]
assert [c.value for c in DESTINATION_LABELS] == list(REFERRAL_DESTINATIONS)
assert [c.value for c in RETURN_LABELS] == list(RETURN_KINDS)
assert [c.value for c in GROUP_LABELS] == list(CONTACT_GROUPS)
LIST_DAYS = 31


def day_form(**kwargs: Any) -> KeyedForm:
    """The section's form: one number per destination, return kind and group."""

    class DayForm(KeyedForm):
        count_date = date_field(DATE_LABEL)

    for prefix, choices in (("ref", DESTINATION_LABELS), ("ret", RETURN_LABELS)):
        for choice in choices:
            setattr(DayForm, f"{prefix}_{choice.value}", quantity_field(choice.label, 10_000))
    for choice in GROUP_LABELS:
        setattr(DayForm, f"grp_{choice.value}", quantity_field(choice.label, 10_000))
    return DayForm(**kwargs)


def _payload(form: KeyedForm, groups: bool) -> dict[str, Any]:
    return {
        "day": valid_day(form.count_date.data),
        "referrals": {d: as_int(form[f"ref_{d}"]) for d in REFERRAL_DESTINATIONS},
        "returns": {k: as_int(form[f"ret_{k}"]) for k in RETURN_KINDS},
        "groups": {g: as_int(form[f"grp_{g}"]) for g in CONTACT_GROUPS} if groups else None,
    }


@bp.get("/dagstall")
@login_required
def counts_here():
    return site_page("web_day_counts.counts")


@bp.route("/steder/<code>/dagstall", methods=["GET", "POST"])
@login_required
def counts(code: str):
    """Save the day's referrals, returns and contacts by group; list the last month's."""
    actor = current_actor()
    on = parse_day(request.args.get("dato")) or dates.today()
    found = day_counts.recent(actor, code, on, dates.today() - timedelta(days=LIST_DAYS))
    site = found.site
    form = day_form(data={"count_date": on.isoformat(), "form_key": new_form_key()})
    status = 200
    if form.validate_on_submit():
        if not valid_form_key(form.form_key.data):
            abort(400)
        payload = _payload(form, site.contacts_by_group)
        try:
            once(
                f"day-counts:{site.code}",
                form.form_key.data,
                payload,
                lambda idem: day_counts.record_day(
                    actor, site_code=site.code, idem=idem, **payload
                ),
            )
        except DomainError as exc:
            flash(show_domain_error(form, exc, {"date": "count_date"}), "error")
            status = exc.status
        else:
            flash(_("Henvisninger, retur og kontakter er lagret."), "success")
            return redirect(
                url_for("web_tallies.entry", code=code, dato=payload["day"].isoformat())
            )
    elif form.is_submitted():
        status = 422
    if form.is_submitted():
        form.form_key.data = new_form_key()
    return render_template(
        "day_counts/list.html", found=found, site=site, form=form, day=on, labels=LABELS
    ), status


class _Saved:
    """What the form key remembers of a save: a count, as an id-shaped result."""

    def __init__(self, written: int) -> None:
        self.id = written


LABELS = {c.value: c.label for c in DESTINATION_LABELS + RETURN_LABELS + GROUP_LABELS}
