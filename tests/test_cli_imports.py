"""The import and export distribution commands."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import make_item, make_site, make_user
from tracker.extensions import db
from tracker.models import DistributionDaily, StockMovement

GOOD = "sted;dato;måned;vare;antall\nOSL-MO;05.06.2025;;SPR-2;1 234\nOSL-MO;;03.2025;SPR-2;10\n"


def _world():
    make_site("OSL-MO")
    make_item("SPR-2")
    return make_user("coordinator", municipality="0301", email="koord@test.no")


def test_import_dry_run_then_import_then_again(runner, app, tmp_path):
    _world()
    path = tmp_path / "hist.csv"
    path.write_text(GOOD, encoding="utf-8")
    dry = runner.invoke(args=["import", str(path), "--dry-run", "--user", "koord@test.no"])
    assert dry.exit_code == 0, dry.output
    assert "Would import 2 rows" in dry.output
    assert "1 234" in dry.output
    assert db.session.scalar(select(func.count(StockMovement.id))) == 0
    done = runner.invoke(args=["import", str(path), "--user", "koord@test.no"])
    assert done.exit_code == 0, done.output
    assert "Imported 2 rows" in done.output
    assert db.session.scalar(select(func.sum(DistributionDaily.quantity))) == 1244
    again = runner.invoke(args=["import", str(path), "--user", "koord@test.no"])
    assert again.exit_code == 0
    assert "nothing to do" in again.output
    assert runner.invoke(args=["verify-ledger"]).exit_code == 0


def test_import_of_a_bad_file_lists_row_and_column_and_exits_2(runner, app, tmp_path):
    _world()
    path = tmp_path / "bad.csv"
    path.write_text("sted;dato;vare;antall\nOSL-MO;05.06.2025;SPR-2;12,5\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(path), "--user", "koord@test.no"])
    assert result.exit_code == 2
    assert "Row 2, column antall (D2)" in result.output
    assert db.session.scalar(select(func.count(StockMovement.id))) == 0


def test_import_needs_a_known_user_who_may_import(runner, app, tmp_path):
    _world()
    make_user("staff", email="ansatt@test.no", sites=[])
    path = tmp_path / "hist.csv"
    path.write_text(GOOD, encoding="utf-8")
    assert runner.invoke(args=["import", str(path), "--user", "nobody@test.no"]).exit_code == 2
    assert runner.invoke(args=["import", str(path), "--user", "ansatt@test.no"]).exit_code == 2


def test_export_distribution_writes_the_import_format(runner, app, tmp_path):
    _world()
    source = tmp_path / "hist.csv"
    source.write_text(GOOD, encoding="utf-8")
    runner.invoke(args=["import", str(source), "--user", "koord@test.no"])
    out = tmp_path / "out.csv"
    result = runner.invoke(
        args=[
            "export",
            "distribution",
            "--from",
            "2025-01-01",
            "--to",
            "2025-12-31",
            "--user",
            "koord@test.no",
            "-o",
            str(out),
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    assert lines[1:] == ["OSL-MO;;03.2025;SPR-2;10;;;;;;;", "OSL-MO;05.06.2025;;SPR-2;1234;;;;;;;"]
