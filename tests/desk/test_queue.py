"""The desk's queue (``pipeline.load.queue``): what waits, oldest first, narrowed by form, agency,
outcome, rule and age, and searched over file names, senders and every value, accents and case
aside; and the queue page that shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pipeline.load import queue
from pipeline.load.queue import UNKNOWN_FORM, QueueFilter, folded, review_queue
from pipeline.model import Outcome
from tests.conftest import RECEIVED_AT, form_as_read

HTML = {"Accept": "text/html"}
NOW = RECEIVED_AT + timedelta(days=10)


@pytest.fixture
def waiting(stored):
    """Three documents that wait and one rejected: a plan for a person to confirm (ORP-R04, received
    first), a packet held on its agency's plan (REG-R10) whose PSP is José from Ypsilanti, a packet
    read unsure (needs review), sent by a sender of its own, five days later, and a packet rejected."""
    plan = form_as_read("PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}, number=1)
    held = form_as_read("PSP-REG", {"cmhsp_name": "Washtenaw County Community Mental Health", "psp_first_name": "José",
                                    "psp_city": "Ypsilanti", "psp_email": "jose.sample@example.org"}, number=2, minutes=1)
    unsure = form_as_read("PSP-REG", {"psp_first_name": "Kim"}, number=3, minutes=5 * 24 * 60, unsure="psp_phone")
    unsure = unsure.model_copy(update={"received": unsure.received.model_copy(update={"sender": "office@Agency.example"})})
    accepted = form_as_read("PSP-REG", {"psp_first_name": "Rae", "psp_email": "not an email"}, number=4)
    return stored(plan, held, unsure, accepted)


def _ids(engine, **wanted) -> list[int]:
    return [item["id"] for item in review_queue(engine, QueueFilter(**wanted), NOW).items]


def test_the_queue_lists_what_waits_oldest_first_with_its_reason_and_age(desk, waiting):
    plan, held, unsure, rejected = waiting
    queue = review_queue(desk.engine, QueueFilter(), NOW)
    assert [item["id"] for item in queue.items] == [plan.received_file_id, held.received_file_id, unsure.received_file_id]
    assert rejected.outcome is Outcome.REJECTED
    assert queue.waiting == 3 and rejected.received_file_id not in [item["id"] for item in queue.items]
    first = queue.items[0]
    assert first["reason"].startswith("ORP-R04: ") and first["days"] == 10
    assert queue.forms == ["PSP-ORP", "PSP-REG"] and "REG-R10" in queue.rules and "ORP-R04" in queue.rules


def test_filters_narrow_by_form_agency_outcome_rule_and_age(desk, waiting):
    plan, held, unsure, _ = waiting
    washtenaw = "Washtenaw County Community Mental Health"
    assert _ids(desk.engine, form="PSP-REG") == [held.received_file_id, unsure.received_file_id]
    assert _ids(desk.engine, form=UNKNOWN_FORM) == []
    assert _ids(desk.engine, agency=washtenaw) == [held.received_file_id]
    assert _ids(desk.engine, outcome=Outcome.HELD) == [held.received_file_id]
    assert _ids(desk.engine, outcome=Outcome.NEEDS_REVIEW) == [plan.received_file_id, unsure.received_file_id]
    assert _ids(desk.engine, rule="ORP-R04") == [plan.received_file_id]
    assert _ids(desk.engine, older_than_days=6) == [plan.received_file_id, held.received_file_id]
    assert _ids(desk.engine, form="PSP-REG", older_than_days=6) == [held.received_file_id]


@pytest.mark.parametrize(("search", "finds"), [
    ("jose", [1]), ("JOSÉ", [1]), ("ypsilanti", [1]), ("jose.sample@example", [1]),  # values, accents and case aside
    ("office@agency", [2]),  # the sender
    ("psp-orp-1.pdf", [0]),  # the file name
    ("mason", [2]),  # a value of the packet read unsure
    ("jose mason", []),  # every word must be found
    ("nowhere", []),
])
def test_the_search_finds_file_names_senders_and_values_accents_and_case_aside(desk, waiting, search, finds):
    assert _ids(desk.engine, search=search) == [waiting[i].received_file_id for i in finds]


def test_folded_takes_accents_and_case_off():
    assert folded("José ÅNGSTRÖM Œuvre") == "jose angstrom œuvre"


def test_the_queue_page_filters_and_searches(reviewer, waiting):
    plan, held, unsure, _ = waiting
    page = reviewer.get("/", headers=HTML)
    assert page.status_code == 200 and "3 of 3 waiting." in page.text
    assert page.text.index(f"#{plan.received_file_id}<") < page.text.index(f"#{held.received_file_id}<")
    assert "2026-12-02 10:00 EST" in page.text  # Michigan time, the zone shown

    searched = reviewer.get("/", params={"q": "JOSE"}, headers=HTML)
    assert "1 of 3 waiting." in searched.text and f'href="/documents/{held.received_file_id}"' in searched.text
    filtered = reviewer.get("/", params={"outcome": "needs_review", "form": "PSP-REG", "older_than": ""}, headers=HTML)
    assert "1 of 3 waiting." in filtered.text and f'href="/documents/{unsure.received_file_id}"' in filtered.text
    assert reviewer.get("/", params={"outcome": "accepted"}, headers=HTML).status_code == 400
    assert reviewer.get("/", params={"older_than": "ten"}, headers=HTML).status_code == 400


def test_only_the_oldest_shown_are_listed_with_how_many_match(desk, waiting, monkeypatch):
    plan, held, unsure, _ = waiting
    monkeypatch.setattr(queue, "SHOWN", 2)
    everything = review_queue(desk.engine, QueueFilter(), NOW)
    assert [item["id"] for item in everything.items] == [plan.received_file_id, held.received_file_id]
    assert (everything.matched, everything.waiting) == (3, 3)
    monkeypatch.setattr(queue, "SHOWN", 1)
    searched = review_queue(desk.engine, QueueFilter(search="psp-reg"), NOW)
    assert [item["id"] for item in searched.items] == [held.received_file_id] and searched.matched == 2
    assert searched.items[0]["agency"] == "Washtenaw County Community Mental Health"
    assert searched.items[0]["rules"] == ["REG-R10"] and searched.items[0]["reason"].startswith("REG-R10: ")


@pytest.mark.parametrize("rule", ["REG-R1", "REG-R1%", "%", "_EG-R10", "REG-R10 ORP-R04", "reg-r10"])
def test_a_rule_is_found_by_its_whole_id_only(desk, waiting, rule):
    assert _ids(desk.engine, rule=rule) == []
    assert _ids(desk.engine, rule="REG-R10") == [waiting[1].received_file_id, waiting[2].received_file_id]


def test_a_form_that_is_none_of_the_forms_finds_nothing(desk, waiting):
    assert _ids(desk.engine, form="PSP-XYZ") == [] and _ids(desk.engine, form="psp-reg") == []


def test_the_search_folds_file_names_and_senders_too(desk, stored):
    named = form_as_read("PSP-REG", {"psp_first_name": "Kim"}, number=7, unsure="psp_phone")
    named = named.model_copy(update={"received": named.received.model_copy(
        update={"original_name": "Inscripción-Ñandú.pdf", "sender": "Zoë@Agência.example"})})
    (receipt,) = stored(named)
    for search in ("inscripcion", "ÑANDU", "zoe@agencia", "inscripcion kim", "nandu.pdf zoe"):
        assert _ids(desk.engine, search=search) == [receipt.received_file_id], search
    assert _ids(desk.engine, search="inscripcion nowhere") == []
