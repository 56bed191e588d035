"""Notices back to agencies: to the right person, each problem once by its printed label, with
what to do, the coordinator's contact and how to resubmit; held registrations say why they wait."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from pipeline.model import Outcome
from pipeline.report.notices import (
    build_notice,
    distinct_findings,
    header_text,
    notice_address,
    write_notice,
)

COORDINATOR = {"name": "Statewide PSP Coordinator", "email": "psp-coordinator@example.org", "phone": "(517) 555-0100"}
MISSING_PHONE = {"rule": "REG-R01", "field": "psp_phone", "label": "PSP phone", "severity": "error", "message": "this is empty; fill it in"}
BAD_ZIP = {"rule": "REG-R05", "field": "psp_zip", "label": "Home ZIP code", "severity": "error", "message": "'4885' is not a 5-digit ZIP code"}
OTHER_CREDENTIAL = {
    "rule": "REG-R04", "field": "supervisor_credential", "label": "Supervisor credential", "severity": "review",
    "message": "the supervisor's credential is 'Other'; the coordinator will confirm it qualifies",
}
NO_PLAN = {
    "rule": "REG-R10", "field": "cmhsp_name", "label": "Community Mental Health Services Program (CMHSP)",
    "severity": "hold", "message": "the agency has no accepted Organizational Readiness Plan yet; the registration "
    "waits and is released by itself when the plan is accepted",
}


def _notice(outcome: Outcome, findings, **extra):
    arguments = {
        "form_id": "PSP-REG", "form_version": "2025.1", "file_name": "packet.pdf", "received_day": "December 3, 2026",
        "findings": findings, "to_address": "riley.testperson@example.org", "coordinator": COORDINATOR,
        "values": {"psp_first_name": "Jordan", "psp_last_name": "Example"},
    }
    arguments.update(extra)
    message = build_notice(outcome, **arguments)
    return message_from_bytes(bytes(message), policy=policy.default)


def test_a_rejection_lists_each_problem_once_with_what_to_do():
    message = _notice(Outcome.REJECTED, [MISSING_PHONE, BAD_ZIP, MISSING_PHONE, OTHER_CREDENTIAL])
    body = message.get_content()
    assert message["To"] == "riley.testperson@example.org"
    assert message["X-PSP-Notice"] == "rejected" and message["Auto-Submitted"] == "auto-generated"
    assert message["Subject"].strip() == "Portal PSP Registration Packet: please correct and resend (packet.pdf)"
    assert "Portal PSP Registration Packet for “Jordan Example”" in body and "(the file “packet.pdf”)" in body
    assert "December 3, 2026" in body
    assert body.count("PSP phone: this is empty; fill it in (rule REG-R01)") == 1
    assert "1. PSP phone" in body and "2. Home ZIP code" in body and "3." not in body
    assert "2 things need to be corrected" in body
    # Review findings are said, but not as something to correct.
    assert "nothing to correct" in body and "Supervisor credential:" in body
    assert "email the whole corrected form to psp-coordinator@example.org" in body
    assert "(517) 555-0100" in body and message["Reply-To"] == "psp-coordinator@example.org"


def test_a_held_registration_says_why_it_waits_and_that_nothing_is_to_be_done():
    message = _notice(Outcome.HELD, [NO_PLAN])
    body = message.get_content()
    assert message["X-PSP-Notice"] == "held"
    assert "received, waiting" in message["Subject"]
    assert "It is complete, and it is waiting" in body
    assert "Community Mental Health Services Program (CMHSP): the agency has no accepted" in body
    assert "(rule REG-R10)" in body
    assert "You do not need to send the form again" in body
    assert "psp-coordinator@example.org" in body and "(517) 555-0100" in body


def test_no_notice_for_other_outcomes():
    with pytest.raises(ValueError):
        _notice(Outcome.ACCEPTED, [])


def test_the_address_is_the_sender_then_the_form_contact_then_the_supervisor():
    plan = {"contact_email": "avery@example.org", "supervisor_email": "riley@example.org"}
    assert notice_address("PSP-ORP", plan, "Agency Mail <intake@agency.example.org>") == "intake@agency.example.org"
    assert notice_address("PSP-ORP", plan, None) == "avery@example.org"
    assert notice_address("PSP-ORP", {**plan, "contact_email": "not an address"}, None) == "riley@example.org"
    assert notice_address("PSP-REG", {"supervisor_email": "riley@example.org", "psp_email": "jo@example.org"}, None) == "riley@example.org"
    assert notice_address("PSP-REG", {"psp_email": "jo@example.org"}, "garbage\r\nBcc: x@evil.example") == "jo@example.org"
    assert notice_address("PSP-REG", {}, None) is None


def test_values_from_the_document_cannot_add_headers(tmp_path):
    name = "packet.pdf\r\nBcc: everyone@evil.example\r\n\r\nforged body"
    message = _notice(Outcome.REJECTED, [MISSING_PHONE], file_name=name)
    path = tmp_path / "n.eml"
    write_notice(build_notice(Outcome.REJECTED, form_id="PSP-REG", form_version=None, file_name=name,
                              received_day="D", findings=[MISSING_PHONE], to_address="a@example.org",
                              coordinator=COORDINATOR), path)
    again = message_from_bytes(path.read_bytes(), policy=policy.default)
    for parsed in (message, again):
        assert parsed["Bcc"] is None
        assert "\n" not in str(parsed["Subject"])
    assert header_text("a\tb\u2028c\x00d") == "a b c d"


def test_distinct_findings_keeps_the_first_of_each():
    assert distinct_findings([MISSING_PHONE, dict(MISSING_PHONE), BAD_ZIP]) == [MISSING_PHONE, BAD_ZIP]
