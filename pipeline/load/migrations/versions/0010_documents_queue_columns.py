"""what the desk's queue narrows by, kept with each document and indexed

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:30:00.000000

``documents.agency``: the CMHSP the document's values name (their ``cmhsp_name``, a non-empty
string; NULL for none). ``documents.rule_ids``: the distinct rule ids among its findings, sorted,
joined by spaces with a space before the first and after the last (`` REG-R10 REG-R11 ``), so that
``LIKE '% REG-R10 %'`` finds a rule and not another that begins with it; '' for none. The store's
model writes both whenever a document's values or findings are stored
(``pipeline.load.queue_columns``); the queue filters, counts and lists its choices by them instead
of reading every waiting document's JSON. ``ix_documents_queue`` (``superseded_by_id``,
``form_id``, ``agency``, ``rule_ids``) lets it read them without reading the document's row. This
revision fills both for the documents already stored, worked out as they are today, written out here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 500


def _agency(values: dict | None) -> str | None:
    agency = (values or {}).get('cmhsp_name')
    return agency if isinstance(agency, str) and agency else None


def _rule_ids(findings: list | None) -> str:
    rules = sorted({f['rule'] for f in findings or () if isinstance(f, dict) and f.get('rule')})
    return f" {' '.join(rules)} " if rules else ''


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    with op.batch_alter_table('documents') as table:
        table.add_column(sa.Column('agency', sa.Text(), nullable=True))
        table.add_column(sa.Column('rule_ids', sa.Text(), nullable=True))
    documents = sa.table('documents', sa.column('id', sa.Integer()), sa.column('values', sa.JSON()),
                         sa.column('findings', sa.JSON()), sa.column('agency', sa.Text()),
                         sa.column('rule_ids', sa.Text()))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(documents.c.id, documents.c['values'], documents.c.findings)
                            .where(documents.c.id > last).order_by(documents.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(documents.update().where(documents.c.id == sa.bindparam('document_id'))
                     .values(agency=sa.bindparam('agency_named'), rule_ids=sa.bindparam('rules')),
                     [{'document_id': row.id, 'agency_named': _agency(row[1]), 'rules': _rule_ids(row.findings)}
                      for row in rows])
        last = rows[-1].id
    with op.batch_alter_table('documents') as table:
        table.create_index('ix_documents_queue', ['superseded_by_id', 'form_id', 'agency', 'rule_ids'], unique=False)


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before."""
    with op.batch_alter_table('documents') as table:
        table.drop_index('ix_documents_queue')
        table.drop_column('rule_ids')
        table.drop_column('agency')
