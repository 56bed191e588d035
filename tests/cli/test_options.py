"""The options every command shares (cli/main.py): --version, Typer's shell completion, and how much
is logged (-v: the program's own lines; -vv: its debugging lines and the libraries' requests)."""

from __future__ import annotations

import logging
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

from cli import app
from cli.main import LIBRARY_LOGGERS, PROGRAM_LOGGERS, logging_levels

runner = CliRunner()


def test_version_prints_the_name_and_the_installed_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"psp-pipeline {version('psp-pipeline')}\n"


def test_help_lists_version_and_completion():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    for option in ("--version", "--install-completion", "--show-completion", "--verbose"):
        assert option in result.output


def test_show_completion_prints_a_bash_script(monkeypatch):
    # (the shell is the user's, as shellingham tells it from the processes above: under make or
    # cron it is sh, which Typer refuses; here a user's bash)
    import typer._completion_shared as completion

    monkeypatch.setattr(completion.shellingham, "detect_shell", lambda: ("bash", "/bin/bash"))
    result = runner.invoke(app, ["--show-completion"], prog_name="psp-pipeline")
    assert result.exit_code == 0, result.output
    assert "_PSP_PIPELINE_COMPLETE=complete_bash" in result.output
    assert "complete -o default -F _psp_pipeline_completion psp-pipeline" in result.output


def test_completion_offers_the_commands_and_their_subcommands():
    def offered(words: str, current: int) -> list[str]:
        env = {"_PSP_PIPELINE_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(current)}
        result = runner.invoke(app, [], env=env, prog_name="psp-pipeline")
        assert result.exit_code == 0, result.output
        return result.output.split()

    assert offered("psp-pipeline rev", 1) == ["review"]
    assert offered("psp-pipeline review ", 2) == ["list", "show", "accept", "reject", "correct", "enter", "release",
                                                    "reopen"]


@pytest.mark.parametrize(("verbosity", "program", "libraries"), [
    (0, logging.WARNING, logging.WARNING),
    (1, logging.INFO, logging.WARNING),
    (2, logging.DEBUG, logging.INFO),
    (3, logging.DEBUG, logging.INFO),
])
def test_logging_levels_by_verbosity(verbosity, program, libraries):
    levels = logging_levels(verbosity)
    assert {levels[name] for name in PROGRAM_LOGGERS} == {program}
    assert {levels[name] for name in LIBRARY_LOGGERS} == {libraries}
    assert {"prefect", "httpx", "httpcore", "uvicorn"} <= set(LIBRARY_LOGGERS)
    assert levels["pypdf"] == logging.ERROR  # its repairs of broken PDFs are never a user's business


@pytest.fixture
def restored_logging(monkeypatch):
    """The loggers' levels and PREFECT_LOGGING_LEVEL as they were before the test."""
    monkeypatch.delenv("PREFECT_LOGGING_LEVEL", raising=False)
    names = [*PROGRAM_LOGGERS, *LIBRARY_LOGGERS, "pypdf"]
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def _log_lines_let_through(caplog) -> set[str]:
    caplog.clear()
    logging.getLogger("pipeline.run").info("run 1 started")
    logging.getLogger("flows.from_cli").debug("a debugging line")
    logging.getLogger("httpx").info("HTTP Request: POST http://127.0.0.1/api/flow_runs/")
    logging.getLogger("prefect.task_runs").info("Finished in state Completed()")
    return {record.name for record in caplog.records}


@pytest.mark.parametrize(("flags", "through", "prefect_level"), [
    ([], set(), None),
    (["-v"], {"pipeline.run"}, None),
    (["--verbose"], {"pipeline.run"}, None),
    (["-vv"], {"pipeline.run", "flows.from_cli", "httpx", "prefect.task_runs"}, "INFO"),
    (["--verbose", "--verbose"], {"pipeline.run", "flows.from_cli", "httpx", "prefect.task_runs"}, "INFO"),
])
def test_verbose_lets_through_the_program_s_lines_and_twice_the_libraries(restored_logging, caplog, flags, through,
                                                                          prefect_level):
    import os

    # The group's callback sets the levels before the subcommand, which only prints its help here.
    result = runner.invoke(app, [*flags, "review", "--help"])
    assert result.exit_code == 0, result.output
    assert _log_lines_let_through(caplog) == through
    assert os.environ.get("PREFECT_LOGGING_LEVEL") == prefect_level  # Prefect's own levels, set when a flow starts
