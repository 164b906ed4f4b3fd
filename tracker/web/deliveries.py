"""The delivery days page of a site: weekdays, extra dates and the lead time."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from tracker import dates
from tracker.errors import DomainError
from tracker.services import deliveries
from tracker.services.access import can
from tracker.web.common import current_actor
from tracker.web.forms import as_int, parse_day, quantity_field
from tracker.web.sites import WEEKDAY_NAMES
from tracker.web.validators import NoNationalId

bp = Blueprint("web_deliveries", __name__)


class DeliveriesForm(FlaskForm):
    """One tick per ISO weekday (day_1 Monday .. day_7 Sunday), dates and lead time."""

    extra_dates = StringField(
        _l("Andre leveringsdatoer (dd.mm.åååå, skilt med komma)"), validators=[NoNationalId()]
    )
    lead_time_days = quantity_field(_l("Bestillingsfrist (dager før levering)"), 60)


for _number, _name in enumerate(WEEKDAY_NAMES, start=1):
    setattr(DeliveriesForm, f"day_{_number}", BooleanField(_name))


@bp.route("/steder/<code>/leveringer", methods=["GET", "POST"])
@login_required
def edit(code: str):
    """Staff see the delivery days; the lead, the coordinator or an admin change them."""
    actor = current_actor()
    found = deliveries.read(actor, code)
    data: dict[str, object] = {f"day_{d}": True for d in found.weekdays}
    data["extra_dates"] = ", ".join(d.strftime("%d.%m.%Y") for d in found.dates)
    data["lead_time_days"] = str(found.lead_time_days)
    form = DeliveriesForm(data=data)
    status = 200
    if form.validate_on_submit():
        raw = [part.strip() for part in (form.extra_dates.data or "").split(",") if part.strip()]
        extra = [parse_day(part) for part in raw]
        if any(d is None for d in extra):
            form.extra_dates.errors = [_("Skriv datoer som dd.mm.åååå, skilt med komma.")]
            status = 422
        else:
            try:
                found = deliveries.update(
                    actor,
                    code,
                    weekdays=[d for d in range(1, 8) if form[f"day_{d}"].data],
                    dates=[d for d in extra if d is not None],
                    lead_time_days=as_int(form.lead_time_days),
                )
            except DomainError as exc:
                flash(_("Ikke lagret: %(detail)s", detail=exc.detail), "error")
                status = exc.status
            else:
                flash(_("Leveringsdagene er lagret."), "success")
                return redirect(url_for("web_deliveries.edit", code=code), 303)
    elif form.is_submitted():
        status = 422
    return render_template(
        "deliveries/edit.html",
        site=found.site,
        found=found,
        form=form,
        days=[form[f"day_{d}"] for d in range(1, 8)],
        may_edit=can(actor, found.site, "lead"),
        next_delivery=found.next_after(dates.today()),
    ), status
