"""The program's memory: recording judged documents, releasing held registrations, a person's
decisions, and the received files as the store holds them.

Every change of program state (a batch stored, a hold released, a seat taken or freed) happens in
one transaction under ``store.program_lock``: the state is read there (``pipeline.load.state``),
judged there by the pure judge (``pipeline.validate.judge``), and what it returns is stored there,
so two runs, or a run and a reviewer, cannot both take the last seat or both accept the same
document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pipeline.faults import checkpoint
from pipeline.load.notice_settling import settle_notices
from pipeline.load.state import (
    document_from_row,
    primary_receipt,
    printed_text_memory,
    read_state,
    standing_forms,
    with_store_schedule,
)
from pipeline.load.store import (
    CertificationRow,
    DecisionRow,
    Document,
    ReadinessPlanRecord,
    ReceivedFileRow,
    RegistrationRecord,
    StoredReceipt,
    program_lock,
    transaction,
    utcnow,
)
from pipeline.model import (
    DecisionAction,
    ExtractedDocument,
    Finding,
    FormId,
    Outcome,
    PlanStatus,
    ReceivedFile,
    ValidationResult,
)
from pipeline.validate import ValidationContext
from pipeline.validate.judge import (
    FormRef,
    Judgement,
    Rejudged,
    judge,
    rejudge_held,
    replaced_by_decision,
)

log = logging.getLogger(__name__)

PIPELINE_ACTOR = "pipeline"
Destination = Callable[[ReceivedFile, Outcome], Path]


def _extraction_json(document: ExtractedDocument) -> dict[str, Any]:
    """Every value as read, with how, where, how sure, and the readings it competed with."""
    return {key: read.model_dump(mode="json", exclude={"key"}) for key, read in document.fields.items()}


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


@dataclass(frozen=True)
class Decided:
    """Who gave a stored document its new judgement, as what, and why: kept in its decision row."""

    actor: str
    action: DecisionAction
    reason: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def _store_judgement(
    session: Session, document: Document, result: ValidationResult, decided: Decided,
    destination: Destination | None = None,
) -> DecisionRow:
    """Give a stored document a new judgement, keeping what it was in a decision row, with its
    standing notice settled (``notice_settling.settle_notices``: withdrawn, or corrected, when the
    outcome leaves the notice's kind).

    With ``destination``, the original is refiled under its new outcome: the new place is
    recorded now and the file moves after commit (``routing.finish_pending_moves``).
    """
    now = utcnow()
    before = document.outcome
    document.outcome = result.outcome
    document.findings = [f.model_dump(mode="json") for f in result.findings]
    document.values = result.values
    document.extraction = _extraction_json(result.document)
    document.updated_at = now
    receipt = primary_receipt(session, document)
    receipt.outcome = result.outcome
    if destination is not None and result.outcome != before:
        if receipt.moved:
            receipt.inbox_path = receipt.stored_path  # where the file is until it moves again
        receipt.stored_path = str(destination(result.document.received, result.outcome))
        receipt.moved = False
    if result.outcome is Outcome.ACCEPTED:
        _add_record(session, document, result, now)
    # The one rule of notices: one of an outcome the document leaves is withdrawn (or corrected).
    settled = settle_notices(session, receipt.id, result.outcome, decided.actor, now)
    decision = DecisionRow(
        document_id=document.id, at=now, actor=decided.actor, action=decided.action, from_outcome=before,
        to_outcome=result.outcome, reason=decided.reason, detail={**decided.detail, **settled},
    )
    session.add(decision)
    return decision


def apply_decision(
    session: Session, document: Document, result: ValidationResult, decided: Decided, destination: Destination
) -> DecisionRow:
    """A person's decision on a stored document (accept, reject, correct): its new judgement is
    stored (``_store_judgement``), and, judged anew, it may now replace earlier forms it did not
    replace when it came (a packet a reviewer accepts replaces the one held before it; the judge
    says which: ``replaced_by_decision``)."""
    decision = _store_judgement(session, document, result, decided, destination)
    standing = standing_forms(session, Document.subject_key == document.subject_key,
                              Document.form_id == document.form_id, Document.id < document.id)
    replaced = replaced_by_decision(FormRef.stored(document.id), document.subject_key, document.form_id, result,
                                    standing)
    _supersede(session, [(session.get_one(Document, ref.stored_id), document) for ref in replaced])
    return decision


def _supersede(session: Session, replaced: list[tuple[Document, Document]]) -> None:
    """A later form for the same agency or PSP replaces earlier ones that were not accepted (the
    judge says which): each (earlier, later) pair is marked and its decision kept. Called once the
    batch is flushed, since the decisions name the later documents by their ids."""
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

    The judge (``pipeline.validate.judge.judge``) decides duplicates, outcomes, resubmissions and
    releases against the program's state read in the transaction; this stores what it returns.
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


def _not_taken(session: Session, documents: list[ExtractedDocument]) -> list[ExtractedDocument]:
    """The documents whose file no other worker recorded: a file another worker recorded meanwhile
    (still in the inbox, or moved out already) is theirs. Asked inside the serialised transaction,
    so each file is recorded once."""
    in_flight = set(session.execute(
        select(ReceivedFileRow.inbox_path, ReceivedFileRow.sha256).where(
            ReceivedFileRow.moved.is_(False), ReceivedFileRow.inbox_path.in_([str(d.received.path) for d in documents])
        )
    ).tuples())
    mine = []
    for document in documents:
        received = document.received
        if (str(received.path), received.sha256) in in_flight or not received.path.exists():
            log.info("a file of this batch was recorded by another worker (sha256 %s); skipped", received.sha256[:12])
            continue
        mine.append(document)
    return mine


def _record_batch_once(
    engine: Engine,
    run_id: int,
    documents: list[ExtractedDocument],
    context: ValidationContext,
    destination: Destination,
) -> tuple[list[StoredReceipt], list[Release]]:
    with Session(engine) as session:
        printed_text = printed_text_memory(session, documents, context.reference)
    with transaction(engine) as session:
        program_lock(session)
        documents = _not_taken(session, documents)
        batch_context = with_store_schedule(session, context)
        state = replace(read_state(session, documents), printed_text=printed_text)
        judgement = judge(documents, state, batch_context)
        stored, rows = _store_batch(session, run_id, judgement, destination)
        released = _store_releases(session, judgement.releases, rows, PIPELINE_ACTOR, destination)
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


def _new_document(run_id: int, result: ValidationResult, subject: str | None, now: Any) -> Document:
    extracted = result.document
    return Document(
        sha256=extracted.received.sha256,
        kind=extracted.kind.value if extracted.kind else None,
        form_id=extracted.form_id,
        form_version=extracted.form_version,
        outcome=result.outcome,
        problem=extracted.problem.value if extracted.problem else None,
        findings=[f.model_dump(mode="json") for f in result.findings],
        values=result.values,
        extraction=_extraction_json(extracted),
        processed_at=now,
        run_id=run_id,
        subject_key=subject,
    )


class _Rows:
    """The stored rows the judgement's references name: the batch's new documents, and stored
    ones (loaded from the store the first time one is named)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.batch: dict[int, Document] = {}

    def __getitem__(self, ref: FormRef) -> Document:
        if ref.batch_index is not None:
            return self.batch[ref.batch_index]
        return self.session.get_one(Document, ref.stored_id)


def _store_batch(
    session: Session, run_id: int, judgement: Judgement, destination: Destination
) -> tuple[list[StoredReceipt], _Rows]:
    """Store the batch's judged files: a document per new content (and its record when
    accepted), a receipt per file, and the forms each replaces."""
    rows = _Rows(session)
    recorded: list[tuple[ReceivedFileRow, Document, ValidationResult, Path, Document | None]] = []
    replaced: list[tuple[FormRef, Document]] = []
    for index, judged in enumerate(judgement.files):
        received = judged.result.document.received
        now = utcnow()
        previous = rows[judged.duplicate_of] if judged.duplicate_of is not None else None
        if previous is not None:
            document = previous
        else:
            document = rows.batch[index] = _new_document(run_id, judged.result, judged.subject_key, now)
            session.add(document)
            checkpoint("record.document")  # inside the transaction: a kill here stores nothing of the batch
            if judged.outcome is Outcome.ACCEPTED:
                _add_record(session, document, judged.result, now)
            replaced.extend((ref, document) for ref in judged.replaces)
        target = destination(received, judged.outcome)
        receipt = ReceivedFileRow(
            document=document,
            run_id=run_id,
            sha256=received.sha256,
            original_name=received.original_name,
            received_at=received.received_at,
            sender=received.sender,
            size=received.size,
            outcome=judged.outcome,
            inbox_path=str(received.path),
            stored_path=str(target),
            moved=False,
            recorded_at=now,
        )
        session.add(receipt)
        recorded.append((receipt, document, judged.result, target, previous))
    # One flush for the batch: the rows go in as multi-row INSERTs, and only then have ids.
    session.flush()
    _supersede(session, [(rows[ref], document) for ref, document in replaced])
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
    return stored, rows


def _store_releases(
    session: Session, releases: Sequence[Rejudged], rows: _Rows, actor: str, destination: Destination | None
) -> list[Release]:
    """Store the held forms the judge judged again: each new judgement, with the forms it replaces."""
    stored: list[Release] = []
    for rejudged in releases:
        document = rows[rejudged.ref]
        _store_judgement(session, document, rejudged.result,
                         Decided(actor, rejudged.action, reason="the condition it was held on changed"), destination)
        _supersede(session, [(rows[ref], document) for ref in rejudged.replaces])
        receipt = primary_receipt(session, document)
        stored.append(Release(receipt.id, document.id, rejudged.result.outcome, rejudged.result))
        log.info("received file #%d released from hold: %s", receipt.id, rejudged.result.outcome.value)
    return stored


def release_in(
    session: Session, context: ValidationContext, actor: str = PIPELINE_ACTOR, destination: Destination | None = None
) -> list[Release]:
    """Inside a locked transaction whose changes are flushed: judge every held form again against
    the program as it stands now (``rejudge_held``) and store the releases."""
    releases = rejudge_held(read_state(session), with_store_schedule(session, context))
    return _store_releases(session, releases, _Rows(session), actor, destination)


def release_held(
    engine: Engine, context: ValidationContext, destination: Destination, actor: str = PIPELINE_ACTOR
) -> list[Release]:
    """Judge every held document again against the program's state now."""
    with transaction(engine) as session:
        program_lock(session)
        return release_in(session, context, actor, destination)


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
