"""Jinja filters for Norwegian numbers and dates (1 234; 05.06.2026), by the page language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, g
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.dates import OSLO
from tracker.services import categories

CATEGORY_LABELS = {
    "syringe": _l("Sprøyter"),
    "needle": _l("Kanyler"),
    "foil": _l("Røykefolie"),
    "naloxone": _l("Nalokson"),
    "overdose_card": _l("Overdosekort"),
    "other": _l("Annet"),
}


def number(value: float | int | None, digits: int = 0) -> str:
    """1 234 in bokmål (a no-break space groups thousands), 1,234 in English."""
    if value is None:
        return "–"
    if digits == 0:
        return format_decimal(round(value), format="#,##0")
    return format_decimal(value, format="#,##0." + "0" * digits)


def signed(value: int) -> str:
    """A change with its sign: +5, −3 (a real minus sign)."""
    text = number(abs(value))
    return ("+" if value > 0 else "−" if value < 0 else "") + text


def day(value: date | None) -> str:
    """dd.mm.yyyy, the way dates are written on every page."""
    return value.strftime("%d.%m.%Y") if value else ""


def day_iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def when(value: datetime | None) -> str:
    """A moment as Oslo wall-clock time: 05.06.2026 14:03."""
    if value is None:
        return ""
    return value.astimezone(OSLO).strftime("%d.%m.%Y %H:%M")


def clock(value: datetime | None) -> str:
    return value.astimezone(OSLO).strftime("%H:%M") if value else ""


def percent(value: float | None) -> str:
    """12,5 % (one decimal, the page language's comma); – when there is no figure."""
    if value is None:
        return "–"
    return format_decimal(value, format="#,##0.0") + "\u00a0%"


def period_label(bucket: Any) -> str:
    """A report bucket as people read it: "nov. 2026" (babel's month abbreviation in the
    page language), "uke 47 2026"; tertials, quarters, years and days as their short name."""
    if bucket.kind == "month":
        return format_date(bucket.start, "MMM y")
    if bucket.kind == "week":
        year, week, _weekday = bucket.start.isocalendar()
        return _("uke %(week)s %(year)s", week=week, year=year)
    if bucket.kind == "day":
        return day(bucket.start)
    return str(bucket.label)


def category(code: str) -> str:
    """A category's name: the fixed ones from the catalogue, added ones from the database."""
    if code in CATEGORY_LABELS:
        return str(CATEGORY_LABELS[code])
    return category_names().get(code, code)


def category_names() -> dict[str, str]:
    """Every category's name in the page language, read once per request."""
    names: dict[str, str] | None = g.get("category_names")
    if names is None:
        english = (locale := get_locale()) is not None and locale.language == "en"
        names = {
            c.code: str(CATEGORY_LABELS.get(c.code, c.name_en if english else c.name_nb))
            for c in categories.list_categories()
        }
        g.category_names = names
    return names


def item_name(item: object) -> str:
    """The item's name in the page language."""
    locale = get_locale()
    if locale is not None and locale.language == "en":
        return item.name_en  # type: ignore[attr-defined]
    return item.name_nb  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        number=number,
        signed=signed,
        day=day,
        day_iso=day_iso,
        when=when,
        clock=clock,
        category=category,
        item_name=item_name,
        period_label=period_label,
        percent=percent,
    )
    app.jinja_env.globals["format_datetime"] = format_datetime
