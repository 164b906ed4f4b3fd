"""Discards (kassering/svinn): stock taken out of a site for a reason, expired lots included.

A discard is one `discard` movement, refused (409) beyond what the site holds of that item
and lot: the ledger's conditional update decides, so parallel discards cannot overdraw.
Unlike handouts, expired lots are accepted: discarding them is the point.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.dates import check_entry_date
from tracker.errors import Conflict, ValidationError
from tracker.extensions import db
from tracker.models import StockMovement
from tracker.models.stock import DISCARD_REASONS
from tracker.privacy import check_free_text
from tracker.services import audit, catalog, ledger, period_locks, stock_start
from tracker.services.access import Actor, get_site, require_site
from tracker.services.unit import Idempotency, commit, service

MAX_QUANTITY = 1_000_000


@service
def discard(
    actor: Actor,
    *,
    site_code: str,
    discarded_on: date,
    item_code: str,
    quantity: int,
    reason: str,
    lot: str | None = None,
    note: str | None = None,
    idem: Idempotency | None = None,
) -> StockMovement:
    """Take stock out as discarded; needs the lead, a reason, and for lot items the lot."""
    site = require_site(actor, get_site(site_code), "lead")
    if not site.active:
        raise Conflict(_l("Stedet %(site)s er deaktivert.", site=site.code), code="site-inactive")
    check_entry_date(discarded_on)
    stock_start.check_date(site, discarded_on)
    period_locks.ensure_open([site.id], [discarded_on])
    if reason not in DISCARD_REASONS:
        raise ValidationError(
            _l("Grunnen må være en av %(reasons)s.", reasons=", ".join(DISCARD_REASONS)),
            {"reason": [_l("Ukjent.")]},
        )
    if reason == "other" and not (note and note.strip()):
        raise ValidationError(
            _l("Skriv i merknaden hva «annet» betyr."), {"note": [_l("Må fylles ut.")]}
        )
    check_free_text("note", note)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(
            _l("Antallet må være minst 1."), {"quantity": [_l("Utenfor tillatt område.")]}
        )
    item = catalog.get_item(item_code)
    chosen = None
    if item.tracks_lots:
        if not lot:
            raise ValidationError(
                _l("Oppgi partiet av %(item)s som kasseres.", item=item.code),
                {"lot": [_l("Må fylles ut.")]},
            )
        chosen = catalog.find_lot(item, lot)
        if chosen is None:
            raise ValidationError(
                _l("Det finnes ikke noe parti %(lot)s av %(item)s.", lot=lot, item=item.code),
                {"lot": [_l("Ukjent parti.")]},
            )
    elif lot:
        raise ValidationError(
            _l("Varen %(item)s føres ikke med parti.", item=item.code),
            {"lot": [_l("Varen føres ikke med parti.")]},
        )
    text = reason if not note else f"{reason}: {note.strip()}"
    audit.record(
        actor,
        "discard",
        f"{site.code}/{item.code}",
        "create",
        site_id=site.id,
        after={
            "date": discarded_on.isoformat(),
            "item": item.code,
            "lot": chosen.lot_number if chosen else None,
            "quantity": quantity,
            "reason": reason,
            "note": note,
        },
    )
    (movement_id,) = ledger.post(
        actor,
        [
            ledger.Move(
                site.id,
                item.id,
                chosen.id if chosen else None,
                "discard",
                -quantity,
                discarded_on,
                reason=text,
            )
        ],
        refuse_short=True,
        labels={item.id: item.code},
    )
    movement = db.session.scalar(select(StockMovement).where(StockMovement.id == movement_id))
    assert movement is not None
    commit(idem, movement)
    return movement
