"""Demo data: three municipalities, a dozen sites, the standard catalogue and a year of activity.

Built in bulk (one transaction per site) through the same ledger as daily entry, so balances,
aggregates and `verify-ledger` hold for the demo exactly as for real data.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from tracker.dates import today
from tracker.extensions import db
from tracker.models import (
    ContactsDaily,
    Item,
    Lot,
    Municipality,
    NaloxoneHandout,
    Receipt,
    Site,
    SiteItem,
    TallyEntry,
    TallyLine,
    User,
)
from tracker.services import ledger, users
from tracker.services.access import Actor
from tracker.services.unit import commit, service

MUNICIPALITIES = [("0301", "Oslo"), ("4601", "Bergen"), ("5001", "Trondheim")]

SITES = [
    ("OSL-MO", "MO-senteret Oslo sentrum", "0301", "mo_senter", 1.6),
    ("OSL-SPR", "Sprøyterommet Oslo", "0301", "sproyterom", 1.2),
    ("OSL-LAV", "Lavterskel helsesenter Grønland", "0301", "lavterskel_helsesenter", 1.0),
    ("OSL-OPP", "Oppsøkende team Oslo", "0301", "oppsokende_team", 0.5),
    ("BGO-MO", "MO-senteret Bergen", "4601", "mo_senter", 1.2),
    ("BGO-LAV", "Lavterskel helsesenter Bergen", "4601", "lavterskel_helsesenter", 0.8),
    ("BGO-OPP", "Oppsøkende team Bergen", "4601", "oppsokende_team", 0.4),
    ("TRD-MO", "MO-senteret Trondheim", "5001", "mo_senter", 0.9),
    ("TRD-SPR", "Sprøyterommet Trondheim", "5001", "sproyterom", 0.6),
    ("TRD-OPP", "Oppsøkende team Trondheim", "5001", "oppsokende_team", 0.3),
]

# code, name nb, name en, category, unit, tracks lots, typical per day at scale 1, pack size
CATALOGUE = [
    ("SPR-1", "Sprøyte 1 ml (insulin)", "Syringe 1 ml (insulin)", "syringe", "stk", False, 40, 100),
    ("SPR-2", "Sprøyte 2 ml", "Syringe 2 ml", "syringe", "stk", False, 70, 100),
    ("SPR-5", "Sprøyte 5 ml", "Syringe 5 ml", "syringe", "stk", False, 15, 100),
    ("KAN-27", "Kanyle 27G grå", "Needle 27G grey", "needle", "stk", False, 30, 100),
    ("KAN-23", "Kanyle 23G blå", "Needle 23G blue", "needle", "stk", False, 60, 100),
    ("KAN-21", "Kanyle 21G grønn", "Needle 21G green", "needle", "stk", False, 35, 100),
    ("FOLIE", "Røykefolie (SWITCH)", "Smoking foil (SWITCH)", "foil", "ark", False, 25, 500),
    (
        "NALOKSON",
        "Nalokson nesespray 1,8 mg",
        "Naloxone nasal spray 1.8 mg",
        "naloxone",
        "sett",
        True,
        0,
        10,
    ),
    ("ODKORT", "Overdosekort", "Overdose card", "overdose_card", "stk", False, 3, 50),
    ("SPRIT", "Spritserviett", "Alcohol swab", "other", "stk", False, 60, 200),
]

USERS = [
    ("admin@tracker.local", "Ada Admin", "admin", [], None),
    ("koordinator@tracker.local", "Kari Koordinator", "coordinator", [], None),
    ("stedsleder@tracker.local", "Lars Stedsleder", "lead", ["OSL-MO", "OSL-SPR"], None),
    ("ansatt@tracker.local", "Siri Ansatt", "staff", ["OSL-MO"], None),
    ("ansatt.bergen@tracker.local", "Bjørn Ansatt", "staff", ["BGO-MO"], None),
]


@dataclass
class SeedResult:
    created: bool
    passwords: dict[str, str]
    tallies: int = 0
    handouts: int = 0


def already_seeded() -> bool:
    return db.session.scalar(select(Site.id).where(Site.code == SITES[0][0])) is not None


def _password() -> str:
    return secrets.token_urlsafe(12)


@service
def seed(days: int = 365, rng_seed: int = 2026) -> SeedResult:
    """Load the demo once; a second run finds the first site and does nothing."""
    if already_seeded():
        return SeedResult(created=False, passwords={})
    rng = random.Random(rng_seed)
    places = {n: Municipality(number=n, name=name) for n, name in MUNICIPALITIES}
    db.session.add_all(places.values())
    sites = [
        Site(code=c, name=n, municipality=places[m], kind=k, active=True) for c, n, m, k, _ in SITES
    ]
    db.session.add_all(sites)
    items = [
        Item(
            code=c,
            name_nb=nb,
            name_en=en,
            category=cat,
            unit=u,
            tracks_lots=lots,
            active=True,
            sort_order=i * 10,
        )
        for i, (c, nb, en, cat, u, lots, _, _) in enumerate(CATALOGUE)
    ]
    db.session.add_all(items)
    db.session.flush()
    passwords: dict[str, str] = {}
    for email, name, role, site_codes, municipality in USERS:
        passwords[email] = _password()
        users.create_user_unchecked(email, name, passwords[email], role, site_codes, municipality)
    db.session.flush()
    admin = db.session.scalar(select(User).where(User.email == USERS[0][0]))
    actor = Actor(admin)
    end = today()
    start = end - timedelta(days=days)
    lots = _naloxone_lots(items, start, end)
    commit()
    result = SeedResult(created=True, passwords=passwords)
    for site, scale in zip(sites, [s[4] for s in SITES], strict=True):
        t, h = _seed_site(actor, rng, site, scale, items, lots, start, end)
        result.tallies += t
        result.handouts += h
        commit()
    return result


def _naloxone_lots(items: list[Item], start: date, end: date) -> list[Lot]:
    naloxone = next(i for i in items if i.category == "naloxone")
    lots = []
    expiry = start + timedelta(days=400)
    for n in range(6):
        lots.append(
            Lot(
                item=naloxone,
                lot_number=f"NX{start.year % 100:02d}{n + 1:03d}",
                expiry=expiry + timedelta(days=90 * n),
            )
        )
    db.session.add_all(lots)
    db.session.flush()
    return lots


def _daily_volume(
    rng: random.Random, base: float, scale: float, day: date, start: date, trend: float
) -> int:
    progress = (day - start).days / 365
    weekday = 0.6 if day.weekday() >= 5 else 1.0
    season = 1 + 0.1 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365)
    mean = base * scale * weekday * season * (1 + trend * progress)
    return max(0, int(rng.gauss(mean, mean * 0.25 + 0.5)))


def _seed_site(
    actor: Actor,
    rng: random.Random,
    site: Site,
    scale: float,
    items: list[Item],
    lots: list[Lot],
    start: date,
    end: date,
) -> tuple[int, int]:
    """A year at one site: tallies most days, naloxone handouts, weekly receipts."""
    moves: list[ledger.Move] = []
    tallies: list[TallyEntry] = []
    handouts: list[NaloxoneHandout] = []
    weekly_use: dict[int, int] = {}
    lot_stock: dict[int, int] = {}
    naloxone = next(i for i in items if i.category == "naloxone")
    for item in items:
        db.session.add(
            SiteItem(
                site_id=site.id,
                item_id=item.id,
                reorder_level=int(CATALOGUE[items.index(item)][6] * scale * 7),
                target_level=int(CATALOGUE[items.index(item)][6] * scale * 21),
            )
        )
    day = start
    while day < end:
        if site.kind == "oppsokende_team" and day.weekday() == 6:
            day += timedelta(days=1)
            continue
        if day.weekday() == 0 or day == start:
            _weekly_receipt(actor, rng, site, items, lots, day, weekly_use, scale, moves, lot_stock)
        tally = TallyEntry(site=site, entry_date=day, contacts=0, created_by_id=actor.user_id)
        for spec, item in zip(CATALOGUE, items, strict=True):
            if item.category == "naloxone":
                continue
            trend = {"foil": 0.6, "syringe": -0.15, "needle": -0.15}.get(item.category, 0.0)
            quantity = _daily_volume(rng, spec[6], scale, day, start, trend)
            if quantity:
                tally.lines.append(TallyLine(item=item, quantity=quantity))
                weekly_use[item.id] = weekly_use.get(item.id, 0) + quantity
        tally.contacts = max(1, int(rng.gauss(35 * scale, 8 * scale)))
        tallies.append(tally)
        for _ in range(rng.choices([0, 1, 2, 3], [5, 4, 2, 1])[0] if scale >= 0.5 else 0):
            handouts.append(_handout(rng, actor, site, naloxone, lots, day, lot_stock))
            weekly_use[naloxone.id] = weekly_use.get(naloxone.id, 0) + handouts[-1].quantity
        day += timedelta(days=1)
    db.session.add_all(tallies + handouts)
    db.session.flush()
    ledger.upsert_add(
        ContactsDaily,
        ("site_id", "day"),
        "contacts",
        [{"site_id": site.id, "day": t.entry_date, "contacts": t.contacts} for t in tallies],
    )
    for tally in tallies:
        moves.extend(
            ledger.Move(
                site.id,
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
            site.id,
            h.item.id,
            h.lot.id if h.lot else None,
            "distribution",
            -h.quantity,
            h.handed_out_on,
            refs={"naloxone_handout_id": h.id},
        )
        for h in handouts
    )
    ledger.post(actor, moves)
    return len(tallies), len(handouts)


def _handout(
    rng: random.Random,
    actor: Actor,
    site: Site,
    naloxone: Item,
    lots: list[Lot],
    day: date,
    lot_stock: dict[int, int],
) -> NaloxoneHandout:
    """A handout from the soonest-expiring lot the site holds (FEFO)."""
    first = rng.random() < 0.4
    held = [
        lot for lot in lots if lot_stock.get(lot.id, 0) > 0 and lot.expiry and lot.expiry >= day
    ]
    lot = held[0] if held else lots[-1]
    quantity = rng.choice([1, 1, 1, 2])
    lot_stock[lot.id] = lot_stock.get(lot.id, 0) - quantity
    return NaloxoneHandout(
        site=site,
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


def _weekly_receipt(
    actor: Actor,
    rng: random.Random,
    site: Site,
    items: list[Item],
    lots: list[Lot],
    day: date,
    weekly_use: dict[int, int],
    scale: float,
    moves: list[ledger.Move],
    lot_stock: dict[int, int],
) -> None:
    receipt = Receipt(
        site=site, received_on=day, created_by_id=actor.user_id, note="Ukentlig leveranse"
    )
    db.session.add(receipt)
    db.session.flush()
    for spec, item in zip(CATALOGUE, items, strict=True):
        pack = spec[7]
        want = weekly_use.get(item.id) or int((spec[6] or 2) * scale * 10)
        quantity = max(pack, math.ceil(want * rng.uniform(0.95, 1.15) / pack) * pack)
        lot = None
        if item.tracks_lots:
            usable = [lot for lot in lots if lot.expiry and lot.expiry >= day + timedelta(180)]
            lot = usable[0] if usable else lots[-1]
            lot_stock[lot.id] = lot_stock.get(lot.id, 0) + quantity
        moves.append(
            ledger.Move(
                site.id,
                item.id,
                lot.id if lot else None,
                "receipt",
                quantity,
                day,
                refs={"receipt_id": receipt.id},
            )
        )
    weekly_use.clear()
