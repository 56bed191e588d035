"""Questions the store answers, asked in more than one place: about the program (the judge's
snapshot, the session list, the coordinator overview) and about what was received and decided
(the run report, the export, the command line). Each is written once. Nothing of validation or
extraction is imported here, so the overview can ask them too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load.store import (
    DecisionRow,
    Document,
    ReceivedFileRow,
    RegistrationRecord,
    Run,
)
from pipeline.model import Outcome, RegistrationStatus


def seats_taken(session: Session) -> dict[str, int]:
    """Seats taken in each training session: its PSPs registered (withdrawn ones give theirs back)."""
    return dict(
        session.execute(
            select(RegistrationRecord.training_session, func.count())
            .where(RegistrationRecord.status == RegistrationStatus.REGISTERED)
            .group_by(RegistrationRecord.training_session)
        ).all()
    )


def _decisions_with_their_files() -> Any:
    """Decisions with the received file each was about (its first receipt, not a duplicate's);
    a decision about a PSP (progress, a withdrawal) has none."""
    return select(DecisionRow, ReceivedFileRow.id, ReceivedFileRow.original_name).outerjoin(
        ReceivedFileRow,
        (ReceivedFileRow.document_id == DecisionRow.document_id) & (ReceivedFileRow.outcome != Outcome.DUPLICATE),
    )


def _decision(decision: DecisionRow, receipt_id: int | None, name: str | None) -> dict[str, Any]:
    """One decision as reports and the desk show it: who, when, what, from and to, why, about what."""
    return {
        "id": receipt_id,
        "file": name,
        "subject": f"PSP #{decision.registration_id}" if decision.registration_id else "",
        "at": decision.at,
        "actor": decision.actor,
        "action": decision.action,
        "from": decision.from_outcome,
        "to": decision.to_outcome,
        "reason": decision.reason,
    }


def decisions_since_last_run(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """Every decision recorded since the run before ``run_id`` finished (reviewers' decisions,
    releases, withdrawals, progress), oldest first, with the document it was about."""
    with Session(engine) as session:
        previous = session.scalar(
            select(Run.finished_at)
            .where(Run.id < run_id, Run.finished_at.is_not(None))
            .order_by(Run.id.desc())
            .limit(1)
        )
        query = _decisions_with_their_files().order_by(DecisionRow.at, DecisionRow.id)
        if previous is not None:
            query = query.where(DecisionRow.at > previous)
        return [_decision(decision, receipt_id, name) for decision, receipt_id, name in session.execute(query)]


def export_rows(engine: Engine) -> Iterator[dict[str, Any]]:
    """Every received file in the export contract, oldest received first, streamed: its store id
    (as ``review show`` takes it) and when it was received (an aware datetime; the export writes
    it in the office's time)."""
    with Session(engine) as session:
        query = (
            select(ReceivedFileRow, Document)
            .join(Document, ReceivedFileRow.document_id == Document.id)
            .order_by(ReceivedFileRow.received_at, ReceivedFileRow.id)
            .execution_options(yield_per=500)
        )
        for receipt, document in session.execute(query):
            duplicate = receipt.outcome is Outcome.DUPLICATE
            yield {
                "id": receipt.id,
                "file": receipt.original_name,
                "sha256": receipt.sha256,
                "received_at": receipt.received_at,
                "form_id": document.form_id,
                "form_version": document.form_version,
                "outcome": receipt.outcome,
                "findings": [] if duplicate else [
                    {k: f.get(k) for k in ("rule", "field", "severity", "message")} for f in document.findings
                ],
                "fields": {} if duplicate else dict(document.values),
            }


def outcome_counts(engine: Engine, run_id: int | None = None) -> dict[Outcome, int]:
    """Received files by outcome, over everything or over one run."""
    query = select(ReceivedFileRow.outcome, func.count()).group_by(ReceivedFileRow.outcome)
    if run_id is not None:
        query = query.where(ReceivedFileRow.run_id == run_id)
    with Session(engine) as session:
        return {outcome: count for outcome, count in session.execute(query)}


WAITING_OUTCOMES = (Outcome.NEEDS_REVIEW, Outcome.HELD)


def open_documents() -> Select:
    """The ids of the documents no later form replaced; narrow it further with ``where`` on the
    columns of ``ix_documents_queue`` and it is answered from that index, not the documents' rows.
    (Never correlated: a query that joins the documents too still asks this of all of them.)"""
    return select(Document.id).where(Document.superseded_by_id.is_(None)).correlate(None)


def waiting(*columns: Any, documents: Select | None = None) -> Select:
    """``columns`` of the received files that wait for a person: held or needing review, their
    document among ``documents`` (``open_documents()``, or it narrowed), in no order. The
    documents' rows are not read: join ``Document`` for their columns (``waiting_query`` does)."""
    return select(*columns).select_from(ReceivedFileRow).where(
        ReceivedFileRow.outcome.in_(WAITING_OUTCOMES),
        ReceivedFileRow.document_id.in_(open_documents() if documents is None else documents),
    )


def waiting_query(*more: Any) -> Select:
    """What waits (``waiting``), oldest received first: the id, file name, time received, outcome,
    form and findings of each, then ``more`` columns (of the received file or its document). The
    columns, not the rows: a document's values and reads are large."""
    return (
        waiting(ReceivedFileRow.id, ReceivedFileRow.original_name, ReceivedFileRow.received_at,
                ReceivedFileRow.outcome, Document.form_id, Document.findings, *more)
        .join(Document, ReceivedFileRow.document_id == Document.id)
        .order_by(ReceivedFileRow.received_at, ReceivedFileRow.id)
    )


def waiting_item(receipt_id: int, name: str, received_at: datetime, outcome: Outcome, form_id: str | None,
                 findings: list[dict[str, Any]] | None) -> dict[str, Any]:
    """One row of ``waiting_query`` as ``waiting_for_a_person`` gives it: the reason in one line."""
    reasons = [f"{f['rule'] + ': ' if f.get('rule') else ''}{f['message']}" for f in findings or ()]
    return {"id": receipt_id, "file": name, "received_at": received_at, "form_id": form_id, "outcome": outcome,
            "reason": reasons[0] if reasons else "", "more": max(len(reasons) - 1, 0)}


def waiting_for_a_person(engine: Engine) -> list[dict[str, Any]]:
    """Documents held or needing review, oldest received first, with the reason in one line."""
    with Session(engine) as session:
        return [waiting_item(*row) for row in session.execute(waiting_query())]


def decision_trail(engine: Engine, limit: int = 500) -> list[dict[str, Any]]:
    """The latest ``limit`` decisions, newest first: who (the desk's account, the command line's
    user, or the pipeline), when, what, from and to which outcome, why, with the received file or
    PSP it was about; the review desk's audit trail."""
    with Session(engine) as session:
        query = _decisions_with_their_files().order_by(DecisionRow.at.desc(), DecisionRow.id.desc()).limit(limit)
        return [
            {**_decision(decision, receipt_id, name),
             "message_to_agency": (decision.detail or {}).get("message_to_agency")}
            for decision, receipt_id, name in session.execute(query)
        ]


def past_runs(engine: Engine, limit: int = 200) -> list[dict[str, Any]]:
    """The latest ``limit`` runs, newest first: when each started and finished, how it ended, the
    files it saw, where its report was written, and its received files by their outcome now
    (decisions since may have changed them)."""
    with Session(engine) as session:
        runs = session.scalars(select(Run).order_by(Run.id.desc()).limit(limit)).all()
        counts: dict[int, dict[str, int]] = {run.id: {} for run in runs}
        query = (
            select(ReceivedFileRow.run_id, ReceivedFileRow.outcome, func.count())
            .where(ReceivedFileRow.run_id.in_(list(counts)))
            .group_by(ReceivedFileRow.run_id, ReceivedFileRow.outcome)
        )
        for run_id, outcome, count in session.execute(query):
            counts[run_id][Outcome(outcome).value] = count
        return [
            {"id": run.id, "started_at": run.started_at, "finished_at": run.finished_at, "status": run.status,
             "files_seen": run.files_seen, "report_path": run.report_path, "counts": counts[run.id]}
            for run in runs
        ]


def received_file_kept_at(engine: Engine, path: Path) -> int | None:
    """The received file whose original the store keeps at ``path`` (the first, for a duplicate's); None for none."""
    with Session(engine) as session:
        return session.scalars(
            select(ReceivedFileRow.id).where(ReceivedFileRow.stored_path == str(path)).order_by(ReceivedFileRow.id)
        ).first()
