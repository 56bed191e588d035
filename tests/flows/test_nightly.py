"""The nightly deployment on a real Prefect server: the schedule is registered as given, and a
run triggered through Prefect's client processes the inbox and records its artifacts."""

from __future__ import annotations

import signal

import pytest

from samples.stage import expected_cases, stage
from tests.flows import served
from tests.flows.served import served_nightly

prefect_server = served.prefect_server  # a real Prefect server on a free port

pytestmark = pytest.mark.flow


def test_serve_registers_the_schedule_and_a_triggered_run_processes_the_inbox(prefect_server, tmp_path, monkeypatch):
    api, env = prefect_server
    home = tmp_path / "home"
    staged = stage(home / "inbox")
    monkeypatch.setenv("PREFECT_API_URL", api)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
    from prefect.deployments import run_deployment

    with served_nightly(api, env, home, tmp_path / "serve.log",
                        "--cron", "30 1 * * 1-5", "--timezone", "America/Detroit") as found:
        schedule = found.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == ("30 1 * * 1-5", "America/Detroit")
        assert found.paused is False

        flow_run = run_deployment("process-inbox/nightly", timeout=240)
        assert flow_run.state.is_completed(), flow_run.state
        assert not list((home / "inbox").iterdir())
        assert len(list((home / "originals").rglob("*.*"))) == len(staged) == len(expected_cases())
        with get_client(sync_client=True) as client:
            artifacts = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run.id]))
            )
        assert {"psp-run-summary", "psp-run-documents", "psp-run-report"} <= {a.key for a in artifacts}


def test_serve_stopped_as_a_service_is_stopped_ends_quietly_and_leaves_the_schedule(prefect_server, tmp_path,
                                                                                   monkeypatch):
    """systemd stops `serve` with SIGTERM: it ends with no warning in its log (Prefect's runner left
    a coroutine of its own un-awaited), and the schedule stays for the next `serve`."""
    api, env = prefect_server
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    monkeypatch.setenv("PREFECT_API_URL", api)
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with served_nightly(api, env, home, tmp_path / "serve.log", stop_with=signal.SIGTERM):
        pass

    log = (tmp_path / "serve.log").read_text()
    assert "Warning" not in log and "never awaited" not in log, log
    # Prefect read its settings when first imported, maybe for another test's server.
    with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
        assert client.read_deployment_by_name("process-inbox/nightly").paused is False
