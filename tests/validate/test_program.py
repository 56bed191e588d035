"""pipeline.validate.program: the cross-document rules (ORP-R10, REG-R10, REG-R11, REG-R12) judged
against a snapshot of the program, the snapshot advanced by a result, who a form is about and
which later form replaces an earlier one, and what forbids a person to accept a waiting form."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest

from pipeline.model import Outcome
from pipeline.validate import ProgramSnapshot, psp_key, subject_key, validate_document
from pipeline.validate.program import (
    ALREADY_RECORDED,
    accept_conflicts,
    program_findings,
    supersedes,
)
from schemas import load_form_spec
from schemas.spec import Severity
from tests.conftest import VALID_PACKET, VALID_PLAN, make_document

PLAN, PACKET = load_form_spec("PSP-ORP"), load_form_spec("PSP-REG")
SESSION = VALID_PACKET["training_session"]


@pytest.fixture(scope="module")
def parsed(validation_context):
    """``parsed(form_id, changes)``: the valid form's values as validation parses them (the
    agency's official name, the session's id), as the store keeps them."""

    def values(form_id: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
        base = VALID_PLAN if form_id == "PSP-ORP" else VALID_PACKET
        return dict(validate_document(make_document(form_id, {**base, **(changes or {})}), validation_context).values)

    return values


@pytest.fixture(scope="module")
def reference(validation_context):
    return validation_context.reference


@pytest.fixture(scope="module")
def agency(parsed) -> str:
    name = parsed("PSP-ORP")["cmhsp_name"]
    assert name == parsed("PSP-REG")["cmhsp_name"]  # the packet names the plan's agency by an alias
    return name


def found(findings) -> list[tuple[str, str | None, Severity]]:
    return [(f.rule, f.field, f.severity) for f in findings]


def the_psp(values: dict[str, Any]) -> str:
    return psp_key(values["psp_first_name"], values["psp_last_name"], values["psp_email"])


def test_the_same_psp_is_the_same_name_and_email_whatever_their_case_and_spaces():
    assert psp_key(" Jordan", "EXAMPLE ", "Jordan.Example@Example.org") == psp_key("jordan", "example",
                                                                                  "jordan.example@example.org")
    assert psp_key("Jordan", "Example", "jo@example.org") != psp_key("Jordan", "Example", "jordan@example.org")
    assert psp_key("Jordan", "Example", "jo@example.org") != psp_key("Jo", "Example", "jo@example.org")


def test_a_form_is_about_its_agency_or_its_psp_when_they_can_be_read(parsed, agency):
    assert subject_key("PSP-ORP", parsed("PSP-ORP")) == f"agency:{agency}"
    assert subject_key("PSP-REG", parsed("PSP-REG")) == "psp:jordan|example|jordan.example@example.org"
    assert subject_key("PSP-REG", {**parsed("PSP-REG"), "psp_email": None}) is None
    assert subject_key("PSP-REG", {**parsed("PSP-REG"), "psp_first_name": ""}) is None
    assert subject_key("PSP-ORP", {"cmhsp_name": None}) is None
    assert subject_key(None, parsed("PSP-ORP")) is None


HOLD_R10 = {"rule": "REG-R10", "severity": "hold"}
HOLD_R11 = {"rule": "REG-R11", "severity": "hold"}
ERROR = {"rule": "REG-R02", "severity": "error"}
REVIEW = {"rule": "ORP-R04", "severity": "review"}


@pytest.mark.parametrize("later, later_findings, earlier, earlier_findings, replaces", [
    # A rejected form is replaced by whatever comes after it.
    ("rejected", [ERROR], "rejected", [ERROR], True),
    ("needs_review", [REVIEW], "rejected", [ERROR], True),
    # An accepted form replaces any earlier one that was not accepted.
    ("accepted", [], "held", [HOLD_R10], True),
    ("accepted", [], "needs_review", [REVIEW], True),
    # A held form only by a form held for nothing but the same reasons.
    ("held", [HOLD_R10], "held", [HOLD_R10, HOLD_R11], True),
    ("held", [HOLD_R11], "held", [HOLD_R10], False),
    ("held", [HOLD_R10, REVIEW], "held", [HOLD_R10], False),
    ("rejected", [ERROR], "held", [HOLD_R10], False),
    ("needs_review", [REVIEW], "held", [HOLD_R10], False),
    # A form waiting for review by one that waits too, never by a rejected one.
    ("held", [HOLD_R10], "needs_review", [REVIEW], True),
    ("needs_review", [REVIEW], "needs_review", [REVIEW], True),
    ("rejected", [ERROR], "needs_review", [REVIEW], False),
])
def test_which_later_form_replaces_an_earlier_one(later, later_findings, earlier, earlier_findings, replaces):
    assert supersedes(later, later_findings, earlier, earlier_findings) is replaces


def test_an_accepted_plan_counts_for_its_agency_from_then_on(parsed, validation_context, agency):
    plan = validate_document(make_document("PSP-ORP", VALID_PLAN), validation_context, ProgramSnapshot())
    assert plan.outcome is Outcome.ACCEPTED
    after = ProgramSnapshot().after(plan)
    assert after.agencies_with_accepted_plan == {agency}
    assert (dict(after.seats_taken), after.registered_psps) == ({}, frozenset())


def test_an_accepted_packet_takes_a_seat_and_registers_its_psp(validation_context, agency):
    before = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}),
                             seats_taken=MappingProxyType({SESSION: 3}))
    packet = validate_document(make_document("PSP-REG", VALID_PACKET), validation_context, before)
    assert packet.outcome is Outcome.ACCEPTED
    after = before.after(packet)
    assert dict(after.seats_taken) == {SESSION: 4} and dict(before.seats_taken) == {SESSION: 3}
    assert after.registered_psps == {the_psp(packet.values)} and before.registered_psps == frozenset()


def test_a_result_not_accepted_leaves_the_snapshot_as_it_was(validation_context):
    snapshot = ProgramSnapshot()
    held = validate_document(make_document("PSP-REG", VALID_PACKET), validation_context, snapshot)
    rejected = validate_document(make_document("PSP-ORP", {**VALID_PLAN, "agency_zip": "4891"}), validation_context,
                                 snapshot)
    assert (held.outcome, rejected.outcome) == (Outcome.HELD, Outcome.REJECTED)
    assert snapshot.after(held) is snapshot and snapshot.after(rejected) is snapshot


@pytest.mark.parametrize("submission_type, has_plan, flagged", [
    ("Initial plan", False, False),
    ("Initial plan", True, True),
    ("Update", False, True),
    ("Update", True, False),
])
def test_orp_r10_the_plan_on_file_and_the_kind_of_plan_agree(parsed, reference, agency, submission_type, has_plan,
                                                             flagged):
    values = {**parsed("PSP-ORP"), "submission_type": submission_type}
    snapshot = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency} if has_plan else set()))
    findings = program_findings(PLAN, values, snapshot, reference)
    assert found(findings) == ([("ORP-R10", "submission_type", Severity.REVIEW)] if flagged else [])
    if flagged:
        assert findings[0].label == PLAN.field("submission_type").label


def test_orp_r10_needs_the_agency_and_the_kind_read(parsed, reference):
    for missing in ("cmhsp_name", "submission_type"):
        values = {**parsed("PSP-ORP"), "submission_type": "Update", missing: None}
        assert program_findings(PLAN, values, ProgramSnapshot(), reference) == []


def test_reg_r10_a_packet_waits_for_its_agencys_accepted_plan(parsed, reference, agency):
    values = parsed("PSP-REG")
    assert found(program_findings(PACKET, values, ProgramSnapshot(), reference)) == [
        ("REG-R10", "cmhsp_name", Severity.HOLD)]
    other = ProgramSnapshot(agencies_with_accepted_plan=frozenset({"Another CMHSP"}))
    assert [f.rule for f in program_findings(PACKET, values, other, reference)] == ["REG-R10"]
    planned = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}))
    assert program_findings(PACKET, values, planned, reference) == []


def test_reg_r11_a_full_session_wait_lists_the_psp(parsed, reference, agency):
    capacity = reference.session(SESSION).capacity
    values = parsed("PSP-REG")

    def judged(taken: int) -> list:
        snapshot = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}),
                                   seats_taken=MappingProxyType({SESSION: taken}))
        return found(program_findings(PACKET, values, snapshot, reference))

    assert judged(capacity - 1) == []
    assert judged(capacity) == [("REG-R11", "training_session", Severity.HOLD)]
    assert judged(capacity + 5) == [("REG-R11", "training_session", Severity.HOLD)]
    # A session the schedule does not know has no seats to count (REG-R09 says it is unknown).
    unknown = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}),
                              seats_taken=MappingProxyType({"2099-01-XXX": 1000}))
    assert program_findings(PACKET, {**values, "training_session": "2099-01-XXX"}, unknown, reference) == []


def test_reg_r12_a_psp_registered_already_goes_to_a_person(parsed, reference, agency):
    values = parsed("PSP-REG")
    registered = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}),
                                 registered_psps=frozenset({psp_key("JORDAN", "Example", "jordan.example@EXAMPLE.org")}))
    assert found(program_findings(PACKET, values, registered, reference)) == [("REG-R12", "psp_email", Severity.REVIEW)]
    another = {**values, "psp_email": "jordan.other@example.org"}
    assert program_findings(PACKET, another, registered, reference) == []
    # Without a name or email that was read, there is nobody to compare.
    assert program_findings(PACKET, {**values, "psp_email": None}, registered, reference) == []


def test_every_rule_of_a_packet_at_once_in_rule_order(parsed, reference):
    values = parsed("PSP-REG")
    snapshot = ProgramSnapshot(seats_taken=MappingProxyType({SESSION: reference.session(SESSION).capacity}),
                               registered_psps=frozenset({the_psp(values)}))
    assert [f.rule for f in program_findings(PACKET, values, snapshot, reference)] == ["REG-R10", "REG-R11", "REG-R12"]


def test_holds_never_forbid_a_person_to_accept(parsed, reference):
    values = parsed("PSP-REG")
    full = ProgramSnapshot(seats_taken=MappingProxyType({SESSION: reference.session(SESSION).capacity}))
    assert [f.rule for f in program_findings(PACKET, values, full, reference)] == ["REG-R10", "REG-R11"]
    assert accept_conflicts(PACKET, values, [], full, reference) == []


def test_a_psp_registered_already_forbids_the_accept_even_when_it_was_on_record(parsed, reference, agency):
    values = parsed("PSP-REG")
    registered = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}),
                                 registered_psps=frozenset({the_psp(values)}))
    (conflict,) = accept_conflicts(PACKET, values, [], registered, reference)
    assert conflict.rule == ALREADY_RECORDED == "REG-R12"
    on_record = [conflict.model_dump(mode="json")]
    assert [f.rule for f in accept_conflicts(PACKET, values, on_record, registered, reference)] == ["REG-R12"]
    # Registered no more (withdrawn): nothing forbids it.
    assert accept_conflicts(PACKET, values, on_record, ProgramSnapshot(
        agencies_with_accepted_plan=frozenset({agency})), reference) == []


def test_a_finding_for_a_person_forbids_the_accept_only_when_it_came_since(parsed, reference, agency):
    update = {**parsed("PSP-ORP"), "submission_type": "Update"}
    (conflict,) = accept_conflicts(PLAN, update, [], ProgramSnapshot(), reference)
    assert (conflict.rule, conflict.severity) == ("ORP-R10", Severity.REVIEW)
    on_record = [conflict.model_dump(mode="json")]
    assert accept_conflicts(PLAN, update, on_record, ProgramSnapshot(), reference) == []
    # The same rule with another finding (the agency has a plan now, the form says initial) came since.
    initial = {**parsed("PSP-ORP"), "submission_type": "Initial plan"}
    with_plan = ProgramSnapshot(agencies_with_accepted_plan=frozenset({agency}))
    (since,) = accept_conflicts(PLAN, initial, on_record, with_plan, reference)
    assert since.rule == "ORP-R10" and since.message != conflict.message
