"""The tracking store: SQLAlchemy tables, opening the store, and a run's bookkeeping (started,
finished, files moved); the questions asked of it are in ``pipeline.load.queries``.

Every received file is a row of ``received_files``. Distinct contents are rows of ``documents``,
whose UNIQUE sha256 is what makes the same bytes received again a duplicate, never a second
record: the document, its receipt and its accepted record are committed in one transaction.
Accepted plans and registrations are records of their own. Prefect keeps no audit trail
worth the name (it drops task runs without a server), so the audit lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator

from pipeline.errors import ConfigurationError
from pipeline.model import (
    DecisionAction,
    FormId,
    Outcome,
    PlanStatus,
    RegistrationStatus,
    RunStatus,
    ValidationResult,
)

SQLITE_BUSY_TIMEOUT_MS = 30_000
PROGRAM_LOCK_KEY = 0x50535000  # "PSP\0": the advisory lock that serialises program-state changes


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """The value as stored, in UTC; ValueError for a naive one, whose zone nobody knows."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """The stored value as an aware UTC datetime (SQLite gives it back without its zone)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON, list[Any]: JSON}


def _stored_enum(enum: type[StrEnum], length: int, constraint: str) -> Enum:
    """A status, outcome or form id stored as its value in a VARCHAR of ``length`` (no native type,
    so PostgreSQL and SQLite keep the same column), held to the enum's members by a CHECK named
    ``constraint`` (revision 0003): the database refuses any other value, as Python does before it
    (``validate_strings``), and rows read back as members."""
    return Enum(enum, native_enum=False, create_constraint=True, validate_strings=True, length=length,
                name=constraint, values_callable=lambda members: [m.value for m in members])


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[RunStatus] = mapped_column(_stored_enum(RunStatus, 20, "ck_runs_status"), default=RunStatus.RUNNING)
    files_seen: Mapped[int] = mapped_column(Integer, default=0)
    report_path: Mapped[str | None] = mapped_column(Text)


class Document(Base):
    """One distinct content (sha256) and what the pipeline made of it."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str | None] = mapped_column(String(32))
    form_id: Mapped[FormId | None] = mapped_column(_stored_enum(FormId, 16, "ck_documents_form_id"), index=True)
    form_version: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[Outcome] = mapped_column(_stored_enum(Outcome, 20, "ck_documents_outcome"), index=True)
    problem: Mapped[str | None] = mapped_column(String(32))
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    extraction: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    processed_at: Mapped[datetime]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    # Who the form is about ("agency:<CMHSP>" or "psp:<first|last|email>"): links resubmissions.
    subject_key: Mapped[str | None] = mapped_column(Text, index=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    updated_at: Mapped[datetime | None]
    search_text: Mapped[str | None] = mapped_column(Text)  # the queue's search: kept by pipeline.load.search_text
    agency: Mapped[str | None] = mapped_column(Text)  # what the queue narrows by: kept (and indexed, with
    rule_ids: Mapped[str | None] = mapped_column(Text)  # superseded_by_id and form_id) by pipeline.load.queue_columns

    receipts: Mapped[list[ReceivedFileRow]] = relationship(back_populates="document")


class ReceivedFileRow(Base):
    """One file as received, duplicates included; where its original is kept."""

    __tablename__ = "received_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    original_name: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(index=True)
    sender: Mapped[str | None] = mapped_column(Text)
    size: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[Outcome] = mapped_column(_stored_enum(Outcome, 20, "ck_received_files_outcome"), index=True)
    inbox_path: Mapped[str] = mapped_column(Text)
    stored_path: Mapped[str] = mapped_column(Text)
    moved: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_at: Mapped[datetime]

    document: Mapped[Document] = relationship(back_populates="receipts")


class ReadinessPlanRecord(Base):
    """An accepted plan. An agency's later accepted plan (an update) supersedes its earlier one."""

    __tablename__ = "readiness_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    cmhsp_name: Mapped[str] = mapped_column(Text, index=True)
    submission_type: Mapped[str] = mapped_column(Text)
    status: Mapped[PlanStatus] = mapped_column(_stored_enum(PlanStatus, 20, "ck_readiness_plans_status"),
                                               default=PlanStatus.ACCEPTED)
    accepted_at: Mapped[datetime]
    record: Mapped[dict[str, Any]] = mapped_column(JSON)

    document: Mapped[Document] = relationship()


class RegistrationRecord(Base):
    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), unique=True)
    cmhsp_name: Mapped[str] = mapped_column(Text, index=True)
    psp_first_name: Mapped[str] = mapped_column(Text)
    psp_last_name: Mapped[str] = mapped_column(Text)
    psp_email: Mapped[str] = mapped_column(Text, index=True)
    training_session: Mapped[str] = mapped_column(String(32), index=True)
    # registered (holds a seat) or withdrawn (seat freed); only registered ones count for REG-R11/R12.
    status: Mapped[RegistrationStatus] = mapped_column(_stored_enum(RegistrationStatus, 20, "ck_registrations_status"),
                                                       default=RegistrationStatus.REGISTERED)
    registered_at: Mapped[datetime]
    record: Mapped[dict[str, Any]] = mapped_column(JSON)

    document: Mapped[Document] = relationship()
    certification: Mapped[CertificationRow | None] = relationship(back_populates="registration")


class TrainingSessionRow(Base):
    """The classroom training schedule, imported from the coordinator's CSV."""

    __tablename__ = "training_sessions"

    session_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    start_date: Mapped[date]
    end_date: Mapped[date]
    days: Mapped[int]
    location: Mapped[str] = mapped_column(Text)
    capacity: Mapped[int]
    updated_at: Mapped[datetime]


class CertificationRow(Base):
    """A registered PSP's way to certification: 5 days of classroom training, 10 months of
    coaching, quarterly Professional Development meetings."""

    __tablename__ = "certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"), unique=True)
    classroom_attended_on: Mapped[date | None]
    coaching_months: Mapped[int] = mapped_column(Integer, default=0)
    pd_meetings: Mapped[int] = mapped_column(Integer, default=0)
    certified_on: Mapped[date | None]
    updated_at: Mapped[datetime]

    registration: Mapped[RegistrationRecord] = relationship(back_populates="certification")


class DecisionRow(Base):
    """Every change of a document's outcome after it was first judged, and every change to a
    PSP's record: who (a person, or 'pipeline' for automatic releases), when, and why."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[DecisionAction] = mapped_column(_stored_enum(DecisionAction, 32, "ck_decisions_action"))
    from_outcome: Mapped[Outcome | None] = mapped_column(_stored_enum(Outcome, 20, "ck_decisions_from_outcome"))
    to_outcome: Mapped[Outcome | None] = mapped_column(_stored_enum(Outcome, 20, "ck_decisions_to_outcome"))
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# A received file's standing notice: the one of its outcome. Its other notices are withdrawn (their
# decision reopened) or corrections (``pipeline.load.reopen``); revision 0007.
NOTICE_CORRECTION = "correction"
NOTICE_STANDING = "withdrawn_at IS NULL AND (kind IS NULL OR kind <> 'correction')"


class NoticeRow(Base):
    """A notice to a submitter, written as an .eml file in the outbox. A received file has at most
    one standing notice (``NOTICE_STANDING``), beside those withdrawn and its correction notices."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("uq_notices_standing", "received_file_id", unique=True,
              sqlite_where=text(NOTICE_STANDING), postgresql_where=text(NOTICE_STANDING)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    received_file_id: Mapped[int] = mapped_column(ForeignKey("received_files.id"), index=True)
    to_address: Mapped[str | None] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    written: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Delivery (pipeline.load.outbox): which notice (rejected, held), the sender's claim while it
    # talks to the SMTP server, and what the last failed try said.
    kind: Mapped[str | None] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    # Set just before the message is handed to the server (the DATA command) and cleared by the
    # server's answer (sent, or refused). Still set after that: the server may have delivered it
    # without the answer reaching us (no reply in time, a sender killed), and it is not sent
    # again until a person says so (``psp-pipeline notices resend``), who is recorded here.
    possibly_sent_at: Mapped[datetime | None]
    resend_by: Mapped[str | None] = mapped_column(Text)
    resend_at: Mapped[datetime | None]
    # Who had it sent (a desk account, or the OS user of `notices send`), and a notice withdrawn
    # before it was sent because its decision was undone: kept for the audit trail, never sent.
    sent_by: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(Text)


class FileClaimRow(Base):
    """An inbox entry taken by one worker when several share an inbox (``PSP_CLAIM_FILES``).

    A claim lasts until its lease runs out: a worker that dies lets its files go by itself.
    """

    __tablename__ = "file_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbox_path: Mapped[str] = mapped_column(Text, unique=True)
    claimed_by: Mapped[str] = mapped_column(String(200))
    lease_until: Mapped[datetime] = mapped_column(index=True)


class StoreHomeRow(Base):
    """The data home this store belongs to: one row (id 1), written when a data home first opens
    it (``pipeline.load.ownership``). A second data home on the same database would take the
    first one's runs for its own (``recover_interrupted_runs``) and file its documents."""

    __tablename__ = "store_home"

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(Text)  # the data home's absolute path
    host: Mapped[str] = mapped_column(Text)  # the host that recorded it (several may share the path)
    home_id: Mapped[str] = mapped_column(String(64))  # the token in the data home's home.id file
    recorded_at: Mapped[datetime]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (status, export, a reviewer) work while a run writes; the busy timeout
    # waits for a lock instead of failing with "database is locked".
    # The timeout first: switching a new store to WAL waits for a lock too, when two workers open it at once.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # We begin transactions ourselves (below), so the driver must not begin them behind our back.
    dbapi_connection.isolation_level = None


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads, then writes, fails at once ("database is locked") when
    # another writer committed in between; taking the write lock at BEGIN makes it wait instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def program_lock(session: Session) -> None:
    """Serialise changes to the program's state (seats, plans, registrations) across processes:
    SQLite's transactions here begin IMMEDIATE; PostgreSQL's take a transaction-scoped advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PROGRAM_LOCK_KEY})


def open_store(url: str) -> Engine:
    """An engine for the store at ``url``, its schema migrated to the newest revision.

    Raises ConfigurationError for a URL that cannot be used or a store file that cannot be written,
    StoreError for a store that cannot be reached, is damaged or whose role may not create its
    tables, DiskFullError when its disk is full (``pipeline.errors.database_error``).
    """
    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, ImportError, ValueError) as exc:
        raise ConfigurationError(
            f"the database URL is not usable ({type(exc).__name__}: {exc}).",
            hint="Set PSP_DATABASE_URL to an SQLAlchemy URL such as sqlite:///path/store.sqlite "
            "or postgresql+psycopg://user@host/dbname.",
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    from pipeline.errors import database_error
    from pipeline.load.revision import at_schema_revision

    if at_schema_revision(engine):  # already migrated: Alembic is not imported
        return engine
    from pipeline.load.migrate import upgrade  # the migrations import these tables

    try:
        upgrade(engine)
    except DBAPIError as exc:  # unreachable, damaged (not a database), read-only, no right to create tables...
        engine.dispose()
        raise database_error(exc, engine.url.render_as_string(hide_password=True), opening=True) from exc
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory.begin() as session:
        yield session


def utcnow() -> datetime:
    """Now, aware and in UTC, as every time in the store is kept."""
    return datetime.now(UTC)


def start_run(engine: Engine) -> int:
    """Record a run as started (running until ``finish_run``) and return its id."""
    with transaction(engine) as session:
        run = Run(started_at=utcnow(), status=RunStatus.RUNNING)
        session.add(run)
        session.flush()
        return run.id


def finish_run(engine: Engine, run_id: int, *, files_seen: int, report_path: Path | None,
               status: RunStatus = RunStatus.COMPLETED) -> None:
    """Record the run as finished now, with what it saw and where its report is; a run never
    finished stays running (``unfinished_runs``)."""
    with transaction(engine) as session:
        run = session.get_one(Run, run_id)
        run.finished_at = utcnow()
        run.status = status
        run.files_seen = files_seen
        run.report_path = str(report_path) if report_path else None


def unfinished_runs(engine: Engine, *, exclude: int) -> list[tuple[int, datetime]]:
    """Runs recorded as started but never finished (the process stopped), other than ``exclude``."""
    with Session(engine) as session:
        rows = session.execute(
            select(Run.id, Run.started_at).where(Run.status == RunStatus.RUNNING, Run.id != exclude).order_by(Run.id)
        ).all()
        return [(run_id, started) for run_id, started in rows]


@dataclass(frozen=True)
class StoredReceipt:
    """What the store kept of one received file, for routing and reporting."""

    received_file_id: int
    document_id: int
    outcome: Outcome
    inbox_path: Path
    stored_path: Path
    result: ValidationResult
    duplicate_of: str | None = None


def mark_moved(engine: Engine, received_file_ids: Iterable[int]) -> None:
    """Record that these files left the inbox for their kept place: ``pending_moves`` no longer lists them."""
    ids = list(received_file_ids)
    if not ids:
        return
    with transaction(engine) as session:
        for row in session.scalars(select(ReceivedFileRow).where(ReceivedFileRow.id.in_(ids))):
            row.moved = True


def pending_moves(engine: Engine) -> list[tuple[int, Path, Path, str]]:
    """Files whose row was committed but which were not yet moved out of the inbox: id, where it
    is, where it goes, and its sha256 (a copy to another file system is checked against it)."""
    with transaction(engine) as session:
        rows = session.scalars(select(ReceivedFileRow).where(ReceivedFileRow.moved.is_(False)))
        return [(row.id, Path(row.inbox_path), Path(row.stored_path), row.sha256) for row in rows]


from pipeline.load import accounts, mail_messages, queue_columns, search_text  # noqa: E402, F401  tables join the metadata; search_text, queue_columns keep their columns
