"""Transfers between sites: shipped out of the sender (in transit), then received or cancelled.

Shipping posts `transfer_out` movements with the ledger's refuse-short path, so a transfer
never takes the sender below zero, even with parallel requests: the balance moves by one
conditional `UPDATE ... WHERE quantity + :delta >= 0`. While in transit the stock is in
neither site's on-hand. Receiving posts `transfer_in` with the quantities that arrived and
records any shortfall as a discrepancy at the receiver. Status changes are conditional
updates too, so a transfer is received (or cancelled) once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Select, func, or_, select, update

from tracker.dates import check_entry_date
from tracker.errors import Conflict, NotFound, ValidationError
from tracker.extensions import db
from tracker.models import Discrepancy, Item, Lot, Site, StockMovement, Transfer, TransferLine
from tracker.models.base import utcnow
from tracker.privacy import check_free_text
from tracker.services import audit, catalog, ledger, period_locks, stock, stock_start
from tracker.services.access import (
    Actor,
    can,
    get_site,
    likely_first,
    require_site,
    visible_site_ids,
)
from tracker.services.unit import Idempotency, commit, get_by_id, service

MAX_LINES = 100


def snapshot(transfer: Transfer) -> dict[str, Any]:
    return {
        "from": transfer.from_site.code,
        "to": transfer.to_site.code,
        "status": transfer.status,
        "shipped_on": transfer.shipped_on.isoformat(),
        "received_on": transfer.received_on.isoformat() if transfer.received_on else None,
        "lines": [
            {
                "item": line.item.code,
                "lot": line.lot.lot_number if line.lot else None,
                "shipped": line.quantity_shipped,
                "received": line.quantity_received,
            }
            for line in transfer.lines
        ],
    }


# The statuses as people say them, for messages.
STATUS_NAMES = {"shipped": _l("sendt"), "received": _l("mottatt"), "cancelled": _l("avbrutt")}


def _line_error(index: int, field: str, message: Any) -> dict[str, Any]:
    return {"lines": {str(index): {field: [message]}}}


def _resolve_lines(
    site_id: int, on: date, lines: list[dict[str, Any]]
) -> list[tuple[Item, Lot | None, int]]:
    """(item, lot, quantity) per line; lot items without a named lot take the FEFO lot."""
    if not lines:
        raise ValidationError(_l("En overføring må ha minst én linje."), {"lines": [_l("Tom.")]})
    if len(lines) > MAX_LINES:
        raise ValidationError(_l("Høyst %(n)s linjer.", n=MAX_LINES), {"lines": [_l("For mange.")]})
    resolved: list[tuple[Item, Lot | None, int]] = []
    seen: set[tuple[int, int | None]] = set()
    for index, line in enumerate(lines):
        item = catalog.get_item(line["item"], field=f"lines.{index}.item")
        quantity = line["quantity"]
        if quantity <= 0:
            raise ValidationError(
                _l("Antall må være minst 1."),
                _line_error(index, "quantity", _l("Under 1.")),
            )
        lot: Lot | None = None
        if item.tracks_lots:
            if line.get("lot"):
                lot = catalog.find_lot(item, line["lot"])
                if lot is None:
                    raise ValidationError(
                        _l(
                            "Det finnes ikke noe parti %(lot)s av %(item)s.",
                            lot=line["lot"],
                            item=item.code,
                        ),
                        _line_error(index, "lot", _l("Ukjent parti.")),
                    )
            else:
                lot = stock.pick_lot(site_id, item, on)
                if lot is None:
                    raise ValidationError(
                        _l(
                            "Ingen brukbare partier av %(item)s å sende; oppgi partiet.",
                            item=item.code,
                        ),
                        _line_error(index, "lot", _l("Må fylles ut.")),
                    )
        elif line.get("lot"):
            raise ValidationError(
                _l("Varen %(item)s føres ikke med parti.", item=item.code),
                _line_error(index, "lot", _l("Varen føres ikke med parti.")),
            )
        key = (item.id, lot.id if lot else None)
        if key in seen:
            raise ValidationError(
                _l("Varen %(item)s står to ganger; før den én gang med summen.", item=item.code),
                _line_error(index, "item", _l("Varen står to ganger.")),
            )
        seen.add(key)
        resolved.append((item, lot, quantity))
    return resolved


@service
def ship(
    actor: Actor,
    *,
    from_code: str,
    to_code: str,
    shipped_on: date,
    lines: list[dict[str, Any]],
    note: str | None = None,
    idem: Idempotency | None = None,
) -> Transfer:
    """Send stock to another site; refused (409) if any line exceeds what the sender holds."""
    sender = require_site(actor, get_site(from_code, "from"), "lead")
    receiver = get_site(to_code, "to")
    if sender.id == receiver.id:
        raise ValidationError(
            _l("En overføring går til et annet sted."), {"to": [_l("Samme som fra-stedet.")]}
        )
    for site in (sender, receiver):
        if not site.active:
            raise Conflict(
                _l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive"
            )
    check_entry_date(shipped_on, "date")
    stock_start.check_date(sender, shipped_on)
    period_locks.ensure_open([sender.id], [shipped_on])
    check_free_text("note", note)
    resolved = _resolve_lines(sender.id, shipped_on, lines)
    transfer = Transfer(
        from_site=sender,
        to_site=receiver,
        status="shipped",
        shipped_on=shipped_on,
        shipped_by_id=actor.user_id,
        note=note,
    )
    transfer.lines = [
        TransferLine(item=item, lot=lot, quantity_shipped=q) for item, lot, q in resolved
    ]
    db.session.add(transfer)
    db.session.flush()
    audit.record(
        actor, "transfer", transfer.id, "ship", site_id=sender.id, after=snapshot(transfer)
    )
    ledger.post(
        actor,
        [
            ledger.Move(
                sender.id,
                item.id,
                lot.id if lot else None,
                "transfer_out",
                -q,
                shipped_on,
                reason=f"to {receiver.code}",
                refs={"transfer_id": transfer.id},
            )
            for item, lot, q in resolved
        ],
        refuse_short=True,
        labels={item.id: item.code for item, _, _ in resolved},
    )
    commit(idem, transfer)
    return transfer


def _claim(transfer: Transfer, new_status: str) -> None:
    """Move the status on from 'shipped' with one conditional UPDATE; 409 if someone did first."""
    claim = (
        update(Transfer.__table__)
        .where(Transfer.id == transfer.id, Transfer.status == "shipped")
        .values(status=new_status)
    )
    # Session.execute is typed as returning a Result; an UPDATE's is a CursorResult.
    done = cast(CursorResult[Any], db.session.execute(claim)).rowcount
    if done != 1:
        current = db.session.scalar(select(Transfer.status).where(Transfer.id == transfer.id))
        name = STATUS_NAMES.get(current or "", current)
        raise Conflict(
            _l("Overføring %(id)s er allerede %(status)s.", id=transfer.id, status=name),
            {"status": [name]},
        )


def _received_quantities(transfer: Transfer, received: list[dict[str, Any]] | None) -> list[int]:
    """Quantities per transfer line; missing means all arrived. Over-receipt is refused."""
    if received is None:
        return [line.quantity_shipped for line in transfer.lines]
    by_line = {line.id: index for index, line in enumerate(transfer.lines)}
    quantities: list[int | None] = [None] * len(transfer.lines)
    for index, given in enumerate(received):
        position = by_line.get(given["line_id"])
        if position is None:
            raise ValidationError(
                _l(
                    "Linje %(line)s hører ikke til overføring %(id)s.",
                    line=given["line_id"],
                    id=transfer.id,
                ),
                _line_error(index, "line_id", _l("Ukjent linje.")),
            )
        if quantities[position] is not None:
            raise ValidationError(
                _l("En linje står to ganger."),
                _line_error(index, "line_id", _l("Linjen står to ganger.")),
            )
        line = transfer.lines[position]
        if not 0 <= given["quantity"] <= line.quantity_shipped:
            raise ValidationError(
                _l("Mottatt må være fra 0 til de %(n)s som ble sendt.", n=line.quantity_shipped),
                _line_error(index, "quantity", _l("Mer enn sendt, eller negativt.")),
            )
        quantities[position] = given["quantity"]
    if any(q is None for q in quantities):
        raise ValidationError(
            _l("Oppgi mottatt antall for hver linje (0 hvis ingenting kom)."),
            {"lines": [_l("Alle linjene i overføringen trengs.")]},
        )
    return [int(q) for q in quantities]  # type: ignore[arg-type]


@service
def receive(
    actor: Actor,
    transfer_id: int,
    *,
    received_on: date,
    lines: list[dict[str, Any]] | None = None,
    note: str | None = None,
    idem: Idempotency | None = None,
) -> Transfer:
    """Take a shipment in at the receiver; a shortfall becomes a discrepancy there."""
    transfer = get_transfer(actor, transfer_id)
    require_site(actor, transfer.to_site, "lead")
    check_entry_date(received_on, "date")
    period_locks.ensure_open(
        [transfer.to_site_id], [received_on], exclusive=transfer.to_site.stock_start is None
    )
    if received_on < transfer.shipped_on:
        raise ValidationError(
            _l("En overføring kan ikke komme fram før den ble sendt."),
            {"date": [_l("Før sendingen.")]},
        )
    check_free_text("note", note)
    quantities = _received_quantities(transfer, lines)
    if transfer.status != "shipped":
        raise Conflict(
            _l(
                "Overføring %(id)s er allerede %(status)s.",
                id=transfer.id,
                status=STATUS_NAMES.get(transfer.status, transfer.status),
            )
        )
    _claim(transfer, "received")
    stock_start.begin(actor, transfer.to_site, received_on)
    transfer.status = "received"
    transfer.received_on = received_on
    transfer.received_by_id = actor.user_id
    transfer.received_at = utcnow()
    if note:
        transfer.note = f"{transfer.note}\n{note}" if transfer.note else note
    moves = []
    for line, quantity in zip(transfer.lines, quantities, strict=True):
        line.quantity_received = quantity
        if quantity < line.quantity_shipped:
            db.session.add(
                Discrepancy(
                    site_id=transfer.to_site_id,
                    item_id=line.item_id,
                    lot_id=line.lot_id,
                    kind="transfer_shortfall",
                    quantity=line.quantity_shipped - quantity,
                    detected_on=received_on,
                    transfer_id=transfer.id,
                )
            )
        moves.append(
            ledger.Move(
                transfer.to_site_id,
                line.item_id,
                line.lot_id,
                "transfer_in",
                quantity,
                received_on,
                reason=f"from {transfer.from_site.code}",
                refs={"transfer_id": transfer.id},
            )
        )
    db.session.flush()
    audit.record(
        actor,
        "transfer",
        transfer.id,
        "receive",
        site_id=transfer.to_site_id,
        before={"status": "shipped"},
        after=snapshot(transfer),
    )
    ledger.post(actor, moves)
    commit(idem, transfer)
    return transfer


@service
def cancel(actor: Actor, transfer_id: int, *, reason: str) -> Transfer:
    """Call back a shipment not yet received: correction movements put it back at the sender."""
    transfer = get_transfer(actor, transfer_id)
    require_site(actor, transfer.from_site, "lead")
    if not reason or not reason.strip():
        raise ValidationError(
            _l("Skriv hvorfor overføringen avbrytes."), {"reason": [_l("Må fylles ut.")]}
        )
    check_free_text("reason", reason)
    period_locks.ensure_open([transfer.from_site_id], [transfer.shipped_on])
    if transfer.status != "shipped":
        raise Conflict(
            _l(
                "Overføring %(id)s er allerede %(status)s.",
                id=transfer.id,
                status=STATUS_NAMES.get(transfer.status, transfer.status),
            )
        )
    _claim(transfer, "cancelled")
    transfer.status = "cancelled"
    outs = db.session.scalars(
        select(StockMovement).where(
            StockMovement.transfer_id == transfer.id,
            StockMovement.kind == "transfer_out",
        )
    ).all()
    audit.record(
        actor,
        "transfer",
        transfer.id,
        "cancel",
        site_id=transfer.from_site_id,
        before={"status": "shipped"},
        after={"status": "cancelled", "reason": reason},
    )
    ledger.post(
        actor,
        [
            ledger.Move(
                m.site_id,
                m.item_id,
                m.lot_id,
                "correction",
                -m.quantity,
                m.occurred_on,
                reason=f"transfer cancelled: {reason}",
                refs={"transfer_id": transfer.id, "corrects_id": m.id},
            )
            for m in outs
        ],
    )
    commit()
    return transfer


def _get(transfer_id: int) -> Transfer:
    transfer = get_by_id(Transfer, transfer_id)
    if transfer is None:
        raise NotFound(_l("Det finnes ingen overføring %(id)s.", id=transfer_id))
    return transfer


def get_transfer(actor: Actor, transfer_id: int) -> Transfer:
    """A transfer is visible to whoever may see either of its sites."""
    transfer = _get(transfer_id)
    if not (can(actor, transfer.from_site) or can(actor, transfer.to_site)):
        raise NotFound(_l("Det finnes ingen overføring %(id)s.", id=transfer_id))
    return transfer


def transfers_query(
    actor: Actor, *, site: str | None = None, status: str | None = None
) -> Select[tuple[Transfer]]:
    """Transfers into or out of the sites the actor sees, newest first."""
    ids = [require_site(actor, get_site(site)).id] if site else visible_site_ids(actor)
    query = (
        select(Transfer)
        .where(or_(Transfer.from_site_id.in_(ids), Transfer.to_site_id.in_(ids)))
        .order_by(Transfer.id.desc())
    )
    if status:
        query = query.where(Transfer.status == status)
    return query


def recent(actor: Actor, site: str | None = None, limit: int = 100) -> list[Transfer]:
    """The latest transfers for the list page, shipments in transit first."""
    query = transfers_query(actor, site=site).limit(limit)
    found = list(db.session.scalars(query))
    return sorted(found, key=lambda t: (t.status != "shipped", -t.id))


def in_transit_to(site_ids: list[int]) -> dict[tuple[int, int], int]:
    """Shipped but not yet received, per (receiving site, item)."""
    rows = db.session.execute(
        select(Transfer.to_site_id, TransferLine.item_id, func.sum(TransferLine.quantity_shipped))
        .join(TransferLine, TransferLine.transfer_id == Transfer.id)
        .where(Transfer.status == "shipped", Transfer.to_site_id.in_(site_ids))
        .group_by(Transfer.to_site_id, TransferLine.item_id)
    )
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for site_id, item_id, quantity in rows:
        totals[(site_id, item_id)] += int(quantity)
    return dict(totals)


@dataclass(frozen=True)
class ShipChoices:
    """The sites a transfer form offers, the likeliest first, and what it starts with."""

    senders: list[Site]
    receivers: list[Site]
    sender: str | None
    receiver: str | None


def ship_choices(actor: Actor) -> ShipChoices:
    """Senders are the sites the actor leads; the form starts at their last-picked site (or
    one in their own municipality) and offers that municipality's other sites first: an Oslo
    lead's new transfer does not start out going to Bergen."""
    active = list(db.session.scalars(select(Site).where(Site.active.is_(True)).order_by(Site.code)))
    visible = set(visible_site_ids(actor))
    senders = likely_first(actor, [s for s in active if s.id in visible and can(actor, s, "lead")])
    sender = senders[0] if senders else None
    near = sender.municipality_id if sender else actor.user.municipality_id
    receivers = sorted(
        active,
        key=lambda s: (sender is not None and s.id == sender.id, s.municipality_id != near, s.code),
    )
    return ShipChoices(
        senders=senders,
        receivers=receivers,
        sender=sender.code if sender else None,
        receiver=next((s.code for s in receivers if sender is None or s.id != sender.id), None),
    )
