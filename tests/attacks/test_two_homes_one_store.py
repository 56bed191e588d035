"""Two data homes on one store: a data home opening a tracking store that belongs to another must be refused (exit 4, one line naming the owner and what to do) before it touches anything of it.

Issue 16, item 9. Two data homes pointed at one database (two machines, each with its own
/srv/psp, one PostgreSQL): the second one's run took the first one's live run for one that had
stopped, recorded it as interrupted (``recover_interrupted_runs``) and wrote its documents into a
report of its own. The store now records the data home it belongs to (its path, the host that
recorded it, and the token of the home's ``home.id``) and refuses any other; the same folder
shared by several machines at the same path (workers with PSP_CLAIM_FILES) is the same home.
On SQLite and on PostgreSQL (both homes in one schema, as two machines on one database would be).
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli import app
from pipeline.errors import ConfigurationError
from pipeline.load import store
from pipeline.run import close_run, open_run, process
from pipeline.service import prepare_home
from pipeline.settings import Settings
from samples.stage import stage

runner = CliRunner()


def _home(tmp_path: Path, name: str, database_url: str | None, **options) -> Settings:
    return Settings(home=tmp_path / name / "psp", database_url=database_url, workers=1, settle_seconds=0, **options)


def _status(settings: Settings, run_id: int) -> str:
    engine = store.open_store(settings.store_url)
    with Session(engine) as session:
        status = session.scalar(select(store.Run.status).where(store.Run.id == run_id))
    engine.dispose()
    return status


def _cli(*args: str, settings: Settings, **env: str):
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PSP_")},
        "PSP_HOME": str(settings.home),
        **({"PSP_DATABASE_URL": settings.database_url} if settings.database_url else {}),
        **env,
    }
    return runner.invoke(app, list(args), env=environment)


def test_a_second_home_neither_takes_the_live_run_of_the_first_nor_its_documents(tmp_path, database_url):
    first, second = _home(tmp_path, "a", database_url), _home(tmp_path, "b", database_url)
    stage(first.data_home.inbox)
    process(first)  # the first home's documents are in the store
    live = open_run(first)  # and a run of the first home is going on
    try:
        try:
            close_run(open_run(second))
            refused = None
        except ConfigurationError as error:
            refused = error
        assert _status(first, live.run_id) == "running", "the second home took the first one's live run for a stopped one"
        assert not list(second.data_home.reports.glob("run-*")), "the second home reported the first one's documents"
        assert refused is not None and refused.exit_code == 4
        assert str(first.data_home.root) in str(refused) and "PSP_TAKE_OVER_STORE" in str(refused)
    finally:
        close_run(live)
    assert _status(first, live.run_id) == "completed"


def test_the_cli_refuses_the_second_home_in_one_line_with_exit_4(tmp_path, database_url):
    first, second = _home(tmp_path, "a", database_url), _home(tmp_path, "b", database_url)
    assert _cli("init", settings=first).exit_code == 0
    assert _cli("run", "--without-prefect", settings=first).exit_code == 0
    prepare_home(second)  # a data home of its own, its folders made
    for command in (["run", "--without-prefect"], ["init"], ["review", "list"], ["status"], ["export", "--format", "json"],
                    ["notices", "list"],
                    ["notices", "send", "--dry-run"]):
        result = _cli(*command, settings=second)
        assert result.exit_code == 4, (command, result.output)
        line, = result.output.strip().splitlines()
        assert line.startswith("psp-pipeline: the tracking store") and str(first.data_home.root) in line
        assert "Traceback" not in result.output
    assert _cli("notices", "list", settings=first).exit_code == 0


def test_the_same_folder_from_another_host_is_the_same_home_but_not_another_folder_of_that_name(
    tmp_path, database_url, monkeypatch
):
    home = _home(tmp_path, "shared", database_url, claim_files=True)
    close_run(open_run(home))  # recorded from this host
    # Another worker machine with the same folder mounted at the same path: the same data home.
    monkeypatch.setattr(socket, "gethostname", lambda: "worker-2.example.org")
    close_run(open_run(home))
    # Another machine with a folder of its own at that path (its own home.id): refused.
    (home.data_home.root / "home.id").write_text("0" * 32 + "\n")
    with pytest.raises(ConfigurationError, match="another folder of the same name"):
        open_run(home)
    (home.data_home.root / "home.id").unlink()
    with pytest.raises(ConfigurationError, match="has no home.id"):
        open_run(home)


def test_a_store_is_moved_to_another_home_only_deliberately(tmp_path, database_url):
    first, second = _home(tmp_path, "a", database_url), _home(tmp_path, "b", database_url)
    close_run(open_run(first))
    elsewhere = _home(tmp_path, "b", database_url, take_over_store=tmp_path / "elsewhere")
    with pytest.raises(ConfigurationError, match="PSP_TAKE_OVER_STORE is set to"):
        open_run(elsewhere)
    moving = _home(tmp_path, "b", database_url, take_over_store=second.data_home.root)
    close_run(open_run(moving))
    close_run(open_run(second))  # it is the second one's now, without the setting
    with pytest.raises(ConfigurationError, match=str(second.data_home.root)):
        open_run(first)


def test_a_sqlite_store_inside_its_home_goes_where_the_home_goes(tmp_path):
    original = _home(tmp_path, "a", None)
    stage(original.data_home.inbox)
    process(original)
    # Copied (or moved, or restored) whole: the store is that copy's.
    copy = _home(tmp_path, "copy", None)
    shutil.copytree(original.data_home.root, copy.data_home.root)
    close_run(open_run(copy))
    # But another data home pointed at the first one's store file is another home.
    intruder = _home(tmp_path, "b", original.store_url)
    with pytest.raises(ConfigurationError, match="belongs to the data home"):
        open_run(intruder)
