"""A person's decisions on a held document: releasing its hold by hand, and moving a wait-listed
PSP to another training session. The review desk and the command line both call these.

A hold (REG-R10: the agency's plan is not accepted yet; REG-R11: the session is full) is
released by itself when its cause clears (``program.release_in`` after every change). By hand:

* ``release_hold`` judges the document again now, exactly as that release would. When nothing
  holds it any more, its new judgement is stored (accepted, needs review or rejected, as the rules
  say: an accept is the judge's, REG-R12 and all). When a hold's cause is still there, nothing is
  changed: ``HoldRemains`` names each rule, what it says and what clears it. No person releases a
  form past its hold (REG-R10: no PSP is registered before the agency's plan is accepted; REG-R11:
  never over the session's capacity): the cause is cleared instead (the plan accepted, the
  session's capacity raised by a sessions import, the PSP moved), and the release then follows
  by itself.
* ``move_to_session`` gives a wait-listed PSP (held on REG-R11) another session: the packet is
  judged again with that session, so the seat is counted as every seat is
  (``queries.seats_taken``, through the judge's snapshot): registered when it has a free seat,
  on its wait list otherwise. A move the rules would reject (a session that has started) is
  refused. Whatever the move changes for other held forms is judged again (``release_in``).

Both record the decision with who, when and why (``released``, ``moved``) and leave what follows
(notices, filing, the overview) to ``service.after_change``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load.program import Decided, Destination, apply_decision, release_in
from pipeline.load.review import HOLD_CLEARS, Decision, _load, _require, judged_with
from pipeline.load.state import with_store_schedule
from pipeline.load.store import Document, ReceivedFileRow, program_lock, transaction
from pipeline.model import (
    DecisionAction,
    FieldValue,
    Finding,
    FormId,
    Outcome,
    ReadMethod,
    ValidationResult,
)
from pipeline.validate import ValidationContext
from schemas.spec import Severity

HELD = (Outcome.HELD.value,)
WAITS_FOR_SEAT = "REG-R11"
SESSION_FIELD = "training_session"


CLEARS = HOLD_CLEARS


class HoldRemains(BadInputError):
    """What held the document still holds it: ``holds`` are the findings (rule, message) whose cause
    is still there. Nothing was changed."""

    def __init__(self, received_file_id: int, holds: list[Finding]) -> None:
        shown = "; ".join(f"{finding.rule}: {finding.message}" for finding in holds)
        clears = "; ".join(dict.fromkeys(CLEARS.get(str(finding.rule), "clear its cause") for finding in holds))
        super().__init__(
            f"#{received_file_id} is still held: {shown}.",
            hint=f"A hold is not released past its cause: {clears}; or reject it.")
        self.holds = holds


def _judged_now(session: Session, receipt: ReceivedFileRow, document: Document,
                context: ValidationContext) -> ValidationResult:
    """The held document judged again against the program as it stands, as a release judges it."""
    _require(document, receipt, HELD, DecisionAction.RELEASED)
    return judged_with(session, receipt, document, {}, context)


def _released(received_file_id: int, judged: ValidationResult) -> ValidationResult:
    """The judgement a release by hand stores: the judge's own, once nothing holds the document.
    HoldRemains while a hold's cause is still there."""
    holds = [finding for finding in judged.findings if finding.severity is Severity.HOLD]
    if holds:
        raise HoldRemains(received_file_id, holds)
    return judged


def preview_release(engine: Engine, received_file_id: int, *, context: ValidationContext) -> ValidationResult:
    """What ``release_hold`` would make of the document, without writing anything (HoldRemains
    while a hold's cause is still there): the desk shows it before the person confirms."""
    with Session(engine) as session:
        receipt, document = _load(session, received_file_id)
        result = _released(received_file_id, _judged_now(session, receipt, document, context))
        session.rollback()  # a reading only (``_load`` locks the row on PostgreSQL)
        return result


def holds_now(engine: Engine, received_file_id: int, *, context: ValidationContext) -> list[Finding]:
    """The findings that would hold the document if it were judged again now (none: a release
    would decide it as the rules say)."""
    with Session(engine) as session:
        receipt, document = _load(session, received_file_id)
        judged = _judged_now(session, receipt, document, context)
        session.rollback()
        return [finding for finding in judged.findings if finding.severity is Severity.HOLD]


def release_hold(engine: Engine, received_file_id: int, *, actor: str, reason: str, context: ValidationContext,
                 destination: Destination) -> Decision:
    """A person releases a held document whose hold's cause is gone (``reason``: the office's own
    note): judged again now and decided as the rules say. HoldRemains, nothing changed, while a
    hold's cause is still there."""
    with transaction(engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        result = _released(received_file_id, _judged_now(session, receipt, document, context))
        apply_decision(session, document, result, Decided(actor, DecisionAction.RELEASED, reason, {"by_hand": True}),
                       destination)
        session.flush()
        releases = release_in(session, context, destination=destination)
    return Decision(received_file_id, result.outcome, result, releases)


def _session_of(values: Mapping[str, Any]) -> str:
    return str(values.get(SESSION_FIELD) or "")


def _moved(session: Session, receipt: ReceivedFileRow, document: Document, session_id: str, actor: str,
           context: ValidationContext) -> ValidationResult:
    """The wait-listed packet judged again with ``session_id``; BadInputError when it is not
    wait-listed, the session is not in the schedule or is its own, or the rules would reject it."""
    _require(document, receipt, HELD, DecisionAction.MOVED)
    if document.form_id != FormId.REGISTRATION_PACKET or not any(
            f.get("rule") == WAITS_FOR_SEAT for f in document.findings):
        raise BadInputError(f"#{receipt.id} is not on a session's wait list; only a wait-listed PSP is moved.",
                            hint="See the wait lists with `psp-pipeline sessions list`.")
    schedule = with_store_schedule(session, context).reference
    target = schedule.session(session_id)
    if target is None or target.session_id != session_id.strip().upper():
        raise BadInputError(f"there is no training session {session_id!r} in the schedule.",
                            hint="See `psp-pipeline sessions list` for the sessions and their free seats.")
    if schedule.session(_session_of(document.values)) == target:
        raise BadInputError(f"#{receipt.id} already waits for {target.session_id}.", hint="Choose another session.")
    reading = FieldValue(key=SESSION_FIELD, value=target.session_id, method=ReadMethod.REVIEWER,
                         location=f"moved by {actor}", confidence=1.0)
    result = judged_with(session, receipt, document, {SESSION_FIELD: reading}, context)
    if result.outcome is Outcome.REJECTED:
        shown = "; ".join(f"{f.rule or '-'}: {f.message}" for f in result.findings if f.severity is Severity.ERROR)
        raise BadInputError(f"#{receipt.id} cannot move to {target.session_id}: {shown}.",
                            hint="Choose another session; nothing was changed.")
    return result


def move_to_session(engine: Engine, received_file_id: int, session_id: str, *, actor: str, reason: str,
                    context: ValidationContext, destination: Destination) -> Decision:
    """Move a wait-listed PSP (a packet held on REG-R11) to another training session: registered
    there when it has a free seat, on its wait list otherwise; recorded as ``moved`` with
    ``reason``. Refused, nothing changed, as ``_moved`` says."""
    with transaction(engine) as session:
        program_lock(session)
        receipt, document = _load(session, received_file_id)
        before = _session_of(document.values)
        result = _moved(session, receipt, document, session_id, actor, context)
        detail = {"from_session": before, "to_session": _session_of(result.values)}
        apply_decision(session, document, result, Decided(actor, DecisionAction.MOVED, reason, detail), destination)
        session.flush()
        releases = release_in(session, context, destination=destination)
    return Decision(received_file_id, result.outcome, result, releases)
