"""The attacker's kit: valid national ID numbers of every kind, and every way to spell them.

Numbers: fødselsnummer, D-numbers (day + 40), H-numbers (month + 40), by the pre-2032 rule
and valid only by the 2032 rule for the first check digit (STACK.md). Spellings: the 11
digits in any groups, split by any Unicode space or separator, in any script's digits, with
invisible characters slipped in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from hypothesis import strategies as st

K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def _rest(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11


def check_digit(digits: list[int], weights: tuple[int, ...]) -> int | None:
    """The pre-2032 check digit: 11 - rest, 11 -> 0, 10 -> no valid number."""
    value = (11 - _rest(digits, weights)) % 11
    return None if value == 10 else value


def build(first_nine: str, k1_choice: int | None = None) -> str | None:
    """Both check digits for the 9 digits; None when there is no valid number.

    `k1_choice` picks a first check digit allowed only by the 2032 rule (weighted sum with
    k1 is 1, 2 or 3 mod 11, not 0): the n-th such digit, modulo how many there are.
    """
    digits = [int(c) for c in first_nine]
    if k1_choice is None:
        k1 = check_digit(digits, K1)
    else:
        only_2032 = [k for k in range(10) if (_rest(digits, K1) + k) % 11 in (1, 2, 3)]
        k1 = only_2032[k1_choice % len(only_2032)] if only_2032 else None
    if k1 is None:
        return None
    k2 = check_digit([*digits, k1], K2)
    return None if k2 is None else f"{first_nine}{k1}{k2}"


def first_valid(prefix: str, k1_choice: int | None = None) -> str:
    """The first valid number with this 6-digit date (and any individual number)."""
    for individual in range(100, 1000):
        number = build(f"{prefix}{individual}", k1_choice)
        if number:
            return number
    raise AssertionError(prefix)


def date_digits(day: date, kind: str) -> str:
    """DDMMYY, with 40 added to the day (D-number) or the month (H-number)."""
    dd, mm = day.day + (40 if kind == "d" else 0), day.month + (40 if kind == "h" else 0)
    return f"{dd:02d}{mm:02d}{day.year % 100:02d}"


FODSELSNUMMER = ["31129956715", "02013299997", "30108299920", first_valid("150385")]
D_NUMBERS = [first_valid("550385"), first_valid("710199")]
H_NUMBERS = [first_valid("154385"), first_valid("015299")]
RULE_2032 = ["30108299939", first_valid("150385", 0), first_valid("550385", 1)]
NATIONAL_IDS = FODSELSNUMMER + D_NUMBERS + H_NUMBERS + RULE_2032
ONE_OF_EACH = [FODSELSNUMMER[3], D_NUMBERS[0], H_NUMBERS[0], RULE_2032[1]]

# Zero digits of scripts whose digits follow each other (Unicode category Nd).
SCRIPTS = {
    "ascii": 0x30,
    "fullwidth": 0xFF10,
    "arabic-indic": 0x0660,
    "persian": 0x06F0,
    "devanagari": 0x0966,
    "bengali": 0x09E6,
    "thai": 0x0E50,
    "math-bold": 0x1D7CE,
    "math-monospace": 0x1D7F6,
}
SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
SEPARATORS = [
    " ",
    "\u00a0",  # no-break space
    "\u2009",  # thin space
    "\u202f",  # narrow no-break space
    "\u2007",  # figure space
    "\u2002",  # en space
    "\u3000",  # ideographic space
    "\u200a",  # hair space
    "\t",
    "\n",
    "\r",
    "/",
    "\\",
    ".",
    ",",
    ":",
    "-",
    "_",
    "|",
    "\u2010",  # hyphen
    "\u2011",  # non-breaking hyphen
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\u2212",  # minus sign
    "\u00b7",  # middle dot
    "\u2022",  # bullet
    "\uff0f",  # fullwidth solidus
    "\uff0d",  # fullwidth hyphen-minus
]
INVISIBLES = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u034f", "\u0301"]


def digit(value: str, script: str) -> str:
    if script == "superscript":
        return SUPERSCRIPT[int(value)]
    return chr(SCRIPTS[script] + int(value))


def spell(
    number: str,
    cuts: tuple[int, ...] = (),
    separators: tuple[str, ...] = (" ",),
    scripts: tuple[str, ...] = ("ascii",),
    invisible: dict[int, str] | None = None,
) -> str:
    """The number with a separator after each digit index in `cuts`, digit n in script n."""
    out = []
    for index, value in enumerate(number):
        out.append(digit(value, scripts[index % len(scripts)]))
        if invisible and index in invisible:
            out.append(invisible[index])
        if index + 1 in cuts:
            out.append(separators[cuts.index(index + 1) % len(separators)])
    return "".join(out)


def _groups(*sizes: int) -> tuple[int, ...]:
    """Cut points for groups of these sizes (11 digits in all)."""
    assert sum(sizes) == 11
    cuts, at = [], 0
    for size in sizes[:-1]:
        at += size
        cuts.append(at)
    return tuple(cuts)


# Named spellings (the pen test's and the issue's), each a function of the number.
SPELLINGS: dict[str, Callable[[str], str]] = {
    "plain": lambda n: n,
    "6+5 nbsp": lambda n: spell(n, _groups(6, 5), ("\u00a0",)),
    "dotted date": lambda n: spell(n, _groups(2, 2, 2, 5), (".", ".", " ")),
    "6+3+2": lambda n: spell(n, _groups(6, 3, 2)),
    "slash": lambda n: spell(n, _groups(6, 5), ("/",)),
    "2+2+2+5 thin": lambda n: spell(n, _groups(2, 2, 2, 5), ("\u2009",)),
    "2+2+2+3+2 narrow nbsp": lambda n: spell(n, _groups(2, 2, 2, 3, 2), ("\u202f",)),
    "3+3+3+2 figure space": lambda n: spell(n, _groups(3, 3, 3, 2), ("\u2007",)),
    "newline": lambda n: spell(n, _groups(6, 5), ("\n",)),
    "crlf": lambda n: spell(n, _groups(6, 5), ("\r\n",)),
    "tab": lambda n: spell(n, _groups(6, 5), ("\t",)),
    "underscore": lambda n: spell(n, _groups(6, 5), ("_",)),
    "en dash": lambda n: spell(n, _groups(6, 5), ("\u2013",)),
    "spaced em dash": lambda n: spell(n, _groups(6, 5), (" \u2014 ",)),
    "fullwidth": lambda n: spell(n, scripts=("fullwidth",)),
    "arabic-indic 6+5": lambda n: spell(n, _groups(6, 5), scripts=("arabic-indic",)),
    "mixed scripts": lambda n: spell(n, _groups(4, 4, 3), ("-",), ("ascii", "devanagari")),
    "zero-width": lambda n: spell(n, invisible={2: "\u200b", 5: "\u2060", 8: "\u00ad"}),
    "every digit apart": lambda n: spell(n, tuple(range(1, 11)), (" ",)),
    "1+10": lambda n: spell(n, (1,), (". ",)),
}


@st.composite
def valid_numbers(draw: st.DrawFn) -> str:
    """Any valid fødselsnummer, D- or H-number, by the pre-2032 or the 2032 rule."""
    born = draw(st.dates(date(1900, 1, 1), date(2039, 12, 31)))
    kind = draw(st.sampled_from(["f", "d", "h"]))
    individual = draw(st.integers(0, 999))
    k1_choice = draw(st.none() | st.integers(0, 3))
    number = build(f"{date_digits(born, kind)}{individual:03d}", k1_choice)
    if number is None:
        number = build(f"{date_digits(born, kind)}{individual:03d}")
    if number is None:
        number = first_valid(date_digits(born, kind), k1_choice)
    return number


@st.composite
def spellings(draw: st.DrawFn, number: str, context: bool = True) -> str:
    """The number in any groups, separators (1-3 characters each), scripts and invisibles."""
    cuts = tuple(sorted(draw(st.sets(st.integers(1, 10), max_size=10))))
    separators = tuple(
        "".join(draw(st.lists(st.sampled_from(SEPARATORS), min_size=1, max_size=3))) for _ in cuts
    )
    script_names = [*SCRIPTS, "superscript"]
    scripts = tuple(draw(st.lists(st.sampled_from(script_names), min_size=1, max_size=11)))
    invisible = draw(st.dictionaries(st.integers(0, 10), st.sampled_from(INVISIBLES), max_size=3))
    text = spell(number, cuts, separators or (" ",), scripts, invisible)
    if context:
        before = draw(st.sampled_from(["", "Bruker ", "fnr:", "fnr ", "(", "Kari, født "]))
        after = draw(st.sampled_from(["", " fikk 3 sett", ".", ")", ", ring 22 33 44 55"]))
        text = f"{before}{text}{after}"
    return text
