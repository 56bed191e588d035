"""``psp-pipeline overview``: write the coordinator's overview (``reports/overview.html``) from the
store now, as every run does at its end. Thin: opens the desk and calls the library.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from pipeline.cli_common import HomeOption, settings_from

if TYPE_CHECKING:
    from pipeline.run import Desk


def refresh_overview(desk: Desk) -> Path:
    """Write the overview of the desk's data home again (after a run, or after records were deleted)."""
    from pipeline.report.overview import write_overview

    return write_overview(desk.engine, desk.validation.reference.cmhsps, desk.settings.data_home.reports,
                          zone=desk.settings.zone)


def overview(home: HomeOption = None) -> None:
    """Write the coordinator's overview (reports/overview.html) from the store now.

    Agencies and their readiness plans, sessions and seats, what is held and on what, charts.
    Every run writes it too, at its end.
    """
    from pipeline.run import open_desk

    desk = open_desk(settings_from(home))
    try:
        path = refresh_overview(desk)
    finally:
        desk.close()
    typer.echo(f"Overview: {path}")
