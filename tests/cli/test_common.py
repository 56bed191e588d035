"""cli/common.py: what every command shares: settings from the environment with --home over PSP_HOME,
a data home that must have been made, ids checked before the store sees them, and one handler that
turns every expected failure into one line and its exit status (a defect keeps its traceback)."""

from __future__ import annotations

import errno

import pytest
import typer
from typer.testing import CliRunner

from cli.common import (
    LARGEST_ID,
    HandledGroup,
    cli_exception_handler,
    fail,
    id_in_store,
    require_data_home,
    settings_from,
)
from pipeline.errors import BadInputError, ConfigurationError, ExitCode, InboxBusyError
from pipeline.settings import Settings


def test_an_id_no_store_can_give_is_refused_before_the_store_sees_it():
    check = id_in_store("received file", "psp-pipeline review list")
    assert check(1) == 1 and check(LARGEST_ID) == LARGEST_ID and check(None) is None
    with pytest.raises(BadInputError, match=r"there is no received file #0: ids run from 1 to 2147483647\."):
        check(0)
    with pytest.raises(BadInputError) as refused:
        check(10**29)
    assert "#10000000000000000000... (30 digits)" in str(refused.value)
    assert refused.value.hint == "See `psp-pipeline review list`."


def test_home_comes_from_the_option_over_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PSP_HOME", str(tmp_path / "from-the-environment"))
    assert settings_from(None).home == tmp_path / "from-the-environment"
    assert settings_from(tmp_path / "from-the-option").home == tmp_path / "from-the-option"


def test_a_wrong_setting_is_a_configuration_error_naming_its_variable(monkeypatch):
    monkeypatch.setenv("PSP_BATCH_SIZE", "0")
    with pytest.raises(ConfigurationError, match=r"a setting is wrong: PSP_BATCH_SIZE: .*greater than or equal to 1"):
        settings_from(None)


def test_a_data_home_never_made_says_to_run_init(tmp_path):
    with pytest.raises(ConfigurationError, match="there is no data home at") as missing:
        require_data_home(Settings(home=tmp_path / "never-made"))
    assert f"psp-pipeline init --home {tmp_path / 'never-made'}" in missing.value.hint
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigurationError, match="no data home was set up in"):
        require_data_home(Settings(home=tmp_path / "folder"))
    (tmp_path / "folder" / "inbox").mkdir()
    require_data_home(Settings(home=tmp_path / "folder"))


def test_a_failure_is_one_line_on_stderr_and_its_own_status(capsys):
    with pytest.raises(typer.Exit) as stopped:
        fail(InboxBusyError("another run holds the inbox\nsince 10:00.", hint="Try again later."))
    assert stopped.value.exit_code == ExitCode.INBOX_BUSY
    assert capsys.readouterr().err == "psp-pipeline: another run holds the inbox since 10:00. Try again later.\n"


def test_the_handler_shows_expected_failures_and_lets_defects_through(capsys):
    with pytest.raises(typer.Exit) as stopped, cli_exception_handler():
        raise OSError(errno.ENOSPC, "No space left on device", "/srv/psp/reports/run-00001.html")
    assert stopped.value.exit_code == ExitCode.DISK_FULL
    said = capsys.readouterr().err
    assert said.startswith("psp-pipeline: no space left on the disk (/srv/psp/reports/run-00001.html)")
    with pytest.raises(ZeroDivisionError), cli_exception_handler():
        1 / 0  # noqa: B018 - a defect: its traceback is shown


def test_every_command_of_the_group_and_its_sub_groups_is_handled():
    app = typer.Typer(cls=HandledGroup)
    sub = typer.Typer()

    @app.command()
    def run() -> None:
        raise ConfigurationError("the data home is not writable.", hint="Check its owner.")

    @sub.command()
    def show() -> None:
        raise BadInputError("there is no received file #9.")

    app.add_typer(sub, name="review")
    runner = CliRunner()
    ran = runner.invoke(app, ["run"])
    assert (ran.exit_code, ran.output) == (4, "psp-pipeline: the data home is not writable. Check its owner.\n")
    shown = runner.invoke(app, ["review", "show"])
    assert (shown.exit_code, shown.output) == (2, "psp-pipeline: there is no received file #9.\n")
