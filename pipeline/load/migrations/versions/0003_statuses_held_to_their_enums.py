"""statuses, outcomes and form ids held to their enums by CHECK constraints

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09 10:00:00.000000

Each column keeps its VARCHAR and the values it holds; a CHECK constraint now refuses any value
that is not a member of its enum (``pipeline.load.store._stored_enum``). A store holding another
value is not changed: the upgrade stops and says which column, so that a person corrects those
rows first, instead of the database refusing them one copy at a time (SQLite copies each table).

The members are written out here as they were at this revision: a migration is the schema's
history, and must not change when an enum gains a member later (that is a revision of its own).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pipeline.errors import StoreError

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OUTCOMES = ("accepted", "rejected", "held", "needs_review", "duplicate")

# table -> column -> the values it may hold.
CHECKED_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "runs": {"status": ("running", "completed", "interrupted")},
    "documents": {"form_id": ("PSP-ORP", "PSP-REG"), "outcome": OUTCOMES},
    "received_files": {"outcome": OUTCOMES},
    "readiness_plans": {"status": ("accepted", "superseded")},
    "registrations": {"status": ("registered", "withdrawn")},
    "decisions": {
        "action": ("accepted", "rejected", "corrected", "released", "re-judged", "superseded", "progress",
                   "withdrawn", "forgotten"),
        "from_outcome": OUTCOMES,
        "to_outcome": OUTCOMES,
    },
}


def _constraint(table: str, column: str) -> str:
    return f"ck_{table}_{column}"


def _refuse_strays(connection: sa.Connection) -> None:
    """StoreError naming every column that holds a value its constraint would refuse (NULL is
    allowed, as the constraint allows it); the values themselves are not shown."""
    strays = []
    for table, columns in CHECKED_COLUMNS.items():
        for column, values in columns.items():
            count = connection.scalar(
                sa.select(sa.func.count()).select_from(sa.table(table)).where(sa.column(column).not_in(values))
            )
            if count:
                strays.append(f"{table}.{column} ({count} row{'s' if count != 1 else ''}: allowed {', '.join(values)})")
    if strays:
        raise StoreError(
            "the store cannot be upgraded: some rows hold a status, outcome or form id the pipeline does not know, in "
            + "; ".join(strays) + ".",
            hint="Correct those rows to one of the allowed values, then run the command again.",
        )


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    _refuse_strays(op.get_bind())
    for table, columns in CHECKED_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, values in columns.items():
                batch_op.create_check_constraint(_constraint(table, column), sa.column(column).in_(values))


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before."""
    for table, columns in CHECKED_COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_constraint(_constraint(table, column), type_="check")
