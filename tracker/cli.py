"""Thin click commands: parse arguments, call one service, print the result."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.errors import DomainError
from tracker.models.auth import ROLES
from tracker.services import demo, exports, ledger, users

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")
export_cli = AppGroup("export", help="Export workbooks.")


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


@export_cli.command("summary")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several).")
@click.option("--municipality", help="Kommunenummer (4 digits).")
@click.option("--lang", type=click.Choice(exports.LANGS), default="nb", show_default=True)
@click.option("--external", is_flag=True, help="Suppress small person-level figures.")
@click.option("--user", "email", help="Export with this user's access (default: operator).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Default: under exports/.")
def export_summary(date_from, date_to, sites, municipality, lang, external, email, output) -> None:  # noqa: ANN001
    """The Helsedirektoratet summary workbook for a period, sites or a municipality."""
    steps = len(exports.workbook.SHEETS) + 1
    try:
        actor = exports.command_line_actor(email)
        with click.progressbar(length=steps, label="Eksporterer", file=sys.stderr) as bar:
            result = exports.export_summary(
                actor,
                date_from=date_from.date(),
                date_to=date_to.date(),
                sites=sites,
                municipality=municipality,
                lang=lang,
                external=external,
                output=output,
                progress=lambda _step: bar.update(1),
            )
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(str(result.path))


def init_app(app: Flask) -> None:
    for command in (seed_demo, verify_ledger, users_cli, tokens_cli, export_cli):
        app.cli.add_command(command)
