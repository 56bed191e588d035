"""The program's memory: recording judged documents, cross-document rules against the state in
the store, releasing held registrations, resubmissions, and the training schedule.

Every change of program state (a batch stored, a hold released, a seat taken or freed) happens
in one transaction under ``store.program_lock``, and the cross-document rules are judged inside
that transaction against a snapshot read there, so two runs, or a run and a reviewer, cannot
both take the last seat or both accept the same document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.faults import checkpoint
from pipeline.load.queries import seats_taken
from pipeline.load.store import (
    CertificationRow,
    DecisionRow,
    Document,
    ReadinessPlanRecord,
    ReceivedFileRow,
    RegistrationRecord,
    StoredReceipt,
    TrainingSessionRow,
    program_lock,
    transaction,
    utcnow,
)
from pipeline.model import (
    DecisionAction,
    ExtractedDocument,
    ExtractionProblem,
    FieldValue,
    Finding,
    FormId,
    InputKind,
    Outcome,
    PlanStatus,
    ReceivedFile,
    RegistrationStatus,
    ValidationResult,
)
from pipeline.validate import (
    ProgramSnapshot,
    ValidationContext,
    psp_key,
    subject_key,
    validate_document,
)
from pipeline.validate.program import supersedes
from schemas.reference import TrainingSession

log = logging.getLogger(__name__)

PIPELINE_ACTOR = "pipeline"
Destination = Callable[[ReceivedFile, Outcome], Path]
# Outcomes a later form may replace: whatever was not accepted and still counts (which of them a
# given later form does replace: ``pipeline.validate.program.supersedes``).
SUPERSEDABLE = (Outcome.REJECTED.value, Outcome.HELD.value, Outcome.NEEDS_REVIEW.value)


# ---------------------------------------------------------------------------------------------
# Reading the program's state


def read_snapshot(session: Session) -> ProgramSnapshot:
    """The program's state a new document is judged against: agencies with an accepted plan,
    seats taken in each training session, and the PSPs registered."""
    agencies = session.scalars(
        select(ReadinessPlanRecord.cmhsp_name).where(ReadinessPlanRecord.status == PlanStatus.ACCEPTED)
    ).all()
    psps = session.execute(
        select(RegistrationRecord.psp_first_name, RegistrationRecord.psp_last_name, RegistrationRecord.psp_email).where(
            RegistrationRecord.status == RegistrationStatus.REGISTERED
        )
    ).all()
    return ProgramSnapshot(
        agencies_with_accepted_plan=frozenset(agencies),
        seats_taken=seats_taken(session),
        registered_psps=frozenset(psp_key(*row) for row in psps),
    )


def schedule(session: Session) -> dict[str, TrainingSession]:
    """The training sessions the store holds, by session id; empty until a schedule is imported."""
    return {
        row.session_id: TrainingSession(
            session_id=row.session_id,
            start_date=row.start_date,
            end_date=row.end_date,
            days=row.days,
            location=row.location,
            capacity=row.capacity,
        )
        for row in session.scalars(select(TrainingSessionRow))
    }


def with_store_schedule(session: Session, context: ValidationContext) -> ValidationContext:
    """The validation context with the training schedule the store holds (once one was imported)."""
    sessions = schedule(session)
    if not sessions:
        return context
    return replace(context, reference=replace(context.reference, sessions=sessions))


# ---------------------------------------------------------------------------------------------
# Writing judged documents


def _extraction_json(document: ExtractedDocument) -> dict[str, Any]:
    """Every value as read, with how, where, how sure, and the readings it competed with."""
    return {key: read.model_dump(mode="json", exclude={"key"}) for key, read in document.fields.items()}


def document_from_row(row: Document, receipt: ReceivedFileRow) -> ExtractedDocument:
    """The extracted document as it was stored, to judge it again (a release, a correction)."""
    return ExtractedDocument(
        received=ReceivedFile(
            path=Path(receipt.stored_path),
            original_name=receipt.original_name,
            sha256=receipt.sha256,
            size=receipt.size,
            received_at=receipt.received_at,
            sender=receipt.sender,
        ),
        kind=InputKind(row.kind) if row.kind else None,
        form_id=row.form_id,
        form_version=row.form_version,
        fields={key: FieldValue.model_validate({**read, "key": key}) for key, read in (row.extraction or {}).items()},
        problem=ExtractionProblem(row.problem) if row.problem else None,
        problem_detail=(row.findings[0]["message"] if row.problem and row.findings else None),
    )


def _add_record(session: Session, document: Document, result: ValidationResult, now: Any) -> None:
    """The accepted plan or registration as a record of its own (and a PSP's certification record)."""
    if result.record is None:
        return
    record = result.record.model_dump(mode="json")
    if result.form_id == FormId.READINESS_PLAN:
        for earlier in session.scalars(
            select(ReadinessPlanRecord).where(
                ReadinessPlanRecord.cmhsp_name == record["cmhsp_name"], ReadinessPlanRecord.status == PlanStatus.ACCEPTED
            )
        ):
            earlier.status = PlanStatus.SUPERSEDED
        session.add(
            ReadinessPlanRecord(document=document, cmhsp_name=record["cmhsp_name"],
                                submission_type=record["submission_type"], accepted_at=now, record=record)
        )
    elif result.form_id == FormId.REGISTRATION_PACKET:
        registration = RegistrationRecord(
            document=document,
            cmhsp_name=record["cmhsp_name"],
            psp_first_name=record["psp_first_name"],
            psp_last_name=record["psp_last_name"],
            psp_email=record["psp_email"],
            training_session=record["training_session"],
            registered_at=now,
            record=record,
            certification=CertificationRow(updated_at=now),
        )
        session.add(registration)


def primary_receipt(session: Session, document: Document) -> ReceivedFileRow:
    """The receipt that brought the document first (later ones are duplicates)."""
    return session.scalars(
        select(ReceivedFileRow)
        .where(ReceivedFileRow.document_id == document.id, ReceivedFileRow.outcome != Outcome.DUPLICATE.value)
        .order_by(ReceivedFileRow.id)
    ).first() or session.scalars(select(ReceivedFileRow).where(ReceivedFileRow.document_id == document.id)).one()


def apply_result(
    session: Session,
    document: Document,
    result: ValidationResult,
    *,
    actor: str,
    action: DecisionAction,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
    destination: Destination | None = None,
) -> DecisionRow:
    """Give a stored document a new judgement, keeping what it was in a decision row.

    With ``destination``, the original is refiled under its new outcome: the new place is
    recorded now and the file moves after commit (``routing.finish_pending_moves``).
    """
    now = utcnow()
    before = document.outcome
    document.outcome = result.outcome.value
    document.findings = [f.model_dump(mode="json") for f in result.findings]
    document.values = result.values
    document.extraction = _extraction_json(result.document)
    document.updated_at = now
    receipt = primary_receipt(session, document)
    receipt.outcome = result.outcome.value
    if destination is not None and result.outcome.value != before:
        if receipt.moved:
            receipt.inbox_path = receipt.stored_path  # where the file is until it moves again
        receipt.stored_path = str(destination(result.document.received, result.outcome))
        receipt.moved = False
    if result.outcome is Outcome.ACCEPTED:
        _add_record(session, document, result, now)
    decision = DecisionRow(
        document_id=document.id, at=now, actor=actor, action=action, from_outcome=before,
        to_outcome=result.outcome.value, reason=reason, detail=detail or {},
    )
    session.add(decision)
    # Judged anew (a person's decision, a release), the document may now replace earlier forms
    # it did not replace when it came: a packet a reviewer accepts replaces the one held before it.
    _supersede(session, [(old, document) for old in _earlier_standing(session, document) if _replaces(document, old)])
    return decision


def _replaces(later: Document, earlier: Document) -> bool:
    return supersedes(later.outcome, later.findings, earlier.outcome, earlier.findings)


def _standing_query(document: Document):  # noqa: ANN202 - a SQLAlchemy Select
    """The forms about the same subject, of the same form, that were not accepted and not replaced."""
    return select(Document).where(
        Document.subject_key == document.subject_key,
        Document.form_id == document.form_id,
        Document.superseded_by_id.is_(None),
        Document.outcome.in_(SUPERSEDABLE),
    ).order_by(Document.id)


def _earlier_standing(session: Session, document: Document) -> list[Document]:
    """For a stored document judged anew: the forms before it that still stand."""
    if document.subject_key is None or document.id is None:
        return []
    return list(session.scalars(_standing_query(document).where(Document.id < document.id)))


class _Supersedable:
    """For one batch: the documents a later form may replace (not accepted, not superseded), by
    subject and form. Each subject is looked up in the store once, the first time the batch has a
    form about it; the batch's own documents (not flushed yet) are then kept track of here."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._standing: dict[tuple[str, str | None], list[Document]] = {}

    def take(self, document: Document) -> list[Document]:
        """The documents ``document`` supersedes (``supersedes``); from now on it stands in their
        place, beside those it does not replace (a held packet a broken resubmission leaves be)."""
        key = (document.subject_key, document.form_id)
        earlier = self._standing.get(key)
        if earlier is None:
            with self.session.no_autoflush:  # nothing pending can be about a subject first seen now
                earlier = list(self.session.scalars(_standing_query(document)))
        earlier = [old for old in earlier if old is not document]
        replaced = [old for old in earlier if _replaces(document, old)]
        kept = [old for old in earlier if not any(old is gone for gone in replaced)]
        self._standing[key] = kept + ([document] if document.outcome in SUPERSEDABLE else [])
        return replaced


def _supersede(session: Session, replaced: list[tuple[Document, Document]]) -> None:
    """A later form for the same agency or PSP replaces earlier ones that were not accepted
    (``supersedes`` says which): each (earlier, later) pair is marked and its decision kept.
    Called once the batch is flushed, since the decisions name the later documents by their ids."""
    now = utcnow()
    for old, document in replaced:
        old.superseded_by_id = document.id
        old.updated_at = now
        session.add(
            DecisionRow(document_id=old.id, at=now, actor=PIPELINE_ACTOR, action=DecisionAction.SUPERSEDED,
                        from_outcome=old.outcome, to_outcome=old.outcome,
                        reason="a corrected form for the same subject was received",
                        detail={"superseded_by_document": document.id})
        )


@dataclass(frozen=True)
class Release:
    """A held document judged again because the program's state changed."""

    received_file_id: int
    document_id: int
    outcome: Outcome
    result: ValidationResult


def record_batch(
    engine: Engine,
    run_id: int,
    documents: Iterable[ExtractedDocument],
    context: ValidationContext,
    destination: Destination,
) -> tuple[list[StoredReceipt], list[Release]]:
    """Judge and record a batch of extracted documents, in arrival order, in one transaction.

    The same bytes received before (in the store or earlier in the batch) are a duplicate. Each
    document is judged against the program's state as it stands after the documents before it,
    then held registrations are judged again, since a plan in this batch may release them.
    ``destination(received_file, outcome)`` says where each original will be kept; the path is
    recorded before the file moves, so a run that stops between commit and move can finish it.
    """
    documents = list(documents)
    try:
        return _record_batch_once(engine, run_id, documents, context, destination)
    except IntegrityError:
        # Another process stored one of these contents since we looked: look again, once.
        log.warning("run %d: a file of this batch was stored by another process meanwhile; recording again", run_id)
        return _record_batch_once(engine, run_id, documents, context, destination)


def _record_batch_once(
    engine: Engine,
    run_id: int,
    documents: list[ExtractedDocument],
    context: ValidationContext,
    destination: Destination,
) -> tuple[list[StoredReceipt], list[Release]]:
    recorded: list[tuple[ReceivedFileRow, Document, ValidationResult, Path, Document | None]] = []
    with transaction(engine) as session:
        program_lock(session)
        batch_context = with_store_schedule(session, context)
        snapshot = read_snapshot(session)
        supersedable = _Supersedable(session)
        replaced: list[tuple[Document, Document]] = []
        hashes = {d.received.sha256 for d in documents}
        known = {row.sha256: row for row in session.scalars(select(Document).where(Document.sha256.in_(hashes)))}
        # A file another worker recorded meanwhile (still in the inbox, or moved out already) is
        # theirs: judged here, inside the serialised transaction, it is recorded once.
        in_flight = set(session.execute(
            select(ReceivedFileRow.inbox_path, ReceivedFileRow.sha256).where(
                ReceivedFileRow.moved.is_(False), ReceivedFileRow.inbox_path.in_([str(d.received.path) for d in documents])
            )
        ).tuples())
        for extracted in documents:
            received = extracted.received
            if (str(received.path), received.sha256) in in_flight or not received.path.exists():
                log.info("a file of this batch was recorded by another worker (sha256 %s); skipped", received.sha256[:12])
                continue
            now = utcnow()
            previous = known.get(received.sha256)
            if previous is not None:
                outcome = Outcome.DUPLICATE
                document = previous
                result = ValidationResult(document=extracted, outcome=Outcome.DUPLICATE)
            else:
                result = validate_document(extracted, batch_context, snapshot)
                snapshot = snapshot.after(result)
                outcome = result.outcome
                document = Document(
                    sha256=received.sha256,
                    kind=extracted.kind.value if extracted.kind else None,
                    form_id=extracted.form_id,
                    form_version=extracted.form_version,
                    outcome=outcome.value,
                    problem=extracted.problem.value if extracted.problem else None,
                    findings=[f.model_dump(mode="json") for f in result.findings],
                    values=result.values,
                    extraction=_extraction_json(extracted),
                    processed_at=now,
                    run_id=run_id,
                    subject_key=subject_key(extracted.form_id, result.values),
                )
                session.add(document)
                known[received.sha256] = document
                checkpoint("record.document")  # inside the transaction: a kill here stores nothing of the batch
                if outcome is Outcome.ACCEPTED:
                    _add_record(session, document, result, now)
                if document.subject_key is not None:
                    replaced.extend((old, document) for old in supersedable.take(document))
            target = destination(received, outcome)
            receipt = ReceivedFileRow(
                document=document,
                run_id=run_id,
                sha256=received.sha256,
                original_name=received.original_name,
                received_at=received.received_at,
                sender=received.sender,
                size=received.size,
                outcome=outcome.value,
                inbox_path=str(received.path),
                stored_path=str(target),
                moved=False,
                recorded_at=now,
            )
            session.add(receipt)
            recorded.append((receipt, document, result, target, previous))
        # One flush for the batch: the rows go in as multi-row INSERTs, and only then have ids.
        session.flush()
        _supersede(session, replaced)
        stored = [
            StoredReceipt(
                received_file_id=receipt.id,
                document_id=document.id,
                outcome=result.outcome,
                inbox_path=result.document.received.path,
                stored_path=target,
                result=result,
                duplicate_of=previous.sha256 if previous is not None else None,
            )
            for receipt, document, result, target, previous in recorded
        ]
        released = _release_held(session, batch_context, destination=destination)
        final = {r.received_file_id: r for r in released}
        # A document of this batch released in the same transaction ends as released; its file
        # is still in the inbox and goes straight to the place of its final outcome.
        for index, item in enumerate(stored):
            if item.received_file_id in final:
                receipt = session.get_one(ReceivedFileRow, item.received_file_id)
                receipt.inbox_path = str(item.inbox_path)
                stored[index] = replace(item, outcome=final[item.received_file_id].outcome,
                                        result=final[item.received_file_id].result,
                                        stored_path=Path(receipt.stored_path))
    return stored, [r for r in released if r.received_file_id not in {s.received_file_id for s in stored}]


def _release_held(
    session: Session, context: ValidationContext, actor: str = PIPELINE_ACTOR, destination: Destination | None = None
) -> list[Release]:
    """Judge held documents again, oldest first (first come, first served for wait-listed seats)."""
    snapshot = read_snapshot(session)
    held = session.scalars(
        select(Document)
        .where(Document.outcome == Outcome.HELD.value, Document.superseded_by_id.is_(None))
        .order_by(Document.id)
    ).all()
    releases: list[Release] = []
    for document in held:
        receipt = primary_receipt(session, document)
        result = validate_document(document_from_row(document, receipt), context, snapshot)
        snapshot = snapshot.after(result)
        if result.outcome is Outcome.HELD and [f.model_dump(mode="json") for f in result.findings] == document.findings:
            continue
        apply_result(session, document, result, actor=actor,
                     action=DecisionAction.RELEASED if result.outcome is not Outcome.HELD else DecisionAction.REJUDGED,
                     reason="the condition it was held on changed", destination=destination)
        releases.append(Release(receipt.id, document.id, result.outcome, result))
        log.info("received file #%d released from hold: %s", receipt.id, result.outcome.value)
    return releases


def release_held(
    engine: Engine, context: ValidationContext, destination: Destination, actor: str = PIPELINE_ACTOR
) -> list[Release]:
    """Judge every held document again against the program's state now."""
    with transaction(engine) as session:
        program_lock(session)
        return _release_held(session, with_store_schedule(session, context), actor, destination)


# ---------------------------------------------------------------------------------------------
# The training schedule


def seed_schedule(engine: Engine, sessions: dict[str, TrainingSession]) -> int:
    """Put the packaged or coordinator's schedule into an empty store; returns how many were added."""
    with transaction(engine) as session:
        program_lock(session)  # two workers starting on a new store seed it once
        if session.scalar(select(func.count()).select_from(TrainingSessionRow)):
            return 0
        now = utcnow()
        for item in sessions.values():
            session.add(TrainingSessionRow(**item.__dict__, updated_at=now))
        return len(sessions)


def import_schedule(
    engine: Engine, sessions: dict[str, TrainingSession], context: ValidationContext, actor: str,
    destination: Destination,
) -> tuple[int, int, list[Release]]:
    """Add or update sessions from the coordinator's CSV, then release what the new seats allow.

    Returns (added, updated, releases). Sessions not in the file are kept: registrations point at them.
    """
    added = updated = 0
    with transaction(engine) as session:
        program_lock(session)
        now = utcnow()
        for item in sessions.values():
            row = session.get(TrainingSessionRow, item.session_id)
            if row is None:
                session.add(TrainingSessionRow(**item.__dict__, updated_at=now))
                added += 1
            else:
                for key, value in item.__dict__.items():
                    setattr(row, key, value)
                row.updated_at = now
                updated += 1
        session.flush()
        releases = _release_held(session, with_store_schedule(session, context), actor, destination)
    return added, updated, releases


def session_seats(engine: Engine) -> list[dict[str, Any]]:
    """Each training session with its seats taken and free and its wait list."""
    with Session(engine) as session:
        taken = seats_taken(session)
        waiting: dict[str, int] = {}
        for document in session.scalars(
            select(Document).where(Document.outcome == Outcome.HELD.value, Document.superseded_by_id.is_(None))
        ):
            if any(f.get("rule") == "REG-R11" for f in document.findings):
                session_id = document.values.get("training_session")
                waiting[session_id] = waiting.get(session_id, 0) + 1
        rows = []
        for item in session.scalars(select(TrainingSessionRow).order_by(TrainingSessionRow.start_date)):
            used = taken.get(item.session_id, 0)
            rows.append(
                {
                    "session_id": item.session_id,
                    "start_date": item.start_date,
                    "end_date": item.end_date,
                    "location": item.location,
                    "capacity": item.capacity,
                    "taken": used,
                    "free": max(item.capacity - used, 0),
                    "wait_list": waiting.get(item.session_id, 0),
                }
            )
        return rows


def stored_receipts(engine: Engine, received_file_ids: Iterable[int]) -> list[StoredReceipt]:
    """Received files as the store holds them now, in the shape a batch returns them: for
    notices owed by a run that stopped, and for reports written again."""
    ids = list(received_file_ids)
    receipts: list[StoredReceipt] = []
    with Session(engine) as session:
        rows = session.execute(
            select(ReceivedFileRow, Document)
            .join(Document, ReceivedFileRow.document_id == Document.id)
            .where(ReceivedFileRow.id.in_(ids))
            .order_by(ReceivedFileRow.received_at, ReceivedFileRow.id)
        ).all()
        for receipt, document in rows:
            extracted = document_from_row(document, receipt)
            outcome = Outcome(receipt.outcome)
            duplicate = outcome is Outcome.DUPLICATE
            result = ValidationResult(
                document=extracted,
                outcome=outcome,
                findings=() if duplicate else tuple(Finding.model_validate(f) for f in document.findings),
                values={} if duplicate else dict(document.values),
            )
            receipts.append(
                StoredReceipt(
                    received_file_id=receipt.id,
                    document_id=document.id,
                    outcome=outcome,
                    inbox_path=Path(receipt.inbox_path),
                    stored_path=Path(receipt.stored_path),
                    result=result,
                    duplicate_of=document.sha256 if duplicate else None,
                )
            )
    return receipts


def receipts_of_run(engine: Engine, run_id: int, *, by_arrival: bool = False) -> list[int]:
    """The run's received files, in the order they were recorded (or oldest received first)."""
    order = (ReceivedFileRow.received_at, ReceivedFileRow.id) if by_arrival else (ReceivedFileRow.id,)
    with Session(engine) as session:
        return list(session.scalars(select(ReceivedFileRow.id).where(ReceivedFileRow.run_id == run_id).order_by(*order)))
