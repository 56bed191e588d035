"""The certification lifecycle of a registered PSP: registered, classroom training attended
(5 days), coaching months completed (of 10), quarterly Professional Development meetings
attended, certified. Each change is recorded with who, when and why; a withdrawal frees the
PSP's seat, and the wait list moves up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from pipeline.errors import BadInputError
from pipeline.load.program import Destination, Release, release_in
from pipeline.load.stages import (
    COACHING_MONTHS,
    Stage,
    stage_expression,
    stages_of,
    with_certification,
)
from pipeline.load.store import (
    CertificationRow,
    DecisionRow,
    RegistrationRecord,
    TrainingSessionRow,
    program_lock,
    transaction,
    utcnow,
)
from pipeline.model import DecisionAction, RegistrationStatus
from pipeline.validate import ValidationContext


def _quarters_since(start: date, today: date) -> int:
    return max(0, ((today.year - start.year) * 12 + today.month - start.month) // 3)


def due(stage: Stage, certification: CertificationRow | None, session: TrainingSessionRow | None, today: date) -> str:
    """What the PSP at ``stage`` is due next, in a line the coordinator can act on."""
    if stage is Stage.WITHDRAWN:
        return ""
    if stage is Stage.CERTIFIED:
        return "nothing: certified"
    if stage is Stage.REGISTERED:
        if session is None:
            return "classroom training (session not in the schedule)"
        if session.end_date < today:
            return f"record classroom attendance: session {session.session_id} ended {session.end_date:%m/%d/%Y}"
        return f"classroom training {session.session_id}, {session.start_date:%m/%d/%Y} to {session.end_date:%m/%d/%Y} ({session.location})"
    assert certification is not None and certification.classroom_attended_on is not None
    parts = []
    if certification.coaching_months < COACHING_MONTHS:
        parts.append(f"coaching month {certification.coaching_months + 1} of {COACHING_MONTHS}")
    quarters = _quarters_since(certification.classroom_attended_on, today)
    if certification.pd_meetings < quarters:
        parts.append(f"{quarters - certification.pd_meetings} quarterly PD meeting(s) behind")
    if stage is Stage.COACHING_DONE:
        parts.append("certification")
    return "; ".join(parts) or "up to date"


def list_psps(engine: Engine, today: date) -> list[dict[str, Any]]:
    """Every registered PSP, in the order registered, with their stage, progress and what is due
    next as of ``today``: the rows of ``psp list`` and of the export."""
    with Session(engine) as session:
        sessions = {s.session_id: s for s in session.scalars(select(TrainingSessionRow))}
        stages = dict(iter(session.execute(with_certification(select(RegistrationRecord.id, stage_expression())))))
        rows = []
        for registration in session.scalars(select(RegistrationRecord).order_by(RegistrationRecord.id)):
            certification = registration.certification
            stage = Stage(stages[registration.id])
            rows.append(
                {
                    "id": registration.id,
                    "name": f"{registration.psp_first_name} {registration.psp_last_name}",
                    "agency": registration.cmhsp_name,
                    "session": registration.training_session,
                    "stage": stage.value,
                    "classroom_attended_on": certification.classroom_attended_on if certification else None,
                    "coaching_months": certification.coaching_months if certification else 0,
                    "pd_meetings": certification.pd_meetings if certification else 0,
                    "certified_on": certification.certified_on if certification else None,
                    "due": due(stage, certification, sessions.get(registration.training_session), today),
                }
            )
        return rows


@dataclass(frozen=True)
class Progress:
    classroom_attended_on: date | None = None
    coaching_months: int | None = None
    pd_meetings: int | None = None
    certified_on: date | None = None


def update(engine: Engine, registration_id: int, progress: Progress, *, actor: str, reason: str | None) -> dict[str, Any]:
    """Record a PSP's progress; certification needs the classroom training and all 10 coaching months."""
    if progress.coaching_months is not None and not 0 <= progress.coaching_months <= COACHING_MONTHS:
        raise BadInputError(f"coaching months must be 0 to {COACHING_MONTHS}, not {progress.coaching_months}.")
    if progress.pd_meetings is not None and progress.pd_meetings < 0:
        raise BadInputError("the number of PD meetings cannot be negative.")
    with transaction(engine) as session:
        registration = session.scalars(
            select(RegistrationRecord).where(RegistrationRecord.id == registration_id).with_for_update()
        ).one_or_none()
        if registration is None:
            raise BadInputError(f"there is no registered PSP #{registration_id}.", hint="See `psp-pipeline psp list`.")
        if registration.status == RegistrationStatus.WITHDRAWN:
            raise BadInputError(f"PSP #{registration_id} has withdrawn.")
        certification = registration.certification or CertificationRow(registration_id=registration.id, updated_at=utcnow())
        session.add(certification)
        changes: dict[str, Any] = {}
        for name in ("classroom_attended_on", "coaching_months", "pd_meetings", "certified_on"):
            value = getattr(progress, name)
            if value is not None and value != getattr(certification, name):
                changes[name] = {"from": _jsonable(getattr(certification, name)), "to": _jsonable(value)}
                setattr(certification, name, value)
        if certification.certified_on is not None and (
            certification.classroom_attended_on is None or certification.coaching_months < COACHING_MONTHS
        ):
            raise BadInputError(
                f"PSP #{registration_id} cannot be certified yet: classroom training and all "
                f"{COACHING_MONTHS} coaching months must be recorded first."
            )
        if not changes:
            return {"id": registration_id, "changes": {}}
        certification.updated_at = utcnow()
        session.add(
            DecisionRow(registration_id=registration.id, at=utcnow(), actor=actor, action=DecisionAction.PROGRESS,
                        reason=reason, detail=changes)
        )
        session.flush()
        return {"id": registration_id, "changes": changes, "stage": stages_of(session, [registration.id])[registration.id].value}


def withdraw(
    engine: Engine, registration_id: int, *, actor: str, reason: str, context: ValidationContext, destination: Destination
) -> list[Release]:
    """The PSP leaves: the seat frees, and the first on the session's wait list moves up."""
    with transaction(engine) as session:
        program_lock(session)
        registration = session.get(RegistrationRecord, registration_id)
        if registration is None:
            raise BadInputError(f"there is no registered PSP #{registration_id}.", hint="See `psp-pipeline psp list`.")
        if registration.status == RegistrationStatus.WITHDRAWN:
            raise BadInputError(f"PSP #{registration_id} has withdrawn already.")
        registration.status = RegistrationStatus.WITHDRAWN
        session.add(
            DecisionRow(registration_id=registration.id, document_id=registration.document_id, at=utcnow(),
                        actor=actor, action=DecisionAction.WITHDRAWN, reason=reason, detail={"session": registration.training_session})
        )
        session.flush()
        return release_in(session, context, destination=destination)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
