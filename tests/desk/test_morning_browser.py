"""The coordinator's whole morning in Debian's Chromium, at 1280 px, with nothing typed in a
terminal: sign in, narrow the queue by form and by a search, open a packet and correct its unsure
value by its printed label (previewed, then saved), type in a scan's values (previewed, then
saved), accept a plan, reject another with a message to its agency (the notice previewed first),
reopen that rejection with its reason and reject it again, send the notices to a real SMTP server
(exactly the one that stands goes), then sign out. No page raises a script error or breaks the
desk's Content-Security-Policy; the queue and a document need no sideways scrolling at tablet
width (768 px); the queue's first document is reached by Tab and opened with Enter.

With ``PSP_SCREENSHOTS=docs/screenshots`` the same walk takes the README's screenshots (1280x800):
the queue, a document with a value's place drawn over its page, and the data-entry form."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pipeline.extract import extract
from pipeline.intake import receive
from pipeline.load import outbox, review
from pipeline.load.store import utcnow
from pipeline.model import DecisionAction, ExtractedDocument, Outcome
from samples.fill import fill_pdf
from tests.conftest import RECEIVED_AT, SAMPLES, VALID_PACKET, form_as_read
from tests.desk.conftest import COORDINATOR, PASSWORD, with_real_pdf
from tests.desk.test_decisions import UNSURE_PLAN
from tests.desk.test_entry_browser import type_in
from tests.desk.test_notices import smtp  # noqa: F401 - the fixture
from tests.load.test_entry import typed, unreadable_scan
from tests.report.browser import chromium, chromium_available

pytestmark = pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (make system-deps)")

WASHTENAW = "Washtenaw County Community Mental Health"
BARRY = "Barry County Community Mental Health Authority"
TO_REJECT = "jordan.sample@example.org"
FIRST_MESSAGE = "Please send the supervisor's licence."
SECOND_MESSAGE = "Please send the supervisor's licence and the signed page 2."
NOTE = "INTERNAL: checked with the agency by phone"
WIDE, TABLET = {"width": 1280, "height": 800}, {"width": 768, "height": 1024}


def _packet_read_unsure(tmp_path: Path) -> ExtractedDocument:
    """A filled registration packet read as a run reads it (each value's place on the page known),
    its home city misspelt by the sender and read below the confidence a value is decided on: it
    waits for a person."""
    path = tmp_path / "inbox" / "PSP-REG-morning.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    fill_pdf(SAMPLES / "forms" / "PSP-REG_2025.1.pdf", {**VALID_PACKET, "psp_city": "Masn"}, path)
    document = extract(receive(path, path.parent))
    fields = dict(document.fields)
    fields["psp_city"] = fields["psp_city"].model_copy(update={"confidence": 0.5})
    received = document.received.model_copy(update={"received_at": RECEIVED_AT})  # the oldest waiting
    return document.model_copy(update={"fields": fields, "received": received})


def _watched(page) -> list[str]:
    """What goes wrong on the page while it is open: uncaught script errors, and console errors (a
    blocked inline script or style, a CSP violation, is one)."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on("console", lambda message: problems.append(f"console: {message.text} {message.location.get('url')}")
            if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico") else None)
    return problems


def _screenshot(page, name: str) -> None:
    """The viewport as a PNG in the folder PSP_SCREENSHOTS names (the README's pictures); none without it."""
    folder = os.environ.get("PSP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def _no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def _decided(page, served: str, rid: int, done: str) -> None:
    page.wait_for_url(f"{served}/documents/{rid}?done={done}")
    assert page.get_by_role("status").is_visible()


def _sign_in(page, served: str) -> None:
    page.goto(f"{served}/login")
    page.locator('input[name="username"]').fill(COORDINATOR)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(f"{served}/")


def _filter_and_search(page, served: str, waiting: dict[str, int]) -> None:
    """The queue narrowed by form, then by outcome and a search, then cleared."""
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == len(waiting)
    page.get_by_label("Form", exact=True).select_option("PSP-ORP")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*[?&]form=PSP-ORP\b.*"))
    assert sorted(int(text.strip("#")) for text in rows.locator("td:first-child a").all_inner_texts()) == \
        sorted([waiting["accept"], waiting["reject"]])
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Outcome").select_option("needs_review")
    page.get_by_label("Search").fill(TO_REJECT)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*[?&]q=jordan.*"))
    assert rows.locator("td:first-child a").all_inner_texts() == [f"#{waiting['reject']}"]
    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(f"{served}/")
    assert rows.count() == len(waiting)


def _first_document_by_keyboard(page, served: str, first: int) -> None:
    """Tab from the top of the queue reaches its first document's link; Enter opens it."""
    link = f"/documents/{first}"
    assert page.locator("table.queue tbody tr").first.locator("a").first.get_attribute("href") == link
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.getAttribute('href')") or ""
        if focused.startswith("/documents/"):
            break
    else:
        pytest.fail("no document link of the queue is reachable by Tab")
    assert focused == link  # the first document reached is the queue's first
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served}{link}")


def _correct_by_label(page, served: str, rid: int) -> None:
    """The unsure home city shown on its page, corrected by its printed label: previewed, then saved."""
    page.goto(f"{served}/documents/{rid}")
    page.locator("#page-1 img").scroll_into_view_if_needed()
    page.wait_for_load_state("networkidle")  # the page's picture drawn (the CSP allows no eval to ask)
    page.get_by_role("link", name=re.compile(r"^show on page 1\s*: Home city$")).focus()
    assert page.locator("#page-1 .place").is_visible()
    page.evaluate("window.scrollTo(0, 0)")  # the title, the findings and the place on page 1 in one view
    _screenshot(page, "document")
    page.get_by_label("Field, by its printed label").select_option(label="Home city")
    page.get_by_label("The value as it should have been read").fill("Mason")
    page.get_by_role("button", name="Preview the outcome").click()
    page.wait_for_url(re.compile(rf".*/documents/{rid}/correction\?.*"))
    assert "would be accepted" in " ".join(page.get_by_role("main").inner_text().split())
    page.get_by_label("Internal note (never sent)").fill("city confirmed on the original")
    page.get_by_role("button", name="Save the correction").click()
    _decided(page, served, rid, DecisionAction.CORRECTED.value)


def _type_in_scan(page, served: str, rid: int) -> None:
    """The scan's form chosen, every value typed in by its label, previewed, then saved."""
    values = typed("PSP-REG", psp_first_name="Kim", psp_email="kim.sample@example.org", hire_date="2026-11-16", psp_signature_date="2026-12-01",
                   supervisor_signature_date="2026-12-01", director_signature_date="2026-12-01")
    page.goto(f"{served}/documents/{rid}")
    page.get_by_role("link", name=re.compile("^Type in every value")).click()
    page.get_by_label("Portal PSP Registration Packet").check()
    page.get_by_role("button", name="Type in its values").click()
    type_in(page, "PSP-REG", values)
    page.evaluate("window.scrollTo(0, 0)")
    _screenshot(page, "entry")
    page.get_by_role("button", name="Preview the outcome").click()
    assert "would be accepted" in " ".join(page.locator(".entry-preview").inner_text().split())
    page.get_by_label("Internal note").fill("typed in from the fax")
    page.get_by_role("button", name="Save these values").click()
    _decided(page, served, rid, DecisionAction.ENTERED.value)


def _reject(page, served: str, desk, rid: int, message: str) -> None:
    """Rejected with a message to the agency: the notice previewed (nothing written), then confirmed."""
    page.goto(f"{served}/documents/{rid}")
    page.get_by_label("Message to the agency (optional, one line, in the notice)").fill(message)
    page.get_by_role("button", name="Preview the notice").click()
    page.wait_for_url(re.compile(rf".*/documents/{rid}/rejection\?.*"))
    assert message in page.locator("pre.notice-body").inner_text()
    assert TO_REJECT in page.locator(".notice-headers").inner_text()
    assert review.show(desk.engine, rid)["outcome"] is Outcome.NEEDS_REVIEW  # nothing written yet
    page.get_by_label("Internal note (never sent)").fill(NOTE)
    page.get_by_role("button", name="Confirm: reject and write the notice").click()
    _decided(page, served, rid, DecisionAction.REJECTED.value)


def _reopen(page, served: str, rid: int) -> None:
    page.get_by_role("button", name="Reopen…").click()
    page.wait_for_url(re.compile(rf".*/documents/{rid}/reopen.*"))
    page.get_by_label("Why it is reopened (internal, never sent)").fill("the agency phoned: one more page is coming")
    page.get_by_role("button", name="Confirm: reopen").click()
    page.wait_for_url(re.compile(rf".*/documents/{rid}(\?.*)?$"))


def _usable_at_tablet_width(page, served: str, rid: int) -> None:
    page.set_viewport_size(TABLET)
    for path in ("/", f"/documents/{rid}"):
        page.goto(f"{served}{path}")
        assert _no_sideways_scrolling(page), f"{path} scrolls sideways at 768 px"
    page.set_viewport_size(WIDE)


def test_the_coordinators_morning_from_the_queue_to_the_notices_sent(desk, stored, served, smtp, tmp_path):  # noqa: F811
    stored(form_as_read("PSP-ORP", number=1))  # the agency's plan on file: its packets are not held
    packet, scan, to_accept, to_reject = stored(
        _packet_read_unsure(tmp_path), with_real_pdf(unreadable_scan(3)),
        form_as_read("PSP-ORP", {**UNSURE_PLAN, "cmhsp_name": BARRY}, number=4, minutes=40),
        form_as_read("PSP-ORP", {**UNSURE_PLAN, "cmhsp_name": WASHTENAW, "contact_email": TO_REJECT}, number=5, minutes=50))
    waiting = {"correct": packet.received_file_id, "type in": scan.received_file_id,
               "accept": to_accept.received_file_id, "reject": to_reject.received_file_id}
    assert {receipt.outcome for receipt in (packet, scan, to_accept, to_reject)} == {Outcome.NEEDS_REVIEW}

    with chromium() as browser:
        page = browser.new_page(viewport=WIDE)
        problems = _watched(page)
        _sign_in(page, served)
        _screenshot(page, "queue")
        _filter_and_search(page, served, waiting)
        _first_document_by_keyboard(page, served, min(waiting.values()))
        _usable_at_tablet_width(page, served, packet.received_file_id)

        _correct_by_label(page, served, packet.received_file_id)
        _type_in_scan(page, served, scan.received_file_id)

        page.goto(f"{served}/documents/{to_accept.received_file_id}")
        page.get_by_label("Internal note (never sent)").fill("LBSW approved by the office")
        page.get_by_role("button", name="Accept", exact=True).click()
        _decided(page, served, to_accept.received_file_id, DecisionAction.ACCEPTED.value)

        _reject(page, served, desk, to_reject.received_file_id, FIRST_MESSAGE)
        _reopen(page, served, to_reject.received_file_id)
        assert review.show(desk.engine, to_reject.received_file_id)["outcome"] is Outcome.NEEDS_REVIEW
        _reject(page, served, desk, to_reject.received_file_id, SECOND_MESSAGE)

        page.get_by_role("link", name="Notices", exact=True).click()
        page.get_by_role("button", name="Send every notice due now").click()
        assert "Sent 1; failed 0" in page.get_by_role("status").inner_text()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{served}/login")
        page.goto(f"{served}/")
        page.wait_for_url(re.compile(rf"{re.escape(served)}/login.*"))
        assert problems == []

    city = next(f for f in review.show(desk.engine, packet.received_file_id)["fields"] if f["key"] == "psp_city")
    assert city["value"] == "Mason"
    expected = {packet.received_file_id: Outcome.ACCEPTED, scan.received_file_id: Outcome.ACCEPTED,
                to_accept.received_file_id: Outcome.ACCEPTED, to_reject.received_file_id: Outcome.REJECTED}
    assert {rid: review.show(desk.engine, rid)["outcome"] for rid in expected} == expected
    actions = [d["action"] for d in review.show(desk.engine, to_reject.received_file_id)["decisions"]]
    assert actions[-3:] == [DecisionAction.REJECTED, DecisionAction.REOPENED, DecisionAction.REJECTED]
    # Exactly the standing notice went: the first rejection's was withdrawn by the reopening.
    (received,) = smtp.received
    assert smtp.recipients() == [TO_REJECT]
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    assert SECOND_MESSAGE in body and FIRST_MESSAGE not in body and "INTERNAL" not in body
    statuses = sorted(item.status(utcnow()).value for item in outbox.notices(desk.engine))
    assert statuses == ["sent", "withdrawn"]
