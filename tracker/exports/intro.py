"""The lines every sheet opens with: title, period, the filter actually used, units, definitions.

A sheet printed or sent on its own must still say what it covers, in the workbook's language.
"""

from __future__ import annotations

from datetime import date

from tracker.exports.figures import SummaryData

MAX_CODES = 15  # site codes named in a line before "and N more"


def day(value: date) -> str:
    """dd.mm.yyyy, the way Norwegian readers (and the directorate) write a date."""
    return f"{value:%d.%m.%Y}"


def period_line(data: SummaryData) -> str:
    return data.t["intro.period"].format(start=day(data.start), end=day(data.end))


def codes(data: SummaryData, limit: int | None = MAX_CODES) -> str:
    """The sites in the report by code, shortened with "and N more" past `limit`."""
    t, names = data.t, [s.code for s in data.sites]
    if limit is None or len(names) <= limit:
        return ", ".join(names)
    return ", ".join(names[:limit]) + " " + t["intro.more"].format(n=len(names) - limit)


def place(data: SummaryData) -> str | None:
    """The chosen municipality as "0301 Oslo" (None when none was chosen)."""
    if not data.municipality:
        return None
    name = next(
        (s.municipality_name for s in data.sites if s.municipality_number == data.municipality),
        "",
    )
    return f"{data.municipality} {name}".strip()


def filter_line(data: SummaryData) -> str:
    return data.t["intro.selection"].format(text=filter_text(data))


def filter_text(data: SummaryData) -> str:
    """The filter that was used: chosen sites, a municipality, or everything the user sees."""
    t, chosen = data.t, place(data)
    if data.site_codes:
        if chosen:
            return t["intro.sites_in"].format(codes=codes(data), place=chosen)
        return t["intro.sites"].format(codes=codes(data))
    if chosen:
        return t["intro.municipality"].format(place=chosen, codes=codes(data))
    return t["intro.all"].format(codes=codes(data))


def lines(data: SummaryData, key: str) -> list[str]:
    """The intro block of the sheet `key` (summary, distribution, naloxone, ...)."""
    t = data.t
    bucket = t.get(f"bucket.{data.distribution.by}", data.distribution.by).lower()
    result = [t[f"title.{key}"], period_line(data), filter_line(data), t[f"units.{key}"]]
    if f"defs.{key}" in t:
        result.append(t[f"defs.{key}"].format(bucket=bucket))
    if key == "data" and data.previous is not None:
        previous = data.previous
        result.append(t["intro.compare"].format(start=day(previous.start), end=day(previous.end)))
    return result
