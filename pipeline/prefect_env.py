"""Environment defaults that keep Prefect local and quiet, set before Prefect is first imported.

Without them Prefect tries to reach the internet (telemetry), logs an error when it cannot, and
keeps its state in ~/.prefect. A value the user set is never overridden.
"""

from __future__ import annotations

import os
from pathlib import Path

# The first ephemeral server of a machine creates its database: slower than the default 20 s allows.
EPHEMERAL_STARTUP_SECONDS = "90"


def apply_prefect_defaults(prefect_home: Path) -> None:
    """Keep Prefect's state in ``prefect_home``, its telemetry off and its logs to warnings, for
    whatever the user has not set already."""
    os.environ.setdefault("PREFECT_HOME", str(prefect_home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    # The run prints its own summary; Prefect's per-task lines are for --verbose (and cost time).
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP_SECONDS)
