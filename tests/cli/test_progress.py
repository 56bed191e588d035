"""The progress bar of `psp-pipeline run` (cli/progress.py): drawn on a terminal only, counting the
files the run reads as the run tells them (pipeline.run.followed_by)."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

from cli import app
from cli.common import settings_from
from cli.progress import ProgressBar, run_progress
from samples.fill import fill_pdf
from tests.conftest import VALID_PACKET, VALID_PLAN

FORMS = Path(__file__).resolve().parents[2] / "samples" / "forms"


def _terminal() -> Console:
    return Console(force_terminal=True, file=io.StringIO(), width=100)


def test_off_a_terminal_there_is_no_bar():
    pipe = Console(file=io.StringIO())
    with run_progress(pipe) as bar:
        assert bar is None
    assert pipe.file.getvalue() == ""


def test_with_verbose_lines_there_is_no_bar_even_on_a_terminal():
    terminal = _terminal()
    with run_progress(terminal, shown=False) as bar:
        assert bar is None
    assert terminal.file.getvalue() == ""


def test_the_bar_counts_without_a_total_until_one_is_planned():
    with Progress(console=_terminal()) as progress:
        bar = ProgressBar(progress)
        bar.read()
        bar.read()
        assert bar.counts == (2, None)  # workers sharing an inbox never know their total
        bar.planned(5)
        bar.read()
        assert bar.counts == (3, 5)


def _inbox_of_three(home: Path) -> None:
    inbox = home / "inbox"
    arrival = datetime(2026, 12, 2, 15, 0, tzinfo=UTC).timestamp()
    for number, (form_id, values) in enumerate([("PSP-ORP", VALID_PLAN), ("PSP-REG", VALID_PACKET),
                                                ("PSP-REG", {**VALID_PACKET, "psp_phone": "1"})]):
        path = inbox / f"form-{number}.pdf"
        fill_pdf(FORMS / f"{form_id}_2025.1.pdf", values, path)
        os.utime(path, (arrival, arrival))


def test_a_run_tells_the_bar_each_file_it_reads(tmp_path, database_url, monkeypatch):
    from pipeline.run import process

    monkeypatch.setenv("PSP_DATABASE_URL", database_url)
    home = tmp_path / "home"
    assert CliRunner().invoke(app, ["init", "--home", str(home)]).exit_code == 0
    _inbox_of_three(home)
    terminal = _terminal()
    with run_progress(terminal) as bar:
        assert bar is not None
        summary = process(settings_from(home))
        assert bar.counts == (3, 3)
    assert sum(summary.counts.values()) == 3
    assert "Reading forms" in terminal.file.getvalue()
    # Once the block is left the bar hears of no run any more.
    _inbox_of_three(home)
    process(settings_from(home))
    assert bar.counts == (3, 3)
