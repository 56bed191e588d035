"""pipeline.report.twin: a run report's JSON twin read back, its documents as ``DocumentReport`` again
one at a time (as the report writes it, or whole as another writer may), and anything else refused."""

from __future__ import annotations

import json

import pytest

from pipeline.model import Outcome
from pipeline.report.models import DocumentReport
from pipeline.report.twin import TWIN_DOCUMENTS, read_run_report, twin_json


def test_a_document_read_back_from_the_twin_is_typed_with_its_notice(demo_home):
    """The twin holds a notice as where and to whom; read back, it is the document's notice, for its outcome."""
    from pipeline.report.twin import read_run_report

    head, documents = read_run_report(max(demo_home.data_home.reports.glob("run-*.json")))
    notified = [d for d in documents if d.notice is not None]
    assert notified and {d.outcome for d in notified} <= {Outcome.REJECTED, Outcome.HELD}
    for document in notified:
        assert (document.notice.received_file_id, document.notice.outcome) == (document.id, document.outcome)
        assert document.notice.path.is_file()
        assert set(document.model_dump(mode="json")["notice"]) == {"path", "to"}


@pytest.fixture(scope="module")
def written(demo_home) -> list[dict]:
    """The documents of the demo's run as its twin holds them."""
    return json.loads(max(demo_home.data_home.reports.glob("run-*.json")).read_text("utf-8"))["documents"]


def test_the_twin_is_one_line_whatever_its_strings_hold():
    assert twin_json({"file": "a\nb", "name": "Zoë"}) == '{"file":"a\\nb","name":"Zoë"}'


def test_a_twin_as_the_report_writes_it_is_read_a_document_at_a_time(written, tmp_path):
    path = tmp_path / "run-00007.json"
    path.write_text(twin_json({"run_id": 7, "counts": {}})[:-1] + TWIN_DOCUMENTS
                    + ",".join(twin_json(d) for d in written[:3]) + "]}", "utf-8")
    head, documents = read_run_report(path)
    assert head == {"run_id": 7, "counts": {}}
    assert [d.file for d in documents] == [d["file"] for d in written[:3]]
    (tmp_path / "empty.json").write_text('{"run_id":8' + TWIN_DOCUMENTS + "]}", "utf-8")
    assert list(read_run_report(tmp_path / "empty.json")[1]) == []


def test_a_twin_written_whole_by_another_writer_is_read_too(written, tmp_path):
    path = tmp_path / "run-00007.json"
    path.write_text(json.dumps({"run_id": 7, "documents": written[:2]}, indent=2), "utf-8")
    head, documents = read_run_report(path)
    assert head == {"run_id": 7}
    assert all(isinstance(d, DocumentReport) for d in documents)


@pytest.mark.parametrize("text", ['{"documents": 3}', "[1, 2]", '{"counts":{}' + TWIN_DOCUMENTS + "]}"])
def test_a_file_that_is_no_run_report_is_refused(tmp_path, text):
    (tmp_path / "other.json").write_text(text, "utf-8")
    with pytest.raises(ValueError, match="other.json is not a run report"):
        read_run_report(tmp_path / "other.json")


def test_a_twin_cut_short_is_refused_while_its_documents_are_gone_through(written, tmp_path):
    path = tmp_path / "run-00007.json"
    path.write_text('{"run_id":7' + TWIN_DOCUMENTS + twin_json(written[0]) + "]} and more", "utf-8")
    _, documents = read_run_report(path)
    with pytest.raises(ValueError, match="does not end as a run report does"):
        list(documents)
