"""The distribution report as CSV, for people who feed other tools."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from tracker.exports.cells import csv_row

COLUMNS = ("site", "site_name", "municipality", "category", "bucket", "from", "to", "quantity")


def lines(rows: list[dict[str, Any]]) -> Iterator[str]:
    """UTF-8 CSV lines with a header, ISO dates and plain integers."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            csv_row(
                v.isoformat() if hasattr(v, "isoformat") else v for v in (row[c] for c in COLUMNS)
            )
        )
        if buffer.tell() > 64_000:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
