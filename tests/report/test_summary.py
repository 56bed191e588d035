"""The run's short forms for Prefect's artifacts: file names, forms, outcomes and rule ids only,
never a field value; a file name cannot become markdown."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from pipeline.report.models import DocumentReport, RunSummary
from pipeline.report.prefect_artifacts import report_page
from pipeline.report.summary import (
    REPORT_KEY,
    markdown_text,
    run_artifacts,
    summary_markdown,
    summary_table,
)


def test_artifacts_carry_no_field_values(demo_home):
    from pipeline.load.queries import waiting_for_a_person
    from pipeline.load.store import open_store

    report = json.loads(max(demo_home.data_home.reports.glob("run-*.json")).read_text("utf-8"))
    engine = open_store(demo_home.store_url)
    summary = RunSummary(
        run_id=report["run_id"], started_at=None, finished_at=None, counts=report["counts"],
        documents=[DocumentReport.model_validate(d) for d in report["documents"]], report_html=demo_home.data_home.reports / "latest.html",
        report_json=demo_home.data_home.reports / "x.json", waiting=waiting_for_a_person(engine),
    )
    engine.dispose()
    published = summary_markdown(summary) + json.dumps(summary_table(summary))
    values = {
        str(f["value"])
        for d in report["documents"]
        for s in d["sections"]
        for f in s["fields"]
        if isinstance(f["value"], str) and len(f["value"]) > 3 and f["value"] not in ("CMHSP", "Other", "Full-time", "Weekly")
    }
    assert len(values) > 50
    leaked = sorted(v for v in values if v in published)
    assert leaked == []
    for document in report["documents"]:
        assert document["file"] in json.dumps(summary_table(summary), ensure_ascii=False)
    assert set(summary_table(summary)[0]) == {"id", "file", "form", "outcome", "rules"}


def test_a_file_name_is_literal_markdown():
    assert markdown_text("[click](http://evil.example)") == r"\[click\]\(http://evil.example\)"
    assert markdown_text("<img src=x onerror=alert(1)>") == r"\<img src=x onerror=alert\(1\)\>"
    assert markdown_text("a|b\nc") == r"a\|b c"


def _empty_run(reports: Path) -> RunSummary:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    return RunSummary(run_id=12, started_at=now, finished_at=now, counts={}, documents=[],
                      report_html=reports / "run-00012.html", report_json=reports / "run-00012.json", waiting=[])


def test_the_report_link_is_the_file_without_a_desk_and_the_desks_page_with_one(tmp_path):
    summary = _empty_run(tmp_path / "reports")

    (alone,) = [a for a in run_artifacts(summary) if a.key == REPORT_KEY]
    (desk,) = [a for a in run_artifacts(summary, "https://psp.example.org/") if a.key == REPORT_KEY]

    assert alone.data == f"[Run report 12]({summary.report_html.as_uri()})"
    # Prefect's UI opens the desk's page; forget still tells whose run it is by the file's own link.
    assert desk.data.startswith("[Run report 12](https://psp.example.org/reports/run-00012.html)")
    assert report_page(desk.data) == report_page(alone.data) == summary.report_html


def test_a_table_artifact_is_kept_as_json_and_markdown_as_it_is(tmp_path):
    by_key = {a.key: a for a in run_artifacts(_empty_run(tmp_path))}
    assert by_key["psp-run-documents"].data == "[]" and by_key["psp-run-documents"].kind == "table"
    assert by_key["psp-run-summary"].data.startswith("# PSP forms: run 12")
