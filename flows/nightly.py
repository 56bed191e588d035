"""The nightly run as a Prefect deployment, and the Prefect server it needs.

An ephemeral Prefect server (what a plain ``psp-pipeline run`` starts) never runs schedules, so
scheduling needs a real one: ``psp-pipeline server`` starts it with its state in the data home,
or ``PREFECT_API_URL`` points at one the user runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pipeline.errors import ConfigurationError
from pipeline.prefect_env import prefect_defaults
from pipeline.settings import Settings

DEFAULT_CRON = "0 2 * * *"
DEPLOYMENT_NAME = "nightly"


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
    process_inbox.serve(
        name=DEPLOYMENT_NAME,
        schedules=[schedule],
        parameters={"home": str(settings.data_home.root)},
        pause_on_shutdown=False,
        description="Process the PSP forms inbox.",
        tags=["psp"],
    )
