"""The distribution report as CSV, for spreadsheets and for people who feed other tools.

By default it opens straight in a Norwegian Excel: `;` between fields (the comma is the
decimal sign there, so Excel splits on `;`) and a UTF-8 byte order mark (else Excel reads
the file as Windows-1252 and "Sprøyter" comes out garbled). `sep="comma"` gives plain
comma-separated UTF-8 with the same BOM, for tools that expect commas.
"""

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
SEPARATORS = {"semicolon": ";", "comma": ","}
BOM = "\ufeff"


def lines(
    rows: list[dict[str, Any]],
    lang: str = "nb",
    sep: str = "semicolon",
    added: dict[str, str] | None = None,
) -> Iterator[str]:
    """CSV text in chunks: a BOM, a header in the language, ISO dates and plain integers.

    A figure that is not reported (None) is an empty field, never 0. In bokmål a category
    shows its name (`added` names the categories an admin added); English keeps the codes.
    """
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=SEPARATORS[sep], lineterminator="\r\n")
    writer.writerow(HEADINGS_NB if lang == "nb" else COLUMNS)
    names = {**{f"cat.{c}": n for c, n in (added or {}).items()}, **labels(lang)}
    if lang != "nb":
        names = {}
    for row in rows:
        values = {**row, "category": names.get(f"cat.{row['category']}", row["category"])}
        writer.writerow(
            csv_row(
                v.isoformat() if hasattr(v, "isoformat") else ("" if v is None else v)
                for v in (values[c] for c in COLUMNS)
            )
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
