"""The migrations create exactly the schema the models describe, on SQLite and PostgreSQL, and
opening a store that is up to date changes nothing."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from pipeline.load import migrate, store


def test_migrations_create_the_models_schema(database_url):
    engine = store.open_store(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), store.Base.metadata)
    assert differences == [], "a model changed without a migration: python -m pipeline.load.migrate revision '...'"
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_opening_an_up_to_date_store_again_is_harmless(database_url):
    store.open_store(database_url).dispose()
    engine = store.open_store(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()
