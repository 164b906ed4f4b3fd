"""Form validators shared by the pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from tracker.privacy import contains_national_id


class NoNationalId:
    """Refuse text holding a fødselsnummer, D- or H-number; the message never echoes it.

    Every form field people type free text into that is stored needs it (DESIGN.md
    invariant 3); tests/reliability/test_privacy.py checks every form.
    """

    message = _l(
        "Teksten ser ut til å inneholde et fødselsnummer, D- eller H-nummer. "
        "Mottakere er anonyme: fjern det."
    )

    def __call__(self, form: Any, field: Any) -> None:
        if field.data and isinstance(field.data, str) and contains_national_id(field.data):
            raise ValidationError(str(self.message))
