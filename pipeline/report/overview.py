"""The coordinator's overview: ``reports/overview.html``, the program's state in one page, written
at the end of every run and by ``psp-pipeline overview``.

It shows every agency and its readiness plan, the training sessions and their seats, what is
held and on what, what needs review, and two charts (submissions per week, PSPs per
certification stage). Made as safely as the run report (``pipeline.report.html``): Jinja2 with
autoescape, every value from a document is text; the Content-Security-Policy allows the one
inline style sheet by its hash and scripts only from the reports folder; the page's script
(``overview-<hash>.js``, beside it) only filters the agencies and opens the collapsed ones to
print, and the page reads whole without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy.engine import Engine

from pipeline.load.overview import overview
from pipeline.model import Outcome
from pipeline.report import plots
from pipeline.report.html import (
    _HTML,
    _static,
    _write_atomically,
    content_security_policy,
    install_script,
)

OVERVIEW_NAME = "overview.html"

# The plan statuses in the order the filter offers them, with their words on the page.
PLAN_STATUS_LABELS = {
    **{status.value: status.value.replace("_", " ")
       for status in (Outcome.ACCEPTED, Outcome.NEEDS_REVIEW, Outcome.HELD, Outcome.REJECTED)},
    "none": "no plan received",
}


def style_sheet() -> str:
    """The page's one inline style sheet: the run report's, and the overview's own rules."""
    return _static("report.css") + "\n" + _static("overview.css")


def render_overview(
    data: dict[str, Any], *, zone: ZoneInfo, script: str, run_reports: frozenset[int] = frozenset()
) -> str:
    """The page for what ``pipeline.load.overview.overview`` returned. ``run_reports`` are the
    runs whose report is beside the page: a waiting document links to the one it came in."""
    style = style_sheet()
    agencies = data["agencies"]
    upcoming = [s for s in data["sessions"] if not s["past"]]
    return _HTML.get_template("overview.html.j2").render(
        data=data,
        zone=zone,
        generated_local=data["generated_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        active=[a for a in agencies if a["active"]],
        rest=[a for a in agencies if not a["active"]],
        with_plan=sum(1 for a in agencies if a["plan"]["status"] == Outcome.ACCEPTED.value),
        registered=sum(a["psps_registered"] for a in agencies),
        seats_free=sum(s["free"] for s in upcoming),
        upcoming=len(upcoming),
        plan_labels=PLAN_STATUS_LABELS,
        plans={a["cmhsp"]: a["plan"] for a in agencies},
        sessions_by_id={s["session_id"]: s for s in data["sessions"]},
        run_reports=run_reports,
        weeks_chart=plots.submissions_per_week(data["weeks"], ident="weeks"),
        stages_chart=plots.psps_per_stage(data["stages"], ident="stages"),
        csp=content_security_policy(style),
        style=Markup(style),  # our own files, hashed into the policy above
        script=script,
    )


def _run_reports(folder: Path) -> frozenset[int]:
    runs = set()
    for path in folder.glob("run-*.html"):
        number = path.stem.removeprefix("run-")
        if number.isdigit():
            runs.add(int(number))
    return frozenset(runs)


def write_overview(
    engine: Engine, cmhsps: Sequence[str], folder: Path, *, zone: ZoneInfo, now: datetime | None = None
) -> Path:
    """Write ``overview.html`` (and its script) in the reports folder from the store; return its path."""
    page = overview_html(engine, cmhsps, folder, zone=zone, now=now)
    path = folder / OVERVIEW_NAME
    _write_atomically(path, page)
    return path


def overview_html(
    engine: Engine, cmhsps: Sequence[str], folder: Path, *, zone: ZoneInfo, now: datetime | None = None
) -> str:
    """The overview page from the store now, as ``write_overview`` writes it in ``folder`` (its
    script installed there, its links to the run reports there); the review desk serves it so."""
    folder.mkdir(parents=True, exist_ok=True)
    data = overview(engine, cmhsps, zone, now)
    return render_overview(data, zone=zone, script=install_script(folder, "overview.js"),
                           run_reports=_run_reports(folder))
