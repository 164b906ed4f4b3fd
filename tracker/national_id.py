"""Recognise Norwegian national ID numbers (fødselsnummer, D- and H-numbers) in text.

However the number is spelled: any Unicode digits (fullwidth, Arabic-Indic, superscript...)
count as their ASCII digit, invisible characters (zero-width spaces, soft hyphens, combining
marks) are ignored, and the 11 digits may be split into groups of any size by up to
`MAX_GAP` separator characters each (any space, dash, dot, slash, underscore, newline...).
A letter or a longer gap ends a run of digits. The 11 digits must still validate (a
plausible date and the check digits, by the pre-2032 or the 2032 rule), which keeps
false positives rare.

Pure functions, importing nothing from tracker: the error mapping (to mask them in
responses), the schemas and the services all use them without importing each other.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import date
from functools import cache

MAX_GAP = 3  # separator characters allowed between two groups of digits ("150385 - 12363")
_RUN = re.compile(rf"[0-9]+(?:[\W_]{{1,{MAX_GAP}}}[0-9]+)*")
_GROUP = re.compile(r"[0-9]+")
_INVISIBLE = ("Cf", "Mn", "Me")  # format characters and combining marks
_BLANK_LETTERS = (0x115F, 0x1160, 0x3164, 0xFFA0)  # Hangul fillers: letters that show nothing
_PLANES = (range(0x80, 0x20000), range(0xE0000, 0xE1000))  # where digits and invisibles are
_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


@cache
def _table() -> dict[int, int | None]:
    """str.translate table: every Unicode digit to ASCII, invisible characters dropped."""
    table: dict[int, int | None] = {code: ord(" ") for code in _BLANK_LETTERS}
    for plane in _PLANES:
        for code in plane:
            char = chr(code)
            value = unicodedata.digit(char, None)
            if value is not None:
                table[code] = ord("0") + value
            elif unicodedata.category(char) in _INVISIBLE:
                table[code] = None
    return table


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
    """True when the 11 ASCII digits validate as a fødselsnummer, D-number or H-number."""
    if len(number) != 11 or not (number.isascii() and number.isdigit()):
        return False
    digits = [int(c) for c in number]
    if not _plausible_date(digits) or not _k1_ok(digits):
        return False
    return _check_digit(digits[:10], _K2_WEIGHTS) == digits[10]


def normalise(text: str) -> str:
    """The text with ASCII digits for every Unicode digit and invisible characters removed."""
    return text.translate(_table())


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """Where in `text` (already normalised) an 11-digit national ID is written, in any groups."""
    if sum(map(text.count, "0123456789")) < 11:
        return
    for run in _RUN.finditer(text):
        groups = [m.span() for m in _GROUP.finditer(text, run.start(), run.end())]
        first, total = 0, 0
        for last, (start, end) in enumerate(groups):
            total += end - start
            while total > 11:  # consecutive whole groups only, 11 digits in all
                total -= groups[first][1] - groups[first][0]
                first += 1
            if total == 11:
                digits = "".join(text[a:b] for a, b in groups[first : last + 1])
                if is_national_id(digits):
                    yield groups[first][0], end


def contains_national_id(text: str) -> bool:
    """True when the text holds a valid national ID number, however it is spelled."""
    if len(text) < 11:
        return False
    return next(_spans(normalise(text)), None) is not None


def redact_national_ids(text: str) -> str:
    """The text with every national ID number (and what separates its digits) as asterisks."""
    if not contains_national_id(text):
        return text
    table = _table()
    kept = [i for i, char in enumerate(text) if table.get(ord(char), 0) is not None]
    masked = list(text)
    for start, end in _spans(normalise(text)):
        for i in range(kept[start], kept[end - 1] + 1):
            masked[i] = "*"
    return "".join(masked)
