"""Refuse Norwegian national ID numbers (fødselsnummer, D- and H-numbers) in free text."""

from __future__ import annotations

from tracker.errors import ValidationError
from tracker.national_id import contains_national_id, is_national_id, redact_national_ids

__all__ = ["check_free_text", "contains_national_id", "is_national_id", "redact_national_ids"]


def check_free_text(field: str, value: str | None) -> str | None:
    """Raise a 422 naming the field, never echoing the text, if it holds a national ID."""
    if value and contains_national_id(value):
        raise ValidationError(
            f"The field '{field}' looks like it contains a national ID number "
            "(fødselsnummer, D- or H-number). Recipients are anonymous: remove it.",
            {field: ["Contains what looks like a Norwegian national ID number."]},
        )
    return value
