"""One run over the inbox, as ``psp-pipeline run`` starts it and ``mail watch`` at new mail: the
same choice of how, in one place.

Without Prefect when asked (``--without-prefect``); recorded as a flow run in the Prefect server
that runs for the data home (``psp-pipeline server``, or ``PREFECT_API_URL``) without starting
Prefect's engine; else as a Prefect flow run with a temporary server of its own.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.settings import Settings


def one_run(settings: Settings, *, without_prefect: bool = False) -> tuple[int, Path, list[dict]]:
    """Process the inbox once (fetching mail first); the run's id, its report and what it released."""
    from pipeline.prefect_record import process_recorded, running_server

    if without_prefect:
        from pipeline.run import process

        summary = process(settings)
    elif api_url := running_server(settings):
        summary = process_recorded(settings, api_url)
    else:
        from flows.from_cli import run_flow  # Prefect only under flows/

        return run_flow(settings)
    return summary.run_id, summary.report_html, summary.released
