"""Recognise Norwegian national ID numbers (fødselsnummer, D- and H-numbers) in text.

Pure functions, importing nothing from tracker: the error mapping (to mask them in
responses), the schemas and the services all use them without importing each other.
"""

from __future__ import annotations

import re
from datetime import date

_ELEVEN_DIGITS = re.compile(r"(?<!\d)(\d{6})[ .\-]?(\d{5})(?!\d)")
_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _check_digit(digits: list[int], weights: tuple[int, ...]) -> int | None:
    rest = 11 - sum(d * w for d, w in zip(digits, weights, strict=False)) % 11
    if rest == 11:
        return 0
    return None if rest == 10 else rest


def _k1_ok(digits: list[int]) -> bool:
    """Pre-2032 rule, or the 2032 rule where the weighted sum with k1 is 0-3 mod 11."""
    if _check_digit(digits[:9], _K1_WEIGHTS) == digits[9]:
        return True
    total = sum(d * w for d, w in zip(digits[:9], _K1_WEIGHTS, strict=True)) + digits[9]
    return total % 11 in (0, 1, 2, 3)


def _plausible_date(digits: list[int]) -> bool:
    day = digits[0] * 10 + digits[1]
    month = digits[2] * 10 + digits[3]
    year = digits[4] * 10 + digits[5]
    if day > 40:  # D-number
        day -= 40
    if month > 40:  # H-number
        month -= 40
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def is_national_id(number: str) -> bool:
    """True when the 11 digits validate as a fødselsnummer, D-number or H-number."""
    if len(number) != 11 or not number.isdigit():
        return False
    digits = [int(c) for c in number]
    if not _plausible_date(digits) or not _k1_ok(digits):
        return False
    return _check_digit(digits[:10], _K2_WEIGHTS) == digits[10]


def contains_national_id(text: str) -> bool:
    return any(is_national_id(a + b) for a, b in _ELEVEN_DIGITS.findall(text))


def redact_national_ids(text: str) -> str:
    """The text with every national ID number replaced by asterisks."""

    def mask(match: re.Match[str]) -> str:
        return "*" * len(match.group(0)) if is_national_id(match[1] + match[2]) else match[0]

    return _ELEVEN_DIGITS.sub(mask, text)
