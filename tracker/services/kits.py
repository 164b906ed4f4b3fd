"""Kits (brukerpakker): an item made of other items.

Stock keeps kits: receiving, handing out and counting a kit moves the kit item only. The
reports count what a kit holds instead: handing out 3 kits of 10 syringes adds 30 to the
syringe total (reports.distribution joins the aggregates to kit_content in SQL). So a kit's
contents are fixed once anything was recorded of it, and history never shifts: change a used
kit by retiring it and adding a new one (invariant 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from tracker.errors import Conflict, ValidationError
from tracker.extensions import db
from tracker.models import Item, KitContent
from tracker.services import audit
from tracker.services.access import Actor, require_role
from tracker.services.catalog import get_item, has_history, items_by_code, list_items
from tracker.services.unit import commit, locked, service

MAX_LINES = 50


def _snapshot(item: Item) -> list[dict[str, Any]]:
    return [{"item": c.item.code, "quantity": c.quantity} for c in item.contents]


def _refuse(message: Any, field: str, why: Any) -> NoReturn:
    raise ValidationError(message, {field: [why]})


def _wanted(kit: Item, lines: list[dict[str, Any]]) -> dict[int, int]:
    """The contents asked for, checked: known items, no kit within a kit, no naloxone."""
    if len(lines) > MAX_LINES:
        _refuse(
            _l("En brukerpakke kan ha høyst %(n)s varer.", n=MAX_LINES),
            "contents",
            _l("For mange."),
        )
    codes = [str(line["item"]) for line in lines]
    if len(set(codes)) != len(codes):
        _refuse(_l("Hver vare kan stå bare én gang i en brukerpakke."), "contents", _l("Dobbel."))
    found = items_by_code(codes)
    if lines and kit.category == "naloxone":
        _refuse(_l("Nalokson kan ikke være en brukerpakke."), "contents", _l("Nalokson."))
    if lines and db.session.scalar(select(KitContent.kit_id).where(KitContent.item_id == kit.id)):
        _refuse(
            _l("%(code)s ligger i en annen brukerpakke og kan ikke selv være en.", code=kit.code),
            "contents",
            _l("Pakke i pakke."),
        )
    kit_ids = set(db.session.scalars(select(KitContent.kit_id).distinct()))
    wanted: dict[int, int] = {}
    for line, code in zip(lines, codes, strict=True):
        item = found.get(code)
        if item is None:
            _refuse(
                _l("Det finnes ingen vare med koden %(code)s.", code=code),
                "contents",
                _l("Ukjent vare."),
            )
        if item.id == kit.id or item.id in kit_ids:
            _refuse(
                _l("En brukerpakke kan ikke inneholde en brukerpakke (%(code)s).", code=code),
                "contents",
                _l("Pakke i pakke."),
            )
        if item.category == "naloxone":
            _refuse(
                _l(
                    "Nalokson deles ut og rapporteres per utlevering, ikke i en brukerpakke "
                    "(%(code)s).",
                    code=code,
                ),
                "contents",
                _l("Nalokson."),
            )
        wanted[item.id] = int(line["quantity"])
    return wanted


@service
def set_contents(actor: Actor, code: str, lines: list[dict[str, Any]]) -> Item:
    """Make an item a kit of these items x quantities, or (empty list) a plain item again
    (admin). Refused (409) once the item has history: add a new kit instead."""
    require_role(actor, "admin")
    # The kit and the items asked for, locked in id order: two kits changed at once cannot
    # each take the other in (a kit within a kit), and they never wait on each other in a
    # circle. The checks below then read what the other change committed.
    named = [code, *(str(line["item"]) for line in lines)]
    db.session.execute(locked(select(Item.id).where(Item.code.in_(named)).order_by(Item.id)))
    kit = get_item(code, lock=True)
    wanted = _wanted(kit, lines)
    current = {c.item_id: c.quantity for c in kit.contents}
    if wanted == current:  # the same contents again: nothing to change, nothing refused
        return kit
    if has_history(kit):
        raise Conflict(
            _l(
                "Varen %(code)s har registrerte bevegelser, så innholdet kan ikke endres "
                "(rapportert historikk ville flytte seg); ta den ut av bruk og legg til en "
                "ny brukerpakke.",
                code=code,
            ),
            {"contents": [_l("Har bevegelser: legg til en ny brukerpakke.")]},
            code="kit-locked",
        )
    before = _snapshot(kit)
    db.session.execute(delete(KitContent).where(KitContent.kit_id == kit.id))
    db.session.add_all(
        KitContent(kit_id=kit.id, item_id=item_id, quantity=quantity)
        for item_id, quantity in wanted.items()
    )
    db.session.flush()
    db.session.expire(kit, ["contents"])
    audit.record(
        actor,
        "item",
        kit.id,
        "set_contents",
        before={"contents": before},
        after={"contents": _snapshot(kit)},
    )
    commit()
    return kit


@dataclass
class KitForm:
    """What the catalogue page shows for a kit: the items it may hold and whether it is fixed."""

    kit: Item
    candidates: list[Item]
    current: dict[int, int]
    locked: bool


def kit_form(actor: Actor, code: str) -> KitForm:
    """The contents form of an item (admin): active plain items other than naloxone."""
    require_role(actor, "admin")
    kit = get_item(code)
    kit_ids = set(db.session.scalars(select(KitContent.kit_id).distinct()))
    current = {c.item_id: c.quantity for c in kit.contents}
    candidates = [
        i
        for i in list_items()
        if i.id != kit.id
        and i.id not in kit_ids
        and i.category != "naloxone"
        and (i.active or i.id in current)
    ]
    return KitForm(kit, candidates, current, has_history(kit))
