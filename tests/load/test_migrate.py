"""pipeline.load.migrate: the migrations create exactly the schema the models describe, on SQLite
and PostgreSQL, and opening a store that is up to date changes nothing. A store an earlier version
left is upgraded with its rows; from then on it refuses a status, outcome or form id its enum does
not have."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Enum, create_engine, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from pipeline.errors import StoreError
from pipeline.load import migrate, revision, store
from pipeline.model import (
    DecisionAction,
    FormId,
    Outcome,
    PlanStatus,
    RegistrationStatus,
    RunStatus,
)

BEFORE_ENUM_CHECKS = "0002"  # the last revision whose statuses were free strings

# Every (table, column) the model holds to an enum, and the CHECK constraint that does it.
CHECKED_COLUMNS = sorted(
    (table.name, column.name, column.type.name)
    for table in store.Base.metadata.tables.values()
    for column in table.columns
    if isinstance(column.type, Enum)
)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def test_migrations_create_the_models_schema(database_url):
    engine = store.open_store(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), store.Base.metadata)
    assert differences == [], "a model changed without a migration: python -m pipeline.load.migrate revision '...'"
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_the_revision_a_store_opens_at_without_alembic_is_the_newest_migration():
    assert revision.SCHEMA_REVISION == migrate.head_revision(), (
        "a migration was added: set pipeline.load.revision.SCHEMA_REVISION to its revision")


def test_a_store_an_older_revision_left_is_still_upgraded_when_opened(database_url):
    engine = create_engine(database_url)
    migrate.upgrade(engine, BEFORE_ENUM_CHECKS)
    engine.dispose()
    engine = store.open_store(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_opening_an_up_to_date_store_again_is_harmless(database_url):
    store.open_store(database_url).dispose()
    engine = store.open_store(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_the_store_checks_each_enum_column_against_the_members_the_model_knows(database_url):
    # Autogenerate compares no CHECK constraints, so this compares them: same names, same values.
    engine = store.open_store(database_url)
    inspector = inspect(engine)
    stored = {
        (table, constraint["name"]): sorted(re.findall(r"'([^']*)'", constraint["sqltext"]))
        for table in inspector.get_table_names()
        for constraint in inspector.get_check_constraints(table)
    }
    modelled = {
        (table.name, column.type.name): sorted(column.type.enums)
        for table in store.Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Enum)
    }
    assert stored == modelled
    engine.dispose()


def _store_an_earlier_version_left(url: str) -> None:
    """A store at ``BEFORE_ENUM_CHECKS`` with a row in every table that has an enum column."""
    engine = create_engine(url)
    migrate.upgrade(engine, BEFORE_ENUM_CHECKS)
    with engine.begin() as connection:
        connection.execute(insert(store.Run), {"id": 1, "started_at": NOW, "status": "completed", "files_seen": 1})
        connection.execute(insert(store.Document), {
            "id": 1, "sha256": "a" * 64, "form_id": "PSP-REG", "outcome": "held", "findings": [], "values": {},
            "extraction": {}, "processed_at": NOW, "run_id": 1,
        })
        connection.execute(insert(store.ReceivedFileRow), {
            "id": 1, "document_id": 1, "run_id": 1, "sha256": "a" * 64, "original_name": "packet.pdf",
            "received_at": NOW, "size": 3, "outcome": "held", "inbox_path": "inbox/packet.pdf",
            "stored_path": "originals/held/packet.pdf", "moved": True, "recorded_at": NOW,
        })
        connection.execute(insert(store.ReadinessPlanRecord), {
            "id": 1, "document_id": 1, "cmhsp_name": "Agency", "submission_type": "initial", "status": "superseded",
            "accepted_at": NOW, "record": {},
        })
        connection.execute(insert(store.RegistrationRecord), {
            "id": 1, "document_id": 1, "cmhsp_name": "Agency", "psp_first_name": "Ann", "psp_last_name": "Example",
            "psp_email": "ann@example.org", "training_session": "S1", "status": "withdrawn", "registered_at": NOW,
            "record": {},
        })
        connection.execute(insert(store.DecisionRow), {
            "id": 1, "document_id": 1, "registration_id": 1, "at": NOW, "actor": "pipeline", "action": "re-judged",
            "from_outcome": "held", "to_outcome": "needs_review", "detail": {},
        })
    engine.dispose()


def _refuses_strangers(engine: Engine) -> bool:
    """Whether every enum column refuses a value that is not a member, over the tables the earlier
    version had (those holding a row: a later revision's tables are empty or absent there)."""
    with engine.connect() as connection:
        filled = {table for table in inspect(engine).get_table_names()
                  if connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None}
    columns = [(table, column) for table, column, _ in CHECKED_COLUMNS if table in filled]
    refused = 0
    for table, column in columns:
        try:
            with engine.begin() as connection:
                connection.execute(text(f'UPDATE {table} SET "{column}" = \'lost\''))
        except IntegrityError:
            refused += 1
    if refused not in (0, len(columns)):
        raise AssertionError(f"{refused} of {len(columns)} enum columns refuse a stranger")
    return refused == len(columns)


def test_a_store_an_earlier_version_left_keeps_its_rows_read_as_members(database_url):
    _store_an_earlier_version_left(database_url)
    engine = store.open_store(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with Session(engine) as session:
        document = session.get_one(store.Document, 1)
        assert document.form_id is FormId.REGISTRATION_PACKET and document.outcome is Outcome.HELD
        assert session.get_one(store.ReceivedFileRow, 1).outcome is Outcome.HELD
        assert session.get_one(store.Run, 1).status is RunStatus.COMPLETED
        assert session.get_one(store.ReadinessPlanRecord, 1).status is PlanStatus.SUPERSEDED
        assert session.get_one(store.RegistrationRecord, 1).status is RegistrationStatus.WITHDRAWN
        decision = session.get_one(store.DecisionRow, 1)
        assert (decision.action, decision.from_outcome, decision.to_outcome) == (
            DecisionAction.REJUDGED, Outcome.HELD, Outcome.NEEDS_REVIEW)
        held = select(store.ReceivedFileRow.id).where(store.ReceivedFileRow.outcome == Outcome.HELD)
        assert session.scalars(held).all() == [1]
    assert _refuses_strangers(engine)
    with pytest.raises(StatementError, match="lost"), store.transaction(engine) as session:
        session.get_one(store.Document, 1).outcome = "lost"  # refused before it reaches the database
    engine.dispose()


def test_a_stranger_in_an_earlier_store_stops_the_upgrade_and_changes_nothing(database_url):
    _store_an_earlier_version_left(database_url)
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE decisions SET to_outcome = 'lost'"))
    with pytest.raises(StoreError, match=r"decisions\.to_outcome \(1 row: allowed accepted, "):
        store.open_store(database_url)
    assert migrate.current_revision(engine) == BEFORE_ENUM_CHECKS
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT to_outcome FROM decisions")) == "lost"
    engine.dispose()


def test_downgrading_gives_the_earlier_schema_back_with_its_rows(database_url):
    _store_an_earlier_version_left(database_url)
    store.open_store(database_url).dispose()
    engine = create_engine(database_url)
    migrate.downgrade(engine, BEFORE_ENUM_CHECKS)
    assert migrate.current_revision(engine) == BEFORE_ENUM_CHECKS
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM received_files")) == 1
    assert not _refuses_strangers(engine)
    engine.dispose()
