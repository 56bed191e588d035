"""End to end without Prefect: every sample submission reaches its expected outcome with its
expected rule ids, originals are kept, rejected documents get one notice, the report is written."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from pipeline.load import queries, store
from pipeline.model import Outcome
from pipeline.run import process
from samples.stage import expected_cases, stage

CASES = expected_cases()


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, module_database_url):
    from pipeline.settings import Settings

    settings = Settings(home=tmp_path_factory.mktemp("demo") / "home", workers=2, database_url=module_database_url)
    staged = stage(settings.data_home.inbox)
    summary = process(settings)
    return settings, staged, summary


def test_there_are_enough_samples_of_every_kind():
    assert len(CASES) >= 16
    kinds = {(e["form_id"], Path(e["file"]).suffix, e["outcome"] == "accepted") for _, e in CASES}
    for form in ("PSP-ORP", "PSP-REG"):
        for suffix in (".pdf", ".docx"):
            assert (form, suffix, True) in kinds and (form, suffix, False) in kinds


@pytest.mark.parametrize(("source", "expected"), CASES, ids=[e["file"] for _, e in CASES])
def test_every_sample_reaches_its_expected_outcome(demo_run, source, expected):
    _, _, summary = demo_run
    document = next(d for d in summary.documents if d.file == expected["file"])
    assert document.outcome == expected["outcome"]
    assert sorted({f.rule for f in document.findings if f.rule}) == expected["rules"]
    assert document.form_id == expected["form_id"]
    assert document.form_version == expected["form_version"]


def test_every_file_ends_in_exactly_one_outcome_with_its_original_kept(demo_run):
    settings, staged, summary = demo_run
    assert sorted(d.file for d in summary.documents) == sorted(p.name for p in staged)
    assert list(settings.data_home.inbox.iterdir()) == []
    for document in summary.documents:
        kept = document.stored_path
        assert kept.is_file()
        assert kept.parts[-3] == document.outcome
        assert kept.read_bytes() == (Path(__file__).parents[1] / "samples" / "submissions" / document.file).read_bytes()


def test_each_rejected_or_held_document_gets_one_notice_listing_each_problem(demo_run):
    settings, _, summary = demo_run
    notified = [d for d in summary.documents if d.outcome in (Outcome.REJECTED, Outcome.HELD)]
    notices = sorted(settings.data_home.notices.rglob("*.eml"))
    assert len(notices) == len(notified) > 0
    assert {d.notice.path for d in notified} == set(notices)
    for document in notified:
        assert (document.notice.received_file_id, document.notice.outcome) == (document.id, document.outcome)
        message = message_from_bytes(document.notice.path.read_bytes(), policy=policy.default)
        assert message["To"] == document.notice.to
        assert message["X-PSP-Notice"] == document.outcome
        assert "@" in message["To"]
        body = message.get_content()
        assert document.file in body
        for finding in document.findings:
            assert body.count(f"(rule {finding.rule})") >= 1
            if finding.label:
                assert finding.label in body


def test_report_and_its_json_twin(demo_run):
    settings, _, summary = demo_run
    assert summary.report_html.is_file()
    report = json.loads(summary.report_json.read_text("utf-8"))
    assert report["run_id"] == summary.run_id
    assert sum(report["counts"].values()) == len(CASES)
    page = summary.report_html.read_text("utf-8")
    assert "Content-Security-Policy" in page
    for _, expected in CASES:
        assert expected["file"] in page


def test_the_store_holds_every_received_file(demo_run):
    settings, _, _ = demo_run
    engine = store.open_store(settings.store_url)
    rows = list(queries.export_rows(engine))
    engine.dispose()
    assert sorted(r["file"] for r in rows) == sorted(e["file"] for _, e in CASES)
    by_file = {r["file"]: r for r in rows}
    for _, expected in CASES:
        assert by_file[expected["file"]]["outcome"] == expected["outcome"]


def test_a_second_run_over_the_same_files_records_duplicates_only(demo_run, tmp_path):
    settings, _, _ = demo_run
    stage(settings.data_home.inbox)
    summary = process(settings)
    assert {d.outcome for d in summary.documents} == {Outcome.DUPLICATE}
    assert not list(settings.data_home.inbox.iterdir())


def test_everything_in_the_data_home_is_its_owners_only(demo_run):
    settings, _, _ = demo_run
    for path in [settings.data_home.root, *settings.data_home.root.rglob("*")]:
        if path.is_symlink() or "prefect" in path.parts:
            continue
        assert path.stat().st_mode & 0o077 == 0, path


def test_a_run_leaves_the_garbage_collector_as_it_found_it(demo_run):
    """What the run's collector does, and how it puts the collector back, is tests/test_collector.py's."""
    import gc

    from pipeline.collector import RUN_THRESHOLDS

    assert gc.get_freeze_count() == 0 and gc.get_threshold() != RUN_THRESHOLDS  # after the demo run


@pytest.mark.parametrize("total, size", [(0, 200), (1, 200), (12, 200), (60, 200), (199, 200), (201, 200),
                                         (1000, 200), (5000, 200), (23, 5), (300, 20), (7, 1)])
def test_batches_cover_the_inbox_and_taper_towards_the_end(total, size):
    from pipeline.run import SMALLEST_BATCH, batch_sizes

    sizes = batch_sizes(total, size)
    assert sum(sizes) == total and all(0 < s <= size for s in sizes)
    smallest = max(-(-size // 8), SMALLEST_BATCH)
    if total >= 2 * size:  # a long run ends in batches that shrink down to the smallest
        tail = sizes[max(i for i, s in enumerate(sizes) if s == size) :]
        assert tail == sorted(tail, reverse=True) and tail[-1] <= smallest
    assert batch_sizes(1000, 200) == [200, 200, 200, 200, 100, 50, 25, 25]


def test_the_runs_own_process_leaves_the_document_libraries_to_the_workers():
    """Only the workers read documents: a run (an empty nightly one above all) does not pay for
    importing the PDF and Word libraries."""
    import subprocess
    import sys

    probe = "import sys, flows.process_inbox; print(sorted({'pdfplumber', 'pdfminer', 'pypdf', 'docx'} & set(sys.modules)))"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                           cwd=Path(__file__).resolve().parents[1])
    assert shown.stdout.strip() == "[]"
