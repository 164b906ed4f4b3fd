"""`flask export summary`: the workbook from the command line, and the aggregate check."""

from __future__ import annotations

from datetime import date

from openpyxl import load_workbook
from sqlalchemy import update

from tests import reports_data
from tracker.extensions import db
from tracker.models import ContactsDaily


def test_export_summary_writes_the_named_file(runner, app, tmp_path):
    reports_data.build()
    target = tmp_path / "t2.xlsx"
    result = runner.invoke(
        args=[
            "export",
            "summary",
            "--from",
            "2025-05-01",
            "--to",
            "2025-08-31",
            "--municipality",
            "0301",
            "-o",
            str(target),
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(target)
    book = load_workbook(target)
    sites = [r[2] for r in book["Sammendrag"].iter_rows(min_row=8, values_only=True) if r[2]]
    assert sites == ["OSL-A", "OSL-B", "OSL-C", "Totalt"]
    about = {r[0]: r[1] for r in book["Om rapporten"].iter_rows(min_row=7, values_only=True)}
    assert about["Generert av"] == "Kommandolinjen på serveren (driftsbruker)"
    assert about["Kommune"] == "0301 Oslo"
    assert about["Utvalg"] == "kommune 0301 Oslo, alle stedene der (OSL-A, OSL-B, OSL-C)"


def test_export_summary_defaults_to_the_export_dir(runner, app, tmp_path, monkeypatch):
    reports_data.build()
    monkeypatch.setitem(app.config, "EXPORT_DIR", str(tmp_path))
    result = runner.invoke(
        args=["export", "summary", "--from", "2025-01-01", "--to", "2025-12-31", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    [saved] = tmp_path.glob("*.xlsx")
    assert saved.name.startswith("summary_2025_")
    assert load_workbook(saved).sheetnames[0] == "Summary"


def test_export_summary_with_a_users_access(runner, app, tmp_path):
    data = reports_data.build()
    args = ["export", "summary", "--from", "2025-05-01", "--to", "2025-05-31"]
    refused = runner.invoke(args=[*args, "--user", data.staff_a.email, "-o", str(tmp_path / "x")])
    assert refused.exit_code == 2
    assert "stedsleder eller koordinator" in refused.output
    ok = runner.invoke(args=[*args, "--user", data.lead_a.email, "-o", str(tmp_path / "a.xlsx")])
    assert ok.exit_code == 0, ok.output
    sheet = load_workbook(tmp_path / "a.xlsx")["Sammendrag"]
    sites = [r[2] for r in sheet.iter_rows(min_row=8, values_only=True) if r[2]]
    assert sites == ["OSL-A", "Totalt"]


def test_export_summary_refuses_bad_input(runner, app, tmp_path):
    reports_data.build()
    base = ["export", "summary", "-o", str(tmp_path / "x.xlsx")]
    backwards = runner.invoke(args=[*base, "--from", "2025-06-01", "--to", "2025-05-01"])
    assert backwards.exit_code == 2
    assert "er etter" in backwards.output
    unknown = runner.invoke(
        args=[*base, "--from", "2025-05-01", "--to", "2025-05-31", "--site", "X1"]
    )
    assert unknown.exit_code == 2
    assert "finnes ikke noe sted" in unknown.output
    malformed = runner.invoke(args=[*base, "--from", "1.5.2025", "--to", "2025-05-31"])
    assert malformed.exit_code == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_verify_ledger_also_checks_the_contacts_aggregate(runner, app):
    data = reports_data.build()
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0
    db.session.execute(
        update(ContactsDaily)
        .where(ContactsDaily.site_id == data.a.id, ContactsDaily.day == date(2025, 5, 3))
        .values(contacts=99)
    )
    db.session.commit()
    bad = runner.invoke(args=["verify-ledger"])
    assert bad.exit_code == 1
    assert "contacts_daily" in bad.output


def test_export_report_csv_opens_in_a_norwegian_excel_or_with_commas(runner, app, tmp_path):
    reports_data.build()
    args = ["export", "report", "--from", "2025-05-01", "--to", "2025-05-31", "--site", "OSL-A"]
    result = runner.invoke(args=[*args, "-o", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    body = (tmp_path / "r.csv").read_bytes()
    assert body.startswith("\ufeff".encode())
    lines = body.decode("utf-8-sig").splitlines()
    assert lines[0] == "sted;stedsnavn;kommune;kategori;periode;fra;til;antall"
    assert "OSL-A;Testsenter;0301;Sprøyter;2025-05;2025-05-01;2025-05-31;40" in lines
    comma = runner.invoke(args=[*args, "--sep", "comma", "--lang", "en"])
    assert comma.exit_code == 0, comma.output
    assert comma.output.lstrip("\ufeff").splitlines()[0] == (
        "site,site_name,municipality,category,bucket,from,to,quantity"
    )
    bad = runner.invoke(args=[*args, "--sep", "tab"])
    assert bad.exit_code == 2


def test_export_summary_with_buckets_and_a_comparison(runner, app, tmp_path):
    reports_data.build()
    target = tmp_path / "c.xlsx"
    args = ["export", "summary", "--from", "2026-05-01", "--to", "2026-08-31", "--by", "tertial"]
    result = runner.invoke(args=[*args, "--compare", "-o", str(target)])
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert book["Utdeling"]["F7"].value == "2026-T2"
    assert book["Data"]["J8"].value == "Verdi året før"
