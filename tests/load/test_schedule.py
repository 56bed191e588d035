"""pipeline.load.schedule: the training schedule seeded once, imported over (added, updated, the
others kept), and listed with seats and wait lists as the overview counts them."""

from __future__ import annotations

from datetime import date

from pipeline.load import overview, schedule
from schemas.reference import TrainingSession


def session(session_id: str, capacity: int, location: str = "Lansing") -> TrainingSession:
    return TrainingSession(session_id, date(2027, 1, 11), date(2027, 1, 15), 5, location, capacity)


def test_the_schedule_is_seeded_into_an_empty_store_only(engine):
    assert schedule.seed_schedule(engine, {"A": session("A", 2)}) == 1
    assert schedule.seed_schedule(engine, {"B": session("B", 2)}) == 0  # a second worker, or a later start
    assert [row["session_id"] for row in schedule.session_seats(engine)] == ["A"]


def test_an_import_adds_and_updates_and_keeps_the_sessions_it_does_not_name(engine, validation_context, record):
    schedule.seed_schedule(engine, {"A": session("A", 2), "B": session("B", 2)})
    added, updated, releases = schedule.import_schedule(
        engine, {"B": session("B", 5, "Detroit"), "C": session("C", 1)}, validation_context, "coordinator",
        record.destination,
    )
    assert (added, updated, releases) == (1, 1, [])
    rows = {row["session_id"]: row for row in schedule.session_seats(engine)}
    assert set(rows) == {"A", "B", "C"}
    assert (rows["B"]["capacity"], rows["B"]["location"], rows["B"]["free"]) == (5, "Detroit", 5)


def test_seats_and_wait_lists_are_the_overviews(engine):
    schedule.seed_schedule(engine, {"A": session("A", 2)})
    (seats,) = schedule.session_seats(engine)
    (shown,) = overview.sessions(engine)
    assert seats == {**shown, "wait_list": len(shown["wait_list"])}
