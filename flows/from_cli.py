"""What the command line does through Prefect: ``psp-pipeline run`` calls the inbox flow, ``serve``
checks the server first. Here, not in ``pipeline/``: Prefect is imported only under ``flows/``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import expected_error, prefect_unreachable
from pipeline.settings import Settings


def run_flow(settings: Settings) -> tuple[int, Path, list[dict]]:
    """``psp-pipeline run`` through Prefect: the inbox flow on this data home, against the server
    PREFECT_API_URL names (which must answer) or a temporary one; its run id, report and releases."""
    from pipeline.prefect_env import apply_prefect_defaults
    from pipeline.service import prepare_home

    prepare_home(settings)
    apply_prefect_defaults(settings.data_home.prefect)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    require_prefect_api()
    from flows.process_inbox import process_inbox

    # A heartbeat only matters for long runs watched by a server; it costs ~1 s at the end of each run.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}), _quiet_expected_failures():
        result = process_inbox(home=str(settings.data_home.root))
    return result["run_id"], Path(result["report"]), result["released"]


def require_prefect_api() -> None:
    """When PREFECT_API_URL names a server, it must answer (any HTTP answer will do): else the flow
    call fails deep inside Prefect's client. Without one, the run starts a temporary server."""
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=10)
    except httpx.TransportError as exc:
        raise prefect_unreachable(url, str(exc) or type(exc).__name__) from exc


class _ExpectedFailureFilter(logging.Filter):
    """Leaves out of the console what Prefect logs of a flow or task run that failed on an expected
    error (a traceback of some 300 lines, then its "Finished in state Failed"): the command says it
    in one line. Prefect's own records (its API log handler, its UI) keep all of it."""

    def __init__(self) -> None:
        super().__init__()
        self.failed: set[str] = set()  # names of the expected errors seen

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("prefect.flow_runs", "prefect.task_runs")) or record.levelno < logging.ERROR:
            return True
        if record.exc_info and record.exc_info[1] is not None and expected_error(record.exc_info[1]) is not None:
            self.failed.add(type(record.exc_info[1]).__name__)
            return False
        message = record.getMessage()
        return not any(name in message for name in self.failed)


@contextmanager
def _quiet_expected_failures() -> Iterator[None]:
    handlers = logging.getLogger().handlers
    quiet = _ExpectedFailureFilter()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)
