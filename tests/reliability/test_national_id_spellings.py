"""A national ID number is recognised however it is spelled, and innocent text is not.

The generator makes valid numbers of every kind (fødselsnummer, D-, H-numbers; the pre-2032
and the 2032 rule) and spells them in every grouping, separator, script and with invisible
characters; tests/national_ids.py holds the kit.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.national_ids import (
    FODSELSNUMMER,
    INVISIBLES,
    NATIONAL_IDS,
    RULE_2032,
    SEPARATORS,
    SPELLINGS,
    build,
    first_valid,
    spell,
    spellings,
    valid_numbers,
)
from tracker.national_id import contains_national_id, is_national_id, redact_national_ids

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(valid_numbers())
@FAST
def test_the_generator_makes_valid_numbers(number):
    assert is_national_id(number)


@pytest.mark.parametrize("number", NATIONAL_IDS)
@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_every_named_spelling_of_every_kind_is_recognised_and_masked(number, spelling):
    text = f"Bruker {SPELLINGS[spelling](number)} fikk 3"
    assert contains_national_id(text)
    masked = redact_national_ids(text)
    assert not contains_national_id(masked)
    assert masked.startswith("Bruker *")
    assert masked.endswith("* fikk 3")


@given(st.data())
@FAST
def test_any_spelling_of_any_valid_number_is_recognised(data):
    number = data.draw(valid_numbers())
    text = data.draw(spellings(number))
    assert contains_national_id(text), ascii(text)
    assert not contains_national_id(redact_national_ids(text)), ascii(text)


@given(st.data())
@FAST
def test_redaction_keeps_the_text_around_the_number(data):
    number = data.draw(valid_numbers())
    text = data.draw(spellings(number, context=False))
    masked = "".join(c for c in redact_national_ids(f"før {text} etter") if c not in INVISIBLES)
    assert masked.startswith("før *")
    assert masked.endswith("* etter")


def test_the_2032_numbers_fail_the_old_rule_but_are_recognised():
    for number in RULE_2032:
        assert build(number[:9]) != number
        assert contains_national_id(f"ref {number[:6]} {number[6:]}")


INNOCENT = [
    "Ring 22 33 44 55 eller 912 34 567",  # phone numbers of 8 digits
    "+47 22 33 44 55, 47 91 23 45 67",
    "Mottatt 15.03.2026, levert 16.03.2026",  # dates
    "15.03.85 og 16.04.86",
    "Beløp 1 234 567 kr, og 12 345,50 kr",  # amounts
    "1 234 567 890",
    "Org.nr. 923 609 016",  # nine digits
    "31129956716",  # eleven digits, last check digit wrong
    "311299 56705",  # first check digit wrong (and not by the 2032 rule either)
    "321385 12345",  # day 32
    "12345678901",
    "00000000000",
    "3112995671",  # ten digits
    "311299567150",  # twelve digits in one run
    "150385a12363",  # a letter between the groups
    "fnr 150385    12363",  # a gap of four spaces
    "150385 ord 12363",
    "Kl. 10.30 ga vi 20 sprøyter, 10 kanyler og 5 folier til 3 personer",
    "LOT 24A113-07 utløper 2027-03-31",
    "Parti NX24001, 40 stk",
]


@pytest.mark.parametrize("text", INNOCENT)
def test_innocent_text_is_not_taken_for_a_national_id(text):
    assert not contains_national_id(text)
    assert redact_national_ids(text) == text


def _failing_numbers():
    """Eleven digits that do not validate: a right date but a wrong last check digit."""
    return valid_numbers().map(lambda n: n[:10] + str((int(n[10]) + 1) % 10))


@given(st.data())
@FAST
def test_eleven_digits_that_fail_the_check_pass_in_any_spelling(data):
    number = data.draw(_failing_numbers())
    assert not is_national_id(number)
    text = data.draw(spellings(number, context=False))
    assert not contains_national_id(text), ascii(text)


@pytest.mark.parametrize("separator", SEPARATORS)
def test_every_separator_joins_the_groups(separator):
    assert contains_national_id(spell(FODSELSNUMMER[0], (6,), (separator,)))


def test_groups_are_joined_only_whole():
    """A phone number before the ID does not hide it, and a 12th digit is not cut off."""
    number = first_valid("150385")
    assert contains_national_id(f"22 33 44 55 {number[:6]} {number[6:]}")
    assert contains_national_id(f"{number[:6]} {number[6:]} 7")
    assert not contains_national_id(f"{number}7")
