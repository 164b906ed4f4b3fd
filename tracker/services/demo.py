"""Demo data: three municipalities, a dozen sites, the standard catalogue and a year of activity.

Built in bulk (one transaction per site) through the same ledger as daily entry, so balances,
aggregates and `verify-ledger` hold for the demo exactly as for real data. After the bulk
year, the features a person opens next are filled through their own services (an admin
actor, each call its own transaction): training sessions and staff certifications (valid,
expiring and expired), transfers (received and in transit), a closed stock count with a small
variance, a discarded expired naloxone lot, and reorder/target levels that leave a few lines
to reorder.
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
    StockBalance,
    TallyEntry,
    TallyLine,
    User,
)
from tracker.services import (
    catalog,
    counts,
    discards,
    ledger,
    reorder,
    stock,
    training,
    transfers,
    users,
)
from tracker.services.access import Actor
from tracker.services.unit import commit, service

POST_SLICE = 3000  # movements per ledger.post in the bulk year (x 18 columns < 65 535)

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
    ("ola.ansatt@tracker.local", "Ola Hansen", "staff", ["OSL-MO"], None),
    ("ingrid.ansatt@tracker.local", "Ingrid Berg", "staff", ["OSL-SPR"], None),
    ("marte.ansatt@tracker.local", "Marte Lie", "staff", ["BGO-MO"], None),
    ("trond.ansatt@tracker.local", "Trond Moen", "staff", ["TRD-MO"], None),
    ("hanne.ansatt@tracker.local", "Hanne Dahl", "staff", ["TRD-MO"], None),
]

# Staff courses with named attendees, days before today (independent of --days, so that the
# certification overview always shows valid, expiring-soon and expired CPR certificates).
STAFF_COURSES = [
    ("OSL-MO", 45, "cpr", ["stedsleder@tracker.local", "ansatt@tracker.local"]),  # valid
    ("OSL-MO", 410, "cpr", ["ola.ansatt@tracker.local"]),  # expired
    ("OSL-MO", 120, "naloxone", ["ansatt@tracker.local", "ola.ansatt@tracker.local"]),
    ("OSL-SPR", 325, "cpr", ["ingrid.ansatt@tracker.local"]),  # expiring in ~40 days
    ("OSL-SPR", 200, "first_aid", ["ingrid.ansatt@tracker.local", "stedsleder@tracker.local"]),
    ("BGO-MO", 150, "cpr", ["ansatt.bergen@tracker.local"]),  # valid
    ("BGO-MO", 340, "cpr", ["marte.ansatt@tracker.local"]),  # expiring in ~25 days
    (
        "BGO-MO",
        90,
        "smoking_technique",
        ["ansatt.bergen@tracker.local", "marte.ansatt@tracker.local"],
    ),
    ("TRD-MO", 20, "cpr", ["trond.ansatt@tracker.local"]),  # valid
    ("TRD-MO", 440, "cpr", ["hanne.ansatt@tracker.local"]),  # expired
    (
        "TRD-MO",
        75,
        "overdose_conversation",
        ["trond.ansatt@tracker.local", "hanne.ansatt@tracker.local"],
    ),
]

# Weekly chance of a session of each type, by site kind.
TRAINING_RATES = {
    "mo_senter": {
        "naloxone": 0.2,
        "cpr": 0.08,
        "first_aid": 0.05,
        "smoking_technique": 0.15,
        "overdose_conversation": 0.1,
    },
    "sproyterom": {
        "naloxone": 0.15,
        "cpr": 0.06,
        "first_aid": 0.04,
        "smoking_technique": 0.12,
        "overdose_conversation": 0.08,
    },
    "lavterskel_helsesenter": {
        "naloxone": 0.12,
        "cpr": 0.05,
        "first_aid": 0.04,
        "smoking_technique": 0.08,
        "overdose_conversation": 0.06,
    },
    "oppsokende_team": {
        "naloxone": 0.08,
        "cpr": 0.02,
        "first_aid": 0.01,
        "smoking_technique": 0.05,
        "overdose_conversation": 0.05,
    },
}
# type: (pwud, relative, staff, other) ranges, durations in minutes, trainer
TRAINING_SHAPE = {
    "naloxone": (((2, 10), (0, 3), (0, 1), (0, 1)), [30, 45], "Sykepleier, nalokson"),
    "cpr": (((3, 10), (0, 2), (0, 2), (0, 1)), [120, 180], "HLR-instruktør"),
    "first_aid": (((3, 8), (0, 2), (0, 2), (0, 1)), [180, 240], "Førstehjelpsinstruktør"),
    "smoking_technique": (((2, 8), (0, 0), (0, 1), (0, 0)), [30, 45, 60], "SWITCH-veileder"),
    "overdose_conversation": (((1, 4), (0, 2), (0, 0), (0, 1)), [20, 30, 45], "Erfaringskonsulent"),
}


@dataclass
class SeedResult:
    created: bool
    passwords: dict[str, str]
    tallies: int = 0
    handouts: int = 0
    sessions: int = 0
    transfers: int = 0


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
    admin = db.session.execute(select(User).where(User.email == USERS[0][0])).scalar_one()
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
    result.sessions = _seed_training(actor, rng, end, start)
    result.transfers = _seed_stock_operations(actor, end, days)
    _seed_levels(actor, end)
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
    db.session.add_all([*tallies, *handouts])
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
    # In slices: on PostgreSQL ledger.post sends the movements as one multi-row INSERT, and a
    # year at a busy site (~30 000 movements) would pass psycopg's 65 535 bind parameters.
    for begin in range(0, len(moves), POST_SLICE):
        ledger.post(actor, moves[begin : begin + POST_SLICE])
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


def _seed_training(actor: Actor, rng: random.Random, end: date, start: date) -> int:
    """Sessions through training.record_session: weekly chances per site kind, plus the staff
    courses whose attendees get the certifications."""
    sessions = 0
    for code, _, _, kind, _ in SITES:
        rates = TRAINING_RATES[kind]
        week = start
        while week < end:
            for training_type, rate in rates.items():
                if rng.random() >= rate:
                    continue
                held_on = min(week + timedelta(days=rng.randint(0, 4)), end - timedelta(days=1))
                ranges, durations, trainer = TRAINING_SHAPE[training_type]
                counts = {
                    audience: rng.randint(low, high)
                    for audience, (low, high) in zip(AUDIENCE_ORDER, ranges, strict=True)
                }
                if not sum(counts.values()):
                    counts["pwud"] = 1
                training.record_session(
                    actor,
                    site_code=code,
                    held_on=held_on,
                    training_type=training_type,
                    counts=counts,
                    duration_minutes=rng.choice(durations),
                    trainer=trainer,
                )
                sessions += 1
            week += timedelta(days=7)
    for code, days_ago, training_type, attendees in STAFF_COURSES:
        _, durations, trainer = TRAINING_SHAPE[training_type]
        training.record_session(
            actor,
            site_code=code,
            held_on=end - timedelta(days=days_ago),
            training_type=training_type,
            counts={"staff": len(attendees) + 2},
            attendees=attendees,
            duration_minutes=durations[-1],
            trainer=trainer,
            note="Kurs for ansatte",
        )
        sessions += 1
    return sessions


AUDIENCE_ORDER = ("pwud", "relative", "staff", "other")


def _balances(site_code: str, item_code: str) -> list[tuple[int | None, int]]:
    """(lot id, quantity) on hand at the site, largest first."""
    rows = db.session.execute(
        select(StockBalance.lot_id, StockBalance.quantity)
        .join(Site, Site.id == StockBalance.site_id)
        .join(Item, Item.id == StockBalance.item_id)
        .where(Site.code == site_code, Item.code == item_code, StockBalance.quantity > 0)
        .order_by(StockBalance.quantity.desc(), StockBalance.lot_key)
    ).all()
    return [(lot_id, int(q)) for lot_id, q in rows]


def _spare_lines(site_code: str, wanted: list[tuple[str, int]]) -> list[dict[str, object]]:
    """Transfer lines of up to `wanted` per item, never more than half of what the site holds."""
    lines: list[dict[str, object]] = []
    for item_code, quantity in wanted:
        held = _balances(site_code, item_code)
        if not held:
            continue
        lot_id, on_hand = held[0]
        quantity = min(quantity, on_hand // 2)
        if quantity < 1:
            continue
        line: dict[str, object] = {"item": item_code, "quantity": quantity}
        if lot_id is not None:
            lot = db.session.get(Lot, lot_id)
            assert lot is not None
            line["lot"] = lot.lot_number
        lines.append(line)
    return lines


def _seed_stock_operations(actor: Actor, end: date, days: int) -> int:
    """Transfers, a stock count, an expired lot received long ago and discarded."""

    def ago(n: int) -> date:  # within the seeded window
        return end - timedelta(days=max(1, min(n, days - 1)))

    made = 0
    plan = [
        ("OSL-MO", "OSL-OPP", 40, 1, [("SPR-2", 200), ("KAN-23", 200), ("NALOKSON", 10)]),
        ("BGO-MO", "BGO-LAV", 20, 2, [("FOLIE", 500), ("SPR-1", 100), ("ODKORT", 50)]),
        ("TRD-MO", "TRD-SPR", 1, None, [("SPR-2", 100), ("KAN-27", 100), ("NALOKSON", 5)]),
    ]
    for sender, receiver, shipped_ago, transit_days, wanted in plan:
        lines = _spare_lines(sender, wanted)
        if not lines:
            continue
        shipped_on = ago(shipped_ago)
        transfer = transfers.ship(
            actor,
            from_code=sender,
            to_code=receiver,
            shipped_on=shipped_on,
            lines=lines,
            note="Utlån mellom steder",
        )
        made += 1
        if transit_days is None:
            continue
        received = None
        if receiver == "BGO-LAV":  # one box short on arrival: a shortfall discrepancy
            received = [
                {"line_id": line.id, "quantity": line.quantity_shipped - (1 if i == 0 else 0)}
                for i, line in enumerate(transfer.lines)
            ]
        transfers.receive(
            actor,
            transfer.id,
            received_on=min(shipped_on + timedelta(days=transit_days), end),
            lines=received,
        )
    # A naloxone lot received long ago that expired unused: discarded at the count.
    expired_lot = f"NX{(end.year - 2) % 100:02d}900"
    stock.receive(
        actor,
        site_code="OSL-LAV",
        received_on=end - timedelta(days=330),
        lines=[
            {
                "item": "NALOKSON",
                "quantity": 12,
                "lot": expired_lot,
                "expiry": end - timedelta(days=25),
            }
        ],
        note="Ekstra leveranse",
    )
    discards.discard(
        actor,
        site_code="OSL-LAV",
        discarded_on=ago(5),
        item_code="NALOKSON",
        quantity=12,
        reason="expired",
        lot=expired_lot,
        note="Utløpt parti funnet på lageret",
    )
    # Today's count at BGO-MO: a few lines, a small variance on two of them.
    count = counts.open_count(actor, site_code="BGO-MO", counted_on=end, note="Månedlig telling")
    variance = {"SPR-2": -4, "KAN-23": 0, "FOLIE": -10, "ODKORT": 2, "SPRIT": 0}
    count_lines = []
    for item_code, delta in variance.items():
        held = _balances("BGO-MO", item_code)
        if held:
            count_lines.append({"item": item_code, "quantity": max(0, held[0][1] + delta)})
    for lot_id, quantity in _balances("BGO-MO", "NALOKSON"):
        lot = db.session.get(Lot, lot_id)
        assert lot is not None
        count_lines.append({"item": "NALOKSON", "lot": lot.lot_number, "quantity": quantity})
    if count_lines:
        opened = counts.set_lines(actor, count.id, count_lines)
        why = {"SPR-2": "counting_error", "FOLIE": "lost", "ODKORT": "found"}
        reasons = {v.line.id: why.get(v.line.item.code, "other") for v in counts.variances(opened)}
        counts.close(actor, count.id, note="Avvik på folie og sprøyter", reasons=reasons)
    else:
        counts.cancel(actor, count.id)
    return made


RAISED_LEVELS = 4  # site items, the fewest days of stock left first


def _seed_levels(actor: Actor, end: date) -> None:
    """Reorder and target levels per site item through catalog.set_levels: two and six weeks
    of the site's recent use. The busiest lines (fewest days of stock left) get a buffer
    above what is on hand, so the reorder page has a few suggestions."""
    lines = reorder.stock_levels(None, on=end)
    tight = sorted(
        (line for line in lines if line.days_left is not None),
        key=lambda line: (line.days_left, line.site.code, line.item.code),
    )[:RAISED_LEVELS]
    raised = {(line.site.code, line.item.code) for line in tight}
    packs = {spec[0]: spec[7] for spec in CATALOGUE}
    for line in lines:
        rate = line.daily_usage or 0.0
        reorder_level = math.ceil(rate * 14)
        target_level = math.ceil(rate * 42)
        if (line.site.code, line.item.code) in raised:
            pack = packs.get(line.item.code, 1)
            available = line.usable + line.in_transit
            reorder_level = math.ceil((available + 1) / pack) * pack
            target_level = max(target_level, reorder_level + math.ceil(rate * 28))
        catalog.set_levels(
            actor,
            line.site.code,
            line.item.code,
            reorder_level=reorder_level,
            target_level=target_level,
        )
