"""The training commands: certification status and the period summary per site."""

from datetime import date

from tests.factories import make_site, make_training, make_user


def test_training_certifications_prints_each_staff_members_status(runner, app):
    site = make_site("OSL-MO")
    lead = make_user("lead", [site], email="lead@test.no")
    anne = make_user("staff", [site], email="anne@test.no")
    make_training(site, lead, held_on=date(2025, 12, 1), attendees=[anne])
    result = runner.invoke(
        args=["training", "certifications", "--site", "OSL-MO", "--on", "2026-02-01"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == (
        "OSL-MO: 1/2 active staff certified in cpr on 2026-02-01 (50%); "
        "valid 1, expiring 0, expired 0, missing 1"
    )
    assert lines[1].split() == ["anne@test.no", "valid", "2026-12-01"]
    assert lines[2].split() == ["lead@test.no", "missing", "-"]


def test_training_certifications_unknown_site_fails(runner, app):
    result = runner.invoke(args=["training", "certifications", "--site", "NOPE"])
    assert result.exit_code == 2
    assert "Det finnes ikke noe sted med koden NOPE" in result.output


def test_training_summary_prints_sessions_by_type_and_audience(runner, app):
    site = make_site("OSL-MO")
    lead = make_user("lead", [site])
    make_training(site, lead, "cpr", date(2026, 1, 8), pwud=6, other=1)
    make_training(site, lead, "naloxone", date(2026, 2, 2), relative=5)
    result = runner.invoke(
        args=["training", "summary", "--from", "2026-01-01", "--to", "2026-02-28"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "OSL-MO: CPR course for users held in 1/2 months",
        "  cpr                    sessions=1 pwud=6 relative=0 staff=0 other=1",
        "  naloxone               sessions=1 pwud=0 relative=5 staff=0 other=0",
    ]
