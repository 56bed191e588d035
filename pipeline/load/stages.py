"""The certification stage of a registered PSP, defined once, as SQL: the overview counts PSPs
per stage with it, and ``psp list``, the export and a progress update read each PSP's from it.

A withdrawal is over every step; otherwise the furthest step recorded counts: classroom training
attended, coaching months under way, all of them completed, certified.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from pipeline.load.store import CertificationRow, RegistrationRecord
from pipeline.model import RegistrationStatus

COACHING_MONTHS = 10  # months of coaching after the classroom training, before certification


class Stage(StrEnum):
    """The stages in their order."""

    REGISTERED = "registered"
    TRAINED = "classroom training attended"
    COACHING = "in coaching"
    COACHING_DONE = "coaching completed"
    CERTIFIED = "certified"
    WITHDRAWN = "withdrawn"


def stage_expression() -> Any:
    """A registration's stage as an SQL expression, over registrations outer-joined to their
    certification rows (``with_certification``)."""
    return case(
        (RegistrationRecord.status == RegistrationStatus.WITHDRAWN, Stage.WITHDRAWN.value),
        (or_(CertificationRow.id.is_(None), CertificationRow.classroom_attended_on.is_(None)), Stage.REGISTERED.value),
        (CertificationRow.certified_on.is_not(None), Stage.CERTIFIED.value),
        (CertificationRow.coaching_months >= COACHING_MONTHS, Stage.COACHING_DONE.value),
        (CertificationRow.coaching_months > 0, Stage.COACHING.value),
        else_=Stage.TRAINED.value,
    )


def with_certification(query: Any) -> Any:
    """``query`` over registrations, joined to their certification rows (a registration may have none)."""
    return query.select_from(RegistrationRecord).outerjoin(
        CertificationRow, CertificationRow.registration_id == RegistrationRecord.id
    )


def stages_of(session: Session, registration_ids: Iterable[int]) -> dict[int, Stage]:
    """Each registration's stage as the store holds it (changes in ``session`` flushed first)."""
    ids = list(registration_ids)
    query = with_certification(select(RegistrationRecord.id, stage_expression())).where(RegistrationRecord.id.in_(ids))
    return {registration_id: Stage(stage) for registration_id, stage in session.execute(query)}
