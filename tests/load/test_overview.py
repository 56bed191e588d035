"""The overview's queries (pipeline.load.overview) on stores filled through the real pipeline
(program.record_batch: validation, cross-document rules, storing), on SQLite and PostgreSQL:
agencies and their plans, what is held and on what, sessions and wait lists, submissions per
week in Michigan weeks, PSPs per certification stage."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.load import certification, overview, program, schedule, stages, store
from pipeline.model import Outcome
from schemas.reference import TrainingSession, load_reference
from tests.conftest import (
    DETROIT,
    RECEIVED_AT,
    REPO,
    VALID_PACKET,
    VALID_PLAN,
    make_document,
)

CMHSPS = load_reference(None).cmhsps
CEI = "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"
OTTAWA = "Community Mental Health of Ottawa County"
GENESEE = "Genesee Health System"
LANSING = "2027-01-LAN"

_counter = iter(range(1, 100_000))


def doc(form_id, changes=None, *, at=None, minutes=0):
    values = {**(VALID_PLAN if form_id == "PSP-ORP" else VALID_PACKET), **(changes or {})}
    number = next(_counter)
    document = make_document(form_id, values, received_at=(at or RECEIVED_AT) + timedelta(minutes=minutes),
                             name=f"{form_id}-{number}.pdf")
    return document.model_copy(update={"received": document.received.model_copy(update={"sha256": f"{number:064x}"})})


def psp(n, **more):
    return {"psp_first_name": f"Pat{n}", "psp_email": f"pat{n}@example.org", **more}


@pytest.fixture
def record(engine, validation_context, tmp_path):
    run_id = store.start_run(engine)

    def destination(received, outcome):
        return tmp_path / outcome.value / received.original_name

    def run(*documents):
        stored, _ = program.record_batch(engine, run_id, list(documents), validation_context, destination)
        return {s.result.document.received.original_name: s for s in stored}, [s.received_file_id for s in stored]

    run.destination = destination
    return run


def test_every_agency_with_its_plan_registrations_and_holds_active_first(engine, record):
    _, ids = record(
        doc("PSP-ORP", minutes=1),                                                       # CEI: accepted
        doc("PSP-REG", minutes=2),                                                       # CEI: registered
        doc("PSP-ORP", {"cmhsp_name": "Genesee Health System", "supervisor_credential": "Other",
                        "supervisor_credential_other": "LBSW"}, minutes=3),              # Genesee: needs review
        doc("PSP-REG", psp(1, cmhsp_name="Genesee Health System"), minutes=4),           # held on Genesee's plan
        doc("PSP-ORP", {"cmhsp_name": "Ottawa CMH", "contact_phone": ""}, minutes=5),    # Ottawa: rejected
        doc("PSP-ORP", {"cmhsp_name": "Nowhere County CMH"}, minutes=6),                 # on no list
    )
    result = overview.agencies(engine, CMHSPS)
    rows = result["agencies"]
    assert sorted(r["cmhsp"] for r in rows) == sorted(CMHSPS)
    assert [r["cmhsp"] for r in rows[:3]] == [n for n in CMHSPS if n in (CEI, OTTAWA, GENESEE)]
    assert all(r["active"] for r in rows[:3]) and not any(r["active"] for r in rows[3:])
    by_name = {r["cmhsp"]: r for r in rows}

    cei = by_name[CEI]
    assert cei["plan"]["status"] == "accepted" and cei["plan"]["id"] == ids[0] and cei["plan"]["later"] is None
    assert isinstance(cei["plan"]["at"], datetime)
    assert (cei["psps_registered"], cei["registrations_held"], cei["plans_received"], cei["packets_received"]) == (1, 0, 1, 1)

    genesee = by_name[GENESEE]
    assert (genesee["plan"]["status"], genesee["plan"]["id"]) == ("needs_review", ids[2])
    assert genesee["plan"]["at"] == RECEIVED_AT + timedelta(minutes=3)
    assert (genesee["psps_registered"], genesee["registrations_held"]) == (0, 1)

    assert (by_name[OTTAWA]["plan"]["status"], by_name[OTTAWA]["plan"]["id"]) == ("rejected", ids[4])
    quiet = by_name["Detroit Wayne Integrated Health Network"]
    assert quiet["plan"] == {"status": "none", "id": None, "at": None, "later": None}
    assert (quiet["psps_registered"], quiet["registrations_held"], quiet["plans_received"]) == (0, 0, 0)
    assert result["unlisted"] == 1


def test_a_later_plan_not_yet_accepted_shows_beside_the_accepted_one(engine, record):
    _, ids = record(doc("PSP-ORP", minutes=1), doc("PSP-ORP", {"director_name": "Morgan Other"}, minutes=2))
    cei = next(r for r in overview.agencies(engine, CMHSPS)["agencies"] if r["cmhsp"] == CEI)
    assert (cei["plan"]["status"], cei["plan"]["id"]) == ("accepted", ids[0])
    assert (cei["plan"]["later"]["status"], cei["plan"]["later"]["id"]) == ("needs_review", ids[1])  # ORP-R10
    assert cei["plans_received"] == 2


def test_held_documents_say_what_they_wait_for_and_sessions_their_wait_list(engine, record, validation_context):
    small = {LANSING: TrainingSession(LANSING, date(2027, 1, 11), date(2027, 1, 15), 5, "Lansing", 1)}
    schedule.import_schedule(engine, small, validation_context, "coordinator", record.destination)
    stored, ids = record(
        doc("PSP-ORP", minutes=1),
        doc("PSP-REG", psp(1), minutes=2),                                   # takes the one seat
        doc("PSP-REG", psp(2), minutes=3),                                   # wait list 1
        doc("PSP-REG", psp(3, cmhsp_name="Ottawa CMH"), minutes=4),          # no plan, and no seat
        doc("PSP-REG", psp(4), minutes=5),                                   # wait list 3
        doc("PSP-ORP", {"cmhsp_name": "Genesee Health System", "supervisor_credential": "Other",
                        "supervisor_credential_other": "LBSW"}, minutes=6),  # needs review
    )
    assert [s.outcome for s in stored.values()] == [Outcome.ACCEPTED, Outcome.ACCEPTED, Outcome.HELD, Outcome.HELD,
                                                    Outcome.HELD, Outcome.NEEDS_REVIEW]
    waiting = overview.waiting(engine)
    held = waiting["held"]
    assert [h["id"] for h in held] == ids[2:5]  # oldest received first
    assert held[0]["on"] == [{"rule": "REG-R11", "session": LANSING, "position": 1, "of": 3}]
    assert held[1]["on"] == [{"rule": "REG-R10", "agency": OTTAWA},
                             {"rule": "REG-R11", "session": LANSING, "position": 2, "of": 3}]
    assert (held[1]["psp"], held[1]["agency"], held[1]["form_id"]) == ("Pat3 Example", OTTAWA, "PSP-REG")
    assert held[0]["file"] == stored[held[0]["file"]].result.document.received.original_name
    assert all(h["other"] == [] and h["run_id"] is not None for h in held)
    assert [(w["id"], w["reason"].split(":")[0]) for w in waiting["needs_review"]] == [(ids[5], "ORP-R04")]

    sessions = {s["session_id"]: s for s in overview.sessions(engine)}
    assert (sessions[LANSING]["taken"], sessions[LANSING]["free"], sessions[LANSING]["capacity"]) == (1, 0, 1)
    assert sessions[LANSING]["wait_list"] == ids[2:5]
    # The same numbers as `psp-pipeline sessions list`.
    assert {s["session_id"]: (s["taken"], s["free"], len(s["wait_list"])) for s in sessions.values()} == {
        s["session_id"]: (s["taken"], s["free"], s["wait_list"]) for s in schedule.session_seats(engine)
    }


def test_submissions_per_week_in_michigan_weeks(engine, record):
    monday = datetime(2026, 11, 30, 0, 0, tzinfo=DETROIT)  # Monday of the week the forms came in
    record(
        doc("PSP-ORP", at=monday - timedelta(minutes=30)),                    # Sunday 23:30 in Michigan
        doc("PSP-ORP", {"cmhsp_name": "Genesee Health System"}, at=monday + timedelta(minutes=30)),
        doc("PSP-ORP", {"cmhsp_name": "Ottawa CMH"}, at=monday + timedelta(days=6, hours=23)),
        doc("PSP-ORP", {"cmhsp_name": "Network180"}, at=monday + timedelta(weeks=2, hours=9)),
        doc("PSP-ORP", {"cmhsp_name": "Summit Pointe"}, at=monday - timedelta(weeks=30)),
    )
    totals: Counter[date] = Counter()
    for week, outcome, count in overview.submissions_per_week(engine, DETROIT):
        assert outcome in {o.value for o in Outcome}
        totals[week] += count
    # In UTC the first two are both on Monday; in Michigan the first is the Sunday before.
    assert totals == {date(2026, 11, 23): 1, date(2026, 11, 30): 2, date(2026, 12, 14): 1}  # 26 weeks at most
    weeks = overview.submissions_per_week(engine, DETROIT, weeks=40)
    assert min(w for w, _, _ in weeks) == date(2026, 5, 4) and sum(c for _, _, c in weeks) == 5


def test_an_empty_store(engine):
    assert overview.submissions_per_week(engine, DETROIT) == []
    assert overview.psps_per_stage(engine) == {stage.value: 0 for stage in stages.Stage}
    data = overview.overview(engine, CMHSPS, DETROIT)
    assert len(data["agencies"]) == len(CMHSPS) and not any(a["active"] for a in data["agencies"])
    assert data["held"] == data["needs_review"] == data["weeks"] == []
    assert data["sessions"] == []  # no schedule yet (the desk seeds it)
    assert data["totals"] == dict.fromkeys((o.value for o in Outcome), 0)


def test_psps_per_stage_agrees_with_the_certification_records(engine, record, validation_context):
    record(doc("PSP-ORP"), *[doc("PSP-REG", psp(n), minutes=n) for n in range(1, 7)])
    registrations = [row["id"] for row in certification.list_psps(engine, date(2027, 1, 1))]
    progress = certification.Progress
    attended = date(2027, 1, 15)
    certification.update(engine, registrations[1], progress(classroom_attended_on=attended), actor="t", reason=None)
    certification.update(engine, registrations[2], progress(classroom_attended_on=attended, coaching_months=3),
                         actor="t", reason=None)
    certification.update(engine, registrations[3], progress(classroom_attended_on=attended, coaching_months=10),
                         actor="t", reason=None)
    certification.update(engine, registrations[4], progress(classroom_attended_on=attended, coaching_months=10,
                                                            certified_on=date(2027, 11, 20)), actor="t", reason=None)
    certification.withdraw(engine, registrations[5], actor="t", reason="left", context=validation_context,
                           destination=record.destination)
    counts = overview.psps_per_stage(engine)
    assert list(counts) == [stage.value for stage in stages.Stage]  # every stage, in order
    assert counts == {s.value: 1 for s in stages.Stage}
    assert Counter(row["stage"] for row in certification.list_psps(engine, date(2027, 12, 1))) == Counter(
        {stage: n for stage, n in counts.items() if n}
    )


def test_the_whole_overview_in_one_call(engine, record, validation_context):
    schedule.seed_schedule(engine, validation_context.reference.sessions)
    record(doc("PSP-ORP"), doc("PSP-REG", minutes=1), doc("PSP-REG", psp(2, cmhsp_name="Ottawa CMH"), minutes=2))
    now = datetime(2027, 3, 9, 15, 0, tzinfo=UTC)
    data = overview.overview(engine, CMHSPS, DETROIT, now)
    assert (data["generated_at"], data["today"]) == (now, date(2027, 3, 9))
    assert data["totals"]["accepted"] == 2 and data["totals"]["held"] == 1
    assert data["stages"]["registered"] == 1 and sum(c for _, _, c in data["weeks"]) == 3
    assert [h["on"][0]["rule"] for h in data["held"]] == ["REG-R10"]
    started = {s["session_id"]: s["past"] for s in data["sessions"]}
    assert started[LANSING] and started["2027-03-GR"] and not started["2027-05-MQT"]


def test_it_imports_nothing_of_extraction_or_validation():
    code = (
        "import sys, pipeline.load.overview, pipeline.report.overview\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('pipeline.extract', 'pipeline.validate', 'prefect')))\n"
        "print(' '.join(bad))"
    )
    found = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == ""
