"""The audit log page (/revisjonslogg): who did what and when, as sentences; the raw before
and after on demand."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import Length, Optional

from tracker.dates import OSLO
from tracker.errors import DomainError
from tracker.services import audit, audit_text
from tracker.web.common import current_actor

bp = Blueprint("web_audit", __name__, template_folder="templates")


class AuditFilterForm(FlaskForm):
    """Filters sent as a GET query: nothing changes, so no CSRF token is needed."""

    READ_ONLY = True  # nothing typed here is stored (see the privacy guard test)

    class Meta:
        csrf = False

    user = StringField(_l("Bruker (e-post)"), validators=[Optional(), Length(max=254)])
    site = StringField(_l("Sted (kode)"), validators=[Optional(), Length(max=32)])
    entity = StringField(_l("Type"), validators=[Optional(), Length(max=40)])
    date_from = DateField(_l("Fra dato"), validators=[Optional()])
    date_to = DateField(_l("Til dato"), validators=[Optional()])


@bp.get("/revisjonslogg")
@login_required
def index():
    """The newest audit events the user may read, filtered."""
    form = AuditFilterForm(request.args)
    events, error = [], None
    if form.validate():
        filters = {
            name: value
            for name, value in form.data.items()
            if value not in (None, "") and name in audit.FILTERS
        }
        try:
            locale = get_locale()
            lang = "en" if locale is not None and locale.language == "en" else "nb"
            events = audit_text.described_events(current_actor(), lang=lang, **filters)
        except DomainError as exc:
            if exc.status == 403:
                raise
            error = exc.detail
    return render_template("audit/index.html", form=form, events=events, error=error)


@bp.app_template_filter("audit_at")
def audit_at(value: datetime) -> str:
    """An event's time the Norwegian way, in Oslo time: 05.06.2026 14:03."""
    return value.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")
