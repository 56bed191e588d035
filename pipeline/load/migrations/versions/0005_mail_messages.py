"""fetched mail

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10 12:00:00.000000

One table, ``mail_messages``: each message fetched from a mail account's folder, known by account,
folder, UIDVALIDITY and UID (unique), its Message-ID and sha256, where its .eml was saved in the
inbox and whether it was moved on its server (``pipeline.load.mail_messages``). The statuses are
written out as they are at this revision (a migration is the schema's history).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    op.create_table(
        'mail_messages',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account', sa.String(length=64), nullable=False),
        sa.Column('folder', sa.Text(), nullable=False),
        sa.Column('uidvalidity', sa.BigInteger(), nullable=False),
        sa.Column('uid', sa.BigInteger(), nullable=False),
        sa.Column('message_id', sa.Text(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('inbox_name', sa.Text(), nullable=True),
        sa.Column('status', sa.Enum('saved', 'moved', 'set_aside', name='ck_mail_messages_status', native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column('destination', sa.Text(), nullable=True),
        sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('moved_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('account', 'folder', 'uidvalidity', 'uid', name='uq_mail_messages_uid'),
    )
    op.create_index('ix_mail_messages_message_id', 'mail_messages', ['message_id'])
    op.create_index('ix_mail_messages_sha256', 'mail_messages', ['sha256'])


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before."""
    op.drop_index('ix_mail_messages_sha256', table_name='mail_messages')
    op.drop_index('ix_mail_messages_message_id', table_name='mail_messages')
    op.drop_table('mail_messages')
