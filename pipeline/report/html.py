"""The run report: an HTML page for reviewers and its JSON twin.

Everything read from a document is untrusted: Jinja2 escapes it all, and the page carries a
Content-Security-Policy that allows no script and nothing from elsewhere.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from pipeline.load.store import StoredReceipt
from pipeline.model import Outcome
from schemas.spec import load_form_spec

_HTML = Environment(
    loader=PackageLoader("pipeline.report", "templates"),
    autoescape=select_autoescape(["html", "j2"], default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)

OUTCOME_ORDER = [o.value for o in (Outcome.NEEDS_REVIEW, Outcome.HELD, Outcome.REJECTED, Outcome.ACCEPTED, Outcome.DUPLICATE)]


def _display(value: Any) -> str:
    if value is None or value == "":
        return ""
    if value is True:
        return "☒ checked"
    if value is False:
        return "☐ not checked"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def document_summary(receipt: StoredReceipt, notice: dict[str, Any] | None, zone: ZoneInfo) -> dict[str, Any]:
    """What the report shows of one received file: JSON-ready, in form order."""
    result = receipt.result
    document = result.document
    received = document.received
    sections: list[dict[str, Any]] = []
    if document.form_id and receipt.outcome is not Outcome.DUPLICATE:
        spec = load_form_spec(document.form_id)
        by_field: dict[str, list[dict[str, Any]]] = {}
        for finding in result.findings:
            if finding.field:
                by_field.setdefault(finding.field, []).append(finding.model_dump(mode="json"))
        for section in spec.sections:
            rows = []
            for field in section.fields:
                reads = [document.fields[k] for k in field.widget_keys if k in document.fields]
                rows.append(
                    {
                        "key": field.key,
                        "label": field.label,
                        "value": result.values.get(field.key),
                        "shown": _display(result.values.get(field.key)),
                        "source": ", ".join(sorted({f"{r.method.value} ({r.location})" for r in reads})) or "not found",
                        "confidence": min((r.confidence for r in reads), default=None),
                        "findings": by_field.get(field.key, []),
                    }
                )
            sections.append({"title": section.title, "fields": rows})
    return {
        "id": receipt.received_file_id,
        "file": received.original_name,
        "sha256": received.sha256,
        "received_at": received.received_at.isoformat(),
        "received_local": received.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "sender": received.sender,
        "kind": document.kind.value if document.kind else None,
        "form_id": document.form_id,
        "form_version": document.form_version,
        "form_title": load_form_spec(document.form_id).title if document.form_id else "Unknown document",
        "outcome": receipt.outcome.value,
        "duplicate_of": receipt.duplicate_of,
        "findings": [] if receipt.outcome is Outcome.DUPLICATE else [f.model_dump(mode="json") for f in result.findings],
        "sections": sections,
        "stored_path": str(receipt.stored_path),
        "notice": notice,
    }


def _write_atomically(path: Path, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
    os.replace(handle.name, path)


def write_run_report(
    folder: Path,
    *,
    run_id: int,
    started_at: datetime,
    finished_at: datetime,
    documents: list[dict[str, Any]],
    waiting: list[dict[str, Any]],
    zone: ZoneInfo,
) -> tuple[Path, Path]:
    """Write ``run-<id>.html`` and ``run-<id>.json`` (and ``latest.html``); return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = Counter(d["outcome"] for d in documents)
    by_form: dict[str, Counter[str]] = {}
    for d in documents:
        by_form.setdefault(d["form_id"] or "unknown", Counter())[d["outcome"]] += 1
    report = {
        "run_id": run_id,
        "started_at": started_at.isoformat(),
        "finished_at": finished_at.isoformat(),
        "counts": {o: counts.get(o, 0) for o in OUTCOME_ORDER},
        "counts_by_form": {form: {o: c.get(o, 0) for o in OUTCOME_ORDER} for form, c in sorted(by_form.items())},
        "waiting": [
            {**w, "received_at": w["received_at"].isoformat()} for w in waiting
        ],
        "documents": documents,
    }
    page = _HTML.get_template("run_report.html.j2").render(
        report=report,
        outcomes=OUTCOME_ORDER,
        started_local=started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        finished_local=finished_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        waiting=waiting,
        zone=zone,
    )
    html_path = folder / f"run-{run_id:05d}.html"
    json_path = folder / f"run-{run_id:05d}.json"
    _write_atomically(html_path, page)
    _write_atomically(json_path, json.dumps(report, indent=1, ensure_ascii=False, default=str))
    _write_atomically(folder / "latest.html", page)
    return html_path, json_path
