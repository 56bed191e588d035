"""What the run report links to, as written (no browser): every run in ``reports/index.html``, a
document waiting from an earlier run to that run's report, each original to where the data home
keeps it, and the values a search finds in the page's data. Two runs written into a data home's
folders, with synthetic documents."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from pipeline.report.document_report import document_summary
from pipeline.report.html import write_run_report
from pipeline.settings import DataHome
from tests.conftest import DETROIT, VALID_PACKET, make_document
from tests.report.conftest import stored_receipt

FIRST_RUN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 in Michigan
SECOND_RUN = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)


def _document(n: int, name: str, home: DataHome, validation_context, *, first_name: str = "Jordan", kept: bool = True):
    """Received file #n, read as a registration, its original kept in the home (``kept``) or not."""
    document = make_document("PSP-REG", {**VALID_PACKET, "psp_first_name": first_name}, name=name,
                             received_at=FIRST_RUN + timedelta(minutes=n))
    summary = document_summary(stored_receipt(n, document, validation_context), None, DETROIT)
    stored = home.originals / summary.outcome.value / name
    if kept:
        stored.parent.mkdir(parents=True, exist_ok=True)
        stored.write_bytes(b"%PDF-1.7 synthetic " + name.encode())
    return summary.model_copy(update={"stored_path": stored})


def _waiting(n: int, name: str, *, outcome: str = "needs_review") -> dict:
    return {"id": n, "file": name, "received_at": FIRST_RUN + timedelta(minutes=n), "form_id": "PSP-REG",
            "outcome": outcome, "reason": "REG-R07: the signature is old", "more": 0}


def _data(page: Path) -> dict:
    text = page.read_text("utf-8")
    start = text.index('<script type="application/json" id="psp-report-data">')
    start = text.index(">", start) + 1
    return json.loads(text[start:text.index("</script>", start)])


def _target(page: Path, href: str) -> Path:
    """The file a relative link of ``page`` leads to (its fragment left out)."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc and not href.startswith("/"), href
    return page.parent / unquote(parts.path)


@pytest.fixture
def two_runs(tmp_path: Path, validation_context):
    """Run 1 received #1-#3 (#2 waits for a person); run 2 received #4 (waits too) and #5, whose
    original is gone from the home; a reviewer decided on #3 between them."""
    home = DataHome(tmp_path / "home")
    home.reports.mkdir(parents=True)
    first = [_document(1, "packet-1.pdf", home, validation_context),
             _document(2, "José #2 ?.pdf", home, validation_context, first_name="José"),
             _document(3, "packet-3.pdf", home, validation_context)]
    write_run_report(home.reports, run_id=1, started_at=FIRST_RUN, finished_at=FIRST_RUN + timedelta(minutes=5),
                     documents=first, waiting=[_waiting(2, "José #2 ?.pdf")], zone=DETROIT)
    second = [_document(4, "Zoë's packet.pdf", home, validation_context, first_name="Zoë"),
              _document(5, "gone.pdf", home, validation_context, kept=False)]
    decision = {"at": SECOND_RUN - timedelta(hours=2), "id": 3, "file": "packet-3.pdf", "actor": "avery",
                "action": "accepted", "from": "needs_review", "to": "accepted", "reason": "checked by phone"}
    write_run_report(home.reports, run_id=2, started_at=SECOND_RUN, finished_at=SECOND_RUN + timedelta(minutes=1),
                     documents=second, waiting=[_waiting(2, "José #2 ?.pdf"), _waiting(4, "Zoë's packet.pdf", outcome="held")],
                     zone=DETROIT, decisions=[decision])
    return home


def test_the_index_lists_every_run_newest_first_in_michigan_time(two_runs):
    index = (two_runs.reports / "index.html").read_text("utf-8")
    assert re.findall(r'<tr data-run="(\d+)">', index) == ["2", "1"]
    # 10:00 and 10:05 on December 2 in Michigan (EST), as the program shows every time.
    assert "2026-12-02 10:00 EST" in index and "2026-12-02 10:05 EST" in index and "2026-12-03 10:00 EST" in index
    row = index[index.index('<tr data-run="1">'):index.index("</tr>", index.index('<tr data-run="1">'))]
    assert re.findall(r'<td class="num[^"]*">(\d+)</td>', row)[:2] == ["1", "3"]  # the run, its three files
    links = re.findall(r'href="([^"]+)"', index)
    assert "run-00001.html" in links and "run-00002.html" in links
    for href in links:
        assert _target(two_runs.reports / "index.html", href).is_file(), href
    # Written whole, as latest.html is: no temporary copy left beside it.
    assert not [p.name for p in two_runs.reports.iterdir() if p.name.endswith(".tmp")]


def test_the_index_is_the_same_read_again_from_the_twins_alone(two_runs):
    index = two_runs.reports / "index.html"
    before = index.read_text("utf-8")
    (two_runs.reports / "index.json").unlink()
    # Another run written: the two before it are read from their twins again.
    write_run_report(two_runs.reports, run_id=3, started_at=SECOND_RUN, finished_at=SECOND_RUN, documents=[],
                     waiting=[], zone=DETROIT)
    after = index.read_text("utf-8")
    assert re.findall(r'<tr data-run="(\d+)">', after) == ["3", "2", "1"]
    for run in ("1", "2"):
        row = re.compile(rf'<tr data-run="{run}">.*?</tr>', re.S)
        assert row.search(after).group() == row.search(before).group()


def test_a_document_waiting_from_an_earlier_run_links_to_that_runs_report(two_runs):
    page = two_runs.reports / "run-00002.html"
    waiting = {w["id"]: w for w in _data(page)["waiting"]}
    assert waiting[4]["href"] == "#doc-4" and "run" not in waiting[4]
    assert waiting[2]["href"] == "run-00001.html#doc-2" and waiting[2]["run"] == 1
    earlier = _target(page, waiting[2]["href"])
    assert earlier.is_file() and 2 in [d["id"] for d in _data(earlier)["docs"]]
    # So does a decision since the last run about a document of an earlier run.
    assert '<a href="run-00001.html#doc-3">packet-3.pdf</a>' in page.read_text("utf-8")


def test_each_original_is_linked_where_the_home_keeps_it(two_runs):
    for run, expected in ((1, {1, 2, 3}), (2, {4})):
        page = two_runs.reports / f"run-{run:05d}.html"
        docs = _data(page)["docs"]
        linked = {d["id"]: d["original"] for d in docs if "original" in d}
        assert set(linked) == expected
        for doc in docs:
            if doc["id"] in linked:
                assert linked[doc["id"]].startswith("../originals/")
                assert _target(page, linked[doc["id"]]).samefile(doc["stored"])
    # A name with '#', '?' and an accent is quoted, so that the link leads to the file, not a fragment.
    (jose,) = [d for d in _data(two_runs.reports / "run-00001.html")["docs"] if d["id"] == 2]
    assert "#" not in jose["original"] and "?" not in jose["original"]


def test_the_values_read_are_in_the_data_the_search_goes_through(two_runs):
    docs = {d["id"]: d for d in _data(two_runs.reports / "run-00002.html")["docs"]}
    shown = [v[0] for v in docs[4]["values"]]
    assert "Zoë" in shown and VALID_PACKET["psp_email"] in shown and VALID_PACKET["psp_city"] in shown


@pytest.mark.browser
def test_a_search_folds_accents_and_case_and_a_waiting_document_opens_in_its_run(browser, two_runs):
    from playwright.sync_api import expect

    from tests.report.browser import open_page

    page, watch = open_page(browser, two_runs.reports / "run-00002.html")
    documents = page.locator("#doc-table tbody tr.doc-row")
    waiting = page.locator("#wait-table tbody tr.wait-row")
    expect(documents).to_have_count(2)
    expect(waiting).to_have_count(2)
    for typed in ("zoe", "ZOË", "Zoe"):
        page.fill("#doc-search", typed)
        expect(documents).to_have_count(1)
        expect(documents.first).to_have_attribute("data-id", "4")
        page.fill("#doc-search", "")
        expect(documents).to_have_count(2)
    # The waiting list finds a value read (the city) of a document of this run, and a name folded.
    page.fill("#wait-search", "MASON")
    expect(waiting).to_have_count(1)
    expect(waiting.first).to_have_attribute("data-id", "4")
    page.fill("#wait-search", "jose")
    expect(waiting.first).to_have_attribute("data-id", "2")
    expect(waiting).to_have_count(1)
    assert "(run 1)" in waiting.first.text_content()
    # Its link leads to the report of the run that received it, opened at the document.
    waiting.first.locator("a[href^='run-00001.html']").click()
    page.wait_for_selector("#detail-2")
    assert page.url.endswith("run-00001.html#doc-2")
    assert watch.errors == []
