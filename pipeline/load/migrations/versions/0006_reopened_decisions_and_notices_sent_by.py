"""decisions undone, values typed in and wait-listed PSPs moved; who sent or withdrew a notice

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-11 09:00:00.000000

``decisions.action`` may now also hold ``reopened`` (a decision undone by a person), ``entered``
(a reviewer typed in the values of a document the machine could not read) and ``moved`` (a
wait-listed PSP moved to another session by a person). ``notices`` gains ``sent_by`` (the desk
account or OS user who had it sent) and ``withdrawn_at``/``withdrawn_by`` (a notice not sent yet
when its decision was undone: kept for the audit trail, never sent).

The members are written out as they are at this revision (a migration is the schema's history).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

ACTIONS_BEFORE = ("accepted", "rejected", "corrected", "released", "re-judged", "superseded", "progress",
                  "withdrawn", "forgotten")
ACTIONS = ACTIONS_BEFORE + ("reopened", "entered", "moved")
CONSTRAINT = "ck_decisions_action"


def _hold_actions_to(actions: tuple[str, ...]) -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_constraint(CONSTRAINT, type_="check")
        batch_op.create_check_constraint(CONSTRAINT, sa.column('action').in_(actions))


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    _hold_actions_to(ACTIONS)
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_by', sa.Text(), nullable=True))


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before (stops if a row holds a new action)."""
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_by')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('sent_by')
    _hold_actions_to(ACTIONS_BEFORE)
