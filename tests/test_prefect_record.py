"""Finding the data home's Prefect server for a run by hand (``pipeline.prefect_record``): the
note ``psp-pipeline server`` leaves, a stopped server's note, a server that does not answer."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from pipeline.errors import PrefectUnavailableError
from pipeline.prefect_record import (
    SERVER_NOTE,
    _noted_server,
    note_server,
    running_server,
)
from pipeline.settings import Settings


@pytest.fixture
def no_prefect_settings(monkeypatch, tmp_path):
    for name in ("PREFECT_API_URL", "PREFECT_HOME", "PREFECT_PROFILES_PATH", "PREFECT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return Settings(home=tmp_path / "home")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_server_notes_its_address_and_process_and_any_host_is_reached_on_loopback(tmp_path):
    api = note_server(tmp_path / "prefect", "0.0.0.0", 4321)

    assert api == "http://127.0.0.1:4321/api"
    note = json.loads((tmp_path / "prefect" / SERVER_NOTE).read_text())
    assert note["api_url"] == api and isinstance(note["pid"], int)
    assert _noted_server(tmp_path / "prefect") == api


def test_a_stopped_servers_note_and_a_damaged_note_are_no_server(tmp_path):
    stopped = subprocess.Popen([sys.executable, "-c", "pass"])
    stopped.wait()
    (tmp_path / SERVER_NOTE).write_text(json.dumps({"api_url": "http://127.0.0.1:1/api", "pid": stopped.pid}))
    assert _noted_server(tmp_path) is None
    (tmp_path / SERVER_NOTE).write_text("{not json")
    assert _noted_server(tmp_path) is None
    (tmp_path / SERVER_NOTE).write_text(json.dumps({"pid": 1}))
    assert _noted_server(tmp_path) is None


def test_without_a_server_a_run_starts_a_temporary_one_as_before(no_prefect_settings):
    assert running_server(no_prefect_settings) is None


def test_a_noted_server_that_does_not_answer_is_passed_over(no_prefect_settings):
    note_server(no_prefect_settings.data_home.prefect, "127.0.0.1", _closed_port())
    assert running_server(no_prefect_settings) is None


def test_a_server_named_that_does_not_answer_is_an_error_saying_nothing_was_done(no_prefect_settings, monkeypatch):
    url = f"http://127.0.0.1:{_closed_port()}/api"
    monkeypatch.setenv("PREFECT_API_URL", url)
    with pytest.raises(PrefectUnavailableError) as raised:
        running_server(no_prefect_settings)
    assert url in str(raised.value) and "nothing was done" in str(raised.value)
