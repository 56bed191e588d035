"""The flow run's log in Prefect holds the program's own lines, and no field value: a run by hand
(`psp-pipeline run`) against a real Prefect server, its log read back through Prefect's client."""

from __future__ import annotations

import logging
import subprocess

import pytest

from flows.run_logs import program_lines_in_run_log
from tests.flows import served
from tests.flows.served import planted_inbox, planted_words

pytestmark = pytest.mark.flow

prefect_server = served.prefect_server  # a real Prefect server on a free port


def test_a_runs_log_in_prefect_holds_its_own_lines_and_no_field_value(prefect_server, tmp_path):
    api, env = prefect_server
    home = tmp_path / "home"
    planted_inbox(home)
    environment = {k: v for k, v in env.items() if not k.startswith("PSP_")}
    run = subprocess.run([str(served.BIN / "psp-pipeline"), "run", "--home", str(home)],
                         env=environment, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    # The console is as before: without -v the program's INFO lines are not shown there.
    assert "files in the inbox" not in run.stderr

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId
    from prefect.client.schemas.sorting import LogSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        flow_runs = client.read_flow_runs()
        assert len(flow_runs) == 1 and flow_runs[0].state.is_completed(), flow_runs
        logs = client.read_logs(
            log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_runs[0].id])), sort=LogSort.TIMESTAMP_ASC
        )
    messages = [log.message for log in logs]
    ours = [log for log in logs if log.name.split(".")[0] in ("pipeline", "flows", "cli")]
    assert any("files in the inbox" in m for m in messages), messages
    assert any(m.startswith("run ") and " completed: " in m for m in messages), messages
    assert all(log.level >= logging.INFO for log in ours)
    assert {log.name for log in ours} >= {"pipeline.run"}
    text = "\n".join(messages)
    for word in planted_words():
        assert word not in text, f"{word!r} reached the flow run's log"


def test_the_console_shows_what_it_showed_before_and_the_levels_come_back():
    """Outside Prefect: the loggers are at INFO for the run, a handler of the root logger still
    gets only what it got before, and the loggers' own levels are back after."""
    shown: list[logging.LogRecord] = []

    class Console(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            shown.append(record)

    console = Console()
    root, program = logging.getLogger(), logging.getLogger("pipeline")
    root.addHandler(console)
    before = program.level
    program.setLevel(logging.WARNING)
    try:
        with program_lines_in_run_log():
            assert logging.getLogger("pipeline.run").isEnabledFor(logging.INFO)
            logging.getLogger("pipeline.run").info("run %d: %d files in the inbox", 1, 2)
            logging.getLogger("pipeline.run").warning("run %d had stopped before it finished", 1)
        assert program.level == logging.WARNING
        assert [r.getMessage() for r in shown] == ["run 1 had stopped before it finished"]
    finally:
        root.removeHandler(console)
        program.setLevel(before)
