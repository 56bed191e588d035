"""notice delivery: kind, attempts, last_error, claimed_at, claimed_by on notices

Columns that ``psp-pipeline notices send`` needs to send each notice exactly once: a sender
claims a notice before it talks to the SMTP server, marks it sent as soon as the server
accepted it, and records the error of a failed try for the next one.

Adds only the columns the table lacks, so it also applies to a store whose first revision was
generated with them already.

Revision ID: 0100_notice_delivery
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pipeline.load.store

revision = "0100_notice_delivery"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = (
    lambda: sa.Column("kind", sa.String(length=20), nullable=True),
    lambda: sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    lambda: sa.Column("last_error", sa.Text(), nullable=True),
    lambda: sa.Column("claimed_at", pipeline.load.store.UtcDateTime(timezone=True), nullable=True),
    lambda: sa.Column("claimed_by", sa.String(length=64), nullable=True),
)


def upgrade() -> None:
    existing = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("notices")}
    missing = [make() for make in COLUMNS if make().name not in existing]
    if missing:
        with op.batch_alter_table("notices", schema=None) as batch_op:
            for column in missing:
                batch_op.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("notices", schema=None) as batch_op:
        for make in reversed(COLUMNS):
            batch_op.drop_column(make().name)
