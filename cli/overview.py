"""``psp-pipeline overview``: write the coordinator's overview (``reports/overview.html``) from the
store now, as every run does at its end. Thin: opens the desk and calls the library.
"""

from __future__ import annotations

import typer

from cli.common import HomeOption, settings_from


def overview(home: HomeOption = None) -> None:
    """Write the coordinator's overview (reports/overview.html) from the store now.

    Agencies and their readiness plans, sessions and seats, what is held and on what, charts.
    Every run writes it too, at its end.
    """
    from pipeline.service import open_desk, refresh_overview

    desk = open_desk(settings_from(home))
    try:
        path = refresh_overview(desk)
    finally:
        desk.close()
    typer.echo(f"Overview: {path}")
