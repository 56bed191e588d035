"""The command line: init, run, status and export on a data home; clear one-line errors."""

from __future__ import annotations

import csv
import io
import json

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


def test_status_counts_and_lists_what_waits(processed_home):
    home, _ = processed_home
    result = runner.invoke(app, ["status", "--home", str(home)])
    assert result.exit_code == 0
    waiting = [e for _, e in expected_cases() if e["outcome"] in ("needs_review", "held")]
    assert f"Waiting for a person ({len(waiting)})" in result.output
    for case in waiting:
        assert case["file"] in result.output


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
    rows = list(csv.DictReader(io.StringIO(output.read_text("utf-8"))))
    assert len(rows) == len(expected_cases())
    assert {"file", "sha256", "received_at", "form_id", "outcome", "rules", "fields.cmhsp_name"} <= set(rows[0])


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
