"""Carrying out a forget's plan (``pipeline.load.forget.plan``): the pages written again first,
then Prefect's artifacts, then the files deleted, and the store's rows last, only once every copy
is gone, so that a forget interrupted or refused somewhere is finished by the next one. The
deletion is recorded as a decision (counts, who, when, why), and that decision also says whether
the overview page was written again since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.load.forget import (
    Person,
    Plan,
    ReportRewrite,
    one_line,
    report_keeps,
    shown_path,
)
from pipeline.load.mail_messages import AcknowledgementRow
from pipeline.load.store import (
    CertificationRow,
    DecisionRow,
    Document,
    NoticeRow,
    ReceivedFileRow,
    RegistrationRecord,
    Run,
    program_lock,
    transaction,
    utcnow,
)
from pipeline.model import DecisionAction
from pipeline.report.models import DocumentReport
from pipeline.settings import Settings

FORGOTTEN = DecisionAction.FORGOTTEN  # the decision's action


@dataclass
class Done:
    """What ``carry_out`` did, and what it could not do (a line each, with what to do)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    deleted_files: int = 0
    rewritten_reports: list[str] = field(default_factory=list)
    store_deleted: bool = False
    store_note: str | None = None


def carry_out(
    the_plan: Plan,
    engine: Engine,
    settings: Settings,
    artifacts: Any | None,
    *,
    actor: str,
    reason: str,
) -> Done:
    """Do the plan: pages first, then Prefect's artifacts, then the files, and the store's rows
    last, only when every copy is gone (else they stay, for the next try to find what is left)."""
    home = settings.data_home.root
    done = Done(problems=list(the_plan.problems))
    person = the_plan.person
    _rewrite_reports(the_plan, engine, settings, done)
    if artifacts is not None and the_plan.artifacts:
        _rewrite_artifacts(the_plan, settings, artifacts, done)
    for path in the_plan.files:
        if _delete(path, home, done):
            done.lines.append(f"  deleted {shown_path(path, home)}")
    for email in the_plan.emails:
        if _delete(email.path, home, done):
            done.lines.append(f"  deleted {shown_path(email.path, home)}, the email that carried "
                              + ", ".join(f"#{i} {person.receipts[i]}" for i in email.carried))
            if email.others:
                done.lines.append("    it also carried " + ", ".join(f"#{i} {n}" for i, n in email.others)
                                  + ": their copy in that email went with it; their own originals are kept")
    if done.problems:
        done.store_note = (f"The store keeps {person.email}'s records until every copy is gone, so that running "
                           "the same forget again finds what is left and finishes.")
        return done
    _delete_from_store(the_plan, engine, actor=actor, reason=reason, done=done)
    return done


def _delete(path: Path, home: Path, done: Done) -> bool:
    """Delete one copy; a file that will not go is a problem said with what to do, and the rest goes on."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        done.problems.append(
            f"could not delete {shown_path(path, home)} ({one_line(exc)}): make it deletable (its folder writable, "
            "not in use) or delete it by hand, then run the same forget again to finish"
        )
        return False
    done.deleted_files += 1
    return True


def _rewrite_reports(the_plan: Plan, engine: Engine, settings: Settings, done: Done) -> None:
    """Write each run report of the plan again without the person, then latest.html when a
    rewrite stopped before copying it."""
    home = settings.data_home.root
    for report in the_plan.reports:
        try:
            how = _rewrite_report(report, the_plan.person, engine, settings)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            done.problems.append(f"could not rewrite {shown_path(report.page, home)} ({one_line(exc)}): make the "
                                 "reports folder writable, then run the same forget again to finish")
            continue
        also = " and latest.html" if report.latest else ""
        done.lines.append(f"  rewrote {shown_path(report.page, home)}, its JSON twin{also} without them ({how})")
        done.rewritten_reports.append(report.page.name)
    if the_plan.latest_copy is not None:
        _copy_latest_again(the_plan.latest_copy, home, done)


def _rewrite_report(report: ReportRewrite, person: Person, engine: Engine, settings: Settings) -> str:
    """Write one run report again without the person: from its JSON twin, every other entry as it
    was, or drawn from the store when the twin is gone. Returns what was dropped, for the line."""
    from pipeline.report.html import rewrite_run_report, write_run_report

    keep_document, keep_waiting, keep_decision = report_keeps(person)
    if report.twin is not None:
        _, _, dropped = rewrite_run_report(report.twin, keep_document=keep_document, keep_waiting=keep_waiting,
                                           keep_decision=keep_decision, zone=settings.zone, latest=report.latest)
        return f"{dropped['documents']} document(s), {dropped['waiting']} waiting, {dropped['decisions']} decision(s)"
    documents, waiting, decisions, started, finished = _run_from_store(engine, report.run_id, person, settings.zone)
    write_run_report(report.page.parent, run_id=report.run_id, started_at=started, finished_at=finished,
                     documents=documents, waiting=[w for w in waiting if keep_waiting(w)],
                     zone=settings.zone, decisions=[d for d in decisions if keep_decision(d)],
                     latest=report.latest)
    return "drawn from the store, its JSON twin being gone"


def _copy_latest_again(latest: Path, home: Path, done: Done) -> None:
    """Make latest.html a copy of its run's page again (a rewrite stopped between the two)."""
    from pipeline.report.html import copy_as_latest, page_run_id

    run_id = page_run_id(latest)
    try:
        if run_id is not None:
            copy_as_latest(latest.parent / f"run-{run_id:05d}.html")
            done.lines.append(f"  rewrote {shown_path(latest, home)} (a copy of run {run_id}'s page)")
    except OSError as exc:
        done.problems.append(f"could not rewrite {shown_path(latest, home)} ({one_line(exc)}): "
                             "make the reports folder writable, then run the same forget again to finish")


def _run_from_store(
    engine: Engine, run_id: int, person: Person, zone: ZoneInfo
) -> tuple[list[DocumentReport], list[dict], list[dict], datetime, datetime]:
    """A run's documents, waiting list and decisions as the store holds them now, without the person."""
    from pipeline.load import program, queries
    from pipeline.report.document_report import document_summary

    with Session(engine) as session:
        run = session.get_one(Run, run_id)
        started, finished = run.started_at, run.finished_at or run.started_at
    ids = [i for i in program.receipts_of_run(engine, run_id, by_arrival=True) if i not in person.receipts]
    receipts = {r.received_file_id: r for r in program.stored_receipts(engine, ids)}
    documents = [document_summary(receipts[i], None, zone) for i in ids if i in receipts]
    return documents, queries.waiting_for_a_person(engine), queries.decisions_since_last_run(engine, run_id), started, finished


def _rewrite_artifacts(the_plan: Plan, settings: Settings, artifacts: Any, done: Done) -> None:
    """Write Prefect's artifacts of the plan again without the person; Prefect out of reach is a problem."""
    from pipeline.report.prefect_artifacts import Receipts, rewritten_data

    receipts = Receipts(the_plan.person.receipts, settings.data_home.reports)
    try:
        for change in the_plan.artifacts:
            change.data = rewritten_data(change, receipts)
        artifacts.apply(the_plan.artifacts)
    except Exception as exc:  # noqa: BLE001 - Prefect's database or server failing is said in one line
        done.problems.append(f"could not rewrite the Prefect artifacts in {artifacts.where} ({one_line(exc)}): "
                             "make it reachable and writable, then run the same forget again to finish")
        return
    done.lines += [f"  rewrote {change.describe()}" for change in the_plan.artifacts]


def _delete_from_store(the_plan: Plan, engine: Engine, *, actor: str, reason: str, done: Done) -> None:
    """Delete the person's rows in one locked transaction and record the deletion, then fold
    SQLite's write-ahead log back so that no old page of the rows stays in it."""
    person = the_plan.person
    sqlite = engine.dialect.name == "sqlite"
    with transaction(engine) as session:
        program_lock(session)
        if sqlite:
            session.execute(text("PRAGMA secure_delete=ON"))  # deleted rows are overwritten, not left in free pages
        document_ids, registration_ids = list(person.document_ids), list(person.registration_ids)
        receipt_ids = list(session.scalars(select(ReceivedFileRow.id).where(ReceivedFileRow.document_id.in_(document_ids))))
        session.execute(delete(CertificationRow).where(CertificationRow.registration_id.in_(registration_ids)))
        session.execute(
            delete(DecisionRow).where(
                or_(DecisionRow.document_id.in_(document_ids), DecisionRow.registration_id.in_(registration_ids))
            )
        )
        session.execute(delete(RegistrationRecord).where(RegistrationRecord.id.in_(registration_ids)))
        session.execute(delete(NoticeRow).where(NoticeRow.received_file_id.in_(receipt_ids)))
        session.execute(delete(ReceivedFileRow).where(ReceivedFileRow.id.in_(receipt_ids)))
        session.execute(update(Document).where(Document.superseded_by_id.in_(document_ids)).values(superseded_by_id=None))
        session.execute(delete(Document).where(Document.id.in_(document_ids)))
        _unname_in_acknowledgements(session, person.file_names)
        session.add(
            DecisionRow(
                at=utcnow(), actor=actor, action=FORGOTTEN, reason=reason,
                detail={"documents": the_plan.documents, "registrations": the_plan.registrations,
                        "files": done.deleted_files, "emails": len(the_plan.emails),
                        "other_documents_in_emails": sorted({i for e in the_plan.emails for i, _ in e.others}),
                        "reports": done.rewritten_reports, "artifacts": len(the_plan.artifacts),
                        "overview": "pending"},
            )
        )
    done.store_deleted = True
    if sqlite and engine.url.database:
        from pipeline.report.prefect_artifacts import checkpoint_sqlite

        if not checkpoint_sqlite(Path(engine.url.database)):
            done.store_note = ("Another process is reading the store: its write-ahead log still holds the deleted "
                               "rows until it is folded back (the next run does it).")


# What an acknowledgement lists in place of a file deleted on request (it was sent as it was).
DELETED_FILE = "(a file deleted on request)"


def _unname_in_acknowledgements(session: Session, file_names: tuple[str, ...]) -> None:
    """The person's own files left out of the receipts of the mail that carried them: a receipt
    lists the names of the files attached, and a packet's name is often its PSP's."""
    theirs = {name.casefold() for name in file_names}
    if not theirs:
        return
    for row in session.scalars(select(AcknowledgementRow)):
        files = [DELETED_FILE if str(name).casefold() in theirs else name for name in row.files or []]
        if files != row.files:
            row.files = files


def overview_pending(engine: Engine) -> list[int]:
    """The forget decisions whose overview page was not written again yet (it stopped in between)."""
    with Session(engine) as session:
        rows = session.scalars(select(DecisionRow).where(DecisionRow.action == FORGOTTEN)).all()
        return [r.id for r in rows if (r.detail or {}).get("overview") == "pending"]


def overview_written(engine: Engine, decision_ids: list[int]) -> None:
    """Record that the overview page was written again after these forget decisions, so that
    ``overview_pending`` no longer lists them."""
    with transaction(engine) as session:
        for row in session.scalars(select(DecisionRow).where(DecisionRow.id.in_(decision_ids))):
            row.detail = {**(row.detail or {}), "overview": "written"}
