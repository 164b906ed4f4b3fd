"""How often a realistic lot number would be asked about as a possible national ID number.

A new lot number that validates as a fødselsnummer, D- or H-number (tracker/national_id.py)
makes the receipt ask a site lead to confirm it is printed on the box. This prints, per lot
number format, the share of random lot numbers that trigger the question.

    cd bench && ../.venv/bin/python lot_numbers.py [--n 200000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import string
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tracker.national_id import contains_national_id  # noqa: E402

START, DAYS = date(2018, 1, 1), (date(2031, 12, 31) - date(2018, 1, 1)).days


def _day(rng: random.Random) -> date:
    return START + timedelta(days=rng.randrange(DAYS + 1))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.digits, k=n))


FORMATS: dict[str, Callable[[random.Random], str]] = {
    "YYMMDD + 5 digits (11 digits)": lambda r: f"{_day(r):%y%m%d}{_digits(r, 5)}",
    "YYMMDD-5 digits": lambda r: f"{_day(r):%y%m%d}-{_digits(r, 5)}",
    "DDMMYY + 5 digits": lambda r: f"{_day(r):%d%m%y}{_digits(r, 5)}",
    "letter + YYMMDD + 5 digits": lambda r: f"{r.choice('LBNX')}{_day(r):%y%m%d}{_digits(r, 5)}",
    "YYYYMMDD + 3 digits": lambda r: f"{_day(r):%Y%m%d}{_digits(r, 3)}",
    "random 11 digits": lambda r: _digits(r, 11),
    "random 6 + 5 digits": lambda r: f"{_digits(r, 6)} {_digits(r, 5)}",
    "random 7-10 digits": lambda r: _digits(r, r.randint(7, 10)),
    "2 letters + 6 digits": lambda r: "".join(r.choices(string.ascii_uppercase, k=2))
    + _digits(r, 6),
    "random A-Z0-9, 8-12 chars": lambda r: "".join(
        r.choices(string.ascii_uppercase + string.digits, k=r.randint(8, 12))
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{'lot number format':34} {'asked':>8} {'share':>8}   (n = {args.n} each)")
    for name, make in FORMATS.items():
        asked = sum(contains_national_id(make(rng)) for _ in range(args.n))
        print(f"{name:34} {asked:8d} {asked / args.n:8.3%}")


if __name__ == "__main__":
    main()
