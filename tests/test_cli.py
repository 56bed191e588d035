"""The command line: init, run, status and export on a data home; clear one-line errors; every time
shown in the office's zone (PSP_TIMEZONE), with the zone."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from pipeline.errors import ConfigurationError
from samples.stage import expected_cases, stage

runner = CliRunner()


@pytest.fixture(scope="module")
def processed_home(tmp_path_factory, module_database_url):
    home = tmp_path_factory.mktemp("cli") / "home"
    patch = pytest.MonkeyPatch()
    patch.setenv("PSP_DATABASE_URL", module_database_url)
    result = runner.invoke(app, ["init", "--home", str(home)])
    assert result.exit_code == 0, result.output
    stage(home / "inbox")
    result = runner.invoke(app, ["run", "--home", str(home), "--without-prefect"])
    assert result.exit_code == 0, result.output
    yield home, result.output
    patch.undo()


def test_init_creates_the_data_home(tmp_path, monkeypatch):
    monkeypatch.delenv("PSP_DATABASE_URL", raising=False)
    home = tmp_path / "new-home"
    result = runner.invoke(app, ["init", "--home", str(home)])
    assert result.exit_code == 0
    for folder in ("inbox", "originals", "notices", "reports"):
        assert (home / folder).is_dir()
    assert (home / "store.sqlite").is_file()
    assert (home.stat().st_mode & 0o077) == 0  # personal data: owner only


def test_run_prints_a_one_screen_summary(processed_home):
    _, output = processed_home
    assert f"{len(expected_cases())} files processed" in output
    assert "Report:" in output and "run-" in output
    assert len(output.splitlines()) <= 25
    assert "Reading forms" not in output and "\x1b" not in output  # no progress bar, no colour off a terminal


def test_status_counts_and_lists_what_waits(processed_home):
    home, _ = processed_home
    result = runner.invoke(app, ["status", "--home", str(home)])
    assert result.exit_code == 0
    waiting = [e for _, e in expected_cases() if e["outcome"] in ("needs_review", "held")]
    assert f"Waiting for a person ({len(waiting)})" in result.output
    for case in waiting:
        assert case["file"] in result.output


def test_status_shows_when_each_was_received_in_the_office_s_time_with_its_zone(processed_home, monkeypatch):
    home, _ = processed_home
    in_michigan = runner.invoke(app, ["status", "--home", str(home)]).output
    monkeypatch.setenv("PSP_TIMEZONE", "UTC")
    in_utc = runner.invoke(app, ["status", "--home", str(home)]).output

    def received(output: str) -> dict[str, datetime]:
        found = re.findall(r"^#(\d+) +(\d{4}-\d\d-\d\d \d\d:\d\d) (EST|EDT|UTC) ", output, flags=re.MULTILINE)
        assert found, output
        return {number: (datetime.strptime(at, "%Y-%m-%d %H:%M"), zone) for number, at, zone in found}

    michigan, utc = received(in_michigan), received(in_utc)
    assert michigan.keys() == utc.keys()
    for number, (at, zone) in michigan.items():  # the samples arrived in December: EST, 5 hours behind
        assert zone == "EST" and utc[number] == (at + timedelta(hours=5), "UTC")


def test_status_json_gives_the_counts_the_text_gives(processed_home):
    home, _ = processed_home
    result = runner.invoke(app, ["status", "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert list(status) == ["received", "by_outcome", "waiting_for_a_person", "waiting"]
    assert list(status["by_outcome"]) == ["accepted", "rejected", "held", "needs_review", "duplicate"]
    outcomes = [e["outcome"] for _, e in expected_cases()]
    assert status["received"] == len(outcomes) == sum(status["by_outcome"].values())
    assert status["by_outcome"] == {outcome: outcomes.count(outcome) for outcome in status["by_outcome"]}
    waiting = [e["file"] for _, e in expected_cases() if e["outcome"] in ("needs_review", "held")]
    assert status["waiting_for_a_person"] == len(status["waiting"]) == len(waiting)
    assert sorted(item["file"] for item in status["waiting"]) == sorted(waiting)
    first = status["waiting"][0]
    assert set(first) == {"id", "received_at", "file", "form_id", "outcome", "reason", "more_reasons"}
    assert datetime.fromisoformat(first["received_at"]).utcoffset() == timedelta(hours=-5)  # December, in Michigan

    # The text says the same numbers.
    text = runner.invoke(app, ["status", "--home", str(home)]).output.splitlines()
    assert text[0] == f"Received in all: {status['received']}"
    assert text[1].split() == ["accepted", "rejected", "held", "needs", "review", "duplicate"]
    assert [int(n) for n in text[3].split()] == list(status["by_outcome"].values())
    assert f"Waiting for a person ({status['waiting_for_a_person']}), oldest first:" in text
    assert all(f"#{item['id']} " in "\n".join(text) for item in status["waiting"])


def test_status_help_documents_the_json_keys():
    result = runner.invoke(app, ["status", "--help"], env={"COLUMNS": "200"})
    for key in ("received", "by_outcome", "waiting_for_a_person", "waiting", "received_at", "more_reasons"):
        assert key in result.output


def test_export_json_follows_the_contract(processed_home):
    home, _ = processed_home
    result = runner.invoke(app, ["export", "--home", str(home), "--format", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert len(rows) == len(expected_cases())
    expected = {e["file"]: e for _, e in expected_cases()}
    for row in rows:
        assert row["outcome"] == expected[row["file"]]["outcome"]
        assert sorted({f["rule"] for f in row["findings"] if f["rule"]}) == expected[row["file"]]["rules"]
        assert row["form_id"] in ("PSP-ORP", "PSP-REG", None)
        assert len(row["sha256"]) == 64


def test_export_csv_flattens_the_same(processed_home, tmp_path):
    home, _ = processed_home
    output = tmp_path / "export.csv"
    result = runner.invoke(app, ["export", "--home", str(home), "--format", "csv", "--output", str(output)])
    assert result.exit_code == 0
    assert output.read_bytes().startswith(b"\xef\xbb\xbfid,")  # UTF-8 with a byte order mark, for Excel
    rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8-sig"))))
    assert len(rows) == len(expected_cases())
    assert {"id", "file", "sha256", "received_at", "form_id", "outcome", "rules", "fields.cmhsp_name"} <= set(rows[0])
    frame = pd.read_csv(output, parse_dates=["received_at"])
    assert str(frame["received_at"].dtype) == "datetime64[us, UTC-05:00]"  # December, in Michigan
    shown = runner.invoke(app, ["review", "show", str(frame["id"].iloc[-1]), "--home", str(home)])
    assert shown.output.startswith(f"#{frame['id'].iloc[-1]} {frame['file'].iloc[-1]} ")


def test_export_with_printed_labels_as_headers(processed_home):
    home, _ = processed_home
    result = runner.invoke(app, ["export", "--home", str(home), "--format", "csv", "--labels"])
    assert result.exit_code == 0, result.output
    header = next(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert header[:4] == ["#", "File", "SHA-256", "Received"]
    assert "Community Mental Health Services Program (CMHSP)" in header


def test_export_into_a_new_folder_makes_it(processed_home, tmp_path, monkeypatch):
    home, _ = processed_home
    monkeypatch.chdir(tmp_path)
    for format, made in (("csv", "new"), ("xlsx", "new/xlsx")):  # the first makes new/, the second new/xlsx/
        result = runner.invoke(app, ["export", "--home", str(home), "--format", format, "-o", f"new/{format}/psp.{format}"])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "new" / format / f"psp.{format}").is_file()
        assert f"Wrote new/{format}/psp.{format} (made the folder {made}): " in result.output


def test_an_unusable_data_home_is_one_line_with_what_to_do(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["init", "--home", str(blocker / "home")])
    assert result.exit_code == ConfigurationError.exit_code
    assert "Traceback" not in result.output
    assert "--home" in result.output


def test_a_bad_setting_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("PSP_BATCH_SIZE", "none")
    result = runner.invoke(app, ["init", "--home", str(tmp_path / "h")])
    assert result.exit_code == ConfigurationError.exit_code
    assert "PSP_BATCH_SIZE" in result.output
