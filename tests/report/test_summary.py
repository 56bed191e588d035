"""The run's short forms for Prefect's artifacts: file names, forms, outcomes and rule ids only,
never a field value; a file name cannot become markdown."""

from __future__ import annotations

import json

from pipeline.report.models import DocumentReport, RunSummary
from pipeline.report.summary import markdown_text, summary_markdown, summary_table


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
