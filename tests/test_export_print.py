"""The workbook printed to PDF by LibreOffice: each sheet one page wide, few pages, and a PNG
of every page under test-results/sheets/ for review.

Skips when LibreOffice or poppler's pdftoppm is missing, except with REQUIRE_BROWSER=1 (CI),
where it fails like the browser tests do. tests/run.sh installs both when run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest

from tests import reports_data
from tracker.services import exports
from tracker.services.access import Actor

SHEETS_DIR = Path(__file__).resolve().parent.parent / "test-results" / "sheets"
TITLES = {
    "Sammendrag: utdeling og kontakter per kommune og sted": "01-sammendrag",
    "Utdeling per sted, vare og periode": "02-utdeling",
    "Nalokson nesespray: sett etter mottakergruppe, første gang eller påfyll, og årsak": (
        "03-nalokson"
    ),
    "SWITCH: røykefolie mot sprøyter og kanyler": "04-switch",
    "Opplæring: økter og deltakere, HLR-kurs for brukere, ansattes HLR": "05-opplaering",
    "Overdoser: hendelser, nalokson gitt av ansatte, ambulanse og utfall": "06-overdoser",
    "Henvisninger: personer henvist videre, etter hvor": "07-henvisninger",
    "Retur: brukt utstyr levert tilbake, mot sprøyter og kanyler utdelt": "08-retur",
    "Lager: beholdning ved periodens slutt": "09-lager",
    "Data: én rad per sted, periode, vare og mål (til pivottabeller)": "10-data",
    "Om rapporten": "11-om-rapporten",
}
# The last word of each sheet's last heading (headings wrap): on the page, so the sheet was
# fitted to its width.
LAST_COLUMN = {
    "01-sammendrag": "Kontakter",
    "02-utdeling": "Overdosekort",  # the trend table beside the main one
    "03-nalokson": "ukjent",
    "04-switch": "kanyler)",
    "05-opplaering": "perioden",
    "06-overdoser": "ukjent",
    "07-henvisninger": "Annet",
    "08-retur": "utdelt",
    "09-lager": "beholdning)",
    "10-data": "Status",
    "11-om-rapporten": "Verdi",
}


def _tool(*names: str) -> str | None:
    return next((found for name in names if (found := shutil.which(name))), None)


@pytest.fixture(scope="module")
def tools() -> tuple[str, str, str]:
    office = _tool("libreoffice", "soffice")
    pdftoppm, pdftotext = _tool("pdftoppm"), _tool("pdftotext")
    if not (office and pdftoppm and pdftotext and _tool("pdfinfo")):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("REQUIRE_BROWSER=1 but LibreOffice or poppler-utils is not installed")
        pytest.skip("LibreOffice or poppler-utils is not installed: print test skipped")
    return office, pdftoppm, pdftotext


def _to_pdf(office: str, workbook: Path, tmp_path: Path) -> Path:
    """LibreOffice headless, with its own profile so parallel runs do not share one."""
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(  # noqa: S603 (fixed arguments, our own file)
        [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return tmp_path / (workbook.stem + ".pdf")


def _pages(pdftotext: str, pdf: Path) -> list[str]:
    text = subprocess.run(  # noqa: S603
        [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def _sheet_of(page: str) -> str:
    """The sheet a page belongs to: its title is the first line (repeated on every page)."""
    first = page.strip().splitlines()[0].strip()
    return TITLES[first]


@pytest.mark.slow
def test_two_sites_print_on_a_few_landscape_pages_one_page_wide(app, tools, tmp_path):
    office, pdftoppm, pdftotext = tools
    data = reports_data.build()
    result = exports.export_summary(
        Actor(data.admin),
        date_from=date(2025, 5, 1),
        date_to=date(2025, 8, 31),
        sites=["OSL-A", "OSL-B"],
        output=tmp_path / "two-sites.xlsx",
    )
    pdf = _to_pdf(office, result.path, tmp_path)
    pages = _pages(pdftotext, pdf)
    sheets = [_sheet_of(page) for page in pages]
    # Every sheet printed, in order; the title block repeats on each page of a long sheet.
    assert list(dict.fromkeys(sheets)) == list(TITLES.values())
    counts = {name: sheets.count(name) for name in TITLES.values()}
    assert counts["10-data"] <= 4
    assert all(n == 1 for name, n in counts.items() if name != "10-data"), counts
    assert len(pages) <= 14  # was 22 (with 8 sheets) before the sheets were set up for print
    for page, name in zip(pages, sheets, strict=True):
        assert LAST_COLUMN[name] in page, (name, page[:400])
        assert "Periode: 01.05.2025–31.08.2025" in page
    # Landscape: the first page is wider than tall.
    pdfinfo = _tool("pdfinfo")
    info = subprocess.run(  # noqa: S603
        [pdfinfo or "pdfinfo", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    size = next(line for line in info.splitlines() if line.startswith("Page size"))
    # "Page size:      841.89 x 595.276 pts (A4)": A4, landscape.
    width, height = (float(v) for v in size.split(":")[1].split("pts")[0].split(" x "))
    assert (round(width), round(height)) == (842, 595)
    _screenshots(pdftoppm, pdf, sheets)


def _screenshots(pdftoppm: str, pdf: Path, sheets: list[str]) -> None:
    """One PNG per printed page, named after its sheet, for a person to look at."""
    SHEETS_DIR.mkdir(parents=True, exist_ok=True)
    for old in SHEETS_DIR.glob("*.png"):
        old.unlink()
    for number, name in enumerate(sheets, 1):
        seen = sheets[:number].count(name)
        target = SHEETS_DIR / f"{name}-{seen}"
        subprocess.run(  # noqa: S603
            [pdftoppm, "-png", "-r", "70", "-singlefile", "-f", str(number), "-l", str(number)]
            + [str(pdf), str(target)],
            check=True,
            capture_output=True,
            timeout=60,
        )
        assert target.with_suffix(".png").stat().st_size > 1000
