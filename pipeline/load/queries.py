"""Questions about the program the store answers, asked in more than one place (the judge's
snapshot, the session list, the coordinator overview): each written once. Nothing of validation
or extraction is imported here, so the overview can ask them too.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.load.store import RegistrationRecord
from pipeline.model import RegistrationStatus


def seats_taken(session: Session) -> dict[str, int]:
    """Seats taken in each training session: its PSPs registered (withdrawn ones give theirs back)."""
    return dict(
        session.execute(
            select(RegistrationRecord.training_session, func.count())
            .where(RegistrationRecord.status == RegistrationStatus.REGISTERED)
            .group_by(RegistrationRecord.training_session)
        ).all()
    )
