"""the folded text the desk's queue searches, kept with each document

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 11:40:00.000000

``documents.search_text``: the document's values as normalised and as read, each once, accents
taken off (NFKD, combining marks dropped) and case folded, joined by spaces. The store's model
writes it whenever a document's values are stored (``pipeline.load.search_text``); the queue
searches it instead of reading every waiting document's JSON. This revision fills it for the
documents already stored, by the same folding, written out here as it is today.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 500


def _folded(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _text_of(value: object) -> str:
    if isinstance(value, list):
        return " ".join(map(str, value))
    return "" if value is None or isinstance(value, bool) else str(value)


def _search_text(values: dict | None, extraction: dict | None) -> str:
    read = [_text_of(v) for v in (values or {}).values()]
    read += [_text_of(r.get("value")) for r in (extraction or {}).values() if isinstance(r, dict)]
    return _folded(" ".join(dict.fromkeys(text for text in read if text)))


def upgrade() -> None:
    """Apply this revision to the store's schema (the module's docstring says what it changes)."""
    with op.batch_alter_table('documents') as table:
        table.add_column(sa.Column('search_text', sa.Text(), nullable=True))
    documents = sa.table('documents', sa.column('id', sa.Integer()), sa.column('values', sa.JSON()),
                         sa.column('extraction', sa.JSON()), sa.column('search_text', sa.Text()))
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(documents.c.id, documents.c['values'], documents.c.extraction)
                            .where(documents.c.id > last).order_by(documents.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(documents.update().where(documents.c.id == sa.bindparam('document_id'))
                     .values(search_text=sa.bindparam('text')),
                     [{'document_id': row.id, 'text': _search_text(row[1], row.extraction)} for row in rows])
        last = rows[-1].id


def downgrade() -> None:
    """Undo this revision, back to the schema of the one before."""
    with op.batch_alter_table('documents') as table:
        table.drop_column('search_text')
