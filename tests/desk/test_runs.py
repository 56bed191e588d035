"""Runs and the program in the desk: the index of past runs with their counts, each linked to its
report; the reports folder served read-only (nothing outside it, however the name is spelled) under
a policy of the desk's that allows the page's own inline style by its hash and no inline script;
the overview rendered from the store; a report's link to an original leading to its document. In
Debian's Chromium, a report served by the desk draws itself with no policy violation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pipeline.desk.runs import report_policy
from pipeline.load import store
from pipeline.load.queries import past_runs
from pipeline.report.document_report import document_summary
from pipeline.report.html import write_run_report
from tests.conftest import form_as_read
from tests.desk.conftest import PASSWORD, REVIEWER
from tests.desk.test_decisions import HOSTILE
from tests.report.browser import PageWatch, chromium, chromium_available

HTML = {"Accept": "text/html"}
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")")


@pytest.fixture
def a_run(desk, stored):
    """One run that received a plan (accepted) and a packet that waits, finished with its report."""
    hostile = form_as_read("PSP-REG", {"psp_city": HOSTILE}, number=2, unsure="psp_city")
    receipts = stored(form_as_read("PSP-ORP", number=1), hostile)
    (run,) = past_runs(desk.engine)
    started = run["started_at"]
    page, _ = write_run_report(desk.settings.data_home.reports, run_id=run["id"], started_at=started,
                               finished_at=started + timedelta(minutes=2), waiting=[], zone=desk.settings.zone,
                               documents=[document_summary(r, None, desk.settings.zone) for r in receipts])
    store.finish_run(desk.engine, run["id"], files_seen=2, report_path=page)
    return run["id"], page, receipts


def test_the_runs_index_lists_each_run_with_its_counts_and_its_report(reviewer, a_run):
    run_id, page, _ = a_run
    index = reviewer.get("/runs", headers=HTML)
    assert index.status_code == 200
    assert f'href="/reports/{page.name}"' in index.text
    assert "1 accepted, 1 needs review" in index.text and "completed" in index.text
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d E[SD]T", index.text)
    assert 'href="/runs" aria-current="page"' in index.text


def test_a_report_is_served_with_its_own_style_by_hash_and_no_inline_script(reviewer, a_run):
    _, page, receipts = a_run
    served_page = reviewer.get(f"/reports/{page.name}", headers=HTML)
    assert served_page.status_code == 200 and served_page.text == page.read_text("utf-8")
    policy = served_page.headers["content-security-policy"]
    assert policy == report_policy(served_page.text)
    assert "'unsafe-inline'" not in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert re.search(r"style-src 'sha256-[A-Za-z0-9+/=]+';", policy)
    assert served_page.headers["x-frame-options"] == "DENY" and served_page.headers["cache-control"] == "no-store"
    assert not INLINE_SCRIPT.search(served_page.text) and "<script>alert" not in served_page.text
    (script,) = re.findall(r'<script src="([^"]+)"', served_page.text)
    served_script = reviewer.get(f"/reports/{script}")
    assert served_script.status_code == 200 and served_script.headers["content-type"].startswith("text/javascript")
    assert reviewer.get("/reports/index.html", headers=HTML).status_code == 200

    # The report's link to an original leads to its document in the desk.
    packet = receipts[1]
    kept = packet.stored_path.relative_to(reviewer.app.state.desk_app.desk.settings.data_home.originals)
    opened = reviewer.get(f"/originals/{kept.as_posix()}", headers=HTML, follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (303, f"/documents/{packet.received_file_id}")


def test_nothing_outside_the_reports_folder_is_served(reviewer, desk, a_run):
    home = desk.settings.data_home
    (home.root / "secret.html").write_text("<p>outside</p>")
    (home.reports / "link.html").symlink_to(home.root / "secret.html")
    (home.reports / "notes.txt").write_text("not a report file")
    (home.reports / "sub").mkdir()
    (home.reports / "sub" / "inner.html").write_text("<p>inner</p>")
    for name in ("..%2Fsecret.html", "%2E%2E%2Fsecret.html", "%2e%2e", "link.html", "notes.txt", ".hidden.html",
                 "sub/inner.html", "sub%2Finner.html", "%2Fetc%2Fpasswd", "..%5Csecret.html", "run-99999.html"):
        response = reviewer.get(f"/reports/{name}", headers=HTML)
        assert response.status_code == 404, name
        assert "outside" not in response.text and "inner" not in response.text, name
    for name in ("..%2F..%2Fsecret.html", "%2E%2E/secret.html", "accepted%2F..%2F..%2Fsecret.html"):
        assert reviewer.get(f"/originals/{name}", headers=HTML, follow_redirects=False).status_code == 404, name


def test_the_overview_is_rendered_from_the_store_in_the_desk(reviewer, desk, a_run):
    moved = reviewer.get("/overview", headers=HTML, follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, "/reports/overview.html")
    overview = reviewer.get("/reports/overview.html", headers=HTML)
    assert overview.status_code == 200 and "PSP program overview" in overview.text
    assert overview.headers["content-security-policy"] == report_policy(overview.text)
    assert "<strong>1</strong> need review" in overview.text
    assert "&lt;script&gt;" in overview.text or HOSTILE not in overview.text
    assert "<script>alert" not in overview.text and not INLINE_SCRIPT.search(overview.text)


def test_the_runs_pages_refuse_a_request_without_a_session(client, a_run):
    _, page, _ = a_run
    for path in ("/runs", "/overview", f"/reports/{page.name}", "/reports/overview.html", "/originals/x.pdf"):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 401, path
        refused = client.get(path, headers=HTML, follow_redirects=False)
        assert (refused.status_code, refused.headers["location"]) == (303, "/login"), path


@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (make system-deps)")
def test_a_report_served_by_the_desk_draws_itself_in_chromium_without_a_policy_violation(desk, a_run, served):
    _, page_file, _ = a_run
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        watch = PageWatch(page)
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{served}/login")
        page.get_by_label("Name").fill(REVIEWER)
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{served}/")
        for path in (f"/reports/{page_file.name}", "/reports/overview.html"):
            page.goto(f"{served}{path}")
            page.wait_for_selector("html[data-ready]", state="attached", timeout=30_000)
        page.goto(f"{served}/reports/{page_file.name}")
        page.wait_for_selector("html[data-ready]", state="attached", timeout=30_000)
        assert page.locator("tr", has_text="PSP-REG-2.pdf").count() >= 1  # drawn by its script
        assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"  # its style applied
        # A policy violation is reported on the console ("Refused to ..."); the only resource that
        # fails is the browser's own favicon request, which is not the page's (``failed`` is empty).
        assert [e for e in watch.errors if "Failed to load resource" not in e] == [] and failed == [], watch.errors
        assert all(url.startswith(served) for url in watch.requests)
