"""Undo: a decided document (accepted or rejected) reopened, to wait for a person again.

A person's accept, reject or correction, and the pipeline's own accept or reject, can be reopened
with a reason. In one locked transaction, as every change of the program:

- what the acceptance made is taken back: the PSP's registration (its seat freed) or the
  agency's plan (the plan it replaced, if any, stands again);
- the document becomes ``needs_review`` through ``program.apply_decision``, its original refiled,
  and a ``reopened`` decision records who, when, why and all of the above;
- its notice is settled there, as at every change of outcome (``notice_settling``): a rejection's
  notice not sent yet is withdrawn (``notices send`` never sends it; its file is set aside); one
  that was sent, or may have been, is withdrawn too and a correction notice follows;
- held forms are judged again (``program.release_in``): a seat freed releases the first one
  waiting for it.

The caller then runs ``service.after_change`` (the original moved, the correction notice
written, the overview written again), as after any decision.

What cannot be undone is refused, saying what to do instead (BadInputError, nothing changed): a
registration with a history since (progress recorded, withdrawn), a plan that PSPs registered
under it need, a plan a later one replaced, a document replaced by a later form. Forgotten
documents are gone from the store. A reviewer may reopen a person's decision; the pipeline's own
outcome is the coordinator's to dispute (``machine_outcomes``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load.notice_settling import WITHDRAWN_SUFFIX, aside_path, plan_settling
from pipeline.load.program import (
    PIPELINE_ACTOR,
    Decided,
    Destination,
    Release,
    apply_decision,
    release_in,
)
from pipeline.load.review import (
    NO_MESSAGE_TO_AGENCY,
    REVIEW_FINDING,
    _load,
    _require,
    checked_message_to_agency,
    judged_with,
)
from pipeline.load.state import document_from_row
from pipeline.load.store import (
    CertificationRow,
    DecisionRow,
    Document,
    ReadinessPlanRecord,
    ReceivedFileRow,
    RegistrationRecord,
    program_lock,
    transaction,
)
from pipeline.model import (
    DecisionAction,
    Finding,
    Outcome,
    PlanStatus,
    RegistrationStatus,
    ValidationResult,
)
from pipeline.validate import ValidationContext
from schemas.spec import Severity

log = logging.getLogger(__name__)

REOPENABLE = (Outcome.ACCEPTED.value, Outcome.REJECTED.value)
# The finding a reopened document waits with (the queue's reason). A later rejection's notice
# may list it, so it says nothing the agency should not read.
REOPENED_FINDING = "the coordinator reopened the earlier decision on this form to look at it again"
__all__ = ["WITHDRAWN_SUFFIX", "aside_path"]  # where they were first: ``notice_settling`` keeps them now
# Decisions that give a document its outcome (the others record what happened around it).
OUTCOME_ACTIONS = (DecisionAction.ACCEPTED, DecisionAction.REJECTED, DecisionAction.CORRECTED,
                   DecisionAction.RELEASED, DecisionAction.ENTERED, DecisionAction.MOVED)


@dataclass(frozen=True)
class Reopening:
    """What reopening a document does (a preview) or did: the outcome undone and who had given it,
    the record taken back, the notice withdrawn or corrected, and the holds released."""

    received_file_id: int
    undone: Outcome
    decided_by: str  # who gave the outcome undone: a person, or PIPELINE_ACTOR
    registration: int | None = None  # the PSP's registration taken back (seat freed)
    plan: int | None = None  # the agency's accepted plan taken back
    plan_restored: int | None = None  # the agency's plan before it, standing again
    withdrawn_notice: int | None = None  # not sent: withdrawn, never sent
    corrected_notice: int | None = None  # sent (or possibly sent): a correction notice follows
    corrected_notice_at: datetime | None = None  # when it went (or may have gone) out
    correction_to: str | None = None
    correction_notice: int | None = None  # the correction notice's id (None in a preview)
    releases: list[Release] = field(default_factory=list)

    def consequences(self) -> list[str]:
        """What it does, one line each, as the command line and the desk say it."""
        lines = [f"#{self.received_file_id} goes back to needs review (it was {self.undone.value}"
                 f"{' by the pipeline itself' if self.decided_by == PIPELINE_ACTOR else f' by {self.decided_by}'})."]
        if self.registration is not None:
            lines.append(f"PSP #{self.registration}'s registration is taken back and its seat freed.")
        if self.plan is not None:
            lines.append(f"The agency's accepted plan (#{self.plan}) is taken back"
                         + (f"; its plan before (#{self.plan_restored}) stands again." if self.plan_restored else "."))
        if self.withdrawn_notice is not None:
            lines.append(f"Its notice #{self.withdrawn_notice} was not sent yet: it is withdrawn and never sent.")
        if self.corrected_notice is not None:
            lines.append(f"Its notice #{self.corrected_notice} went out (or may have): a correction notice to "
                         f"{self.correction_to or 'NO ADDRESS (send it by hand)'} says it is withdrawn.")
        lines += [f"#{r.received_file_id} released: now {r.outcome.value.replace('_', ' ')}." for r in self.releases]
        return lines


def _decided_by(session: Session, document: Document) -> str:
    """Who gave the document its outcome: the person of the last decision that changed it into it,
    or the pipeline when it was judged so on arrival or released into it when its hold's cause
    cleared (a release that followed someone's schedule import or decision is the rules', not a
    person's). A decision that left the outcome as it was (a correction of a rejected form that
    stays rejected) gave it nothing: a reviewer cannot make the pipeline's outcome theirs by it."""
    decisions = session.execute(
        select(DecisionRow.actor, DecisionRow.action, DecisionRow.from_outcome, DecisionRow.to_outcome,
               DecisionRow.detail)
        .where(DecisionRow.document_id == document.id, DecisionRow.action.in_(OUTCOME_ACTIONS))
        .order_by(DecisionRow.at.desc(), DecisionRow.id.desc())
    )
    for actor, action, from_outcome, to_outcome, detail in decisions:
        if from_outcome == to_outcome:
            continue
        automatic = action == DecisionAction.RELEASED and not (detail or {}).get("by_hand")
        return actor if to_outcome == document.outcome and not automatic else PIPELINE_ACTOR
    return PIPELINE_ACTOR


def _registration_to_take_back(session: Session, document: Document) -> int | None:
    """The registration the acceptance made, once it is sure it can be taken back."""
    registration = session.scalar(select(RegistrationRecord).where(RegistrationRecord.document_id == document.id))
    if registration is None:
        return None
    if registration.status == RegistrationStatus.WITHDRAWN:
        raise BadInputError(f"PSP #{registration.id} registered by this form has withdrawn since; the acceptance "
                            "stays on record.", hint="Nothing is held by it: its seat is free already.")
    history = session.scalar(select(func.count()).select_from(DecisionRow)
                             .where(DecisionRow.registration_id == registration.id))
    certification = registration.certification
    if history or (certification is not None and (certification.classroom_attended_on or certification.coaching_months
                                                  or certification.pd_meetings or certification.certified_on)):
        raise BadInputError(f"PSP #{registration.id} registered by this form has progress recorded since; the "
                            "acceptance cannot be undone.",
                            hint=f"If the PSP leaves, withdraw them (`psp-pipeline psp withdraw {registration.id} "
                            "--reason ...`).")
    return registration.id


def _plan_to_take_back(session: Session, document: Document) -> tuple[int | None, int | None]:
    """The accepted plan the acceptance made and the agency's plan before it (which stands again),
    once it is sure they can be: no PSP registered under it is left without a plan."""
    plan = session.scalar(select(ReadinessPlanRecord).where(ReadinessPlanRecord.document_id == document.id))
    if plan is None:
        return None, None
    if plan.status == PlanStatus.SUPERSEDED:
        raise BadInputError(f"the agency's plan from this form (#{plan.id}) was replaced by a later one since.",
                            hint="Reopen the later plan first if it is the one that is wrong.")
    before = session.scalar(
        select(ReadinessPlanRecord.id)
        .where(ReadinessPlanRecord.cmhsp_name == plan.cmhsp_name, ReadinessPlanRecord.status == PlanStatus.SUPERSEDED,
               ReadinessPlanRecord.id < plan.id)
        .order_by(ReadinessPlanRecord.id.desc()).limit(1)
    )
    if before is None:
        registered = session.scalars(
            select(RegistrationRecord.id).where(RegistrationRecord.cmhsp_name == plan.cmhsp_name,
                                                RegistrationRecord.status == RegistrationStatus.REGISTERED)
            .order_by(RegistrationRecord.id)
        ).all()
        if registered:
            shown = ", ".join(f"#{i}" for i in registered[:10]) + (" and more" if len(registered) > 10 else "")
            raise BadInputError(
                f"PSPs are registered under the agency's plan from this form (PSP {shown}); without it they would "
                "have no accepted plan.",
                hint="Ask the agency for a corrected plan (it replaces this one when it comes), or withdraw those "
                "PSPs first (`psp-pipeline psp withdraw ID --reason ...`).")
    return plan.id, before


def _plan(session: Session, receipt: ReceivedFileRow, document: Document, *, machine_outcomes: bool) -> Reopening:
    """What reopening would do, or BadInputError for what cannot be; nothing is changed."""
    _require(document, receipt, REOPENABLE, DecisionAction.REOPENED)
    decided_by = _decided_by(session, document)
    undone = Outcome(document.outcome)
    if decided_by == PIPELINE_ACTOR and not machine_outcomes:
        raise BadInputError(f"#{receipt.id} was {undone.value} by the pipeline itself, not by a person; disputing "
                            "the pipeline's own outcome is a coordinator's decision.",
                            hint="Ask a coordinator to reopen it.")
    if undone is Outcome.ACCEPTED:
        registration = _registration_to_take_back(session, document)
        plan, restored = _plan_to_take_back(session, document)
    else:
        registration, plan, restored = None, None, None
    # Its notice, as every change of outcome settles it (``notice_settling``, where it is stored).
    notices = plan_settling(session, receipt.id, Outcome.NEEDS_REVIEW)
    return Reopening(receipt.id, undone, decided_by, registration=registration, plan=plan, plan_restored=restored,
                     withdrawn_notice=notices.withdrawn_notice, corrected_notice=notices.corrected_notice,
                     corrected_notice_at=notices.corrected_notice_at, correction_to=notices.correction_to)


def checked_reason(reason: str | None) -> str:
    """The reason a reopening is recorded with; BadInputError without one."""
    if not reason or not reason.strip():
        raise BadInputError("reopening a decision takes a reason.",
                            hint="Say why it is looked at again; the reason stays in the office and is never sent.")
    return reason.strip()


def preview(engine: Engine, received_file_id: int, *, machine_outcomes: bool = True) -> Reopening:
    """What ``reopen`` would do to the document now (the same refusals), writing nothing."""
    with Session(engine) as session:
        receipt, document = _load(session, received_file_id)
        planned = _plan(session, receipt, document, machine_outcomes=machine_outcomes)
        session.rollback()  # a reading only (the rows are locked on PostgreSQL)
        return planned


def _reopened_result(session: Session, document: Document, receipt: ReceivedFileRow,
                     context: ValidationContext) -> ValidationResult:
    """The document as it waits again, after the reopened finding: judged again now, against the
    program with what the acceptance made taken back, so its findings are the rules' as they stand
    (an error stays one for the person who looks at it, and an accept is refused past it). A file
    of no known form keeps its findings as judged, without the rejection's own finding (a next
    rejection writes its own)."""
    if document.form_id is None:
        judged = [Finding.model_validate(f) for f in document.findings]
        values = document.values
    else:
        session.flush()  # what ``_take_back`` deleted is no longer in the program it is judged against
        result = judged_with(session, receipt, document, {}, context)
        judged, values = list(result.findings), result.values
    kept = [f for f in judged if not (f.rule is None and (f.message.startswith(REVIEW_FINDING)
                                                         or f.message in (NO_MESSAGE_TO_AGENCY, REOPENED_FINDING)))]
    findings = (Finding(rule=None, severity=Severity.REVIEW, message=REOPENED_FINDING), *kept)
    return ValidationResult(document=document_from_row(document, receipt), outcome=Outcome.NEEDS_REVIEW,
                            findings=findings, values=values)


def _take_back(session: Session, planned: Reopening) -> None:
    """Delete what the acceptance made (the unique per-document record would refuse a second
    acceptance otherwise); the reopened decision keeps what it was."""
    if planned.registration is not None:
        session.execute(delete(CertificationRow).where(CertificationRow.registration_id == planned.registration))
        session.execute(delete(RegistrationRecord).where(RegistrationRecord.id == planned.registration))
    if planned.plan is not None:
        session.execute(delete(ReadinessPlanRecord).where(ReadinessPlanRecord.id == planned.plan))
        if planned.plan_restored is not None:
            session.get_one(ReadinessPlanRecord, planned.plan_restored).status = PlanStatus.ACCEPTED


def reopen(
    engine: Engine,
    received_file_id: int,
    *,
    actor: str,
    reason: str,
    context: ValidationContext,
    destination: Destination,
    message_to_agency: str | None = None,
    machine_outcomes: bool = True,
) -> Reopening:
    """Reopen a decided document (the module says what that does): it waits for a person again.
    ``message_to_agency`` goes in the correction notice, when one follows; ``machine_outcomes``
    False refuses the pipeline's own outcomes (a reviewer's account)."""
    reason = checked_reason(reason)
    message = checked_message_to_agency(message_to_agency)
    with transaction(engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        planned = _plan(session, receipt, document, machine_outcomes=machine_outcomes)
        _take_back(session, planned)
        detail: dict[str, Any] = {  # its notice settled, and recorded, where the judgement is stored
            "undone": planned.undone.value, "decided_by": planned.decided_by, "registration": planned.registration,
            "plan": planned.plan, "plan_restored": planned.plan_restored,
        }
        if message:
            detail["message_to_agency"] = message
        result = _reopened_result(session, document, receipt, context)
        decision = apply_decision(
            session, document, result,
            Decided(actor, DecisionAction.REOPENED, reason, {k: v for k, v in detail.items() if v is not None}),
            destination)
        correction = (decision.detail or {}).get("correction_notice")
        session.flush()
        releases = release_in(session, context, destination=destination)
    log.info("received file #%d reopened (was %s)", received_file_id, planned.undone.value)
    return replace(planned, correction_notice=correction, releases=releases)
