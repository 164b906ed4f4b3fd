"""`flask submissions create/list/reopen`: the same submissions from the command line."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from tests.factories import make_item, make_site, make_user
from tracker.dates import today

END = today().replace(day=1) - timedelta(days=1)
START = END.replace(day=1)


def test_create_list_and_reopen_from_the_command_line(runner, app, tmp_path):
    make_site("OSL-MO")
    make_item("SPR")
    coordinator = make_user("coordinator", municipality="0301")
    target = tmp_path / "kept.xlsx"
    created = runner.invoke(
        args=["submissions", "create", "--from", START.isoformat(), "--to", END.isoformat(),
              "--site", "OSL-MO", "--user", coordinator.email, "-o", str(target)]
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    sub_id, sha = created.output.strip().splitlines()[-1].split("\t")
    assert hashlib.sha256(target.read_bytes()).hexdigest() == sha
    listed = runner.invoke(args=["submissions", "list", "--user", coordinator.email])
    assert listed.exit_code == 0, listed.output
    assert f"{sub_id}\t{START}\t{END}\tOSL-MO\t{coordinator.email}" in listed.output
    assert "\tlocked\t" in listed.output
    again = runner.invoke(
        args=["submissions", "create", "--from", START.isoformat(), "--to", END.isoformat(),
              "--site", "OSL-MO", "--user", coordinator.email]
    )  # fmt: skip
    assert again.exit_code == 2  # refused: the period is already submitted
    reopened = runner.invoke(
        args=["submissions", "reopen", sub_id, "--reason", "Sen lapp", "--user", coordinator.email]
    )
    assert reopened.exit_code == 0, reopened.output
    assert (
        "\treopened\t"
        in runner.invoke(args=["submissions", "list", "--user", coordinator.email]).output
    )


def test_staff_cannot_submit_from_the_command_line(runner, app):
    site = make_site("OSL-MO")
    staff = make_user("staff", [site])
    result = runner.invoke(
        args=["submissions", "create", "--from", START.isoformat(), "--to", END.isoformat(),
              "--site", "OSL-MO", "--user", staff.email]
    )  # fmt: skip
    assert result.exit_code == 2
    assert "koordinator" in result.output
