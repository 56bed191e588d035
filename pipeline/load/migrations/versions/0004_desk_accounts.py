"""the review desk's accounts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00.000000

One table, ``desk_accounts``: who may sign in to ``psp-pipeline desk``, as reviewer or
coordinator, with their password's argon2 hash (``pipeline.load.accounts``). The roles are
written out as they are at this revision (a migration is the schema's history).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    op.create_table(
        'desk_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('role', sa.Enum('reviewer', 'coordinator', name='ck_desk_accounts_role', native_enum=False,
                                  create_constraint=True, length=20), nullable=False),
        sa.Column('password_hash', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before."""
    op.drop_table('desk_accounts')
