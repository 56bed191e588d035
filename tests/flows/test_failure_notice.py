"""A failed nightly run emails the coordinator, over the program's SMTP settings, which run failed,
when (the office's time) and what to do, with no field value; without an SMTP server, one warning
line says it could not. The served deployment fails for real against a real Prefect server; the
hook is also called directly for what a served run cannot be made to do."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from flows.nightly import notify_coordinator_of_failure
from pipeline.report.failure_notice import FailedRun, send_failure_notice
from pipeline.settings import Settings
from tests.flows import served
from tests.flows.served import planted_words, served_nightly
from tests.report.smtp import SmtpTestServer

pytestmark = pytest.mark.flow

prefect_server = served.prefect_server  # a real Prefect server on a free port


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it received."""
    with SmtpTestServer() as server:
        yield server


def smtp_env(server: SmtpTestServer) -> dict[str, str]:
    return {"PSP_SMTP_HOST": "127.0.0.1", "PSP_SMTP_PORT": str(server.port), "PSP_SMTP_STARTTLS": "false",
            "PSP_SMTP_TIMEOUT": "10", "PSP_TIMEZONE": "America/Detroit"}


def test_a_failed_nightly_run_emails_the_coordinator(prefect_server, smtp_server, tmp_path, monkeypatch):
    api, env = prefect_server
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    (home / "store.sqlite").write_bytes(b"this is no database " * 200)  # the run fails opening its store
    environment = {**{k: v for k, v in env.items() if not k.startswith("PSP_")}, **smtp_env(smtp_server)}
    monkeypatch.setenv("PREFECT_API_URL", api)
    from prefect.deployments import run_deployment

    with served_nightly(api, environment, home, tmp_path / "serve.log"):
        flow_run = run_deployment("process-inbox/nightly", timeout=240)
        assert flow_run.state.is_failed(), flow_run.state
        # The hook runs in the run's process after its final state is recorded.
        served.wait_until(lambda: smtp_server.received, 120, "the coordinator's email")
    assert len(smtp_server.received) == 1

    received = smtp_server.received[0]
    assert received.rcpt_tos == ("psp-coordinator@example.org",)
    message = received.message
    body = message.get_content()
    assert message["Subject"].startswith("PSP forms: the scheduled run failed at ")
    assert message["Subject"].endswith((" EST", " EDT"))
    assert f"Run: {flow_run.name} ({flow_run.id})" in body
    assert "tracking store" in body  # what went wrong, in the program's own words
    assert f"psp-pipeline run --home {home}" in body  # what to do
    assert f"/runs/flow-run/{flow_run.id}" in body


def test_a_nightly_run_whose_process_dies_emails_the_coordinator(prefect_server, smtp_server, tmp_path, monkeypatch):
    """Killed at a fault point (``PSP_KILL_AT``): the serving process marks the run crashed and tells."""
    api, env = prefect_server
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    environment = {**{k: v for k, v in env.items() if not k.startswith("PSP_")}, **smtp_env(smtp_server),
                   "PSP_KILL_AT": "run.finished"}
    monkeypatch.setenv("PREFECT_API_URL", api)
    from prefect.deployments import run_deployment

    with served_nightly(api, environment, home, tmp_path / "serve.log"):
        flow_run = run_deployment("process-inbox/nightly", timeout=240)
        served.wait_until(lambda: smtp_server.received, 120, "the coordinator's email")
    assert flow_run.state.is_crashed(), flow_run.state
    [received] = smtp_server.received
    body = received.message.get_content()
    assert f"Run: {flow_run.name} ({flow_run.id})" in body
    assert "the run's process stopped before the run finished" in body


def _failed_run(home, error: BaseException, *, deployment: bool = True):
    from prefect.states import Failed

    flow_run = SimpleNamespace(id=uuid.uuid4(), name="tidy-otter", parameters={"home": str(home)},
                               deployment_id=uuid.uuid4() if deployment else None)
    return flow_run, Failed(data=error, timestamp=datetime(2026, 12, 7, 7, 3, tzinfo=UTC))


def test_the_email_names_an_unexpected_error_by_its_kind_never_its_message(smtp_server, tmp_path, monkeypatch):
    """A defect's message may quote a form's values: the email says only what kind of error it was."""
    for name, value in smtp_env(smtp_server).items():
        monkeypatch.setenv(name, value)
    leaked = " ".join(planted_words())
    flow_run, state = _failed_run(tmp_path / "home", KeyError(leaked))

    notify_coordinator_of_failure(None, flow_run, state)

    [received] = smtp_server.received
    message = received.message
    assert message["Subject"] == "PSP forms: the scheduled run failed at 2026-12-07 02:03 EST"
    body = message.get_content()
    assert "an unexpected error in the program (KeyError)" in body
    for word in planted_words():
        assert word not in received.data.decode(errors="replace")


def test_a_run_by_hand_that_fails_sends_nothing(smtp_server, tmp_path, monkeypatch):
    for name, value in smtp_env(smtp_server).items():
        monkeypatch.setenv(name, value)
    flow_run, state = _failed_run(tmp_path / "home", RuntimeError("stopped"), deployment=False)
    notify_coordinator_of_failure(None, flow_run, state)
    assert smtp_server.received == []


def test_without_an_smtp_server_one_warning_says_the_notice_was_not_sent(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv("PSP_SMTP_HOST", raising=False)
    failed = FailedRun(name="tidy-otter", run_id="1", failed_at=datetime(2026, 12, 7, 7, tzinfo=UTC), reason="x")
    with caplog.at_level(logging.INFO, logger="pipeline"):
        assert send_failure_notice(Settings(home=tmp_path / "home"), failed) is False
    [record] = [r for r in caplog.records if r.name.startswith("pipeline")]
    assert record.levelno == logging.WARNING
    assert "not told that run tidy-otter failed" in record.getMessage()
    assert "no SMTP server is configured" in record.getMessage() and "PSP_SMTP_HOST" in record.getMessage()
