"""The coordinator's commands end to end: review list/show/accept/reject/correct with their audit
records, sessions import/list, psp list/update/withdraw, and the xlsx export; times shown in the
office's zone (PSP_TIMEZONE) with the zone, dates typed as the program prints them."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from pipeline.clock import today
from pipeline.errors import BadInputError
from samples.fill import fill_pdf
from tests.conftest import DETROIT, VALID_PACKET, VALID_PLAN

FORMS = Path(__file__).resolve().parents[1] / "samples" / "forms"
runner = CliRunner()


def drop(inbox: Path, name: str, form_id: str, changes: dict, minute: int) -> None:
    base = VALID_PLAN if form_id == "PSP-ORP" else VALID_PACKET
    inbox.mkdir(parents=True, exist_ok=True)
    fill_pdf(FORMS / f"{form_id}_2025.1.pdf", {**base, **changes}, inbox / name)
    arrival = datetime(2026, 12, 2, 15, minute, tzinfo=UTC).timestamp()
    os.utime(inbox / name, (arrival, arrival))


def cli(*args: str, home: Path):
    result = runner.invoke(app, [*args, "--home", str(home)])
    return result


@pytest.fixture
def home(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("PSP_DATABASE_URL", database_url)
    home = tmp_path / "home"
    inbox = home / "inbox"
    # The packet comes before any plan of its agency: held (REG-R10). The plan needs a person (ORP-R04).
    drop(inbox, "packet.pdf", "PSP-REG", {}, 1)
    drop(inbox, "plan.pdf", "PSP-ORP", {"supervisor_credential": "Other", "supervisor_credential_other": "LBSW"}, 2)
    drop(inbox, "other-packet.pdf", "PSP-REG", {"psp_first_name": "Sam", "psp_email": "sam@example.org",
                                                "psp_state": "OH", "psp_county": "Lucas", "psp_zip": "43604"}, 3)
    result = cli("run", "--without-prefect", home=home)
    assert result.exit_code == 0, result.output
    return home


def ids(home: Path) -> dict[str, int]:
    from pipeline.load.queries import export_rows
    from pipeline.load.store import open_store

    engine = open_store(os.environ["PSP_DATABASE_URL"])
    rows = list(export_rows(engine))
    engine.dispose()
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from pipeline.load.store import ReceivedFileRow

    engine = open_store(os.environ["PSP_DATABASE_URL"])
    with Session(engine) as session:
        found = {r.original_name: r.id for r in session.scalars(select(ReceivedFileRow))}
    engine.dispose()
    assert len(found) == len(rows)
    return found


def test_review_list_shows_what_waits_oldest_first_with_the_reason(home):
    result = cli("review", "list", home=home)
    assert result.exit_code == 0
    lines = result.output
    assert lines.index("packet.pdf") < lines.index("plan.pdf") < lines.index("other-packet.pdf")
    assert "REG-R10" in lines and "ORP-R04" in lines


def test_review_accept_of_a_plan_releases_the_packet_held_on_it(home):
    found = ids(home)
    result = runner.invoke(app, ["review", "accept", str(found["plan.pdf"]), "--reason", "LBSW accepted for this agency",
                                 "--by", "avery", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert f"Released #{found['packet.pdf']}: now accepted" in result.output

    shown = cli("review", "show", str(found["plan.pdf"]), home=home)
    assert "avery: accepted (needs_review -> accepted): LBSW accepted for this agency" in shown.output
    released = cli("review", "show", str(found["packet.pdf"]), home=home)
    assert "pipeline: released (held -> accepted)" in released.output
    # Originals are refiled under their new outcome.
    assert list((home / "originals" / "accepted").rglob("packet.pdf"))
    assert not list((home / "originals" / "held").rglob("packet.pdf"))

    psps = cli("psp", "list", home=home)
    assert "Jordan Example" in psps.output and "registered" in psps.output and "2027-01-LAN" in psps.output


def test_review_show_gives_times_in_the_office_s_zone_with_the_zone(home, monkeypatch):
    found = ids(home)
    cli("review", "accept", str(found["plan.pdf"]), "--reason", "ok", "--by", "avery", home=home)
    # plan.pdf arrived at 15:02 UTC on December 2: 10:02 in Michigan (EST).
    shown = cli("review", "show", str(found["plan.pdf"]), home=home).output
    assert shown.startswith(f"#{found['plan.pdf']} plan.pdf  received 2026-12-02 10:02 EST\n")
    assert "UTC" not in shown
    decided = re.search(r"^  (\d{4}-\d\d-\d\d \d\d:\d\d) (EST|EDT) avery: accepted", shown, flags=re.MULTILINE)
    assert decided, shown
    assert abs(datetime.strptime(decided[1], "%Y-%m-%d %H:%M") - datetime.now(DETROIT).replace(tzinfo=None)) < timedelta(minutes=5)

    monkeypatch.setenv("PSP_TIMEZONE", "America/Los_Angeles")
    shown = cli("review", "show", str(found["plan.pdf"]), home=home).output
    assert shown.startswith(f"#{found['plan.pdf']} plan.pdf  received 2026-12-02 07:02 PST\n")
    assert re.search(r"^#\d+ +2026-12-02 +needs review ", cli("review", "list", home=home).output,
                     flags=re.MULTILINE)  # other-packet.pdf, that day there too


def test_review_show_prints_long_labels_whole(home):
    from pipeline.load import review
    from pipeline.load.store import open_store

    found = ids(home)
    engine = open_store(os.environ["PSP_DATABASE_URL"])
    try:
        labels = [field["label"] for field in review.show(engine, found["packet.pdf"])["fields"]]
    finally:
        engine.dispose()
    longest = max(labels, key=len)
    assert len(longest) > 60  # once cut at 60 characters
    wide = runner.invoke(app, ["review", "show", str(found["packet.pdf"]), "--home", str(home)], env={"COLUMNS": "400"})
    assert wide.exit_code == 0, wide.output
    assert longest in wide.output  # on one line when there is room
    narrow = runner.invoke(app, ["review", "show", str(found["packet.pdf"]), "--home", str(home)], env={"COLUMNS": "100"})
    assert longest.split()[-1] in narrow.output  # wrapped in its column, its end still there
    values = narrow.output.split("Values:\n")[1].split("Decisions:")[0]
    assert max(len(line) for line in values.splitlines()) <= 100


def test_tables_list_sessions_and_psps_in_columns(home):
    found = ids(home)
    cli("review", "accept", str(found["plan.pdf"]), "--reason", "ok", home=home)
    sessions = cli("sessions", "list", home=home).output.splitlines()
    assert sessions[0].split() == ["session", "dates", "location", "seats", "taken", "free", "waiting"]
    lansing = next(line for line in sessions if line.startswith("2027-01-LAN"))
    assert lansing.split()[1] == "01/11/2027-01/15/2027"
    psps = cli("psp", "list", home=home).output.splitlines()
    assert psps[0].split() == ["#", "name", "stage", "agency", "due", "next"]
    assert psps[2].startswith("#1 ") and "Jordan Example" in psps[2]


def test_review_accept_refuses_what_does_not_wait(home):
    found = ids(home)
    cli("review", "accept", str(found["plan.pdf"]), "--reason", "ok", home=home)
    again = runner.invoke(app, ["review", "accept", str(found["plan.pdf"]), "--reason", "ok", "--home", str(home)])
    assert again.exit_code == BadInputError.exit_code
    assert "is accepted" in again.output and "Traceback" not in again.output
    missing = runner.invoke(app, ["review", "show", "999", "--home", str(home)])
    assert missing.exit_code == BadInputError.exit_code and "review list" in missing.output


def test_review_reject_sends_a_notice_with_the_message_to_the_agency_and_findings(home):
    found = ids(home)
    result = runner.invoke(app, ["review", "reject", str(found["other-packet.pdf"]), "--reason",
                                 "program office said no on the phone", "--message-to-agency",
                                 "out-of-state PSPs cannot be registered this year", "--by", "riley", "--home", str(home)])
    assert result.exit_code == 0, result.output
    notice = Path(next(line for line in result.output.splitlines() if line.startswith("Notice for")).split(": ", 1)[1])
    message = message_from_bytes(notice.read_bytes(), policy=policy.default)
    body = message.get_content()
    assert message["To"] == "riley.testperson@example.org"
    assert "out-of-state PSPs cannot be registered this year" in body
    assert "program office said no" not in body  # the reason is the office's own
    assert "Home state" in body and "REG-R06" in body
    shown = cli("review", "show", str(found["other-packet.pdf"]), home=home)
    assert "riley: rejected (held -> rejected)" in shown.output


def test_review_correct_judges_the_document_again(home):
    found = ids(home)
    result = runner.invoke(app, ["review", "correct", str(found["other-packet.pdf"]), "psp_state", "MI", "--reason",
                                 "agency phoned: the PSP moved to Michigan", "--home", str(home)])
    assert result.exit_code == 0, result.output
    # Now in Michigan, the county 'Lucas' is not a Michigan county: rejected under REG-R05.
    assert "rejected" in result.output and "REG-R05" in result.output
    # Rejected now: a decided form is not corrected again; it is reopened first.
    refused = cli("review", "correct", str(found["other-packet.pdf"]), "psp_county", "Monroe", "--reason",
                  "agency phoned", home=home)
    assert refused.exit_code == BadInputError.exit_code and "is rejected; only a document that is" in refused.output
    reopened = cli("review", "reopen", str(found["other-packet.pdf"]), "--reason", "the county too", home=home)
    assert reopened.exit_code == 0, reopened.output
    result = runner.invoke(app, ["review", "correct", str(found["other-packet.pdf"]), "psp_county", "Monroe",
                                 "--reason", "agency phoned", "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "held" in result.output  # its agency still has no accepted plan
    shown = cli("review", "show", str(found["other-packet.pdf"]), home=home)
    assert shown.output.count(": corrected (") == 2
    assert "reviewer (corrected by" in shown.output


def test_review_correct_names_the_fields_when_the_key_is_wrong(home):
    found = ids(home)
    result = runner.invoke(app, ["review", "correct", str(found["packet.pdf"]), "phone", "1", "--reason", "x",
                                 "--home", str(home)])
    assert result.exit_code == BadInputError.exit_code
    assert "psp_phone" in result.output


def test_sessions_import_and_list_and_the_psp_lifecycle(home, tmp_path):
    found = ids(home)
    cli("review", "accept", str(found["plan.pdf"]), "--reason", "ok", home=home)
    schedule = tmp_path / "schedule.csv"
    # As Excel saves "CSV UTF-8": a byte order mark, CR LF, dates as `sessions list` prints them.
    schedule.write_bytes("\ufeffsession_id,start_date,end_date,days,location,capacity\r\n"
                         "2027-01-LAN,01/11/2027,01/15/2027,5,Lansing,30\r\n"
                         "2027-12-FLI,12/6/2027,2027-12-10,5,Flint,12\r\n".encode())
    result = runner.invoke(app, ["sessions", "import", str(schedule), "--home", str(home)])
    assert result.exit_code == 0 and "1 sessions added, 1 updated" in result.output
    listed = cli("sessions", "list", home=home)
    lansing = next(line for line in listed.output.splitlines() if line.startswith("2027-01-LAN"))
    assert lansing.split()[-4:] == ["30", "1", "29", "0"]
    assert "2027-12-FLI" in listed.output

    bad = tmp_path / "bad.csv"
    bad.write_text("session_id,start_date,end_date,days,location,capacity\nX,soon,2027-01-01,5,Here,3\n")
    result = runner.invoke(app, ["sessions", "import", str(bad), "--home", str(home)])
    assert result.exit_code == BadInputError.exit_code
    assert "bad.csv line 2, column B (start_date): 'soon' is not a date" in result.output
    assert "nothing was changed" in result.output and len(result.output.splitlines()) == 1

    psp_id = "1"
    now = today(DETROIT)
    too_early = runner.invoke(app, ["psp", "update", psp_id, "--certified", f"{now:%m/%d/%Y}", "--home", str(home)])
    assert too_early.exit_code == BadInputError.exit_code and "cannot be certified yet" in too_early.output
    steps = [["--classroom-attended", f"{now - timedelta(days=300):%m/%d/%Y}"],
             ["--coaching-months", "10", "--pd-meetings", "3"],
             ["--certified", f"{now:%Y-%m-%d}"]]
    for step in steps:
        result = runner.invoke(app, ["psp", "update", psp_id, *step, "--by", "avery", "--reason", "progress", "--home", str(home)])
        assert result.exit_code == 0, result.output
    assert "now certified" in result.output
    assert "nothing: certified" in cli("psp", "list", home=home).output

    withdrawn = runner.invoke(app, ["psp", "withdraw", psp_id, "--reason", "moved away", "--home", str(home)])
    assert withdrawn.exit_code == 0 and "withdrawn" in withdrawn.output


def test_sessions_import_of_a_file_that_is_not_utf8_names_the_line(home, tmp_path):
    schedule = tmp_path / "schedule.csv"  # Excel's plain "CSV": the machine's code page
    schedule.write_bytes("session_id,start_date,end_date,days,location,capacity\r\n"
                         "2027-01-LAN,01/11/2027,01/15/2027,5,Lansing,30\r\n"
                         "2027-02-MAR,02/08/2027,02/12/2027,5,Marquette – Peter White Library,30\r\n".encode("cp1252"))
    result = runner.invoke(app, ["sessions", "import", str(schedule), "--home", str(home)])
    assert result.exit_code == BadInputError.exit_code
    assert "schedule.csv line 3: the file is not UTF-8 text" in result.output and "CSV UTF-8" in result.output


@pytest.mark.parametrize("option", ["--certified", "--classroom-attended"])
def test_psp_update_refuses_a_date_in_the_future(home, option):
    found = ids(home)
    cli("review", "accept", str(found["plan.pdf"]), "--reason", "ok", home=home)
    tomorrow = today(DETROIT) + timedelta(days=1)
    result = runner.invoke(app, ["psp", "update", "1", option, f"{tomorrow:%m/%d/%Y}", "--home", str(home)])
    assert result.exit_code == BadInputError.exit_code
    assert f"{option}: {tomorrow:%m/%d/%Y} is in the future (today is {today(DETROIT):%m/%d/%Y} in America/Detroit)" \
        in result.output
    assert "Traceback" not in result.output and len(result.output.splitlines()) == 1
    assert "registered" in cli("psp", "list", home=home).output  # nothing recorded


def test_export_xlsx_has_a_sheet_per_table(home, tmp_path):
    found = ids(home)
    cli("review", "accept", str(found["plan.pdf"]), "--reason", "ok", home=home)
    target = tmp_path / "psp.xlsx"
    result = runner.invoke(app, ["export", "--format", "xlsx", "--output", str(target), "--home", str(home)])
    assert result.exit_code == 0, result.output
    sheets = pd.read_excel(target, sheet_name=None)
    assert list(sheets) == ["Agencies", "PSPs", "Sessions", "Waiting", "Documents"]
    agencies = sheets["Agencies"].set_index("cmhsp")
    assert len(agencies) == 46
    cei = agencies.loc["Community Mental Health Authority of Clinton-Eaton-Ingham Counties"]
    assert cei["plan_status"] == "accepted" and cei["psps_registered"] == 1
    assert cei["plan_accepted_on"].date() == today(DETROIT)
    assert sheets["PSPs"]["name"].tolist() == ["Jordan Example"]
    assert set(sheets["Sessions"]["session_id"]) >= {"2027-01-LAN", "2027-03-GR"}
    assert sheets["Waiting"]["file"].tolist() == ["other-packet.pdf"]
    assert sorted(sheets["Documents"]["id"]) == sorted(found.values())


def test_the_next_run_report_shows_the_decisions_made_since(home):
    import json

    found = ids(home)
    runner.invoke(app, ["review", "accept", str(found["plan.pdf"]), "--reason", "LBSW accepted", "--by", "avery",
                        "--home", str(home)])
    result = cli("run", "--without-prefect", home=home)
    assert result.exit_code == 0, result.output
    report = json.loads(sorted((home / "reports").glob("run-*.json"))[-1].read_text("utf-8"))
    made = [(d["id"], d["actor"], d["action"], d["reason"]) for d in report["decisions"]]
    assert (found["plan.pdf"], "avery", "accepted", "LBSW accepted") in made
    assert any(d["action"] == "released" and d["id"] == found["packet.pdf"] for d in report["decisions"])
    page = sorted((home / "reports").glob("run-*.html"))[-1].read_text("utf-8")
    assert "Decisions since the last run" in page and "LBSW accepted" in page


def test_a_form_received_in_the_evening_keeps_its_michigan_day_everywhere(tmp_path, database_url, monkeypatch):
    # 9:30 p.m. on December 2 in Michigan is 02:30 on December 3 in UTC: every place a person
    # reads it says December 2, 21:30 (the notice, its folder, review show, the report, the export).
    monkeypatch.setenv("PSP_DATABASE_URL", database_url)
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    fill_pdf(FORMS / "PSP-REG_2025.1.pdf", {**VALID_PACKET, "psp_phone": "1"}, home / "inbox" / "late.pdf")
    arrival = datetime(2026, 12, 3, 2, 30, tzinfo=UTC).timestamp()
    os.utime(home / "inbox" / "late.pdf", (arrival, arrival))
    assert cli("run", "--without-prefect", home=home).exit_code == 0

    (notice,) = (home / "notices").rglob("*.eml")
    assert notice.parent.name == "2026-12-02"
    body = message_from_bytes(notice.read_bytes(), policy=policy.default).get_body().get_content()
    assert "on December 2, 2026" in body
    assert "received 2026-12-02 21:30 EST" in cli("review", "show", str(ids(home)["late.pdf"]), home=home).output
    assert "2026-12-02 21:30" in (home / "reports" / "latest.html").read_text("utf-8")
    exported = runner.invoke(app, ["export", "--format", "csv", "--home", str(home)]).stdout
    assert ",2026-12-02T21:30:00-05:00," in exported


def test_review_show_prints_label_and_key_and_correct_takes_either(home):
    found = ids(home)
    shown = runner.invoke(app, ["review", "show", str(found["other-packet.pdf"]), "--home", str(home)],
                          env={"COLUMNS": "200"}).output
    assert re.search(r"^ *Home state +psp_state +OH ", shown, flags=re.MULTILINE), shown
    by_part = cli("review", "correct", str(found["other-packet.pdf"]), "county of res", "Monroe", "--reason", "phoned",
                  home=home)
    assert by_part.exit_code == 0, by_part.output
    assert "County of residence (psp_county) corrected and judged again: held." in by_part.output
    by_label = cli("review", "correct", str(found["other-packet.pdf"]), "  home   STATE ", "MI", "--reason", "phoned",
                   home=home)
    assert by_label.exit_code == 0, by_label.output
    assert "Home state (psp_state) corrected and judged again: held." in by_label.output
    after = runner.invoke(app, ["review", "show", str(found["other-packet.pdf"]), "--home", str(home)],
                          env={"COLUMNS": "200"}).output
    assert re.search(r"^ *Home state +psp_state +MI ", after, flags=re.MULTILINE)
    assert re.search(r"^ *County of residence +psp_county +Monroe ", after, flags=re.MULTILINE)
    ambiguous = cli("review", "correct", str(found["packet.pdf"]), "phone", "1", "--reason", "x", home=home)
    assert ambiguous.exit_code == BadInputError.exit_code
    assert "'phone' could be any of" in ambiguous.output and "PSP phone (psp_phone)" in ambiguous.output
    assert "Supervisor phone (supervisor_phone)" in ambiguous.output


def test_review_reopen_withdraws_an_unsent_notice_and_refuses_what_cannot_be_undone(home):
    found = ids(home)
    rejected = str(found["other-packet.pdf"])
    cli("review", "reject", rejected, "--reason", "not in Michigan", "--by", "riley", home=home)
    dry = cli("review", "reopen", rejected, "--dry-run", home=home)
    assert dry.exit_code == 0 and "nothing was changed" in dry.output and "withdrawn and never sent" in dry.output
    no_reason = cli("review", "reopen", rejected, home=home)
    assert no_reason.exit_code == BadInputError.exit_code and "takes a reason" in no_reason.output
    result = cli("review", "reopen", rejected, "--reason", "rejected the wrong packet", "--by", "avery", home=home)
    assert result.exit_code == 0, result.output
    assert f"#{rejected} reopened." in result.output and "withdrawn and never sent" in result.output
    assert "withdrawn" in cli("notices", "list", "--all", home=home).output
    shown = cli("review", "show", rejected, home=home).output
    assert "avery: reopened (rejected -> needs_review): rejected the wrong packet" in shown
    assert f"#{rejected} " in cli("review", "list", home=home).output  # waits for a person again

    cli("review", "accept", str(found["plan.pdf"]), "--reason", "ok", home=home)  # its packet registered under it
    refused = cli("review", "reopen", str(found["plan.pdf"]), "--reason", "wrong plan", home=home)
    assert refused.exit_code == BadInputError.exit_code and "Traceback" not in refused.output
    assert "PSPs are registered under the agency's plan" in refused.output and "psp withdraw" in refused.output
