"""The program's state as the judge sees it (``pipeline.validate.judge``), read from the store
inside the transaction that then stores the judgements: the snapshot the cross-document rules
need, the contents stored before, the forms a later one may replace, the forms held, and the
training schedule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from pipeline.load.queries import seats_taken
from pipeline.load.store import (
    Document,
    ReadinessPlanRecord,
    ReceivedFileRow,
    RegistrationRecord,
    TrainingSessionRow,
)
from pipeline.model import (
    ExtractedDocument,
    ExtractionProblem,
    FieldValue,
    FormId,
    InputKind,
    Outcome,
    PlanStatus,
    ReceivedFile,
    RegistrationStatus,
)
from pipeline.validate import ProgramSnapshot, ValidationContext, psp_key
from pipeline.validate.judge import (
    SUPERSEDABLE,
    FormRef,
    HeldForm,
    ProgramState,
    StandingForm,
)
from pipeline.validate.printed_text import (
    PrintedTextMemory,
    Reading,
    agency_named,
    text_fields,
)
from schemas.reference import SESSION_COLUMNS, ReferenceData, TrainingSession


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


def standing_forms(session: Session, *conditions: Any) -> tuple[StandingForm, ...]:
    """The stored forms a later one may replace (not accepted, not replaced, about a known
    subject) that meet ``conditions``, oldest first; only the columns the judge needs are read."""
    rows = session.execute(
        select(Document.id, Document.subject_key, Document.form_id, Document.outcome, Document.findings)
        .where(
            Document.subject_key.is_not(None),
            Document.superseded_by_id.is_(None),
            Document.outcome.in_(SUPERSEDABLE),
            *conditions,
        )
        .order_by(Document.id)
    ).tuples()
    return tuple(
        StandingForm(FormRef.stored(document_id), subject, form_id, Outcome(outcome), tuple(findings or ()))
        for document_id, subject, form_id, outcome, findings in rows
    )


def held_forms(session: Session) -> tuple[HeldForm, ...]:
    """The held forms not replaced, oldest first, each as it was read, to judge again."""
    held = session.scalars(
        select(Document)
        .where(Document.outcome == Outcome.HELD, Document.superseded_by_id.is_(None))
        .order_by(Document.id)
    ).all()
    return tuple(
        HeldForm(FormRef.stored(document.id), document_from_row(document, primary_receipt(session, document)),
                 tuple(document.findings or ()), document.subject_key)
        for document in held
    )


# The latest documents of an agency's form that its printed text is learnt from. Its rule asks for
# ``MIN_DOCUMENTS`` (3) of them about as many people; a version of the form the agency uses prints
# its text on every document made with it, so 50 of the latest see any version still in use (one
# used for fewer than 3 of 50 forms teaches nothing, and the batch's own documents add to it), and
# the readings read for a batch naming every CMHSP on both forms stay at 46 x 2 x 50, however big
# the store grows.
PRINTED_TEXT_DOCUMENTS = 50


def printed_text_memory(session: Session, documents: Iterable[ExtractedDocument],
                        reference: ReferenceData) -> PrintedTextMemory:
    """The earlier documents of the forms of the agencies ``documents`` name, as the printed-text
    memory needs them (``pipeline.validate.printed_text``): read from the documents stored, nothing
    kept besides them. Read before the program's lock is taken (``program.record_batch``): a
    document another run stores meanwhile is missed by this batch's memory, which only makes it
    know less, and the lock is held no longer than before.

    One query for every agency named: the latest ``PRINTED_TEXT_DOCUMENTS`` ids of each agency's
    form (numbered from the queue's index and the kind; a replaced form's subject is its
    successor's), then only those documents' readings."""
    wanted = {(agency, FormId(document.form_id)) for document in documents
              if document.form_id is not None and (agency := agency_named(document, reference)) is not None}
    memory = PrintedTextMemory()
    if not wanted:
        return memory
    numbered = select(
        Document.id,
        func.row_number().over(partition_by=(Document.agency, Document.form_id), order_by=Document.id.desc()).label("place"),
    ).where(
        Document.superseded_by_id.is_(None), tuple_(Document.agency, Document.form_id).in_(sorted(wanted)),
        Document.kind.is_distinct_from(InputKind.FILLABLE_PDF.value),  # its fields' own values, nothing printed
    ).subquery()
    rows = session.execute(
        select(Document.id, Document.agency, Document.form_id, Document.subject_key, Document.extraction)
        .join(numbered, numbered.c.id == Document.id)
        .where(numbered.c.place <= PRINTED_TEXT_DOCUMENTS)
        .order_by(Document.id)
    ).tuples()
    for document_id, agency, form_id, subject, extraction in rows:
        memory.add(agency, str(form_id), Reading.stored(document_id, subject, extraction, text_fields(str(form_id))))
    return memory


def read_state(session: Session, documents: Iterable[ExtractedDocument] = ()) -> ProgramState:
    """The program's state for judging ``documents`` (or only the held forms, with none): the
    snapshot, which of their contents the store holds already, the standing and the held forms."""
    hashes = {document.received.sha256 for document in documents}
    known = {sha: document_id for sha, document_id in
             session.execute(select(Document.sha256, Document.id).where(Document.sha256.in_(hashes)))}
    return ProgramState(
        snapshot=read_snapshot(session),
        known=known,
        standing=standing_forms(session),
        held=held_forms(session),
    )


def schedule(session: Session) -> dict[str, TrainingSession]:
    """The training sessions the store holds, by session id; empty until a schedule is imported."""
    return {
        row.session_id: TrainingSession(**{column: getattr(row, column) for column in SESSION_COLUMNS})
        for row in session.scalars(select(TrainingSessionRow))
    }


def with_store_schedule(session: Session, context: ValidationContext) -> ValidationContext:
    """The validation context with the training schedule the store holds (once one was imported)."""
    sessions = schedule(session)
    if not sessions:
        return context
    return replace(context, reference=replace(context.reference, sessions=sessions))


def primary_receipt(session: Session, document: Document) -> ReceivedFileRow:
    """The receipt that brought the document first (later ones are duplicates)."""
    return session.scalars(
        select(ReceivedFileRow)
        .where(ReceivedFileRow.document_id == document.id, ReceivedFileRow.outcome != Outcome.DUPLICATE)
        .order_by(ReceivedFileRow.id)
    ).first() or session.scalars(select(ReceivedFileRow).where(ReceivedFileRow.document_id == document.id)).one()


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
