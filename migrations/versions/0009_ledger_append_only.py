"""ledger and audit log append-only: the database refuses UPDATE and DELETE on them

stock_movement and audit_event are never changed once written (DESIGN.md, invariant 8): a
mistake is fixed by a new row. Triggers make the database itself refuse an UPDATE or DELETE,
whoever sends it. Only whole-database maintenance lifts them, for one transaction, through a
flag the trigger reads (tracker.database.allow_ledger_rewrite): no DDL, so emptying the tables
between tests stays as cheap as before.

- PostgreSQL: one statement-level trigger per table (BEFORE UPDATE OR DELETE OR TRUNCATE),
  lifted by `SET LOCAL tracker.allow_ledger_rewrite = 'on'`.
- SQLite: row triggers (SQLite has no other kind) with a WHEN clause that reads the one-row
  table ledger_guard; it is not a model (nothing maps it) and the models-vs-migrations
  comparison leaves it out (tracker.database.include_name).

A later SQLite batch migration that rebuilds stock_movement or audit_event drops their
triggers with the old table: it must create them again (as `_sqlite_trigger` does here).

Revision ID: 0009_ledger_append_only
Revises: 0008_tally_version
Create Date: 2026-12-05 06:30:00

"""

from alembic import op

revision = "0009_ledger_append_only"
down_revision = "0008_tally_version"
branch_labels = None
depends_on = None

TABLES = ("stock_movement", "audit_event")
OPERATIONS = ("UPDATE", "DELETE")

PG_FUNCTION = """
CREATE FUNCTION refuse_ledger_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('tracker.allow_ledger_rewrite', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Rows are never changed or deleted; write a correction instead.';
END
$$
"""


def _sqlite_trigger(table: str, operation: str) -> str:
    return (
        f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "  # noqa: S608
        "WHEN (SELECT allow FROM ledger_guard) IS NOT 1 "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {operation} refused'); END"
    )


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_ledger_rewrite()"
            )
        return
    op.execute(
        "CREATE TABLE ledger_guard (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " allow INTEGER NOT NULL DEFAULT 0 CHECK (allow IN (0, 1)))"
    )
    op.execute("INSERT INTO ledger_guard (id, allow) VALUES (1, 0)")
    for table in TABLES:
        for operation in OPERATIONS:
            op.execute(_sqlite_trigger(table, operation))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION refuse_ledger_rewrite()")
        return
    for table in TABLES:
        for operation in OPERATIONS:
            op.execute(f"DROP TRIGGER {table}_no_{operation.lower()}")
    op.execute("DROP TABLE ledger_guard")
