"""The run report in a real browser (headless Chromium, file:// URLs, as a reviewer opens it):
no console errors, nothing fetched from elsewhere, sorting, filtering, paging and links work, a
hostile value shows as text and runs nothing, and it prints. Screenshots go to the test's
temporary folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.report.browser import open_page
from tests.report.conftest import HOSTILE

pytestmark = pytest.mark.browser


def _cells(page, column: int) -> list[str]:
    return page.eval_on_selector_all(
        "#doc-table tbody tr.doc-row",
        f"rows => rows.map(r => (r.cells[{column}].querySelector('a[data-doc]') || r.cells[{column}]).textContent.trim())",
    )


def _only_local(watch, folder: Path) -> None:
    outside = [url for url in watch.requests if not url.startswith(folder.resolve().as_uri() + "/")]
    assert outside == [], outside


def _report(demo_home) -> tuple[Path, dict]:
    reports = demo_home.data_home.reports
    return reports / "latest.html", json.loads(max(reports.glob("run-*.json")).read_text("utf-8"))


def test_the_demo_report_opens_clean_and_shows_every_document(browser, demo_home, tmp_path):
    path, report = _report(demo_home)
    page, watch = open_page(browser, path)
    page.screenshot(path=str(tmp_path / "report-top.png"))
    assert page.locator("#doc-status").text_content().startswith(f"Showing 1–{len(report['documents'])} of")
    assert sorted(_cells(page, 2)) == sorted(d["file"] for d in report["documents"])
    assert all(note.is_hidden() for note in page.locator(".no-js").all())
    # Received order (oldest first) is the default.
    assert _cells(page, 3) == sorted(_cells(page, 3))
    page.locator("#documents").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "report-documents.png"), full_page=True)
    assert watch.errors == []
    _only_local(watch, path.parent)


def test_sorting_by_each_column(browser, demo_home, tmp_path):
    path, report = _report(demo_home)
    page, watch = open_page(browser, path)
    page.click("#doc-table th[data-sort=file] button")
    files = _cells(page, 2)
    # The names as the browser's collator orders them (case and accents second, digits as numbers).
    assert files == page.evaluate("names => names.slice().sort(new Intl.Collator('en', {numeric: true}).compare)", files)
    assert page.get_attribute("#doc-table th[data-sort=file]", "aria-sort") == "ascending"
    page.click("#doc-table th[data-sort=file] button")
    assert _cells(page, 2) == files[::-1]
    assert page.get_attribute("#doc-table th[data-sort=file]", "aria-sort") == "descending"
    page.click("#doc-table th[data-sort=outcome] button")
    order = ["needs review", "held", "rejected", "accepted", "duplicate"]
    outcomes = _cells(page, 5)
    assert outcomes == sorted(outcomes, key=order.index)
    page.click("#doc-table th[data-sort=id] button")
    assert [int(i) for i in _cells(page, 1)] == sorted(d["id"] for d in report["documents"])
    page.screenshot(path=str(tmp_path / "sorted.png"))
    assert watch.errors == []


def test_filtering_by_outcome_form_and_text(browser, demo_home, tmp_path):
    path, report = _report(demo_home)
    page, watch = open_page(browser, path)
    for outcome in ("needs_review", "held", "accepted", "duplicate"):
        page.uncheck(f"#doc-list input[data-outcome={outcome}]")
    rejected = [d for d in report["documents"] if d["outcome"] == "rejected"]
    assert set(_cells(page, 5)) == {"rejected"} and len(_cells(page, 5)) == len(rejected)
    page.select_option("#doc-form", "PSP-REG")
    assert len(_cells(page, 2)) == sum(1 for d in rejected if d["form_id"] == "PSP-REG")
    assert f"(of {len(report['documents'])} in this run)" in page.locator("#doc-status").text_content()
    page.click("#doc-reset")
    assert len(_cells(page, 2)) == len(report["documents"])
    rows = page.locator("#doc-table tbody tr.doc-row")
    page.fill("#doc-search", "REG-R07")
    expect(rows).to_have_count(1)
    assert _cells(page, 2) == ["reg_r07_old_signature.pdf"]
    page.fill("#doc-search", "no such thing at all")
    expect(rows).to_have_count(0)
    assert "No document matches" in page.locator("#doc-status").text_content()
    page.screenshot(path=str(tmp_path / "filtered.png"))
    assert watch.errors == []


def test_counts_and_the_waiting_list_lead_to_documents(browser, demo_home, tmp_path):
    path, report = _report(demo_home)
    page, watch = open_page(browser, path)
    page.click("#counts a[data-outcome=rejected][data-form='PSP-ORP']")
    assert set(_cells(page, 5)) == {"rejected"} and set(_cells(page, 4)) == {"PSP-ORP"}
    first_waiting = report["waiting"][0]
    page.click(f"#needs-a-person a[href='#doc-{first_waiting['id']}']")
    detail = page.locator(f"#detail-{first_waiting['id']}")
    assert detail.is_visible()
    assert page.evaluate("location.hash") == f"#doc-{first_waiting['id']}"
    document = next(d for d in report["documents"] if d["id"] == first_waiting["id"])
    text = detail.text_content()
    for finding in document["findings"]:
        assert finding["message"] in text
        if finding["rule"]:
            assert finding["rule"] in text
    assert "The form as read" in text and "Where read" in text
    page.screenshot(path=str(tmp_path / "waiting-document.png"))
    assert watch.errors == []


def test_a_rejected_document_shows_each_finding_with_label_value_place_and_confidence(browser, demo_home, tmp_path):
    path, report = _report(demo_home)
    document = next(d for d in report["documents"] if d["file"] == "orp_r01_missing_fields.pdf")
    page, watch = open_page(browser, path)
    page.click(f"button[data-toggle='{document['id']}']")
    rows = page.eval_on_selector_all(
        f"#detail-{document['id']} table.findings tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
    )
    assert rows == [
        ["ORP-R01", "Contact phone", "(empty)", "page 1 · PDF form field", "1.00", "error this is empty; fill it in"],
        [
            "ORP-R01",
            "Provide access to a computer with internet access, phone, copy machine, fax and workspace",
            "☐ not checked",
            "page 2 · PDF form field",
            "1.00",
            "error this box is not checked; it must be checked for the form to be accepted",
        ],
    ]
    assert page.locator(f"#detail-{document['id']} tr.has-finding").count() == 2
    assert "Notice written to" in page.locator(f"#detail-{document['id']}").text_content()
    page.locator(f"#detail-{document['id']}").screenshot(path=str(tmp_path / "rejected-document.png"))
    # Closing it takes the details out of the page again.
    page.click(f"button[data-toggle='{document['id']}']")
    assert page.locator(f"#detail-{document['id']}").count() == 0
    assert watch.errors == []


def test_hostile_values_show_as_text_and_run_nothing(browser, hostile_report, tmp_path):
    page, watch = open_page(browser, hostile_report)
    page.click("button[data-toggle='1']")
    page.hover("#detail-1")
    page.screenshot(path=str(tmp_path / "hostile.png"), full_page=False)
    assert page.evaluate("window.__pwned") is None
    detail = page.locator("#detail-1").text_content()
    for value in (HOSTILE["script"], HOSTILE["img"], HOSTILE["close"], HOSTILE["handler"]):
        assert value in detail
    assert HOSTILE["img"] + ".pdf" in page.locator("#doc-table").text_content()
    assert HOSTILE["script"] in page.locator("#needs-a-person").text_content()
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    assert watch.errors == []
    assert [r for r in watch.requests if not r.startswith("file://")] == []


def test_paging_keeps_the_page_light(browser, hostile_report, tmp_path):
    page, watch = open_page(browser, hostile_report)
    assert len(_cells(page, 1)) == 100
    assert page.locator("#doc-pager .page-label").text_content() == "Page 1 of 3"
    page.click("#doc-pager button[data-page=next]")
    assert _cells(page, 1)[0] == "101"
    page.click("#doc-pager button[data-page=last]")
    assert len(_cells(page, 1)) == 40 and page.locator("#doc-pager button[data-page=next]").is_disabled()
    page.select_option("#doc-page-size", "25")
    assert len(_cells(page, 1)) == 25
    page.click("#doc-open-all")
    assert page.locator("tr.detail").count() == 25
    # A link to a document on another page turns to that page.
    page.evaluate("location.hash = '#doc-200'")
    page.wait_for_selector("#detail-200")
    assert "Page 8 of 10" == page.locator("#doc-pager .page-label").text_content()
    assert watch.errors == []


def test_it_prints_every_filtered_document_without_the_controls(browser, hostile_report, tmp_path):
    page, watch = open_page(browser, hostile_report)
    page.uncheck("#doc-list input[data-outcome=accepted]")
    shown = len(_cells(page, 1))
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("#doc-list .controls").is_hidden() and page.locator("#doc-pager").is_hidden()
    assert page.locator("#wait-list .controls").is_hidden() and page.locator("#wait-pager").is_hidden()
    expected = page.evaluate("JSON.parse(document.getElementById('psp-report-data').textContent).docs.filter(d => d.outcome !== 'accepted').length")
    assert len(_cells(page, 1)) == expected >= shown
    page.pdf(path=str(tmp_path / "report.pdf"))
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert len(_cells(page, 1)) == shown
    assert (tmp_path / "report.pdf").stat().st_size > 10_000
    assert watch.errors == []


def test_an_empty_run_opens_clean(browser, tmp_path):
    from datetime import UTC, datetime

    from pipeline.report.html import write_run_report
    from tests.conftest import DETROIT

    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    html, _ = write_run_report(tmp_path, run_id=1, started_at=now, finished_at=now, documents=[], waiting=[], zone=DETROIT)
    page, watch = open_page(browser, html)
    assert "No document of this run matches" in page.locator("#doc-table").text_content()
    assert "Nothing waits for a person" in page.locator("#needs-a-person").text_content()
    assert watch.errors == []
