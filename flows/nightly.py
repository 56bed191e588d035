"""The nightly run as a Prefect deployment, and the Prefect server it needs.

An ephemeral Prefect server (what a plain ``psp-pipeline run`` starts) never runs schedules, so
scheduling needs a real one: ``psp-pipeline server`` starts it with its state in the data home,
or ``PREFECT_API_URL`` points at one the user runs.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigurationError
from pipeline.prefect_env import prefect_defaults
from pipeline.settings import Settings

DEFAULT_CRON = "0 2 * * *"
DEPLOYMENT_NAME = "nightly"

log = logging.getLogger(__name__)


def server_command(settings: Settings, host: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a Prefect server keeping its state in the data home."""
    environment = {**prefect_defaults(settings.data_home.prefect, quiet=False), **os.environ}
    environment["PREFECT_UI_API_URL"] = environment.get("PREFECT_UI_API_URL", f"http://{host}:{port}/api")
    prefect = Path(sys.executable).with_name("prefect")
    command = [str(prefect) if prefect.exists() else "prefect", "server", "start", "--host", host, "--port", str(port)]
    return command, environment


def require_server() -> None:
    """ConfigurationError unless PREFECT_API_URL names a server: a temporary one never runs
    schedules."""
    if not os.environ.get("PREFECT_API_URL"):
        raise ConfigurationError(
            "scheduling needs a Prefect server, and PREFECT_API_URL is not set.",
            hint="Start one with `psp-pipeline server` and set PREFECT_API_URL=http://127.0.0.1:4200/api "
            "(or point it at your own server).",
        )


def serve_nightly(settings: Settings, cron: str, timezone: str) -> None:
    """Serve the inbox flow with a cron schedule until stopped (SIGINT/SIGTERM leave it scheduled)."""
    require_server()
    from prefect.schedules import Cron

    from flows.process_inbox import process_inbox

    try:
        schedule = Cron(cron, timezone=timezone)
    except ValueError as exc:
        raise ConfigurationError(f"the schedule {cron!r} in {timezone} is not usable ({exc}).") from exc
    # Prefect's runner answers SIGTERM (systemd's stop) by calling its async stop() from the signal
    # handler without awaiting it, then exiting: the exit is what is wanted (the schedule stays,
    # pause_on_shutdown=False), and the coroutine it leaves behind only warns at exit. Prefect
    # 3.8's Runner.handle_sigterm; drop this when it awaits astop().
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited", category=RuntimeWarning)
    process_inbox.serve(
        name=DEPLOYMENT_NAME,
        schedules=[schedule],
        parameters={"home": str(settings.data_home.root)},
        pause_on_shutdown=False,
        description="Process the PSP forms inbox.",
        tags=["psp"],
    )


def notify_coordinator_of_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """The inbox flow's ``on_failure`` and ``on_crashed`` hook: a failed run of a deployment (the
    nightly schedule, which no one watches), or one whose process died (the serving process calls
    it then), emails the coordinator which run failed, when and what to do
    (``pipeline.report.failure_notice``). A run by hand does not: its own command says it failed."""
    if flow_run.deployment_id is None:
        return
    from prefect.settings import PREFECT_UI_URL

    from flows.run_logs import program_lines_in_run_log
    from pipeline.report.failure_notice import (
        FailedRun,
        failure_reason,
        send_failure_notice,
    )

    with program_lines_in_run_log():
        home = (flow_run.parameters or {}).get("home")
        try:
            settings = Settings(home=Path(home)) if home else Settings()
        except ValueError as exc:  # the settings themselves may be why the run failed
            log.warning("the coordinator was not told that run %s failed: the settings cannot be read (%s)",
                        flow_run.name, " ".join(str(exc).split()))
            return
        ui = PREFECT_UI_URL.value()
        failed = FailedRun(
            name=flow_run.name,
            run_id=str(flow_run.id),
            failed_at=state.timestamp if isinstance(state.timestamp, datetime) else datetime.now(UTC),
            reason=failure_reason(None if state.is_crashed() else _error_of(state)),
            link=f"{ui.rstrip('/')}/runs/flow-run/{flow_run.id}" if ui else None,
        )
        send_failure_notice(settings, failed)


def _error_of(state: Any) -> BaseException | None:
    """The exception a failed state holds, or None when it holds none (or it cannot be read)."""
    try:
        error = state.result(raise_on_failure=False)
    except Exception:  # its result was not kept: the reason is then unknown, not a second failure
        return None
    return error if isinstance(error, BaseException) else None
