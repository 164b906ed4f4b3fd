"""Thin click commands: parse arguments, call one service, print the result."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from tracker import periods
from tracker.dates import today
from tracker.errors import DomainError
from tracker.exports import distribution_csv
from tracker.models.auth import ROLES
from tracker.models.base import utcnow
from tracker.models.training import AUDIENCES, TRAINING_TYPES
from tracker.services import (
    catalog,
    certifications,
    demo,
    exports,
    import_files,
    imports,
    ledger_check,
    reorder,
    reports,
    submissions,
    training,
    users,
)
from tracker.services.access import Actor

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Manage API tokens.")
training_cli = AppGroup("training", help="Training sessions and staff certification.")
export_cli = AppGroup("export", help="Export workbooks and files.")
submissions_cli = AppGroup("submissions", help="Periods submitted to Helsedirektoratet.")
sites_cli = AppGroup("sites", help="Sites and the items each hands out.")


def _fail(exc: DomainError) -> None:
    click.echo(f"Error: {exc.detail}", err=True)
    sys.exit(2)


@click.command("seed-demo")
@click.option("--days", default=365, show_default=True, help="Days of activity to generate.")
@click.option(
    "--show-users",
    is_flag=True,
    help="Print the demo users again, with new passwords (only hashes are kept).",
)
def seed_demo(days: int, show_users: bool) -> None:
    """Load demo sites, catalogue, users and a year of activity (once)."""
    result = demo.seed(days=days)
    if not result.created:
        if not show_users:
            click.echo("Demo data is already loaded; nothing to do.")
            click.echo("To see the demo users again (with new passwords): seed-demo --show-users")
            return
        shown = demo.reset_demo_passwords()
        click.echo("Demo data is already loaded. The first passwords were kept only as hashes,")
        click.echo("so these users have new ones (their sessions and API tokens have ended):")
        _print_demo_users(shown)
        return
    click.echo(
        f"Loaded demo data: {result.tallies} entries, {result.handouts} naloxone handouts, "
        f"{result.sessions} training sessions, {result.transfers} transfers."
    )
    click.echo("Users (the passwords are shown only now; seed-demo --show-users makes new ones):")
    _print_demo_users(demo.demo_users(result.passwords))


def _print_demo_users(shown: list[demo.DemoUser]) -> None:
    for user in shown:
        click.echo(f"  {user.email:38} {user.role:11} {user.where:16} {user.password}")


@click.command("init")
@click.option("--admin", "email", required=True, help="Email of the first administrator.")
@click.option("--name", help="Display name (default: the email).")
def init_command(email: str, name: str | None) -> None:
    """Set up a new installation: migrate the database and create the first admin (refused
    if an admin exists); the password comes from TRACKER_PASSWORD or a prompt."""
    from flask_migrate import upgrade

    upgrade()
    if users.admin_exists():
        click.echo("Error: an admin exists already; `init` only makes the first one.", err=True)
        sys.exit(2)
    password = os.environ.get("TRACKER_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    try:
        user = users.create_first_admin(email, name or email, password)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Created the first admin {user.email}.")
    click.echo("Next: log in at /login, add municipalities at /kommuner, sites at /steder,")
    click.echo("and users (coordinators, leads, staff) at /brukere.")


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
@click.option(
    "--days", type=int, help="Days until it expires (default and most: TOKEN_MAX_AGE_DAYS)."
)
def create_token(email: str, name: str, days: int | None) -> None:
    """Create an API token; it is printed once, as the last line."""
    try:
        token, raw = users.create_token(None, email, name, days=days)
    except DomainError as exc:
        _fail(exc)
        return
    expires = token.expires_at.date().isoformat()
    click.echo(f"Token {token.id} '{name}' for {email}, expires {expires} (shown only now):")
    click.echo(raw)


def _token_status(token: Any) -> str:
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if token.expires_at <= utcnow() else "active"


@tokens_cli.command("list")
@click.argument("email", required=False)
def list_tokens(email: str | None) -> None:
    """List API tokens (of one user, or all): id, prefix, status, dates, owner, name."""
    try:
        tokens = users.list_tokens(None, email)
    except DomainError as exc:
        _fail(exc)
        return
    for token in tokens:
        used = token.last_used_at.date().isoformat() if token.last_used_at else "never"
        click.echo(
            f"{token.id:>5}  {token.prefix}  {_token_status(token):8} "
            f"created {token.created_at.date().isoformat()}  used {used:10}  "
            f"expires {token.expires_at.date().isoformat()}  {token.user.email}  {token.name}"
        )
    if not tokens:
        click.echo("No tokens.")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke an API token at once (its id is in `tokens list`)."""
    try:
        token = users.revoke_token(None, token_id)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"Revoked token {token.id} '{token.name}' of {token.user.email}.")


@sites_cli.command("items")
@click.argument("code")
def site_items(code: str) -> None:
    """List a site's items: on or off, reorder and target level."""
    try:
        _, rows = catalog.list_site_items(None, code)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"{'item':12} {'state':5} {'reorder':>8} {'target':>8}  name")
    for item, state in rows:
        on = "on" if state.active else "off"
        levels = f"{state.reorder_level:>8} {state.target_level:>8}"
        click.echo(f"{item.code:12} {on:5} {levels}  {item.name_nb}")


@sites_cli.command("set-item")
@click.argument("code")
@click.argument("item")
@click.option("--on/--off", "active", default=None, help="Hand the item out here, or not.")
@click.option("--reorder", "reorder_level", type=click.IntRange(0, 1_000_000))
@click.option("--target", "target_level", type=click.IntRange(0, 1_000_000))
@click.option("--user", "email", required=True, help="Email of the lead, coordinator or admin.")
def set_site_item(code: str, item: str, email: str, **wanted: Any) -> None:
    """Turn an item on or off at a site, or set its levels (audited as --user)."""
    changes = {name: value for name, value in wanted.items() if value is not None}
    try:
        state = catalog.update_site_item(Actor(users.get_user(email)), code, item, changes)
    except DomainError as exc:
        _fail(exc)
        return
    on = "on" if state.active else "off"
    click.echo(
        f"{state.site} {state.item}: {on}, reorder {state.reorder_level}, "
        f"target {state.target_level}."
    )


@click.command("verify-ledger")
@click.option(
    "--rebuild",
    is_flag=True,
    help="Recompute balances and aggregates from the ledger, in one transaction, and list changes.",
)
def verify_ledger(rebuild: bool) -> None:
    """Check every figure kept beside the ledger against it; exit 1 on any mismatch."""
    if rebuild:
        result = ledger_check.rebuild()
        for m in result.changed:
            click.echo(f"REBUILT {m.table} {m.label}: was {m.stored}, now {m.from_ledger}")
        click.echo(f"Rebuilt from the ledger: {len(result.changed)} figures changed.")
        mismatches = result.reported
    else:
        mismatches = ledger_check.verify()
    if not mismatches:
        click.echo(
            "Ledger OK: every balance, aggregate, entry, handout, transfer and count agrees."
        )
        return
    for m in mismatches:
        click.echo(f"MISMATCH {m.table} {m.label}: stored {m.stored}, ledger {m.from_ledger}")
    if rebuild:
        click.echo("Entries, handouts, transfers and counts are source data: not rebuilt.")
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
        replaced = restore(current_app.config["SQLALCHEMY_DATABASE_URI"], file)
    except DomainError as exc:
        _fail(exc)
        return
    if db.engine.dialect.name != "sqlite":
        click.echo(f"Restored the database from {file}. Run `flask verify-ledger` to check it.")
        return
    click.echo(f"Restored the database from {file}; its ledger verifies.")
    if replaced is not None:
        click.echo(f"The replaced database is kept as {replaced}.")


def _report_import(result: imports.ImportResult) -> None:
    if result.already_imported:
        click.echo(f"This file was imported before (batch {result.batch_id}); nothing to do.")
        return
    for error in result.errors:
        click.echo(f"Row {error['row']}, column {error['column']} ({error['cell']}): "
                   f"{error['message']}", err=True)  # fmt: skip
    if result.error_count > len(result.errors):
        click.echo(f"... and {result.error_count - len(result.errors)} more.", err=True)
    for diff in result.differing:
        click.echo(f"Row {diff['row']}, column {diff['column']}: imported before as "
                   f"{diff['before']}, now {diff['now']}.", err=True)  # fmt: skip
    if not result.ok:
        return
    for total in result.totals:
        if total.get("item"):
            click.echo(f"  {total['site']:12} {total['item']:12} {total['granularity']:5} "
                       f"{total['quantity']:>12,}".replace(",", " "))  # fmt: skip
        else:
            click.echo(
                f"  {total['site']:12} {'contacts':18} {total['contacts']:>12,}".replace(",", " ")
            )
    click.echo(f"Before the sites' stock start (reports only, no stock movement): "
               f"{result.before_stock_start} rows; from the stock start on: "
               f"{result.from_stock_start} rows.")  # fmt: skip
    verb = "Would import" if result.dry_run else "Imported"
    click.echo(f"{verb} {result.imported} rows ({result.skipped} already imported)"
               + ("" if result.dry_run else f" as batch {result.batch_id}") + ".")  # fmt: skip


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--dry-run", is_flag=True, help="Check and show what would be imported; write nothing."
)
@click.option("--user", "email", required=True, help="Email of the coordinator or admin importing.")
def import_command(path: str, dry_run: bool, email: str) -> None:
    """Import historical distribution from a CSV or xlsx file (docs/import.md)."""
    bar: Any = None

    def progress(done: int, expected: int | None) -> None:
        nonlocal bar
        if expected and bar is None:
            bar = click.progressbar(length=expected, label="Reading", file=sys.stderr)
            bar.__enter__()
        if bar is not None:
            bar.update(done - bar.pos)
        elif done:
            click.echo(f"{done} rows read", err=True)

    try:
        actor = Actor(users.get_user(email))
        with open(path, "rb") as stream:
            result = imports.import_file(
                actor, stream, os.path.basename(path), dry_run=dry_run, progress=progress
            )
    except DomainError as exc:
        if bar is not None:
            bar.__exit__(None, None, None)
        for row in exc.errors.get("rows", []):
            where = f"column {row['column']}" + (f" ({row['cell']})" if "cell" in row else "")
            detail = row.get("message") or f"imported before as {row['before']}, now {row['now']}"
            click.echo(f"Row {row['row']}, {where}: {detail}", err=True)
        _fail(exc)
        return
    if bar is not None:
        bar.__exit__(None, None, None)
    _report_import(result)
    if not result.ok:
        sys.exit(1)


@export_cli.command("distribution")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--site", help="Site code.")
@click.option("--municipality", help="Kommunenummer.")
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True)
@click.option("--user", "email", required=True, help="Email of the coordinator or admin.")
@click.option("-o", "output", type=click.Path(dir_okay=False), help="File (default: stdout).")
def export_distribution(**options: Any) -> None:
    """Export distribution in the import format (CSV), e.g. to move it to another database."""
    try:
        chunks = import_files.export_csv(
            Actor(users.get_user(options["email"])),
            lang=options["lang"],
            date_from=options["date_from"].date(),
            date_to=options["date_to"].date(),
            site=options["site"],
            municipality=options["municipality"],
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.writelines(chunks)
            click.echo(f"Wrote {options['output']}.", err=True)
        else:
            for chunk in chunks:
                click.echo(chunk, nl=False)
    except DomainError as exc:
        _fail(exc)


@export_cli.command("report")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--by", type=click.Choice(periods.BUCKETS), default="month", show_default=True)
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several).")
@click.option("--municipality", help="Kommunenummer (4 digits).")
@click.option("--lang", type=click.Choice(["nb", "en"]), default="nb", show_default=True)
@click.option(
    "--sep",
    type=click.Choice(sorted(distribution_csv.SEPARATORS)),
    default="semicolon",
    show_default=True,
    help="semicolon opens in a Norwegian Excel; comma for other tools.",
)
@click.option("--user", "email", help="Report with this user's access (default: operator).")
@click.option("-o", "output", type=click.Path(dir_okay=False), help="File (default: stdout).")
def export_report(**options: Any) -> None:
    """The distribution report as CSV (UTF-8 with BOM; ';' by default, ',' with --sep comma)."""
    try:
        report = reports.distribution_report(
            exports.command_line_actor(options["email"]),
            date_from=options["date_from"].date(),
            date_to=options["date_to"].date(),
            by=options["by"],
            sites=options["sites"],
            municipality=options["municipality"],
        )
        chunks = distribution_csv.lines(
            report.rows(), options["lang"], options["sep"], report.category_names(options["lang"])
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                out.writelines(chunks)
            click.echo(f"Wrote {options['output']}.", err=True)
        else:
            for chunk in chunks:
                click.echo(chunk, nl=False)
    except DomainError as exc:
        _fail(exc)


@export_cli.command("summary")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several).")
@click.option("--municipality", help="Kommunenummer (4 digits).")
@click.option("--lang", type=click.Choice(exports.LANGS), default="nb", show_default=True)
@click.option("--external", is_flag=True, help="Suppress small person-level figures.")
@click.option("--by", type=click.Choice(periods.BUCKETS), default="month", show_default=True)
@click.option("--compare", is_flag=True, help="Add the same period a year earlier (Data sheet).")
@click.option("--user", "email", help="Export with this user's access (default: operator).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Default: under exports/.")
def export_summary(**options: Any) -> None:
    """The Helsedirektoratet summary workbook for a period, sites or a municipality."""
    steps = len(exports.workbook.SHEETS) + 1
    try:
        actor = exports.command_line_actor(options.pop("email"))
        options["date_from"] = options["date_from"].date()
        options["date_to"] = options["date_to"].date()
        with click.progressbar(length=steps, label="Eksporterer", file=sys.stderr) as bar:
            result = exports.export_summary(actor, **options, progress=lambda _step: bar.update(1))
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(str(result.path))


@submissions_cli.command("list")
@click.option("--user", "email", required=True, help="List with this user's access.")
@click.option("--site", help="Only those covering this site.")
def list_submissions(email: str, site: str | None) -> None:
    """Print the submissions, newest first: id, period, sites, who, when, state, sha256."""
    try:
        rows = submissions.list_submissions(Actor(users.get_user(email)), site=site)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo("id\tfrom\tto\tsites\tsubmitted_by\tsubmitted_at\tstate\tsha256")
    for sub in rows:
        state = "reopened" if sub.reopened_at else "locked"
        sites = ",".join(s.code for s in sub.sites)
        click.echo(
            f"{sub.id}\t{sub.date_from}\t{sub.date_to}\t{sites}\t{sub.submitted_by.email}\t"
            f"{sub.submitted_at.isoformat(timespec='seconds')}\t{state}\t{sub.sha256}"
        )


@submissions_cli.command("create")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--site", "sites", multiple=True, help="Site code (repeat for several).")
@click.option("--municipality", help="Kommunenummer: all its sites.")
@click.option("--user", "email", required=True, help="The coordinator or admin submitting.")
@click.option("--note", help="A note kept with the submission.")
@click.option("--external", is_flag=True, help="The workbook for external use.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Also write the workbook.")
def create_submission(
    date_from, date_to, sites, municipality, email, note, external, output
) -> None:  # noqa: ANN001, E501
    """Submit a period: keep the workbook and its figures, lock the period; prints id and sha256."""
    try:
        sub = submissions.submit(
            Actor(users.get_user(email)),
            date_from=date_from.date(),
            date_to=date_to.date(),
            sites=list(sites),
            municipality=municipality,
            note=note,
            external=external,
        )
        if output:
            kept = submissions.kept_workbook(Actor(users.get_user(email)), sub.id)
            Path(output).write_bytes(kept.content)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"{sub.id}\t{sub.sha256}")


@submissions_cli.command("reopen")
@click.argument("submission_id", type=int)
@click.option("--reason", required=True, help="Why the period is reopened.")
@click.option("--user", "email", required=True, help="The coordinator or admin reopening.")
def reopen_submission(submission_id: int, reason: str, email: str) -> None:
    """Reopen a submitted period with a reason (audited)."""
    try:
        submissions.reopen(Actor(users.get_user(email)), submission_id, reason=reason)
    except DomainError as exc:
        _fail(exc)
        return
    click.echo(f"{submission_id}\treopened")


def init_app(app: Flask) -> None:
    for command in (
        init_command,
        seed_demo,
        verify_ledger,
        users_cli,
        tokens_cli,
        training_cli,
        reorder_list,
        backup_command,
        restore_command,
        import_command,
        export_cli,
        submissions_cli,
        sites_cli,
    ):
        app.cli.add_command(command)
