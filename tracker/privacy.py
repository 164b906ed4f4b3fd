"""Refuse Norwegian national ID numbers (fødselsnummer, D- and H-numbers) in free text."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from tracker.errors import ValidationError
from tracker.national_id import contains_national_id, is_national_id, redact_national_ids

__all__ = ["check_free_text", "contains_national_id", "is_national_id", "redact_national_ids"]


def check_free_text(field: str, value: str | None) -> str | None:
    """Raise a 422 naming the field, never echoing the text, if it holds a national ID."""
    if value and contains_national_id(value):
        raise ValidationError(
            _l(
                "Feltet %(field)s ser ut til å inneholde et fødselsnummer (eller D- eller "
                "H-nummer). Mottakerne er anonyme: fjern det.",
                field=field,
            ),
            {field: [_l("Inneholder noe som ser ut som et fødselsnummer.")]},
            code="national-id",
        )
    return value
