"""The nightly deployment on a real Prefect server: the schedule is registered as given, and a
run triggered through Prefect's client processes the inbox and records its artifacts."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from samples.stage import expected_cases, stage

pytestmark = pytest.mark.flow

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception:  # not up yet
            pass
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def prefect_server(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 120, "the Prefect server")
        yield api, env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_serve_registers_the_schedule_and_a_triggered_run_processes_the_inbox(prefect_server, tmp_path, monkeypatch):
    api, env = prefect_server
    home = tmp_path / "home"
    staged = stage(home / "inbox")
    serve_log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    serving = subprocess.Popen(
        [str(BIN / "psp-pipeline"), "serve", "--home", str(home), "--cron", "30 1 * * 1-5", "--timezone", "America/Detroit"],
        env=env, stdout=serve_log, stderr=subprocess.STDOUT,
    )
    monkeypatch.setenv("PREFECT_API_URL", api)
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    # Prefect reads its settings when it is first imported, maybe by another test module of this
    # session: the server is named to it here too, not only in the environment.
    named = contextlib.ExitStack()
    named.enter_context(temporary_settings({PREFECT_API_URL: api}))
    try:
        def deployment():
            with get_client(sync_client=True) as client:
                return client.read_deployment_by_name("process-inbox/nightly")

        found = wait_until(deployment, 90, "the deployment to be served")
        schedule = found.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == ("30 1 * * 1-5", "America/Detroit")
        assert found.paused is False

        flow_run = run_deployment("process-inbox/nightly", timeout=240)
        assert flow_run.state.is_completed(), flow_run.state
        assert not list((home / "inbox").iterdir())
        assert len(list((home / "originals").rglob("*.*"))) == len(staged) == len(expected_cases())
        with get_client(sync_client=True) as client:
            from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
            )
        assert {"psp-run-summary", "psp-run-documents", "psp-run-report"} <= {a.key for a in artifacts}
    finally:
        serving.send_signal(signal.SIGINT)
        try:
            serving.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serving.kill()
        serve_log.close()
        named.close()
