"""The short forms of a run: a markdown summary and a table, for the terminal and Prefect's UI.

They name files, forms, outcomes and rule ids only: no field values, since Prefect's store is
not where personal data should be kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from pipeline.report.models import RunSummary

# The keys of a run's artifacts in Prefect; ``forget`` finds them by these keys to draw them anew.
SUMMARY_KEY = "psp-run-summary"
DOCUMENTS_KEY = "psp-run-documents"
REPORT_KEY = "psp-run-report"

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")


def markdown_text(text: str) -> str:
    """A file name as literal markdown text: a name is chosen by whoever sent the file, and must
    not become a link, an image, markup or a broken table in Prefect's UI."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def summary_table(summary: RunSummary) -> list[dict[str, Any]]:
    """One row per document of the run: id, file name, form, outcome and the rules it broke
    (never a field value)."""
    return [
        {
            "id": d.id,
            "file": d.file,
            "form": d.form_id.value if d.form_id else "unknown",
            "outcome": d.outcome.value,
            "rules": ", ".join(sorted({f.rule for f in d.findings if f.rule})),
        }
        for d in summary.documents
    ]


def summary_markdown(summary: RunSummary) -> str:
    """The run in markdown: counts by outcome, the first 50 files waiting for a person, and where
    the report is. ``forget`` finds its heading and report line again to draw it anew
    (``pipeline.report.prefect_artifacts``)."""
    lines = [f"# PSP forms: run {summary.run_id}", "", f"{summary.total} files received in this run.", ""]
    lines += ["| outcome | files |", "|---|---|"]
    lines += [f"| {outcome.replace('_', ' ')} | {count} |" for outcome, count in summary.counts.items()]
    lines += ["", f"## Waiting for a person: {len(summary.waiting)}", ""]
    lines += [f"- #{w['id']} {markdown_text(w['file'])} ({w['outcome'].replace('_', ' ')})" for w in summary.waiting[:50]]
    if len(summary.waiting) > 50:
        lines.append(f"- … and {len(summary.waiting) - 50} more: see the report")
    lines += ["", f"Report: `{summary.report_html}`"]
    return "\n".join(lines)


@dataclass(frozen=True)
class RunArtifact:
    """One artifact of a run in Prefect's UI: its key, its kind (``markdown`` or ``table``), what
    it shows and how it is described. A flow run creates it through Prefect's client; a run by
    hand recorded in a running server posts ``data`` (``pipeline.prefect_record``)."""

    key: str
    kind: Literal["markdown", "table"]
    content: str | list[dict[str, Any]]
    description: str

    @property
    def data(self) -> str:
        """The text Prefect keeps for it: markdown as it is, a table as JSON (as Prefect's own
        table artifact writes it)."""
        return self.content if isinstance(self.content, str) else json.dumps(self.content)


def run_artifacts(summary: RunSummary, desk_url: str | None = None) -> list[RunArtifact]:
    """A run's artifacts: its summary, a table of its documents, and a link to its report. File
    names only, never a field value (``forget`` rewrites them when it must).

    The link is to the desk's page of the report when the desk's address is set (``desk_url``),
    since Prefect's UI cannot open a ``file://`` link; the file's own link follows it, by which
    ``forget`` tells this data home's runs from another's (``prefect_artifacts.report_page``)."""
    as_file = summary.report_html.as_uri()
    # As Prefect's link artifact writes a link: markdown, "[text](link)".
    link = f"[Run report {summary.run_id}]({as_file})"
    if desk_url:
        link = f"[Run report {summary.run_id}]({desk_url.rstrip('/')}/reports/{summary.report_html.name}) · [as a file]({as_file})"
    return [
        RunArtifact(SUMMARY_KEY, "markdown", summary_markdown(summary), "What came in and what waits"),
        RunArtifact(DOCUMENTS_KEY, "table", summary_table(summary), "Every document of the run"),
        RunArtifact(REPORT_KEY, "markdown", link, "The run's report"),
    ]
