"""Environment defaults that keep Prefect local and quiet, set before Prefect is first imported.

Without them Prefect tries to reach the internet (telemetry), logs an error when it cannot, and
keeps its state in ~/.prefect. A value the user set is never overridden.
"""

from __future__ import annotations

import os
from pathlib import Path

# The first ephemeral server of a machine creates its database: slower than the default 20 s allows.
EPHEMERAL_STARTUP_SECONDS = "90"
# The program's own loggers (``cli.main.PROGRAM_LOGGERS``): what a run did, in its own words.
PROGRAM_LOGGERS = ("pipeline", "flows", "cli")


def prefect_defaults(prefect_home: Path, *, quiet: bool = True) -> dict[str, str]:
    """Prefect's state in ``prefect_home``, its telemetry off and (``quiet``) its logs to warnings:
    for a run of the pipeline and for the server ``psp-pipeline server`` starts alike."""
    defaults = {
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": EPHEMERAL_STARTUP_SECONDS,
        # The program's own lines (never a field value) go to the flow run's log in Prefect's UI
        # (``flows.run_logs``); outside a flow run, Prefect would warn of each one it cannot file.
        "PREFECT_LOGGING_EXTRA_LOGGERS": ",".join(PROGRAM_LOGGERS),
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
    }
    if quiet:
        # The run prints its own summary; Prefect's per-task lines are for --verbose (and cost time).
        defaults["PREFECT_LOGGING_LEVEL"] = "WARNING"
    return defaults


def apply_prefect_defaults(prefect_home: Path) -> None:
    """``prefect_defaults`` in this process's environment, for whatever the user has not set already."""
    for name, value in prefect_defaults(prefect_home).items():
        os.environ.setdefault(name, value)
