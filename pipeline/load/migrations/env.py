"""Alembic environment: migrations run on the connection ``pipeline.load.store.open_store`` hands
in (``config.attributes["connection"]``), never from a URL in a file, so there is one source of
truth for where the store is."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from pipeline.load.store import Base, UtcDateTime

MIGRATION_LOCK_KEY = 0x50535001  # PostgreSQL: one migrating process at a time



def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations hold plain SQLAlchemy types, not the application's Python-side decorators.
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    context.run_migrations()
