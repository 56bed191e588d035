"""flows/from_cli.py: what the command line does through Prefect, without a flow run: a server that
PREFECT_API_URL names must answer before anything is done, and Prefect's tracebacks of a run that
failed on an expected error stay out of the console (the command says it in one line). The flow
itself runs in tests/flows/test_process_inbox.py."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.from_cli import (
    _ExpectedFailureFilter,
    _quiet_expected_failures,
    require_prefect_api,
)
from pipeline.errors import ExitCode, PrefectUnavailableError, StoreError


@pytest.fixture
def answering() -> Iterator[str]:
    """An HTTP server on 127.0.0.1 that answers anything with 404: enough to count as reachable."""

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            self.send_error(404)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def test_without_a_server_named_a_temporary_one_is_started_later():
    with temporary_settings(restore_defaults={PREFECT_API_URL}):
        require_prefect_api()


def test_a_server_that_answers_at_all_will_do(answering):
    with temporary_settings({PREFECT_API_URL: answering}):
        require_prefect_api()


def test_a_server_that_does_not_answer_stops_the_command_before_anything_is_done():
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        with pytest.raises(PrefectUnavailableError) as raised:
            require_prefect_api()
    assert raised.value.exit_code is ExitCode.PREFECT_UNAVAILABLE
    assert "http://127.0.0.1:9/api" in raised.value.message and "--without-prefect" in raised.value.hint


def record(name: str, level: int, message: str, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord(name, level, __file__, 1, message, None, exc_info)


def test_prefect_s_lines_about_an_expected_failure_are_left_out_of_the_console():
    quiet = _ExpectedFailureFilter()
    failed = StoreError("the tracking store is damaged.")
    assert not quiet.filter(record("prefect.task_runs", logging.ERROR, "Task run failed", failed))
    assert not quiet.filter(record("prefect.flow_runs", logging.ERROR, "Finished in state Failed('StoreError: ...')"))
    assert quiet.filter(record("prefect.flow_runs", logging.ERROR, "Finished in state Failed('something else')"))


def test_a_defect_and_everything_else_are_shown():
    quiet = _ExpectedFailureFilter()
    assert quiet.filter(record("prefect.task_runs", logging.ERROR, "Task run failed", ZeroDivisionError("defect")))
    assert quiet.filter(record("prefect.task_runs", logging.WARNING, "a warning", StoreError("x")))
    assert quiet.filter(record("pipeline.run", logging.ERROR, "the pipeline's own error", StoreError("x")))


def test_the_console_is_quiet_only_while_the_flow_runs():
    handler = logging.StreamHandler(sys.stderr)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with _quiet_expected_failures():
            assert any(isinstance(f, _ExpectedFailureFilter) for f in handler.filters)
        assert handler.filters == []
    finally:
        root.removeHandler(handler)
