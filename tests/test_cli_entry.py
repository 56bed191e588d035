"""``review enter``, ``review release`` and ``sessions move`` end to end: the same library calls as
the desk's, with their refusals as one line and exit status 2."""

from __future__ import annotations

import json

from cli import app
from pipeline.errors import BadInputError
from tests.load.test_entry import typed
from tests.test_cli_program import cli, drop, home, ids, runner  # noqa: F401 - ``home`` is a fixture


def shown(home_folder, received_file_id: int) -> str:
    return cli("review", "show", str(received_file_id), home=home_folder).output


def test_review_enter_previews_then_stores_the_values_typed_by_key_or_label(home, tmp_path):  # noqa: F811 - the fixture imported above
    packet = ids(home)["packet.pdf"]
    values = typed("PSP-REG")
    del values["psp_city"]
    values["Home city"] = "Okemos"  # by its printed label
    values_file = tmp_path / "values.json"
    values_file.write_text(json.dumps(values))
    preview = cli("review", "enter", str(packet), "--values-file", str(values_file), "--reason", "retyped",
                  "--preview", home=home)
    assert preview.exit_code == 0, preview.output
    assert f"#{packet} would be held (nothing saved)" in preview.output and "REG-R10" in preview.output
    assert "Okemos" not in shown(home, packet)
    entered = cli("review", "enter", str(packet), "--values-file", str(values_file), "--reason", "retyped",
                  "--by", "riley", home=home)
    assert entered.exit_code == 0, entered.output
    assert f"#{packet} typed in and judged: held." in entered.output
    after = shown(home, packet)
    assert "Okemos" in after and "entered" in after and "riley" in after

    values_file.write_text(json.dumps(typed("PSP-REG", hire_date="31/31/2027")))
    refused = cli("review", "enter", str(packet), "--values-file", str(values_file), "--reason", "x", home=home)
    assert refused.exit_code == BadInputError.exit_code
    assert "Date of hire as PSP: '31/31/2027' is not a date we can read" in refused.output
    values_file.write_text("{not json")
    broken = cli("review", "enter", str(packet), "--values-file", str(values_file), "--reason", "x", home=home)
    assert broken.exit_code == BadInputError.exit_code and "values.json line 1: not JSON" in broken.output


# `review release --despite REG-R10` registered a PSP before their agency's plan (issue 17).
def test_review_release_refuses_a_hold_whose_cause_is_there(home):  # noqa: F811 - the fixture imported above
    packet, plan = ids(home)["packet.pdf"], ids(home)["plan.pdf"]
    refused = cli("review", "release", str(packet), "--reason", "the plan is on paper", home=home)
    assert refused.exit_code == BadInputError.exit_code
    assert "is still held: REG-R10" in refused.output and "accept the agency's readiness plan" in refused.output
    despite = cli("review", "release", str(packet), "--reason", "the plan is on paper", "--despite", "REG-R10",
                  home=home)
    assert despite.exit_code != 0 and "No such option: --despite" in despite.output
    accepted = cli("review", "accept", str(packet), "--reason", "the plan is on paper", home=home)
    assert accepted.exit_code == BadInputError.exit_code and "is held, not waiting for a person" in accepted.output
    assert "Outcome: held" in shown(home, packet)
    # The cause cleared (the agency's plan accepted): the packet is released by itself.
    assert cli("review", "accept", str(plan), "--reason", "LBSW checked", home=home).exit_code == 0
    assert "Outcome: accepted" in shown(home, packet)


def test_sessions_move_takes_a_wait_listed_psp_to_another_session(home, tmp_path):  # noqa: F811 - the fixture imported above
    schedule = tmp_path / "schedule.csv"
    schedule.write_text("session_id,start_date,end_date,days,location,capacity\n"
                        "2027-01-LAN,01/11/2027,01/15/2027,5,Lansing,1\n"
                        "2027-03-GR,03/08/2027,03/12/2027,5,Grand Rapids,5\n")
    assert runner.invoke(app, ["sessions", "import", str(schedule), "--home", str(home)]).exit_code == 0
    packet = ids(home)["packet.pdf"]
    # The agency's plan accepted: the packet is released into Lansing's one seat.
    assert cli("review", "accept", str(ids(home)["plan.pdf"]), "--reason", "LBSW checked", home=home).exit_code == 0
    assert "Outcome: accepted" in shown(home, packet)
    drop(home / "inbox", "third.pdf", "PSP-REG", {"psp_first_name": "Lee", "psp_email": "lee@example.org"}, 4)
    assert cli("run", "--without-prefect", home=home).exit_code == 0
    third = ids(home)["third.pdf"]
    assert "REG-R11" in shown(home, third)
    moved = cli("sessions", "move", str(third), "2027-03-GR", "--reason", "lives near Grand Rapids", home=home)
    assert moved.exit_code == 0, moved.output
    assert f"#{third} moved to 2027-03-GR: accepted." in moved.output  # a free seat there
    listed = cli("sessions", "list", home=home).output
    grand_rapids = next(line for line in listed.splitlines() if line.startswith("2027-03-GR"))
    lansing = next(line for line in listed.splitlines() if line.startswith("2027-01-LAN"))
    # Lansing's wait list keeps only Sam (held on its seat, with their Ohio address to look at).
    assert lansing.split()[-4:] == ["1", "1", "0", "1"] and grand_rapids.split()[-4:] == ["5", "1", "4", "0"]
    again = cli("sessions", "move", str(third), "2027-01-LAN", "--reason", "back", home=home)
    assert again.exit_code == BadInputError.exit_code and "is accepted; only a document that is held can be moved" in again.output
