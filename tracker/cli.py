"""Thin click commands: parse arguments, call one service, print the result."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup

from tracker.errors import DomainError
from tracker.models.auth import ROLES
from tracker.services import demo, ledger, reorder, users

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")


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


def init_app(app: Flask) -> None:
    for command in (seed_demo, verify_ledger, users_cli, tokens_cli, reorder_list):
        app.cli.add_command(command)
