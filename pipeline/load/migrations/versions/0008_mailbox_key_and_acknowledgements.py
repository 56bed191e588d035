"""fetched mail known by its mailbox; acknowledgements

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 12:00:00.000000

``mail_messages.mailbox``: the mailbox a message was fetched from (``user@host`` of the account
then, lowercased). An account re-pointed at another mailbox (another host or user under the same
name) tracks its messages afresh, even when the new folder has the same UIDVALIDITY; rows from
before this revision (NULL) count as the account's mailbox as it is now. The mailbox joins the
unique key (account, mailbox, folder, UIDVALIDITY, UID).

``acknowledgements``: the receipt an agency gets for each message a rule takes
(``pipeline.mailbox.acknowledge``), one per message (``message_key`` is UNIQUE: its Message-ID,
or the sha256 of its bytes when it has none), with the files it held (names only), to whom it
goes, and its delivery: sent, possibly sent, the claim of the sender sending it and its last
error, as a notice's (``pipeline.load.outbox``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    with op.batch_alter_table('mail_messages') as table:
        table.add_column(sa.Column('mailbox', sa.Text(), nullable=True))
        table.drop_constraint('uq_mail_messages_uid', type_='unique')
        table.create_unique_constraint('uq_mail_messages_uid', ['account', 'mailbox', 'folder', 'uidvalidity', 'uid'])
    op.create_table(
        'acknowledgements',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('mail_message_id', sa.Integer(), nullable=True),
        sa.Column('message_key', sa.Text(), nullable=False),
        sa.Column('account', sa.String(length=64), nullable=False),
        sa.Column('to_address', sa.Text(), nullable=False),
        sa.Column('files', sa.JSON(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('in_reply_to', sa.Text(), nullable=True),
        sa.Column('own_message_id', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('possibly_sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['mail_message_id'], ['mail_messages.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('uq_acknowledgements_message_key', 'acknowledgements', ['message_key'], unique=True)


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before."""
    op.drop_index('uq_acknowledgements_message_key', table_name='acknowledgements')
    op.drop_table('acknowledgements')
    with op.batch_alter_table('mail_messages') as table:
        table.drop_constraint('uq_mail_messages_uid', type_='unique')
        table.create_unique_constraint('uq_mail_messages_uid', ['account', 'folder', 'uidvalidity', 'uid'])
        table.drop_column('mailbox')
