"""Thin click commands: parse arguments, call one service, print the result."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from tracker.dates import today
from tracker.errors import DomainError
from tracker.models.auth import ROLES
from tracker.models.training import AUDIENCES, TRAINING_TYPES
from tracker.services import certifications, demo, ledger, reorder, training, users

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")
training_cli = AppGroup("training", help="Training sessions and staff certification.")


def _fail(exc: DomainError) -> None:
    click.echo(f"Error: {exc.detail}", err=True)
    sys.exit(2)


@click.command("seed-demo")
@click.option("--days", default=365, show_default=True, help="Days of activity to generate.")
def seed_demo(days: int) -> None:
    """Load demo sites, catalogue, users and a year of activity (once)."""
    result = demo.seed(days=days)
    if not result.created:
        click.echo("Demo data is already loaded; nothing to do.")
        return
    click.echo(f"Loaded demo data: {result.tallies} entries, {result.handouts} naloxone handouts.")
    click.echo("Users (the passwords are shown only now):")
    for email, password in result.passwords.items():
        click.echo(f"  {email:32} {password}")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several).")
@click.option("--municipality", help="Kommunenummer, for a coordinator of one municipality.")
@click.option("--name", help="Display name (default: the email).")
def create_user(
    email: str, role: str, sites: tuple[str, ...], municipality: str | None, name: str | None
) -> None:
    """Create a user; the password comes from TRACKER_PASSWORD or a prompt."""
    password = os.environ.get("TRACKER_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = users.create_user(
            None,
            email=email,
            name=name or email,
            password=password,
            role=role,
            site_codes=list(sites),
            municipality=municipality,
        )
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Created {user.email} ({role}).")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Create an API token; it is printed once, as the last line."""
    try:
        token, raw = users.create_token(None, email, name)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Token {token.id} '{name}' for {email} (shown only now):")
    click.echo(raw)


@click.command("verify-ledger")
def verify_ledger() -> None:
    """Check every balance and daily aggregate against the ledger; exit 1 on any mismatch."""
    mismatches = ledger.verify()
    if not mismatches:
        click.echo("Ledger OK: every balance and aggregate equals the sum of its movements.")
        return
    for m in mismatches:
        click.echo(f"MISMATCH {m.table} {m.key}: stored {m.stored}, ledger {m.from_ledger}")
    click.echo(f"{len(mismatches)} mismatches.", err=True)
    sys.exit(1)


@training_cli.command("certifications")
@click.option("--site", "sites", multiple=True, help="Site code (repeat; default all active).")
@click.option("--type", "kind", type=click.Choice(TRAINING_TYPES), default="cpr", show_default=True)
@click.option("--on", "on", type=click.DateTime(["%Y-%m-%d"]), help="Day (default today).")
def training_certifications(sites: tuple[str, ...], kind: str, on) -> None:
    """Print each site's staff certification status: valid, expiring, expired, missing."""
    day = on.date() if on else today()
    try:
        entries = certifications.status_by_codes(list(sites), day, kind)
    except DomainError as exc:
        _fail(exc)
        return
    for entry in entries:
        share = "-" if entry.compliance is None else f"{entry.compliance:.0%}"
        counts = ", ".join(f"{s} {entry.count(s)}" for s in certifications.STATUSES)
        click.echo(
            f"{entry.site_code}: {entry.certified}/{entry.active_staff} active staff "
            f"certified in {kind} on {day.isoformat()} ({share}); {counts}"
        )
        for s in entry.staff:
            until = s.valid_until.isoformat() if s.valid_until else "-"
            click.echo(f"  {s.email:32} {s.status:9} {until}")


@training_cli.command("summary")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--site", "sites", multiple=True, help="Site code (repeat; default all active).")
def training_summary(sites: tuple[str, ...], start, end) -> None:
    """Print sessions and participants per site, type and audience, and CPR course months."""
    try:
        result = training.summary_by_codes(list(sites), start.date(), end.date())
    except DomainError as exc:
        _fail(exc)
        return
    for site in result:
        months = f"{site.months_with_cpr_course}/{len(site.cpr_course_months)}"
        click.echo(f"{site.site_code}: CPR course for users held in {months} months")
        for kind, row in site.by_type.items():
            if row.sessions:
                people = " ".join(f"{a}={row.counts[a]}" for a in AUDIENCES)
                click.echo(f"  {kind:22} sessions={row.sessions} {people}")


@click.command("reorder-list")
@click.option("--site", help="Site code (default: every active site).")
def reorder_list(site: str | None) -> None:
    """Print what to order: items at or below reorder level, with the quantity to target."""
    try:
        lines = reorder.reorder_list(None, site)
    except DomainError as exc:
        _fail(exc)
        return
    if not lines:
        click.echo("Nothing to reorder.")
        return
    click.echo("site\titem\tusable\tin_transit\treorder_level\ttarget_level\tdays_left\tsuggested")
    for line in lines:
        days = "" if line.days_left is None else f"{line.days_left:g}"
        click.echo(
            f"{line.site.code}\t{line.item.code}\t{line.usable}\t{line.in_transit}\t"
            f"{line.reorder_level}\t{line.target_level}\t{days}\t{line.suggested}"
        )


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write a consistent backup of the database to FILE (the app may keep running)."""
    from tracker.backup import backup

    try:
        backup(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Backup written to {file} ({file.stat().st_size} bytes).")


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace everything in the database with the backup in FILE; stop the app first."""
    from tracker.backup import restore
    from tracker.extensions import db

    if not yes:
        click.confirm("This replaces ALL data in the database. Continue?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        restore(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Restored the database from {file}. Run `flask verify-ledger` to check it.")


def init_app(app: Flask) -> None:
    for command in (
        seed_demo,
        verify_ledger,
        users_cli,
        tokens_cli,
        training_cli,
        reorder_list,
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
