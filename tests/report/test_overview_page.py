"""The coordinator overview (reports/overview.html): written by every run and by
`psp-pipeline overview`, safe with hostile agency names, file names and values, and in a real
browser (marked `browser`: headless Chromium, file:// URLs) clean, filterable and printable.
Screenshots go to the test's temporary folder."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from pipeline.load import program, schedule, store
from pipeline.report.html import content_security_policy
from pipeline.report.overview import OVERVIEW_NAME, style_sheet, write_overview
from pipeline.validate import ValidationContext
from schemas.reference import TrainingSession, load_reference
from tests.conftest import DETROIT, RECEIVED_AT, VALID_PACKET, VALID_PLAN, make_document
from tests.report.browser import open_page
from tests.report.conftest import HOSTILE

HOSTILE_AGENCY = f"{HOSTILE['script']} {HOSTILE['img']} CMH"
HOSTILE_LOCATION = HOSTILE["close"]
HOSTILE_FILE = f"{HOSTILE['img']}.pdf"
HOSTILE_NAME = HOSTILE["handler"]


def _reference_with_a_hostile_agency(folder: Path):
    packaged = Path(load_reference.__code__.co_filename).parent / "reference"
    shutil.copytree(packaged, folder)
    with (folder / "cmhsps.csv").open("a", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerow([HOSTILE_AGENCY, "Hostile CMH"])
    return load_reference(folder)


@pytest.fixture(scope="module")
def hostile_overview(tmp_path_factory, module_database_url) -> Path:
    """A store filled through the pipeline whose agency name, session location, file names and
    PSP name try their way into the page's markup, and its overview."""
    folder = tmp_path_factory.mktemp("hostile-overview")
    reference = _reference_with_a_hostile_agency(folder / "reference")
    context = ValidationContext(reference=reference, timezone=DETROIT)
    engine = store.open_store(module_database_url)
    schedule.seed_schedule(engine, reference.sessions)
    small = {"2027-01-LAN": TrainingSession("2027-01-LAN", date(2027, 1, 11), date(2027, 1, 15), 5, HOSTILE_LOCATION, 1)}

    def destination(received, outcome):
        return folder / "originals" / outcome.value / "x.pdf"

    schedule.import_schedule(engine, small, context, "coordinator", destination)
    documents = []
    for n, (form, changes, name) in enumerate([
        ("PSP-ORP", {}, "plan.pdf"),
        ("PSP-REG", {"psp_first_name": "Sam", "psp_email": "sam@example.org"}, "seat-taken.pdf"),
        ("PSP-REG", {"psp_last_name": HOSTILE_NAME}, HOSTILE_FILE),  # no seat left
        ("PSP-REG", {"cmhsp_name": HOSTILE_AGENCY, "psp_first_name": "Kim", "psp_email": "kim@example.org"},
         f"{HOSTILE['script']}.pdf"),  # its agency has no plan, and no seat
        ("PSP-ORP", {"cmhsp_name": "Hostile CMH", "supervisor_credential": "Other",
                     "supervisor_credential_other": HOSTILE["img"]}, "hostile-plan.pdf"),
    ], start=1):
        values = {**(VALID_PLAN if form == "PSP-ORP" else VALID_PACKET), **changes}
        document = make_document(form, values, name=name, received_at=RECEIVED_AT + timedelta(minutes=n))
        documents.append(document.model_copy(
            update={"received": document.received.model_copy(update={"sha256": f"{n:064x}"})}))
    run_id = store.start_run(engine)
    stored, _ = program.record_batch(engine, run_id, documents, context, destination)
    assert [s.outcome.value for s in stored] == ["accepted", "accepted", "held", "held", "needs_review"]
    path = write_overview(engine, reference.cmhsps, folder / "reports", zone=DETROIT,
                          now=datetime(2026, 12, 7, 14, 0, tzinfo=UTC))
    engine.dispose()
    return path


def test_a_run_writes_the_overview_beside_its_report(demo_home):
    reports = demo_home.data_home.reports
    page = (reports / OVERVIEW_NAME).read_text("utf-8")
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert len(scripts) == 1 and re.fullmatch(r'<script src="overview-[0-9a-f]{10}\.js" defer>', scripts[0])
    assert (reports / re.search(r'src="([^"]+)"', scripts[0]).group(1)).is_file()
    assert str(escape(content_security_policy(style_sheet()))) in page  # the style sheet by its hash
    assert page.count('<tr class="agency"') == len(load_reference(None).cmhsps)
    # The demo's held packet, with what it waits for and a link into the report of its run.
    assert re.search(r'<tr id="held-26">', page) and 'href="run-00001.html#doc-26"' in page
    assert "the readiness plan of Saginaw County Community Mental Health Authority" in page
    assert "<svg" in page and "Submissions per week" in page and "PSPs per certification stage" in page


def test_the_overview_command_writes_it_from_the_store(tmp_path, database_url, monkeypatch):
    from cli import app

    monkeypatch.setenv("PSP_DATABASE_URL", database_url)
    result = CliRunner().invoke(app, ["overview", "--home", str(tmp_path / "home")])
    assert result.exit_code == 0, result.output
    path = tmp_path / "home" / "reports" / OVERVIEW_NAME
    assert result.output.strip() == f"Overview: {path}"
    page = path.read_text("utf-8")
    assert "No form has been received from any agency yet." in page and "Nothing is held." in page
    assert page.count('<tr id="session-') == len(load_reference(None).sessions)  # the schedule the desk seeded


def test_hostile_values_are_escaped_in_the_markup(hostile_overview):
    page = hostile_overview.read_text("utf-8")
    for value in (HOSTILE["script"], HOSTILE["img"], HOSTILE["close"], HOSTILE["handler"]):
        assert value not in page
    assert "window.__pwned" in page  # there, as text
    assert len(re.findall(r"<script\b", page)) == 1 and "<img" not in page


@pytest.mark.browser
def test_the_overview_in_a_browser_hostile_values_show_as_text(browser, hostile_overview, tmp_path):
    page, watch = open_page(browser, hostile_overview, width=1200, height=1000)
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == 1
    # The hostile agency is active (a held packet names it), its name in its cell as text.
    agencies = page.eval_on_selector_all("#agencies-active tr.agency", "rows => rows.map(r => r.cells[0].textContent)")
    assert HOSTILE_AGENCY in agencies
    held = page.locator("#held").text_content()
    for value in (HOSTILE_FILE, HOSTILE_NAME, f"the readiness plan of {HOSTILE_AGENCY}", f"{HOSTILE['script']}.pdf"):
        assert value in held
    assert HOSTILE_LOCATION in page.locator("#session-2027-01-LAN").text_content()
    assert HOSTILE_LOCATION in held  # where the wait-listed packets wait
    assert "1 of 2 on its wait list" in held and "2 of 2 on its wait list" in held
    assert page.locator("#needs-review").text_content().count("ORP-R04") == 1
    page.hover("#held")
    assert page.evaluate("window.__pwned") is None
    assert watch.errors == []
    assert [r for r in watch.requests if not r.startswith(hostile_overview.parent.resolve().as_uri() + "/")] == []


@pytest.mark.browser
def test_agencies_filter_and_print_with_the_collapsed_ones(browser, hostile_overview, tmp_path):
    page, watch = open_page(browser, hostile_overview)
    visible = "rows => rows.filter(r => !r.hidden).map(r => r.cells[0].textContent)"
    assert page.locator("#agencies-rest").get_attribute("open") is None
    page.fill("#agency-search", "kalamazoo")
    assert page.eval_on_selector_all("tr.agency", visible) == ["Integrated Services of Kalamazoo"]
    assert page.locator("#agencies-rest").get_attribute("open") == ""  # it was among the quiet ones
    assert page.locator("#agency-status").text_content() == "Showing 1 of 47 agencies."
    page.fill("#agency-search", "")
    page.select_option("#agency-plan", "accepted")
    assert page.eval_on_selector_all("tr.agency", visible) == [
        "Community Mental Health Authority of Clinton-Eaton-Ingham Counties"
    ]
    page.click("#agency-reset")
    assert len(page.eval_on_selector_all("tr.agency", visible)) == 47
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert page.locator("#agency-controls").is_hidden() and page.locator("#agencies-quiet").is_visible()
    page.pdf(path=str(tmp_path / "overview.pdf"))
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert page.locator("#agencies-rest").get_attribute("open") is None
    assert (tmp_path / "overview.pdf").stat().st_size > 10_000
    assert watch.errors == []


def test_forget_writes_the_overview_again_without_the_psp(tmp_path, database_url, monkeypatch, validation_context):
    from cli import app

    monkeypatch.setenv("PSP_DATABASE_URL", database_url)
    home = tmp_path / "home"
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--home", str(home)]).exit_code == 0
    engine = store.open_store(database_url)
    packet = make_document("PSP-REG", {**VALID_PACKET, "psp_last_name": "Forgettable"}, name="forgettable.pdf")
    program.record_batch(engine, store.start_run(engine), [packet], validation_context,
                         lambda received, outcome: home / "originals" / outcome.value / received.original_name)
    engine.dispose()
    assert runner.invoke(app, ["overview", "--home", str(home)]).exit_code == 0
    page = home / "reports" / OVERVIEW_NAME
    assert "Forgettable" in page.read_text("utf-8") and "forgettable.pdf" in page.read_text("utf-8")  # held, REG-R10

    result = runner.invoke(app, ["forget", "--psp-email", VALID_PACKET["psp_email"], "--reason", "request",
                                 "--home", str(home)])
    assert result.exit_code == 0, result.output
    assert "Forgettable" not in page.read_text("utf-8") and "forgettable.pdf" not in page.read_text("utf-8")
    assert "Nothing is held." in page.read_text("utf-8")
