"""The short forms of a run: a markdown summary and a table, for the terminal and Prefect's UI.

They name files, forms, outcomes and rule ids only: no field values, since Prefect's store is
not where personal data should be kept.
"""

from __future__ import annotations

import re
from typing import Any

from pipeline.report.models import RunSummary

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
