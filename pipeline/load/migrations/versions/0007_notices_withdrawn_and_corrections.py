"""a received file may have several notices: one standing, the others withdrawn or corrections

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 11:30:00.000000

``notices.received_file_id`` is no longer UNIQUE. A received file has at most one *standing*
notice (not withdrawn, not a correction: the one of its outcome, which ``missing_notices`` and
``prepare_notices`` look for), held by the partial unique index ``uq_notices_standing``. Beside
it, a file may keep notices withdrawn when their decision was reopened (``withdrawn_at`` set:
never sent, or sent and then corrected) and correction notices (``kind`` = ``correction``: the
earlier notice is withdrawn and the form is being looked at again), each sent exactly once by
the same claims as any notice. A plain index on ``received_file_id`` serves the other lookups.

The downgrade stops (an IntegrityError, nothing changed) while a file has more than one notice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The standing notice of a file, as the model says it (``store.NOTICE_STANDING``), written out.
STANDING = "withdrawn_at IS NULL AND (kind IS NULL OR kind <> 'correction')"
# The UNIQUE of revision 0001 had no name: PostgreSQL named it so, and SQLite's batch mode names it
# by this convention when it copies the table.
POSTGRESQL_UNIQUE = "notices_received_file_id_key"
SQLITE_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
SQLITE_UNIQUE = "uq_notices_received_file_id"


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('notices', schema=None, naming_convention=SQLITE_NAMING) as batch_op:
            batch_op.drop_constraint(SQLITE_UNIQUE, type_="unique")
    else:
        op.drop_constraint(POSTGRESQL_UNIQUE, 'notices', type_="unique")
    op.create_index('ix_notices_received_file_id', 'notices', ['received_file_id'], unique=False)
    op.create_index('uq_notices_standing', 'notices', ['received_file_id'], unique=True,
                    sqlite_where=sa.text(STANDING), postgresql_where=sa.text(STANDING))


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before (stops while a file has several notices)."""
    op.drop_index('uq_notices_standing', table_name='notices')
    op.drop_index('ix_notices_received_file_id', table_name='notices')
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('notices', schema=None, naming_convention=SQLITE_NAMING) as batch_op:
            batch_op.create_unique_constraint(SQLITE_UNIQUE, ['received_file_id'])
    else:
        op.create_unique_constraint(POSTGRESQL_UNIQUE, 'notices', ['received_file_id'])
