"""A year at one demo site: daily use, naloxone handouts and weekly deliveries.

Deliveries keep stock as a real outlet does: every week an item is filled up to COVER_DAYS
of its expected use, in whole packs, so stock stays between about four and seven weeks of
use (two to eight at the most). Expected use is the same mean the daily figures are drawn
around, so the reorder page's "days left" (recent use) agrees with it. A few lines are
delivered short in the last three weeks (SHORT_COVER_DAYS at the end), so the demo lead has
lines under the reorder level of three weeks of use.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    Item,
    Lot,
    NaloxoneHandout,
    Receipt,
    Site,
    TallyEntry,
    TallyLine,
)
from tracker.services import ledger
from tracker.services.access import Actor

POST_SLICE = 3000  # movements per ledger.post (x 18 columns < psycopg's 65 535 parameters)
COVER_DAYS = 35  # a weekly delivery fills up to five weeks of expected use
SHORT_COVER_DAYS = 18  # a short-delivered line ends with under three weeks (reorder level)
SHORT_FROM_DAYS = 21  # short deliveries start this many days before the end
WEEKEND = 0.6  # weekend use relative to a weekday
HANDOUT_SIZE = 1.25  # mean sets per naloxone handout (1, 1, 1 or 2)
TRENDS = {"foil": 0.6, "syringe": -0.15, "needle": -0.15}  # growth over a year (SWITCH)


@dataclass(frozen=True)
class Spec:
    """One catalogue line as the simulation sees it."""

    item: Item
    per_day: float  # a weekday's use at scale 1 (naloxone: handouts are drawn separately)
    pack: int


@dataclass
class SiteYear:
    """What one site's year needs to know; `short` names the items delivered short."""

    site: Site
    scale: float
    specs: list[Spec]
    lots: list[Lot]
    start: date
    end: date
    short: frozenset[str] = frozenset()
    on_hand: dict[int, int] = field(default_factory=dict)
    lot_stock: dict[int, int] = field(default_factory=dict)

    def is_open(self, day: date) -> bool:
        """Outreach teams rest on Sundays; the others open every day."""
        return not (self.site.kind == "oppsokende_team" and day.weekday() == 6)

    def handouts_per_day(self, day: date) -> float:
        """Mean naloxone handouts a day: every site hands some out, busier sites more."""
        if not self.is_open(day):
            return 0.0
        return (0.8 + 0.6 * self.scale) * (WEEKEND if day.weekday() >= 5 else 1.0)

    def mean_use(self, spec: Spec, day: date) -> float:
        """Expected use of the item on the day (the mean the day's figure is drawn around)."""
        if not self.is_open(day):
            return 0.0
        if spec.item.category == "naloxone":
            return self.handouts_per_day(day) * HANDOUT_SIZE
        progress = (day - self.start).days / 365
        weekday = WEEKEND if day.weekday() >= 5 else 1.0
        season = 1 + 0.1 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365)
        trend = TRENDS.get(spec.item.category, 0.0)
        return spec.per_day * self.scale * weekday * season * (1 + trend * progress)

    def use_between(self, spec: Spec, first: date, days: int) -> float:
        return sum(self.mean_use(spec, first + timedelta(days=n)) for n in range(days))


def run(actor: Actor, rng: random.Random, year: SiteYear) -> tuple[int, int]:
    """The site's year into the ledger: tallies most days, handouts, weekly deliveries."""
    moves: list[ledger.Move] = []
    tallies: list[TallyEntry] = []
    handouts: list[NaloxoneHandout] = []
    naloxone = next(s.item for s in year.specs if s.item.category == "naloxone")
    day = year.start
    while day < year.end:
        if day.weekday() == 0 or day == year.start:
            _delivery(actor, year, day, moves)
        if year.is_open(day):
            tallies.append(_tally(actor, rng, year, day))
            for _ in range(_count(rng, year.handouts_per_day(day))):
                handouts.append(_handout(rng, actor, year, naloxone, day))
        day += timedelta(days=1)
    db.session.add_all([*tallies, *handouts])
    db.session.flush()
    ledger.upsert_add(
        ContactsDaily,
        ("site_id", "day"),
        "contacts",
        [{"site_id": year.site.id, "day": t.entry_date, "contacts": t.contacts} for t in tallies],
    )
    for tally in tallies:
        moves.extend(
            ledger.Move(
                year.site.id,
                line.item.id,
                None,
                "distribution",
                -line.quantity,
                tally.entry_date,
                refs={"tally_id": tally.id},
            )
            for line in tally.lines
        )
    moves.extend(
        ledger.Move(
            year.site.id,
            h.item.id,
            h.lot.id if h.lot else None,
            "distribution",
            -h.quantity,
            h.handed_out_on,
            refs={"naloxone_handout_id": h.id},
        )
        for h in handouts
    )
    for begin in range(0, len(moves), POST_SLICE):
        ledger.post(actor, moves[begin : begin + POST_SLICE])
    return len(tallies), len(handouts)


def _count(rng: random.Random, mean: float) -> int:
    """A whole number with this mean, as steady as whole numbers allow (a site's handouts
    vary little from week to week, so its recent use predicts its next weeks)."""
    whole = int(mean)
    return whole + (rng.random() < mean - whole)


def _tally(actor: Actor, rng: random.Random, year: SiteYear, day: date) -> TallyEntry:
    tally = TallyEntry(site=year.site, entry_date=day, contacts=0, created_by_id=actor.user_id)
    for spec in year.specs:
        if spec.item.category == "naloxone":
            continue
        mean = year.mean_use(spec, day)
        quantity = max(0, round(rng.gauss(mean, mean * 0.25 + 0.5)))
        if quantity:
            tally.lines.append(TallyLine(item=spec.item, quantity=quantity))
            year.on_hand[spec.item.id] = year.on_hand.get(spec.item.id, 0) - quantity
    tally.contacts = max(1, int(rng.gauss(35 * year.scale, 8 * year.scale)))
    return tally


def _handout(
    rng: random.Random, actor: Actor, year: SiteYear, naloxone: Item, day: date
) -> NaloxoneHandout:
    """A handout from the soonest-expiring lot the site holds (FEFO)."""
    first = rng.random() < 0.4
    held = [
        lot
        for lot in year.lots
        if year.lot_stock.get(lot.id, 0) > 0 and lot.expiry and lot.expiry >= day
    ]
    lot = held[0] if held else year.lots[-1]
    quantity = rng.choice([1, 1, 1, 2])
    year.lot_stock[lot.id] = year.lot_stock.get(lot.id, 0) - quantity
    year.on_hand[naloxone.id] = year.on_hand.get(naloxone.id, 0) - quantity
    return NaloxoneHandout(
        site=year.site,
        handed_out_on=day,
        item=naloxone,
        lot=lot,
        quantity=quantity,
        recipient_group=rng.choices(["pwud", "relative", "staff", "other"], [75, 15, 5, 5])[0],
        first_time=first,
        refill_reason=None
        if first
        else rng.choices(
            ["used_on_overdose", "lost", "stolen", "confiscated", "expired", "other", "unknown"],
            [35, 20, 8, 10, 7, 5, 15],
        )[0],
        training_given=rng.random() < (0.8 if first else 0.3),
        created_by_id=actor.user_id,
    )


def _wanted(year: SiteYear, spec: Spec, day: date) -> int:
    """Packs × pack size to order today: up to COVER_DAYS of use, or for a short-delivered
    line near the end, to SHORT_COVER_DAYS of use left at the end."""
    held = year.on_hand.get(spec.item.id, 0)
    if spec.item.code in year.short and day >= year.end - timedelta(days=SHORT_FROM_DAYS):
        until_end = year.use_between(spec, day, (year.end - day).days)
        want = until_end + year.use_between(spec, year.end, SHORT_COVER_DAYS) - held
        return max(0, round(want / spec.pack)) * spec.pack
    want = year.use_between(spec, day, COVER_DAYS) - held
    return max(0, math.ceil(want / spec.pack)) * spec.pack


def _delivery(actor: Actor, year: SiteYear, day: date, moves: list[ledger.Move]) -> None:
    """The week's delivery: whatever tops each item up (nothing if nothing is needed)."""
    lines = [(spec, _wanted(year, spec, day)) for spec in year.specs]
    lines = [(spec, quantity) for spec, quantity in lines if quantity > 0]
    if not lines:
        return
    receipt = Receipt(
        site=year.site, received_on=day, created_by_id=actor.user_id, note="Ukentlig leveranse"
    )
    db.session.add(receipt)
    db.session.flush()
    for spec, quantity in lines:
        lot = None
        if spec.item.tracks_lots:
            usable = [lot for lot in year.lots if lot.expiry and lot.expiry >= day + timedelta(180)]
            lot = usable[0] if usable else year.lots[-1]
            year.lot_stock[lot.id] = year.lot_stock.get(lot.id, 0) + quantity
        year.on_hand[spec.item.id] = year.on_hand.get(spec.item.id, 0) + quantity
        moves.append(
            ledger.Move(
                year.site.id,
                spec.item.id,
                lot.id if lot else None,
                "receipt",
                quantity,
                day,
                refs={"receipt_id": receipt.id},
            )
        )
