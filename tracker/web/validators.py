"""Form validators shared by the pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, FormField
from wtforms.validators import ValidationError

from tracker.privacy import contains_national_id


class NoNationalId:
    """Refuse text holding a fødselsnummer, D- or H-number; never echo it.

    Every form field people type free text into that is stored needs it (DESIGN.md
    invariant 3); tests/reliability/test_privacy.py checks every form. A refused value is
    cleared, so the page shown again does not hold the number.
    """

    message = _l(
        "Teksten ser ut til å inneholde et fødselsnummer, D- eller H-nummer. "
        "Mottakere er anonyme: fjern det."
    )

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and isinstance(field.data, str) and contains_national_id(field.data):
            field.data = ""
            field.raw_data = []
            raise ValidationError(str(self.message))


class LotNumber:
    """A lot number as printed on the box: an identifier, not free text.

    It picks an existing lot, or names a new one in a receipt, where the service asks a
    site lead to confirm a number that looks like a national ID (services/stock.py).
    """

    def __call__(self, form: Any, field: Any) -> None:
        """Nothing to check here: the service decides."""


def clear_national_ids(form: Any) -> None:
    """Empty every text field holding a national ID number before the form is shown again."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries:
                clear_national_ids(entry.form if isinstance(entry, FormField) else [entry])
        elif isinstance(field, FormField):
            clear_national_ids(field.form)
        elif isinstance(field.data, str) and contains_national_id(field.data):
            field.data = ""
            field.raw_data = []
