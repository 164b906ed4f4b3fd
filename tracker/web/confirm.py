"""Asking once: a form whose figures look unlikely comes back with them named at their fields,
and saves only when sent again with the same figures (a hidden field carries which ones)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField

from tracker.services.plausibility import UnusualQuantity
from tracker.web.validators import NoNationalId


def confirm_field() -> HiddenField:
    """The hidden field a form carries the figures it asked about in (never stored, but
    refused like any typed text if it holds a national ID number)."""
    return HiddenField(validators=[NoNationalId()])


def figures(values: dict[str, Any]) -> str:
    """The form's figures as one string: a change to any of them asks again."""
    return ";".join(f"{name}={values[name]}" for name in sorted(values))


def confirmed(form: FlaskForm, values: dict[str, Any]) -> bool:
    """Whether these figures are the ones the form already asked about."""
    return bool(form.confirm_unusual.data) and form.confirm_unusual.data == figures(values)


def ask(
    form: FlaskForm, exc: UnusualQuantity, values: dict[str, Any], fields: dict[str, str]
) -> str:
    """Show why each unusual figure is asked about at its field; remember the figures."""
    for path, messages in _flat(exc.errors).items():
        for end in range(len(path), 0, -1):
            name = fields.get(".".join(path[:end]))
            if name and name in form:
                form[name].errors = [*form[name].errors, *messages]
                break
    form.confirm_unusual.data = figures(values)
    return _("Ikke lagret ennå: %(detail)s", detail=exc.detail)


def _flat(errors: Any, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], list[str]]:
    if not isinstance(errors, dict):
        return {prefix: [str(m) for m in errors]}
    found: dict[tuple[str, ...], list[str]] = {}
    for key, value in errors.items():
        found.update(_flat(value, (*prefix, str(key))))
    return found
