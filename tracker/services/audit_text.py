"""The audit log as sentences: "Kari Koordinator endret bestillingsnivå for Sprøyte 2 ml ved
OSL-MO fra 300 til 400" instead of an entity, an action and raw JSON.

One phrase per (entity, action) that the services audit (grep `audit.record`); an action
this module does not know yet falls back to a generic sentence, so a new audit call never
breaks the page. The raw before/after stay on the event for the page to show on demand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.extensions import db
from tracker.models import AuditEvent, Item, User
from tracker.services import audit
from tracker.services.access import Actor

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Context:
    """What the sentences name, read once for a page of events."""

    lang: str
    items: dict[str, str]  # item code -> name in the page language
    users: dict[str, str]  # user id (as in entity_id) -> name

    def item(self, code: Any) -> str:
        return self.items.get(str(code), str(code))

    def number(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.value(value)
        return format_decimal(value, format="#,##0", locale="en" if self.lang == "en" else "nb")

    def value(self, value: Any) -> str:
        if value is None or value == "":
            return "–"
        if isinstance(value, bool):
            return str(_l("ja") if value else _l("nei"))
        if isinstance(value, int | float):
            return self.number(value)
        if isinstance(value, dict):
            return ", ".join(f"{k}: {self.value(v)}" for k, v in value.items())
        if isinstance(value, list):
            return ", ".join(self.value(v) for v in value)
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            return f"{value[8:10]}.{value[5:7]}.{value[:4]}"  # dates read 05.06.2026 on pages
        return str(value)


# Field names in before/after, as a person says them.
FIELDS: dict[str, Any] = {
    "name": _l("navn"),
    "name_nb": _l("navn (bokmål)"),
    "name_en": _l("navn (engelsk)"),
    "category": _l("kategori"),
    "unit": _l("enhet"),
    "tracks_lots": _l("føres med parti"),
    "active": _l("i bruk"),
    "sort_order": _l("rekkefølge"),
    "reorder_level": _l("bestillingsnivå"),
    "target_level": _l("målnivå"),
    "kind": _l("type"),
    "municipality": _l("kommune"),
    "email": _l("e-post"),
    "global_role": _l("rolle"),
    "sites": _l("steder"),
    "date": _l("dato"),
    "contacts": _l("kontakter"),
    "note": _l("merknad"),
    "type": _l("type"),
    "counts": _l("deltakere"),
    "duration_minutes": _l("varighet (minutter)"),
    "trainer": _l("kursholder"),
    "attendees": _l("deltakende ansatte"),
    "status": _l("status"),
    "weekdays": _l("ukedager"),
    "dates": _l("datoer"),
    "lead_time_days": _l("bestillingsfrist (dager)"),
}


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None, ctx: Context) -> str:
    """ "bestillingsnivå fra 300 til 400, målnivå fra 400 til 500" for the fields that differ;
    item quantities (a tally's lines) are compared item by item."""
    before, after = before or {}, after or {}
    parts = []
    for key in [k for k in after if k in before] + [k for k in before if k not in after]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "lines" and isinstance(old, dict) and isinstance(new, dict):
            for code in sorted(set(old) | set(new)):
                if old.get(code, 0) != new.get(code, 0):
                    parts.append(_from_to(ctx.item(code), old.get(code, 0), new.get(code, 0), ctx))
            continue
        parts.append(_from_to(str(FIELDS.get(key, key)), old, new, ctx))
    return ", ".join(parts) if parts else str(_l("ingen endring"))


def _from_to(label: str, old: Any, new: Any, ctx: Context) -> str:
    return str(_l("%(field)s fra %(old)s til %(new)s", field=label, old=ctx.value(old),
                  new=ctx.value(new)))  # fmt: skip


def _lines(lines: Any, ctx: Context, key: str = "quantity") -> str:
    """ "40 Sprøyte 2 ml, 5 Nalokson" from a dict (code -> n) or a list of line dicts."""
    if isinstance(lines, dict):
        return ", ".join(f"{ctx.number(n)} {ctx.item(code)}" for code, n in lines.items())
    if isinstance(lines, list):
        return ", ".join(
            f"{ctx.number(line.get(key))} {ctx.item(line.get('item'))}"
            for line in lines
            if isinstance(line, dict)
        )
    return "–"


Phrase = Callable[[AuditEvent, dict[str, Any], Context], Any]


def _site(event: AuditEvent, data: dict[str, Any]) -> str:
    if event.site is not None:
        return event.site.code
    return str(data.get("site") or data.get("code") or "–")


def _pair(event: AuditEvent) -> tuple[str, str]:
    """A site item's (site code, item code) from its entity id "OSL-MO/SPR-2"."""
    site, _, item = event.entity_id.partition("/")
    return site, item


def _levels(event: AuditEvent, d: dict[str, Any], ctx: Context) -> Any:
    site, item = _pair(event)
    before, after = event.before or {}, event.after or {}
    if not before:
        return _l(
            "%(who)s satte bestillingsnivå for %(item)s ved %(site)s til %(reorder)s og "
            "målnivå til %(target)s",
            who=d["who"], item=ctx.item(item), site=site,
            reorder=ctx.number(after.get("reorder_level")),
            target=ctx.number(after.get("target_level")),
        )  # fmt: skip
    changed = [k for k in after if before.get(k) != after.get(k)]
    if changed == ["active"]:
        if after["active"]:
            return _l("%(who)s slo på %(item)s ved %(site)s", who=d["who"], item=ctx.item(item),
                      site=site)  # fmt: skip
        return _l("%(who)s slo av %(item)s ved %(site)s", who=d["who"], item=ctx.item(item),
                  site=site)  # fmt: skip
    if len(changed) == 1:
        key = changed[0]
        return _l(
            "%(who)s endret %(field)s for %(item)s ved %(site)s fra %(old)s til %(new)s",
            who=d["who"], field=FIELDS.get(key, key), item=ctx.item(item), site=site,
            old=ctx.value(before.get(key)), new=ctx.value(after.get(key)),
        )  # fmt: skip
    return _l(
        "%(who)s endret %(item)s ved %(site)s: %(changes)s",
        who=d["who"], item=ctx.item(item), site=site, changes=changes(before, after, ctx),
    )  # fmt: skip


def _user(event: AuditEvent, ctx: Context) -> str:
    data = event.after or event.before or {}
    return str(data.get("name") or ctx.users.get(event.entity_id) or data.get("email") or "?")


PHRASES: dict[tuple[str, str], Phrase] = {
    ("item", "create"): lambda e, d, c: _l(
        "%(who)s la til varen %(item)s (%(code)s) i katalogen",
        who=d["who"], item=d.get("name_en" if c.lang == "en" else "name_nb"), code=d.get("code"),
    ),
    ("item", "update"): lambda e, d, c: _l(
        "%(who)s endret varen %(item)s: %(changes)s",
        who=d["who"], item=c.item(d.get("code")), changes=changes(e.before, e.after, c),
    ),
    ("site_item", "set_levels"): _levels,
    ("site_item", "update"): _levels,
    ("stock_count", "open"): lambda e, d, c: _l(
        "%(who)s startet varetelling %(id)s ved %(site)s", who=d["who"], id=e.entity_id,
        site=_site(e, d),
    ),
    ("stock_count", "lines"): lambda e, d, c: _l(
        "%(who)s førte opp tall i varetelling %(id)s ved %(site)s", who=d["who"],
        id=e.entity_id, site=_site(e, d),
    ),
    ("stock_count", "close"): lambda e, d, c: _l(
        "%(who)s avsluttet varetelling %(id)s ved %(site)s", who=d["who"], id=e.entity_id,
        site=_site(e, d),
    ),
    ("stock_count", "cancel"): lambda e, d, c: _l(
        "%(who)s avbrøt varetelling %(id)s ved %(site)s", who=d["who"], id=e.entity_id,
        site=_site(e, d),
    ),
    ("discard", "create"): lambda e, d, c: _l(
        "%(who)s kasserte %(quantity)s %(item)s ved %(site)s (%(reason)s)", who=d["who"],
        quantity=c.number(d.get("quantity")), item=c.item(d.get("item")),
        site=_site(e, d), reason=c.value(d.get("reason")),
    ),
    ("discrepancy", "resolve"): lambda e, d, c: _l(
        "%(who)s lukket avvik %(id)s ved %(site)s: %(note)s", who=d["who"], id=e.entity_id,
        site=_site(e, d), note=c.value(d.get("note")),
    ),
    ("import_batch", "create"): lambda e, d, c: _l(
        "%(who)s importerte %(file)s: %(imported)s av %(rows)s rader, %(skipped)s hoppet over",
        who=d["who"], file=c.value(d.get("filename")), imported=c.number(d.get("imported")),
        rows=c.number(d.get("rows")), skipped=c.number(d.get("skipped")),
    ),
    ("municipality", "create"): lambda e, d, c: _l(
        "%(who)s opprettet kommunen %(name)s (%(number)s)", who=d["who"], name=d.get("name"),
        number=d.get("number"),
    ),
    ("municipality", "rename"): lambda e, d, c: _l(
        "%(who)s endret navnet på kommune %(number)s fra %(old)s til %(new)s", who=d["who"],
        number=d.get("number"), old=(e.before or {}).get("name"), new=d.get("name"),
    ),
    ("naloxone_handout", "update"): lambda e, d, c: _l(
        "%(who)s endret naloksonutdeling %(id)s ved %(site)s: %(changes)s", who=d["who"],
        id=e.entity_id, site=_site(e, d), changes=changes(e.before, e.after, c),
    ),
    ("naloxone_handout", "delete"): lambda e, d, c: _l(
        "%(who)s slettet naloksonutdeling %(id)s ved %(site)s (%(quantity)s %(item)s, %(date)s)",
        who=d["who"], id=e.entity_id, site=_site(e, d), quantity=c.number(d.get("quantity")),
        item=c.item(d.get("item")), date=c.value(d.get("date")),
    ),
    ("category", "create"): lambda e, d, c: _l(
        "%(who)s la til kategorien %(name)s (%(code)s)", who=d["who"],
        name=d.get("name_en" if c.lang == "en" else "name_nb"), code=d.get("code"),
    ),
    ("category", "rename"): lambda e, d, c: _l(
        "%(who)s endret kategorien %(code)s: %(changes)s", who=d["who"], code=e.entity_id,
        changes=changes(e.before, e.after, c),
    ),
    ("item", "set_contents"): lambda e, d, c: _l(
        "%(who)s satte innholdet i brukerpakke %(id)s til %(contents)s", who=d["who"],
        id=e.entity_id, contents=_lines(d.get("contents"), c) or "–",
    ),
    ("overdose_event", "create"): lambda e, d, c: _l(
        "%(who)s registrerte en overdose ved %(site)s for %(date)s (%(doses)s doser nalokson, "
        "utfall: %(outcome)s)", who=d["who"], site=_site(e, d), date=c.value(d.get("date")),
        doses=c.number(d.get("naloxone_doses")), outcome=c.value(d.get("outcome")),
    ),
    ("overdose_event", "update"): lambda e, d, c: _l(
        "%(who)s endret overdose %(id)s ved %(site)s: %(changes)s", who=d["who"],
        id=e.entity_id, site=_site(e, d), changes=changes(e.before, e.after, c),
    ),
    ("overdose_event", "delete"): lambda e, d, c: _l(
        "%(who)s slettet overdose %(id)s ved %(site)s (%(date)s)", who=d["who"],
        id=e.entity_id, site=_site(e, d), date=c.value(d.get("date")),
    ),
    ("referral", "create"): lambda e, d, c: _l(
        "%(who)s registrerte %(count)s henvisninger til %(to)s ved %(site)s for %(date)s",
        who=d["who"], count=c.number(d.get("count")), to=c.value(d.get("to")),
        site=_site(e, d), date=c.value(d.get("date")),
    ),
    ("equipment_return", "create"): lambda e, d, c: _l(
        "%(who)s registrerte %(count)s i retur (%(kind)s) ved %(site)s for %(date)s",
        who=d["who"], count=c.number(d.get("count")), kind=c.value(d.get("kind")),
        site=_site(e, d), date=c.value(d.get("date")),
    ),
    ("contact_groups", "create"): lambda e, d, c: _l(
        "%(who)s registrerte kontakter etter gruppe ved %(site)s for %(date)s", who=d["who"],
        site=_site(e, d), date=c.value(d.get("date")),
    ),
    ("naloxone_handout", "create"): lambda e, d, c: _l(
        "%(who)s registrerte %(quantity)s %(item)s ved %(site)s for %(date)s", who=d["who"],
        quantity=c.number(d.get("quantity")), item=c.item(d.get("item")), site=_site(e, d),
        date=c.value(d.get("date")),
    ),
    ("user", "password_reset_link"): lambda e, d, c: _l(
        "%(who)s lagde en lenke for nytt passord til %(user)s", who=d["who"], user=_user(e, c)
    ),
    ("user", "password_reset"): lambda e, d, c: _l(
        "%(user)s satte nytt passord med en lenke", user=_user(e, c)
    ),
    ("site", "create"): lambda e, d, c: _l(
        "%(who)s opprettet stedet %(site)s (%(name)s)", who=d["who"], site=d.get("code"),
        name=d.get("name"),
    ),
    ("site", "update"): lambda e, d, c: _l(
        "%(who)s endret stedet %(site)s: %(changes)s", who=d["who"], site=_site(e, d),
        changes=changes(e.before, e.after, c),
    ),
    ("site", "stock-start"): lambda e, d, c: _l(
        "%(who)s satte lagerstart for %(site)s til %(date)s", who=d["who"], site=_site(e, d),
        date=c.value(d.get("stock_start")),
    ),
    ("submission", "create"): lambda e, d, c: _l(
        "%(who)s sendte inn rapport %(id)s", who=d["who"], id=e.entity_id
    ),
    ("submission", "reopen"): lambda e, d, c: _l(
        "%(who)s åpnet rapport %(id)s igjen", who=d["who"], id=e.entity_id
    ),
    ("unmet_demand", "create"): lambda e, d, c: _l(
        "%(who)s registrerte at %(quantity)s %(item)s ble spurt om og ikke gitt ved %(site)s "
        "%(date)s", who=d["who"], quantity=c.number(d.get("quantity")), item=c.item(d.get("item")),
        site=_site(e, d), date=c.value(d.get("date")),
    ),
    ("drug_alert", "create"): lambda e, d, c: _l(
        "%(who)s la ut et varsel for %(area)s: %(title)s", who=d["who"], title=d.get("title"),
        area=d.get("municipality") or _l("hele landet"),
    ),
    ("drug_alert", "end"): lambda e, d, c: _l(
        "%(who)s avsluttet varselet: %(title)s", who=d["who"], title=d.get("title")
    ),
    ("deliveries", "update"): lambda e, d, c: _l(
        "%(who)s endret leveringsdagene for %(site)s: %(changes)s", who=d["who"],
        site=_site(e, d), changes=changes(e.before, e.after, c),
    ),
    ("lot", "confirm-lot-number"): lambda e, d, c: _l(
        "%(who)s bekreftet at partinummeret til %(item)s ved %(site)s står på esken",
        who=d["who"], item=c.item(d.get("item")), site=_site(e, d),
    ),
    ("receipt", "create"): lambda e, d, c: _l(
        "%(who)s tok imot %(lines)s ved %(site)s", who=d["who"], lines=_lines(d.get("lines"), c),
        site=_site(e, d),
    ),
    ("tally", "create"): lambda e, d, c: _l(
        "%(who)s registrerte utdeling ved %(site)s for %(date)s: %(lines)s", who=d["who"],
        site=_site(e, d), date=c.value(d.get("date")), lines=_lines(d.get("lines"), c),
    ),
    ("tally", "update"): lambda e, d, c: _l(
        "%(who)s endret registrering %(id)s ved %(site)s: %(changes)s", who=d["who"],
        id=e.entity_id, site=_site(e, d), changes=changes(e.before, e.after, c),
    ),
    ("tally", "delete"): lambda e, d, c: _l(
        "%(who)s slettet registrering %(id)s ved %(site)s for %(date)s", who=d["who"],
        id=e.entity_id, site=_site(e, d), date=c.value(d.get("date")),
    ),
    ("training_session", "create"): lambda e, d, c: _l(
        "%(who)s registrerte opplæring (%(type)s) ved %(site)s for %(date)s", who=d["who"],
        type=c.value(d.get("type")), site=_site(e, d), date=c.value(d.get("date")),
    ),
    ("training_session", "update"): lambda e, d, c: _l(
        "%(who)s endret opplæring %(id)s ved %(site)s: %(changes)s", who=d["who"],
        id=e.entity_id, site=_site(e, d), changes=changes(e.before, e.after, c),
    ),
    ("transfer", "ship"): lambda e, d, c: _l(
        "%(who)s sendte %(lines)s fra %(from)s til %(to)s", who=d["who"],
        lines=_lines(d.get("lines"), c, "shipped"), to=d.get("to"), **{"from": d.get("from")},
    ),
    ("transfer", "receive"): lambda e, d, c: _l(
        "%(who)s tok imot overføring %(id)s fra %(from)s ved %(to)s: %(lines)s", who=d["who"],
        id=e.entity_id, lines=_lines(d.get("lines"), c, "received"), to=d.get("to"),
        **{"from": d.get("from")},
    ),
    ("transfer", "cancel"): lambda e, d, c: _l(
        "%(who)s avbrøt overføring %(id)s fra %(from)s til %(to)s", who=d["who"],
        id=e.entity_id, to=d.get("to"), **{"from": d.get("from")},
    ),
    ("user", "create"): lambda e, d, c: _l(
        "%(who)s opprettet brukeren %(user)s", who=d["who"], user=_user(e, c)
    ),
    ("user", "create_cli"): lambda e, d, c: _l(
        "Brukeren %(user)s ble opprettet fra kommandolinjen", user=_user(e, c)
    ),
    ("user", "init"): lambda e, d, c: _l(
        "Den første administratoren, %(user)s, ble opprettet", user=_user(e, c)
    ),
    ("user", "change_password"): lambda e, d, c: _l(
        "%(who)s byttet passordet til %(user)s", who=d["who"], user=_user(e, c)
    ),
    ("user", "end_sessions"): lambda e, d, c: _l(
        "%(who)s logget %(user)s ut på alle enheter", who=d["who"], user=_user(e, c)
    ),
    ("user", "activate"): lambda e, d, c: _l(
        "%(who)s aktiverte brukeren %(user)s", who=d["who"], user=_user(e, c)
    ),
    ("user", "deactivate"): lambda e, d, c: _l(
        "%(who)s deaktiverte brukeren %(user)s", who=d["who"], user=_user(e, c)
    ),
    ("user", "update"): lambda e, d, c: _l(
        "%(who)s endret brukeren %(user)s: %(changes)s", who=d["who"], user=_user(e, c),
        changes=changes(e.before, e.after, c),
    ),
    ("user", "pick_site"): lambda e, d, c: _l(
        "%(who)s valgte stedet %(site)s", who=d["who"], site=_site(e, d)
    ),
    ("api_token", "create"): lambda e, d, c: _l(
        "%(who)s lagde API-nøkkelen «%(name)s» for %(user)s", who=d["who"], name=d.get("name"),
        user=d.get("user"),
    ),
    ("api_token", "revoke"): lambda e, d, c: _l(
        "%(who)s trakk tilbake API-nøkkelen «%(name)s» for %(user)s", who=d["who"],
        name=d.get("name"), user=d.get("user"),
    ),
    ("api_token", "revoke_cli"): lambda e, d, c: _l(
        "API-nøkkelen «%(name)s» for %(user)s ble trukket tilbake fra kommandolinjen",
        name=d.get("name"), user=d.get("user"),
    ),
    ("ledger", "rebuild"): lambda e, d, c: _l(
        "Lagerbeholdningene ble bygd opp på nytt fra lagerloggen"
    ),
}  # fmt: skip


def who(event: AuditEvent) -> str:
    """The person (or API key, or the system) that did it."""
    if event.user is not None:
        return event.user.name
    if event.token_id is not None:
        return str(_l("API-nøkkel %(id)s", id=event.token_id))
    return str(_l("Systemet"))


def sentence(event: AuditEvent, ctx: Context) -> str:
    """The event as one sentence in the page language; a generic one for unknown actions."""
    data = {**(event.after or event.before or {}), "who": who(event)}
    phrase = PHRASES.get((event.entity, event.action))
    if phrase is None:
        return str(
            _l(
                "%(who)s: «%(action)s» på %(entity)s %(id)s",
                who=data["who"],
                action=event.action,
                entity=event.entity,
                id=event.entity_id,
            )  # fmt: skip
        )
    try:
        return str(phrase(event, data, ctx))
    except (KeyError, TypeError, ValueError, AttributeError):
        # An old event whose payload has another shape still reads as a sentence.
        return str(
            _l(
                "%(who)s: «%(action)s» på %(entity)s %(id)s",
                who=data["who"],
                action=event.action,
                entity=event.entity,
                id=event.entity_id,
            )  # fmt: skip
        )


def context_for(events: list[AuditEvent], lang: str = "nb") -> Context:
    """Item and user names the events mention, in two queries."""
    codes: set[str] = set()
    user_ids: set[int] = set()
    for event in events:
        for data in (event.before or {}, event.after or {}):
            if "item" in data:
                codes.add(str(data["item"]))
            lines = data.get("lines")
            if isinstance(lines, dict):
                codes.update(str(code) for code in lines)
            elif isinstance(lines, list):
                codes.update(str(x["item"]) for x in lines if isinstance(x, dict) and "item" in x)
        if event.entity == "site_item":
            codes.add(_pair(event)[1])
        if event.entity == "item" and event.after:
            codes.add(str(event.after.get("code")))
        if event.entity == "user" and event.entity_id.isdigit():
            user_ids.add(int(event.entity_id))
    column = Item.name_en if lang == "en" else Item.name_nb
    items: dict[str, str] = {
        code: name
        for code, name in db.session.execute(select(Item.code, column).where(Item.code.in_(codes)))
    }
    users = {
        str(user_id): name
        for user_id, name in db.session.execute(
            select(User.id, User.name).where(User.id.in_(user_ids))
        ).all()
    }
    return Context(lang=lang, items=items, users=users)


def described_events(
    actor: Actor, lang: str = "nb", limit: int = 200, **filters: Any
) -> list[tuple[AuditEvent, str]]:
    """The newest events the actor may read (audit.list_events), each with its sentence."""
    events = audit.list_events(actor, limit=limit, **filters)
    ctx = context_for(events, lang)
    return [(event, sentence(event, ctx)) for event in events]
