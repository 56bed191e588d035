"""pipeline.load.stages: a registered PSP's certification stage, written once as SQL, from their
registration and certification rows: a withdrawal is over every step, otherwise the furthest step
recorded counts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.load.stages import COACHING_MONTHS, Stage, stages_of
from pipeline.load.store import CertificationRow, RegistrationRecord
from pipeline.model import RegistrationStatus

ATTENDED = date(2027, 1, 15)


def test_the_stages_are_in_their_order():
    assert [stage.value for stage in Stage] == [
        "registered", "classroom training attended", "in coaching", "coaching completed", "certified", "withdrawn"
    ]


@pytest.mark.parametrize(("certification", "stage"), [
    (None, Stage.REGISTERED),  # no certification row at all
    ({}, Stage.REGISTERED),  # the row a registration starts with
    ({"classroom_attended_on": None, "coaching_months": 2}, Stage.REGISTERED),  # coaching comes after the classroom
    ({"classroom_attended_on": ATTENDED}, Stage.TRAINED),
    ({"classroom_attended_on": ATTENDED, "coaching_months": 3}, Stage.COACHING),
    ({"classroom_attended_on": ATTENDED, "coaching_months": COACHING_MONTHS}, Stage.COACHING_DONE),
    ({"classroom_attended_on": ATTENDED, "coaching_months": COACHING_MONTHS, "certified_on": date(2027, 11, 20)},
     Stage.CERTIFIED),
])
def test_the_furthest_step_recorded_is_the_stage(engine, registered, certification, stage):
    (registration,) = registered(1)
    with Session(engine) as session:
        row = session.scalars(select(CertificationRow).where(CertificationRow.registration_id == registration)).one()
        if certification is None:
            session.delete(row)
        for name, value in (certification or {}).items():
            setattr(row, name, value)
        assert stages_of(session, [registration]) == {registration: stage}  # unsaved changes flushed first


def test_a_withdrawal_is_over_every_step(engine, registered):
    (registration,) = registered(1)
    with Session(engine) as session:
        row = session.get(RegistrationRecord, registration)
        row.certification.classroom_attended_on, row.certification.coaching_months = ATTENDED, COACHING_MONTHS
        row.certification.certified_on = date(2027, 11, 20)
        row.status = RegistrationStatus.WITHDRAWN
        assert stages_of(session, [registration]) == {registration: Stage.WITHDRAWN}


def test_only_the_registrations_asked_about_are_answered(engine, registered):
    first, second, _ = registered(3)
    with Session(engine) as session:
        assert stages_of(session, [first, second]) == {first: Stage.REGISTERED, second: Stage.REGISTERED}
        assert stages_of(session, []) == {}
