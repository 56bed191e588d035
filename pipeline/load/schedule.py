"""The classroom training schedule in the store: seeded from the packaged (or coordinator's)
reference data, updated from the coordinator's CSV, and listed with its seats and wait lists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from pipeline.load.overview import sessions as sessions_with_wait_lists
from pipeline.load.program import Destination, Release, release_in
from pipeline.load.store import TrainingSessionRow, program_lock, transaction, utcnow
from pipeline.validate import ValidationContext
from schemas.reference import TrainingSession


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
        releases = release_in(session, context, actor, destination)
    return added, updated, releases


def session_seats(engine: Engine) -> list[dict[str, Any]]:
    """Each training session with its seats taken and free, and how many wait for a seat in it
    (the wait lists as the overview shows them: ``pipeline.load.overview.sessions``)."""
    return [{**row, "wait_list": len(row["wait_list"])} for row in sessions_with_wait_lists(engine)]
