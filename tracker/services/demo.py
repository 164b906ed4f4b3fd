"""Demo data: three municipalities, ten sites, the standard catalogue and a year of activity.

The catalogue has one kit (a brukerpakke of syringes, needles and foil) handed out at two
sites, whose contents count in the report figures.

Built in bulk (one transaction per site) through the same ledger as daily entry, so balances,
aggregates and `verify-ledger` hold for the demo exactly as for real data. Stock behaves like
a real outlet's: a weekly delivery fills each item up to five weeks of its expected use (in
whole packs), so every site holds two to eight weeks of what it hands out, outreach teams
included. After the bulk year, the features a person opens next are filled through their own
services (an admin actor, each call its own transaction): training sessions and staff
certifications (valid, expiring and expired), transfers (received, short on arrival, and one
in transit to the demo lead's site), counts (closed with a variance, and one open), a
short-dated naloxone lot, a discarded expired lot, and reorder/target levels of three and six
weeks of each line's use, under which a few lines of the lead's sites have fallen (a short
delivery). Every municipality has its coordinator, and a national one sees them all.
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
    Item,
    KitContent,
    Lot,
    Municipality,
    Site,
    SiteItem,
    StockBalance,
    User,
)
from tracker.services import (
    catalog,
    counts,
    demo_year,
    discards,
    reorder,
    stock,
    training,
    transfers,
    users,
)
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
# (packs small enough that one pack is at most about two weeks of a small site's use)
CATALOGUE = [
    ("SPR-1", "Sprøyte 1 ml (insulin)", "Syringe 1 ml (insulin)", "syringe", "stk", False, 40, 100),
    ("SPR-2", "Sprøyte 2 ml", "Syringe 2 ml", "syringe", "stk", False, 70, 100),
    ("SPR-5", "Sprøyte 5 ml", "Syringe 5 ml", "syringe", "stk", False, 15, 25),
    ("KAN-27", "Kanyle 27G grå", "Needle 27G grey", "needle", "stk", False, 30, 100),
    ("KAN-23", "Kanyle 23G blå", "Needle 23G blue", "needle", "stk", False, 60, 100),
    ("KAN-21", "Kanyle 21G grønn", "Needle 21G green", "needle", "stk", False, 35, 100),
    ("FOLIE", "Røykefolie (SWITCH)", "Smoking foil (SWITCH)", "foil", "ark", False, 25, 100),
    (
        "NALOKSON",
        "Nalokson nesespray 1,8 mg",
        "Naloxone nasal spray 1.8 mg",
        "naloxone",
        "sett",
        True,
        0,
        5,
    ),
    ("ODKORT", "Overdosekort", "Overdose card", "overdose_card", "stk", False, 5, 10),
    ("SPRIT", "Spritserviett", "Alcohol swab", "other", "stk", False, 60, 200),
    ("BRUKERPAKKE", "Brukerpakke", "User kit", "other", "pakke", False, 3, 10),
]

# The kit (brukerpakke) and what one holds: handing out a kit counts its contents in every
# report figure, while stock keeps kits. Only KIT_SITES hand it out; it is off elsewhere.
KIT = "BRUKERPAKKE"
KIT_CONTENTS = [("SPR-2", 10), ("KAN-23", 10), ("FOLIE", 2)]
KIT_SITES = ("OSL-MO", "OSL-OPP")

# Lines delivered short in the last weeks: under their reorder level at the end (the leads'
# sites, big lines whose pack is a day or two of use).
SHORT_LINES = {"OSL-MO": ("SPR-1",), "OSL-SPR": ("SPR-2",), "BGO-MO": ("KAN-23",)}

# email, name, role, sites, municipality: one coordinator per municipality and a national one.
USERS = [
    ("admin@tracker.local", "Ada Admin", "admin", [], None),
    ("nasjonal.koordinator@tracker.local", "Nora Nasjonal", "coordinator", [], None),
    ("koordinator@tracker.local", "Kari Koordinator", "coordinator", [], "0301"),
    ("koordinator.bergen@tracker.local", "Knut Koordinator", "coordinator", [], "4601"),
    ("koordinator.trondheim@tracker.local", "Tone Koordinator", "coordinator", [], "5001"),
    ("stedsleder@tracker.local", "Lars Stedsleder", "lead", ["OSL-MO", "OSL-SPR"], None),
    ("stedsleder.bergen@tracker.local", "Berit Stedsleder", "lead", ["BGO-MO"], None),
    ("stedsleder.trondheim@tracker.local", "Tor Stedsleder", "lead", ["TRD-MO"], None),
    ("ansatt@tracker.local", "Siri Ansatt", "staff", ["OSL-MO"], None),
    ("ansatt.bergen@tracker.local", "Bjørn Ansatt", "staff", ["BGO-MO"], None),
    ("ola.ansatt@tracker.local", "Ola Hansen", "staff", ["OSL-MO"], None),
    ("ingrid.ansatt@tracker.local", "Ingrid Berg", "staff", ["OSL-SPR"], None),
    ("marte.ansatt@tracker.local", "Marte Lie", "staff", ["BGO-MO"], None),
    ("trond.ansatt@tracker.local", "Trond Moen", "staff", ["TRD-MO"], None),
    ("hanne.ansatt@tracker.local", "Hanne Dahl", "staff", ["TRD-MO"], None),
    ("petter.ansatt@tracker.local", "Petter Nilsen", "staff", ["OSL-OPP"], None),
]

# Staff courses with named attendees, days before today (independent of --days, so that the
# certification overview always shows valid, expiring-soon and expired CPR certificates).
STAFF_COURSES = [
    ("OSL-MO", 45, "cpr", ["stedsleder@tracker.local", "ansatt@tracker.local"]),  # valid
    ("OSL-MO", 410, "cpr", ["ola.ansatt@tracker.local"]),  # expired
    ("OSL-MO", 120, "naloxone", ["ansatt@tracker.local", "ola.ansatt@tracker.local"]),
    # The naloxone course: who may hand out naloxone from the national programme (issue 24).
    ("OSL-MO", 90, "naloxone_course", ["ansatt@tracker.local", "stedsleder@tracker.local"]),
    ("BGO-MO", 60, "naloxone_course", ["ansatt.bergen@tracker.local"]),
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
    "naloxone_course": (((0, 0), (0, 0), (2, 6), (0, 0)), [90, 120], "Naloksonprogrammet"),
}


@dataclass
class SeedResult:
    created: bool
    passwords: dict[str, str]
    tallies: int = 0
    handouts: int = 0
    sessions: int = 0
    transfers: int = 0


@dataclass
class DemoUser:
    """A demo account as `seed-demo` prints it."""

    email: str
    role: str
    where: str  # its sites, its municipality, or "all"
    password: str


def _where(role: str, site_codes: list[str], municipality: str | None) -> str:
    if site_codes:
        return ", ".join(site_codes)
    return municipality or "all"


def demo_users(passwords: dict[str, str]) -> list[DemoUser]:
    """The demo's accounts with the passwords given (in USERS order)."""
    return [
        DemoUser(email, role, _where(role, sites, municipality), passwords[email])
        for email, _, role, sites, municipality in USERS
        if email in passwords
    ]


@service
def reset_demo_passwords() -> list[DemoUser]:
    """New passwords for the demo's accounts that still exist. Only hashes were kept, so the
    first ones cannot be shown again; each account's sessions end and tokens are revoked."""
    passwords: dict[str, str] = {}
    for email, *_ in USERS:
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            passwords[email] = _password()
            users.set_password_unchecked(user, passwords[email], "demo_password_reset")
    commit()
    return demo_users(passwords)


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
    end = today()
    start = end - timedelta(days=days)
    # stock is tracked from the first weekly receipt, or the old naloxone lot received
    # 330 days back (_seed_stock_operations), whichever is earlier (invariant 9)
    stock_start = min(start, end - timedelta(days=330))
    sites = [
        Site(code=c, name=n, municipality=places[m], kind=k, active=True, stock_start=stock_start)
        for c, n, m, k, _ in SITES
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
    _kit(sites, items)
    passwords: dict[str, str] = {}
    for email, name, role, site_codes, municipality in USERS:
        passwords[email] = _password()
        users.create_user_unchecked(email, name, passwords[email], role, site_codes, municipality)
    db.session.flush()
    admin = db.session.execute(select(User).where(User.email == USERS[0][0])).scalar_one()
    actor = Actor(admin)
    lots = _naloxone_lots(items, start, end)
    commit()
    result = SeedResult(created=True, passwords=passwords)
    specs = [
        demo_year.Spec(item, per_day, pack)
        for item, (*_, per_day, pack) in zip(items, CATALOGUE, strict=True)
    ]
    for site, scale in zip(sites, [s[4] for s in SITES], strict=True):
        handed_out = [s for s in specs if s.item.code != KIT or site.code in KIT_SITES]
        year = demo_year.SiteYear(
            site, scale, handed_out, lots, start, end, frozenset(SHORT_LINES.get(site.code, ()))
        )
        t, h = demo_year.run(actor, rng, year)
        result.tallies += t
        result.handouts += h
        commit()
    result.sessions = _seed_training(actor, rng, end, start)
    result.transfers = _seed_stock_operations(actor, end, days)
    _seed_levels(actor, end)
    return result


def _kit(sites: list[Site], items: list[Item]) -> None:
    """The kit's contents, and the kit turned off at the sites that do not hand it out."""
    by_code = {i.code: i for i in items}
    kit = by_code[KIT]
    db.session.add_all(
        KitContent(kit_id=kit.id, item_id=by_code[code].id, quantity=quantity)
        for code, quantity in KIT_CONTENTS
    )
    db.session.add_all(
        SiteItem(site_id=site.id, item_id=kit.id, active=False)
        for site in sites
        if site.code not in KIT_SITES
    )


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
    """Transfers, counts, a short-dated lot, an expired lot received long ago and discarded."""

    def ago(n: int) -> date:  # within the seeded window
        return end - timedelta(days=max(1, min(n, days - 1)))

    made = 0
    for sender, receiver, shipped_ago, transit_days, wanted in TRANSFERS:
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
    yy = end.year % 100
    # A small short-dated naloxone lot at the lead's site: on the expiring list.
    stock.receive(
        actor,
        site_code="OSL-MO",
        received_on=ago(20),
        lines=[
            {
                "item": "NALOKSON",
                "quantity": 6,
                "lot": f"NX{yy:02d}777",
                "expiry": end + SHORT_DATED,
            }
        ],
        note="Kortdatert parti fra lageret",
    )
    # A naloxone lot received long ago that expired unused: discarded at the count.
    expired_lot = f"NX{(end.year - 2) % 100:02d}900"
    stock.receive(
        actor,
        site_code="OSL-LAV",
        received_on=ago(330),
        lines=[
            {
                "item": "NALOKSON",
                "quantity": 12,
                "lot": expired_lot,
                "expiry": end - timedelta(days=25),
            }
        ],
        note="Ekstra leveranse",
        # In a short demo window it arrives already expired: received to be discarded.
        confirm_expired=True,
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
    for site_code in ("OSL-MO", "BGO-MO"):
        _closed_count(actor, site_code, end)
    # The lead's other site has a count under way: opened today, two lines counted.
    count = counts.open_count(actor, site_code="OSL-SPR", counted_on=end, note="Ukestelling")
    started = [
        {"item": code, "quantity": _balances("OSL-SPR", code)[0][1]}
        for code in ("SPR-1", "KAN-27")
        if _balances("OSL-SPR", code)
    ]
    if started:
        counts.set_lines(actor, count.id, started)
    return made


# sender, receiver, shipped days ago, days in transit (None: still on its way), lines.
TRANSFERS = [
    ("OSL-MO", "OSL-OPP", 40, 1, [("SPR-2", 100), ("KAN-23", 100), ("NALOKSON", 4)]),
    ("BGO-MO", "BGO-LAV", 20, 2, [("FOLIE", 100), ("SPR-5", 25), ("ODKORT", 10)]),
    ("TRD-MO", "TRD-SPR", 12, 1, [("SPR-2", 100), ("KAN-27", 100)]),
    ("OSL-LAV", "OSL-MO", 1, None, [("SPR-2", 100), ("KAN-23", 100)]),  # to the lead's site
]
SHORT_DATED = timedelta(days=45)


def _closed_count(actor: Actor, site_code: str, end: date) -> None:
    """Today's count at a site: a few lines, a small variance on two of them."""
    count = counts.open_count(actor, site_code=site_code, counted_on=end, note="Månedlig telling")
    variance = {"SPR-2": -4, "KAN-23": 0, "FOLIE": -10, "ODKORT": 2, "SPRIT": 0}
    count_lines: list[dict[str, object]] = []
    for item_code, delta in variance.items():
        held = _balances(site_code, item_code)
        if held:
            count_lines.append({"item": item_code, "quantity": max(0, held[0][1] + delta)})
    for lot_id, quantity in _balances(site_code, "NALOKSON"):
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


REORDER_DAYS = 21  # a line is reordered with three weeks of use left ...
TARGET_DAYS = 42  # ... up to six weeks


def _seed_levels(actor: Actor, end: date) -> None:
    """Reorder and target levels per site item, the same days of use everywhere: three and
    six weeks of the line's recent use (catalog.set_site_levels, one call per site). The
    lines delivered short (SHORT_LINES) are under it: the reorder page has suggestions."""
    wanted: dict[str, dict[str, tuple[int, int]]] = {}
    for line in reorder.stock_levels(None, on=end):
        rate = line.daily_usage or 0.0
        levels = (math.ceil(rate * REORDER_DAYS), math.ceil(rate * TARGET_DAYS))
        wanted.setdefault(line.site.code, {})[line.item.code] = levels
    for site_code, site_levels in wanted.items():
        catalog.set_site_levels(actor, site_code, site_levels)
