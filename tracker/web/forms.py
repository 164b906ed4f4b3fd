"""Form fields the pages share: whole numbers for a number pad, dates, and error placement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import DateInput

from tracker import dates
from tracker.errors import DomainError
from tracker.errors import ValidationError as DomainValidationError
from tracker.web.formats import number
from tracker.web.validators import NoNationalId, clear_national_ids


class WholeNumber:
    """0 or a positive whole number up to a maximum; blank counts as 0 unless required."""

    def __init__(self, maximum: int, minimum: int = 0, required: bool = False) -> None:
        self.maximum, self.minimum, self.required = maximum, minimum, required

    def __call__(self, form: FlaskForm, field: Field) -> None:
        raw = (field.data or "").strip().replace(" ", "").replace("\u00a0", "")
        if not raw:
            if self.required:
                raise ValidationError(_("Skriv et antall."))
            return
        if not (raw.isascii() and raw.isdigit()):
            raise ValidationError(_("Skriv et helt tall, uten desimaler eller minus."))
        # More digits than the maximum has is too many, before int() reads (or refuses) them.
        value = int(raw) if len(raw.lstrip("0")) <= len(str(self.maximum)) else self.maximum + 1
        if value < self.minimum:
            raise ValidationError(_("Minst %(min)s.", min=number(self.minimum)))
        if value > self.maximum:
            raise ValidationError(_("Høyst %(max)s.", max=number(self.maximum)))


def as_int(field: Field) -> int:
    raw = (field.data or "").strip().replace(" ", "").replace("\u00a0", "")
    return int(raw) if raw else 0


def quantity_field(label: Any, maximum: int, **kwargs: Any) -> StringField:
    """A big number input that opens the phone's number pad."""
    render = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}
    render.update(kwargs.pop("render_kw", {}))
    return StringField(
        label, validators=[WholeNumber(maximum, **kwargs)], render_kw=render, filters=[]
    )


def parse_day(raw: str | None) -> date | None:
    """An ISO date (what <input type=date> sends) or dd.mm.yyyy; None if neither."""
    raw = (raw or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(raw, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def valid_day(raw: str | None) -> date:
    """The date of a field that passed EntryDate."""
    value = parse_day(raw)
    assert value is not None, "validated by EntryDate"
    return value


class EntryDate:
    """A calendar date an entry may have (dates.check_entry_date), with a Norwegian message."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        value = parse_day(field.data)
        if value is None:
            raise ValidationError(_("Skriv en dato som dd.mm.åååå."))
        try:
            dates.check_entry_date(value)
        except DomainValidationError as exc:
            if value > dates.today():
                raise ValidationError(_("Datoen kan ikke være fram i tid.")) from exc
            raise ValidationError(_("Datoen er for langt tilbake.")) from exc


class OptionalDate:
    """Blank, or a date written as the date input sends it (or dd.mm.yyyy)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if (field.data or "").strip() and parse_day(field.data) is None:
            raise ValidationError(_("Skriv en dato som dd.mm.åååå."))


def optional_date_field(label: Any) -> StringField:
    return StringField(label, validators=[OptionalDate()], widget=DateInput())


def date_field(label: Any) -> StringField:
    return StringField(label, validators=[EntryDate()], widget=DateInput())


class KeyedForm(FlaskForm):
    """A form with a one-time key, so a double tap or a retried submit saves once."""

    form_key = HiddenField(validators=[NoNationalId()])


def _dotted(errors: Any, prefix: str = "") -> list[str]:
    """{"lines": {"0": {"lot": [...]}}} -> ["lines.0.lot"]."""
    if not isinstance(errors, dict):
        return [prefix] if prefix else []
    keys: list[str] = []
    for key, value in errors.items():
        keys += _dotted(value, f"{prefix}.{key}" if prefix else str(key))
    return keys


def show_domain_error(form: FlaskForm, exc: DomainError, fields: dict[str, str]) -> str:
    """Put a service's field errors next to the fields; return the message for the page.

    `fields` maps a service field path ("date", "lines.0.lot", or a prefix such as "lines.0")
    to the form field's name; the longest matching prefix wins.
    """
    clear_national_ids(form)  # the page shown again never holds a refused number
    for key in _dotted(exc.errors):
        parts = key.split(".")
        for end in range(len(parts), 0, -1):
            name = fields.get(".".join(parts[:end]))
            if name and name in form:
                form[name].errors = [*form[name].errors, _("Ugyldig verdi.")]
                break
    return _("Ikke lagret: %(detail)s", detail=exc.detail)


DATE_LABEL = _l("Dato")
