"""Thin click commands: parse arguments, call one service, print the result."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from tracker.errors import DomainError
from tracker.models.auth import ROLES
from tracker.services import demo, ledger, users

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
        backup_command,
        restore_command,
    ):
        app.cli.add_command(command)
