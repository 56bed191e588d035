"""pipeline.validate.judge without a database: a batch and the program's state as data in,
judgements out. Duplicates, the rules against a snapshot advanced document by document,
resubmissions (which earlier forms a later one replaces) and every release path."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from pipeline.model import DecisionAction, Outcome, ValidationResult
from pipeline.validate import ProgramSnapshot, psp_key, subject_key, validate_document
from pipeline.validate.judge import (
    FormRef,
    HeldForm,
    ProgramState,
    StandingForm,
    judge,
    rejudge_held,
    replaced_by_decision,
)
from tests.conftest import VALID_PACKET, form_as_read

SESSION = VALID_PACKET["training_session"]
CAPACITY = 24  # the packaged schedule's seats in SESSION


@pytest.fixture(scope="module")
def agency(validation_context) -> str:
    """The agency's official name, as validation parses the valid forms' CMHSP."""
    return validate_document(form_as_read("PSP-ORP", number=1), validation_context).values["cmhsp_name"]


def plan_on_file(agency: str, **more: Any) -> ProgramSnapshot:
    return ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}), **more)


def full_session(agency: str, taken: int = CAPACITY) -> ProgramSnapshot:
    return plan_on_file(agency, seats_taken=MappingProxyType({SESSION: taken}))


def psp(number: int) -> dict[str, str]:
    """A PSP of their own: another name and email."""
    return {"psp_first_name": f"Alex{number}", "psp_email": f"alex{number}@example.org"}


def outcomes(judgement) -> list[Outcome]:
    return [judged.outcome for judged in judgement.files]


def stored_form(document_id: int, document, result: ValidationResult) -> StandingForm:
    """A stored form as the store hands it to the judge (findings as JSON)."""
    return StandingForm(FormRef.stored(document_id), subject_key(document.form_id, result.values), document.form_id,
                        result.outcome, tuple(f.model_dump(mode="json") for f in result.findings))


def held_form(document_id: int, document, result: ValidationResult) -> HeldForm:
    assert result.outcome is Outcome.HELD
    return HeldForm(FormRef.stored(document_id), document, tuple(f.model_dump(mode="json") for f in result.findings),
                    subject_key(document.form_id, result.values))


# --- duplicates ------------------------------------------------------------------------------


def test_contents_stored_before_are_a_duplicate_of_that_form_and_judged_no_further(validation_context, agency):
    packet = form_as_read("PSP-REG", number=7)
    state = ProgramState(snapshot=plan_on_file(agency), known={packet.received.sha256: 41})
    (judged,) = judge([packet], state, validation_context).files
    assert judged.outcome is Outcome.DUPLICATE and judged.duplicate_of == FormRef.stored(41)
    assert judged.result.findings == () and judged.replaces == ()


def test_the_same_contents_twice_in_a_batch_the_second_is_a_duplicate_of_the_first(validation_context, agency):
    packet = form_as_read("PSP-REG", number=7)
    judgement = judge([packet, packet], ProgramState(snapshot=plan_on_file(agency)), validation_context)
    assert outcomes(judgement) == [Outcome.ACCEPTED, Outcome.DUPLICATE]
    assert judgement.files[1].duplicate_of == FormRef.of_batch(0)


# --- the rules, each document against the program after the ones before it ------------------


def test_a_valid_packet_for_an_agency_with_a_plan_on_file_is_accepted(validation_context, agency):
    state = ProgramState(snapshot=plan_on_file(agency))
    judgement = judge([form_as_read("PSP-REG", number=1)], state, validation_context)
    assert outcomes(judgement) == [Outcome.ACCEPTED] and judgement.releases == ()


def test_a_single_document_rule_rejects_with_its_rule_id(validation_context, agency):
    packet = form_as_read("PSP-REG", {"psp_email": "not an email"}, number=1)
    (judged,) = judge([packet], ProgramState(snapshot=plan_on_file(agency)), validation_context).files
    assert judged.outcome is Outcome.REJECTED and "REG-R05" in {f.rule for f in judged.result.findings}


def test_reg_r10_a_packet_without_its_agencys_plan_is_held(validation_context):
    (judged,) = judge([form_as_read("PSP-REG", number=1)], ProgramState(), validation_context).files
    assert judged.outcome is Outcome.HELD and [f.rule for f in judged.result.findings] == ["REG-R10"]


def test_reg_r10_a_plan_earlier_in_the_batch_counts_for_a_packet_after_it(validation_context):
    judgement = judge([form_as_read("PSP-ORP", number=1), form_as_read("PSP-REG", number=2)], ProgramState(),
                      validation_context)
    assert outcomes(judgement) == [Outcome.ACCEPTED, Outcome.ACCEPTED] and judgement.releases == ()


def test_reg_r10_a_packet_before_its_plan_in_the_batch_is_held_then_released_by_it(validation_context):
    judgement = judge([form_as_read("PSP-REG", number=1), form_as_read("PSP-ORP", number=2)], ProgramState(),
                      validation_context)
    assert outcomes(judgement) == [Outcome.HELD, Outcome.ACCEPTED]
    (release,) = judgement.releases
    assert release.ref == FormRef.of_batch(0) and release.result.outcome is Outcome.ACCEPTED
    assert release.action is DecisionAction.RELEASED


def test_reg_r11_the_last_seat_goes_to_the_first_packet_the_next_waits(validation_context, agency):
    state = ProgramState(snapshot=full_session(agency, taken=CAPACITY - 1))
    judgement = judge([form_as_read("PSP-REG", psp(1), number=1), form_as_read("PSP-REG", psp(2), number=2)], state,
                      validation_context)
    assert outcomes(judgement) == [Outcome.ACCEPTED, Outcome.HELD]
    assert [f.rule for f in judgement.files[1].result.findings] == ["REG-R11"]
    assert judgement.releases == ()  # the seat is still taken: held on the same finding, nothing changes


def test_reg_r12_a_psp_accepted_earlier_in_the_batch_is_not_registered_twice(validation_context, agency):
    first, again = form_as_read("PSP-REG", number=1), form_as_read("PSP-REG", {"hours_per_week": "35"}, number=2)
    judgement = judge([first, again], ProgramState(snapshot=plan_on_file(agency)), validation_context)
    assert outcomes(judgement) == [Outcome.ACCEPTED, Outcome.NEEDS_REVIEW]
    assert "REG-R12" in {f.rule for f in judgement.files[1].result.findings}


def test_reg_r12_a_psp_registered_in_the_store_goes_to_a_person(validation_context, agency):
    values = VALID_PACKET
    registered = frozenset({psp_key(values["psp_first_name"], values["psp_last_name"], values["psp_email"])})
    state = ProgramState(snapshot=plan_on_file(agency, registered_psps=registered))
    (judged,) = judge([form_as_read("PSP-REG", number=1)], state, validation_context).files
    assert judged.outcome is Outcome.NEEDS_REVIEW and "REG-R12" in {f.rule for f in judged.result.findings}


def test_orp_r10_a_second_initial_plan_goes_to_a_person(validation_context, agency):
    judgement = judge([form_as_read("PSP-ORP", number=1), form_as_read("PSP-ORP", number=2, minutes=5)],
                      ProgramState(), validation_context)
    assert outcomes(judgement) == [Outcome.ACCEPTED, Outcome.NEEDS_REVIEW]
    assert "ORP-R10" in {f.rule for f in judgement.files[1].result.findings}


# --- resubmissions ---------------------------------------------------------------------------


def test_any_later_form_replaces_a_rejected_one_about_the_same_subject(validation_context, agency):
    broken = form_as_read("PSP-REG", {"psp_phone": "555"}, number=1)
    rejected = validate_document(broken, validation_context, plan_on_file(agency))
    state = ProgramState(snapshot=plan_on_file(agency), standing=(stored_form(5, broken, rejected),))
    still_broken = form_as_read("PSP-REG", {"psp_zip": "4885"}, number=2)
    (judged,) = judge([still_broken], state, validation_context).files
    assert judged.outcome is Outcome.REJECTED and judged.replaces == (FormRef.stored(5),)


def test_a_form_about_another_subject_replaces_nothing(validation_context, agency):
    broken = form_as_read("PSP-REG", {"psp_phone": "555"}, number=1)
    rejected = validate_document(broken, validation_context, plan_on_file(agency))
    state = ProgramState(snapshot=plan_on_file(agency), standing=(stored_form(5, broken, rejected),))
    (judged,) = judge([form_as_read("PSP-REG", psp(9), number=2)], state, validation_context).files
    assert judged.outcome is Outcome.ACCEPTED and judged.replaces == ()


def test_a_broken_resubmission_leaves_a_held_packet_held_and_it_is_released_later(validation_context, agency):
    held_packet = form_as_read("PSP-REG", number=1)
    held = validate_document(held_packet, validation_context, ProgramSnapshot())
    state = ProgramState(standing=(stored_form(3, held_packet, held),), held=(held_form(3, held_packet, held),))
    broken = form_as_read("PSP-REG", {"psp_phone": "555"}, number=2)
    plan = form_as_read("PSP-ORP", number=3)
    judgement = judge([broken, plan], state, validation_context)
    assert outcomes(judgement) == [Outcome.REJECTED, Outcome.ACCEPTED]
    assert judgement.files[0].replaces == ()  # the valid held form is not cancelled by a broken one
    (release,) = judgement.releases
    assert release.ref == FormRef.stored(3) and release.result.outcome is Outcome.ACCEPTED
    # Released into acceptance, it replaces the rejected resubmission that came after it? No: only earlier forms.
    assert release.replaces == ()


def test_a_held_form_replaced_by_a_valid_resubmission_is_not_judged_again(validation_context):
    held_packet = form_as_read("PSP-REG", number=1)
    held = validate_document(held_packet, validation_context, ProgramSnapshot())
    state = ProgramState(standing=(stored_form(3, held_packet, held),), held=(held_form(3, held_packet, held),))
    again = form_as_read("PSP-REG", {"hours_per_week": "35"}, number=2)
    plan = form_as_read("PSP-ORP", number=3)
    judgement = judge([again, plan], state, validation_context)
    assert outcomes(judgement) == [Outcome.HELD, Outcome.ACCEPTED]
    assert judgement.files[0].replaces == (FormRef.stored(3),)  # held for nothing but the same reason
    (release,) = judgement.releases  # only the resubmission waits, and the plan releases it
    assert release.ref == FormRef.of_batch(0) and release.result.outcome is Outcome.ACCEPTED


def test_a_rejected_form_does_not_replace_one_waiting_for_a_person(validation_context, agency):
    unsure = form_as_read("PSP-REG", number=1, unsure="psp_phone")
    waiting = validate_document(unsure, validation_context, plan_on_file(agency))
    assert waiting.outcome is Outcome.NEEDS_REVIEW
    state = ProgramState(snapshot=plan_on_file(agency), standing=(stored_form(8, unsure, waiting),))
    rejected = form_as_read("PSP-REG", {"psp_phone": "555"}, number=2)
    later_unsure = form_as_read("PSP-REG", number=3, unsure="psp_zip")
    judgement = judge([rejected, later_unsure], state, validation_context)
    assert outcomes(judgement) == [Outcome.REJECTED, Outcome.NEEDS_REVIEW]
    assert judgement.files[0].replaces == ()
    # The second replaces both: the rejected one (any later form does) and the one waiting.
    assert set(judgement.files[1].replaces) == {FormRef.stored(8), FormRef.of_batch(0)}


# --- releases --------------------------------------------------------------------------------


def test_reg_r11_a_freed_seat_goes_to_the_first_in_line_and_the_next_keeps_waiting(validation_context, agency):
    first, second = form_as_read("PSP-REG", psp(1), number=1), form_as_read("PSP-REG", psp(2), number=2)
    full = full_session(agency)
    state = ProgramState(
        snapshot=full_session(agency, taken=CAPACITY - 1),  # a PSP withdrew
        held=(held_form(10, first, validate_document(first, validation_context, full)),
              held_form(11, second, validate_document(second, validation_context, full))),
    )
    (release,) = rejudge_held(state, validation_context)
    assert release.ref == FormRef.stored(10) and release.result.outcome is Outcome.ACCEPTED


def test_a_hold_on_another_condition_is_judged_again_not_released(validation_context, agency):
    packet = form_as_read("PSP-REG", number=1)
    waiting_for_plan = validate_document(packet, validation_context, ProgramSnapshot())
    state = ProgramState(snapshot=full_session(agency), held=(held_form(4, packet, waiting_for_plan),))
    (rejudged,) = rejudge_held(state, validation_context)
    assert rejudged.result.outcome is Outcome.HELD and rejudged.action is DecisionAction.REJUDGED
    assert [f.rule for f in rejudged.result.findings] == ["REG-R11"]  # the plan came; the session is full


def test_nothing_changed_nothing_is_released(validation_context):
    packet = form_as_read("PSP-REG", number=1)
    state = ProgramState(held=(held_form(4, packet, validate_document(packet, validation_context, ProgramSnapshot())),))
    assert rejudge_held(state, validation_context) == []


def test_a_released_form_replaces_the_earlier_forms_about_its_psp(validation_context, agency):
    unsure = form_as_read("PSP-REG", number=1, unsure="psp_phone")
    waiting = validate_document(unsure, validation_context, ProgramSnapshot())
    assert waiting.outcome is Outcome.NEEDS_REVIEW  # a value read unsure waits for a person
    packet = form_as_read("PSP-REG", number=2)
    held = validate_document(packet, validation_context, ProgramSnapshot())
    state = ProgramState(snapshot=plan_on_file(agency),
                         standing=(stored_form(1, unsure, waiting), stored_form(2, packet, held)),
                         held=(held_form(2, packet, held),))
    (release,) = rejudge_held(state, validation_context)
    assert release.result.outcome is Outcome.ACCEPTED and release.replaces == (FormRef.stored(1),)


def test_a_person_accepting_a_form_replaces_the_earlier_held_one(validation_context, agency):
    packet = form_as_read("PSP-REG", number=1)
    held = validate_document(packet, validation_context, ProgramSnapshot())
    later = form_as_read("PSP-REG", number=2, unsure="psp_phone")
    judged = validate_document(later, validation_context, plan_on_file(agency))
    accepted = judged.model_copy(update={"outcome": Outcome.ACCEPTED})
    subject = subject_key("PSP-REG", accepted.values)
    replaced = replaced_by_decision(FormRef.stored(6), subject, "PSP-REG", accepted, [stored_form(2, packet, held)])
    assert replaced == (FormRef.stored(2),)
    assert replaced_by_decision(FormRef.stored(6), None, "PSP-REG", accepted, [stored_form(2, packet, held)]) == ()
