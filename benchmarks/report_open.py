"""How long the run report takes to open in a browser when a run holds many documents.

Builds a run of N documents (default 10,000) from the sample submissions' values (so the mix of
outcomes, findings and forms is the samples'), writes its report with the pipeline's own
``write_run_report``, then opens it in headless Chromium several times and prints: the page's
size, the time from navigation to the list being drawn (the script's ``psp-report-ready`` mark)
and to the load event, the number of DOM elements, and how long sorting, filtering and opening
a document take.

    .venv/bin/python benchmarks/report_open.py [--documents 10000] [--runs 3] [--out benchmarks/out]

Needs /usr/bin/chromium (``make system-deps``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from zoneinfo import ZoneInfo

from pipeline.load.store import StoredReceipt
from pipeline.model import (
    ExtractedDocument,
    FieldValue,
    InputKind,
    Outcome,
    ReadMethod,
    ReceivedFile,
)
from pipeline.report.document_report import document_summary
from pipeline.report.html import write_run_report
from pipeline.validate import ValidationContext, validate_document
from schemas.reference import load_reference
from tests.report.browser import chromium, open_page

DETROIT = ZoneInfo("America/Detroit")


def sample_documents(count: int) -> list[ExtractedDocument]:
    """``count`` documents cycling through the sample submissions' values, one minute apart."""
    templates = []
    for path in sorted((REPO / "samples" / "submissions").glob("*.expected.json")):
        expected = json.loads(path.read_text("utf-8"))
        if expected["form_id"]:
            templates.append(expected)
    start = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
    documents = []
    for n in range(count):
        template = templates[n % len(templates)]
        suffix = Path(template["file"]).suffix
        method = ReadMethod.ACROFORM if suffix == ".pdf" else ReadMethod.CONTENT_CONTROL
        name = f"{Path(template['file']).stem}-{n:05d}{suffix}"
        received = ReceivedFile(
            path=Path("/nonexistent") / name,
            original_name=name,
            sha256=f"{n:064x}",
            size=1,
            received_at=start + timedelta(minutes=n),
        )
        fields = {
            key: FieldValue(key=key, value=value, method=method, location=f"page {1 + i // 20}", confidence=1.0 if i % 17 else 0.82)
            for i, (key, value) in enumerate(template["values"].items())
        }
        documents.append(
            ExtractedDocument(
                received=received,
                kind=InputKind.FILLABLE_PDF if suffix == ".pdf" else InputKind.WORD_FORM,
                form_id=template["form_id"],
                form_version=template["form_version"],
                fields=fields,
            )
        )
    return documents


def build_report(count: int, out: Path) -> Path:
    context = ValidationContext(reference=load_reference(None), timezone=DETROIT)
    began = time.perf_counter()
    summaries, waiting = [], []
    for n, document in enumerate(sample_documents(count), start=1):
        result = validate_document(document, context)
        receipt = StoredReceipt(
            received_file_id=n,
            document_id=n,
            outcome=result.outcome,
            inbox_path=document.received.path,
            stored_path=Path("/srv/psp/originals") / result.outcome.value / document.received.original_name,
            result=result,
        )
        summaries.append(document_summary(receipt, None, DETROIT))
        if result.outcome in (Outcome.NEEDS_REVIEW, Outcome.HELD):
            first = result.findings[0] if result.findings else None
            waiting.append(
                {
                    "id": n,
                    "file": document.received.original_name,
                    "received_at": document.received.received_at,
                    "form_id": document.form_id,
                    "outcome": result.outcome.value,
                    "reason": f"{first.rule}: {first.message}" if first else "",
                    "more": max(len(result.findings) - 1, 0),
                }
            )
    judged = time.perf_counter()
    now = datetime.now(UTC)
    html, _ = write_run_report(
        out, run_id=1, started_at=now, finished_at=now, documents=summaries, waiting=waiting, zone=DETROIT
    )
    written = time.perf_counter()
    print(f"{count} documents judged in {judged - began:.1f} s; report written in {written - judged:.1f} s")
    return html


def measure(html: Path, runs: int, screenshots: Path) -> dict[str, float]:
    ready, load, wall = [], [], []
    with chromium() as browser:
        for n in range(runs):
            began = time.perf_counter()
            page, watch = open_page(browser, html)
            wall.append((time.perf_counter() - began) * 1000)
            ready.append(page.evaluate("performance.getEntriesByName('psp-report-ready')[0].startTime"))
            page.wait_for_load_state("load")
            load.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
            if n == runs - 1:
                elements = page.evaluate("document.getElementsByTagName('*').length")
                sort_ms = page.evaluate(
                    "() => { const t = performance.now(); document.querySelector('th[data-sort=file] button').click();"
                    " return performance.now() - t; }"
                )
                filter_ms = page.evaluate(
                    "() => { const t = performance.now(); const box = document.querySelector('input[data-outcome=accepted]');"
                    " box.click(); return performance.now() - t; }"
                )
                open_ms = page.evaluate(
                    "() => { const t = performance.now(); document.querySelector('button[data-toggle]').click();"
                    " return performance.now() - t; }"
                )
                page.screenshot(path=str(screenshots / "report-10k.png"))
                assert not watch.errors, watch.errors
            page.close()
    return {
        "ready_ms": statistics.median(ready),
        "load_ms": statistics.median(load),
        "wall_ms": statistics.median(wall),
        "elements": elements,
        "sort_ms": sort_ms,
        "filter_ms": filter_ms,
        "open_document_ms": open_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "report")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    html = build_report(args.documents, args.out)
    size = html.stat().st_size
    result = measure(html, args.runs, args.out)
    print(f"page {size / 1e6:.1f} MB, {result['elements']} elements after drawing")
    print(
        f"open (median of {args.runs}): list drawn {result['ready_ms']:.0f} ms after navigation, "
        f"load event {result['load_ms']:.0f} ms, goto-to-drawn {result['wall_ms']:.0f} ms"
    )
    print(
        f"sort by file {result['sort_ms']:.0f} ms, filter out accepted {result['filter_ms']:.0f} ms, "
        f"open a document {result['open_document_ms']:.0f} ms"
    )


if __name__ == "__main__":
    main()
