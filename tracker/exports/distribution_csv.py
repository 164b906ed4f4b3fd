"""The distribution report as CSV, for people who feed other tools."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from tracker.exports.cells import csv_row
from tracker.exports.labels import labels

COLUMNS = ("site", "site_name", "municipality", "category", "bucket", "from", "to", "quantity")
# The headings in bokmål; English keeps the column names.
HEADINGS_NB = ("sted", "stedsnavn", "kommune", "kategori", "periode", "fra", "til", "antall")


def lines(
    rows: list[dict[str, Any]], lang: str = "nb", added: dict[str, str] | None = None
) -> Iterator[str]:
    """UTF-8 CSV lines with a header in the language, ISO dates and plain integers.

    In bokmål a category shows its name (`added` names the categories an admin added);
    English keeps the category codes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADINGS_NB if lang == "nb" else COLUMNS)
    names = {**{f"cat.{c}": n for c, n in (added or {}).items()}, **labels(lang)}
    if lang != "nb":
        names = {}
    for row in rows:
        values = {**row, "category": names.get(f"cat.{row['category']}", row["category"])}
        writer.writerow(
            csv_row(
                v.isoformat() if hasattr(v, "isoformat") else v
                for v in (values[c] for c in COLUMNS)
            )
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
