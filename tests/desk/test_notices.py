"""Notices in the desk: a rejection's notice previewed as the agency will read it before anything is
written (the internal note never in it), the outbox shown as the agency reads it with hostile values
as text, and the coordinator sending it through a real SMTP server exactly once, recorded as who
had it sent (the command line's OS user likewise); a reviewer may not send, and no route of it
answers without a session or a CSRF token."""

from __future__ import annotations

import getpass
import html
import re
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from cli.main import app as cli_app
from pipeline.load import outbox, review
from pipeline.load.outbox import NoticeStatus
from pipeline.load.store import utcnow
from pipeline.model import Outcome
from pipeline.service import after_change
from tests.conftest import form_as_read
from tests.desk.conftest import COORDINATOR, PASSWORD, REVIEWER
from tests.desk.test_decisions import HOSTILE, UNSURE_PLAN, _store_state
from tests.report.browser import chromium, chromium_available
from tests.report.smtp import SmtpTestServer

HTML = {"Accept": "text/html"}
MESSAGE = "Please send the supervisor's licence."
NOTE = "INTERNAL: the supervisor called, do not quote"
BODY = re.compile(r'<pre class="notice-body">(.*?)</pre>', re.DOTALL)


@pytest.fixture
def smtp(desk) -> Iterator[SmtpTestServer]:
    """A real SMTP server (aiosmtpd), named in the desk's settings as an office would name its own."""
    with SmtpTestServer() as server:
        desk.settings = desk.settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": server.port, "smtp_starttls": False, "smtp_timeout": 10})
        yield server


def _rejected(desk, stored, *documents) -> list[int]:
    """The documents stored waiting, then rejected as the command line rejects them (notices written)."""
    ids = [receipt.received_file_id for receipt in stored(*documents)]
    for rid in ids:
        review.reject(desk.engine, rid, actor="tests", reason=NOTE, destination=desk.router.destination,
                      message_to_agency=MESSAGE)
    after_change(desk)
    return ids


def _plan(number: int, **changes: str):
    return form_as_read("PSP-ORP", {**UNSURE_PLAN, **changes}, number=number)


def test_a_rejection_is_previewed_as_the_agency_reads_it_and_written_only_when_confirmed(reviewer, desk, stored):
    (plan,) = stored(_plan(1))
    rid = plan.received_file_id
    document = reviewer.get(f"/documents/{rid}", headers=HTML)
    assert f'method="get" action="/documents/{rid}/rejection"' in document.text
    before, files_before = _store_state(desk.engine), sorted(desk.settings.data_home.root.rglob("*"))

    preview = reviewer.get(f"/documents/{rid}/rejection", params={"message_to_agency": MESSAGE}, headers=HTML)
    assert preview.status_code == 200
    assert "<dt>To</dt><dd>avery.sample@example.org</dd>" in preview.text
    assert "please correct and resend" in preview.text and str(escape(MESSAGE)) in preview.text
    assert _store_state(desk.engine) == before and sorted(desk.settings.data_home.root.rglob("*")) == files_before

    done = reviewer.post_form(f"/documents/{rid}/reject", note=NOTE, message_to_agency=MESSAGE)
    assert done.status_code == 200 and "Rejected." in done.text
    assert review.show(desk.engine, rid)["outcome"] == Outcome.REJECTED
    (written,) = desk.settings.data_home.notices.rglob("*.eml")
    body = message_from_bytes(written.read_bytes(), policy=policy.default).get_body().get_content()
    # The preview is the notice written (its text, word for word), and the internal note is in neither.
    assert html.unescape(BODY.search(preview.text).group(1)) == body
    assert MESSAGE in body and "INTERNAL" not in body and "INTERNAL" not in preview.text


def test_a_message_the_notice_could_not_show_is_refused_at_the_preview(reviewer, desk, stored):
    (plan,) = stored(_plan(1))
    refused = reviewer.get(f"/documents/{plan.received_file_id}/rejection",
                           params={"message_to_agency": "two\nlines"}, headers=HTML)
    assert refused.status_code == 400 and "line break" in refused.text
    accepted = stored(form_as_read("PSP-ORP", number=2))[0]
    assert reviewer.get(f"/documents/{accepted.received_file_id}/rejection", headers=HTML).status_code == 400
    assert reviewer.get("/documents/999/rejection", headers=HTML).status_code == 404


def test_a_correction_that_holds_the_form_previews_the_notice_it_writes(reviewer, desk, stored):
    barry = {"cmhsp_name": "Barry County Community Mental Health Authority",  # no plan on file: REG-R10 holds it
             "psp_first_name": "Jordan", "psp_email": "jordan.psp@example.org"}
    _, packet, held_packet = stored(form_as_read("PSP-ORP", number=3), form_as_read("PSP-REG", number=1, unsure="psp_city"),
                                    form_as_read("PSP-REG", barry, number=2, unsure="psp_city"))
    assert held_packet.outcome is Outcome.NEEDS_REVIEW
    before = _store_state(desk.engine)
    plain = reviewer.get(f"/documents/{packet.received_file_id}/correction", params={"field": "psp_city", "value": "Mason"},
                         headers=HTML)
    assert "outcome accepted" in plain.text and "notice-body" not in plain.text  # an accept writes no notice
    held = reviewer.get(f"/documents/{held_packet.received_file_id}/correction",
                        params={"field": "psp_city", "value": "Mason"}, headers=HTML)
    assert "outcome held" in held.text and "The notice it writes" in held.text
    assert "received, waiting" in held.text and "notice-body" in held.text
    assert _store_state(desk.engine) == before and not list(desk.settings.data_home.notices.rglob("*.eml"))


def test_the_outbox_shows_each_notice_as_the_agency_reads_it_and_hostile_values_as_text(reviewer, desk, stored):
    hostile = _plan(1, contact_name=HOSTILE, agency_city=HOSTILE)
    hostile = hostile.model_copy(update={"received": hostile.received.model_copy(
        update={"original_name": f"{HOSTILE}.pdf", "sender": HOSTILE})})
    (rid,) = _rejected(desk, stored, hostile)
    (item,) = outbox.notices(desk.engine)
    for page in (reviewer.get("/notices", headers=HTML), reviewer.get(f"/notices/{item.id}", headers=HTML)):
        assert page.status_code == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
        assert f'href="/documents/{rid}"' in page.text and "please correct and resend" in page.text
        assert str(escape(MESSAGE)) in page.text and "INTERNAL" not in page.text
    listing = reviewer.get("/notices", headers=HTML).text
    assert "Waiting to go (1)" in listing and "pending" in listing
    assert 'action="/notices/send"' not in listing and "A coordinator sends them." in listing
    assert reviewer.get("/notices/999", headers=HTML).status_code == 404


def test_the_coordinator_sends_through_smtp_exactly_once_and_is_recorded(coordinator, desk, stored, smtp):
    _rejected(desk, stored, _plan(1), _plan(2, contact_email="jordan.sample@example.org", cmhsp_name="Barry County Community Mental Health Authority"))
    first, second = outbox.notices(desk.engine)
    listing = coordinator.get("/notices", headers=HTML).text
    assert listing.count('action="/notices/send"') == 3  # every one due, and each on its own

    one = coordinator.post_form("/notices/send", notice=str(second.id))
    assert one.status_code == 200 and "Sent 1; failed 0" in one.text
    assert smtp.recipients() == ["jordan.sample@example.org"]
    rest = coordinator.post_form("/notices/send")
    assert "Sent 1; failed 0" in rest.text and "Nothing waits to be sent." in rest.text
    again = coordinator.post_form("/notices/send")
    assert "Sent 0; failed 0" in again.text
    assert sorted(smtp.recipients()) == ["avery.sample@example.org", "jordan.sample@example.org"]

    sent = {item.id: item for item in outbox.notices(desk.engine)}
    assert {item.sent_by for item in sent.values()} == {COORDINATOR}
    assert all(item.status(utcnow()) is NoticeStatus.SENT for item in sent.values())
    assert f"<td>{COORDINATOR}</td>" in again.text and re.search(r"\d\d:\d\d E[SD]T", again.text)
    delivered = smtp.received[0].message
    assert delivered["Subject"] == message_from_bytes(second.path.read_bytes(), policy=policy.default)["Subject"]
    assert first.id in sent


def test_a_notice_refused_by_the_server_shows_why_and_stays_waiting(coordinator, desk, stored, smtp):
    smtp.refuse.add("avery.sample@example.org")
    _rejected(desk, stored, _plan(1))
    result = coordinator.post_form("/notices/send")
    assert "Sent 0; failed 1" in result.text and "550 5.1.1 no such mailbox here" in result.text
    (item,) = outbox.notices(desk.engine)
    assert item.status(utcnow()) is NoticeStatus.FAILED and item.sent_by is None
    assert "Goes again with the next sending" in result.text


def test_without_an_smtp_server_the_desk_says_so_and_sends_nothing(coordinator, desk, stored):
    _rejected(desk, stored, _plan(1))
    result = coordinator.post_form("/notices/send")
    assert result.status_code == 200 and "no SMTP server is configured" in result.text
    (item,) = outbox.notices(desk.engine)
    assert item.status(utcnow()) is NoticeStatus.PENDING and item.attempts == 0


def test_a_possibly_sent_notice_waits_for_the_coordinators_say(coordinator, desk, stored, smtp):
    _rejected(desk, stored, _plan(1))
    (item,) = outbox.notices(desk.engine)
    sender = "elsewhere:1:gone"
    assert outbox.claim(desk.engine, item.id, sender, kind=item.kind)
    assert outbox.mark_possibly_sent(desk.engine, item.id, sender, kind=item.kind)
    outbox.leave_in_doubt(desk.engine, item.id, sender, "possibly sent: no reply", kind=item.kind)

    listing = coordinator.get("/notices", headers=HTML).text
    assert "Possibly sent: a person decides (1)" in listing and "it may have been delivered" in listing
    assert "Sent 0" in coordinator.post_form("/notices/send").text and smtp.received == []

    put_back = coordinator.post_form(f"/notices/{item.id}/resend")
    assert put_back.status_code == 200 and f"Notice #{item.id}" in put_back.text and "is back among" in put_back.text
    (back,) = outbox.notices(desk.engine)
    assert back.status(utcnow()) is NoticeStatus.PENDING and back.resend_by == COORDINATOR
    assert coordinator.post_form(f"/notices/{item.id}/resend").status_code == 400  # not possibly sent now
    assert "Sent 1" in coordinator.post_form("/notices/send").text and len(smtp.received) == 1


def test_a_reviewer_may_not_send_nor_resend(reviewer, desk, stored, smtp):
    _rejected(desk, stored, _plan(1))
    (item,) = outbox.notices(desk.engine)
    assert reviewer.post_form("/notices/send").status_code == 403
    assert reviewer.post_form("/notices/send", notice=str(item.id)).status_code == 403
    assert reviewer.post_form(f"/notices/{item.id}/resend").status_code == 403
    assert smtp.received == [] and outbox.notices(desk.engine)[0].attempts == 0


def test_the_notice_routes_refuse_a_request_without_a_session_or_a_csrf_token(client, desk, stored, smtp):
    _rejected(desk, stored, _plan(1))
    (item,) = outbox.notices(desk.engine)
    gets = ["/notices", f"/notices/{item.id}", f"/documents/{item.received_file_id}/rejection"]
    posts = ["/notices/send", f"/notices/{item.id}/resend"]
    for path in gets + posts:
        method = "POST" if path in posts else "GET"
        assert client.request(method, path, headers={"Accept": "application/json"}).status_code == 401, path
    client.sign_in(COORDINATOR)
    for path in posts:
        for token in (None, "forged"):
            assert client.post(path, data={} if token is None else {"csrf_token": token}).status_code == 403, path
    assert smtp.received == [] and outbox.notices(desk.engine)[0].attempts == 0


def test_the_command_line_records_its_os_user_as_who_sent(settings, desk, stored, smtp):
    _rejected(desk, stored, _plan(1))
    env = {"PSP_SMTP_HOST": "127.0.0.1", "PSP_SMTP_PORT": str(smtp.port), "PSP_SMTP_STARTTLS": "false",
           **({"PSP_DATABASE_URL": settings.database_url} if settings.database_url else {})}
    result = CliRunner(env=env).invoke(cli_app, ["notices", "send", "--home", str(settings.home)])
    assert result.exit_code == 0, result.output
    (item,) = outbox.notices(desk.engine)
    assert item.sent_by == getpass.getuser() and len(smtp.received) == 1
    listed = CliRunner(env=env).invoke(cli_app, ["notices", "list", "--all", "--home", str(settings.home)])
    assert f"by {getpass.getuser()}" in listed.output
    assert REVIEWER not in listed.output


def test_a_decision_owes_a_notice_only_where_none_of_its_outcome_is_written(desk, stored):
    (rid,) = _rejected(desk, stored, _plan(1))
    (waiting,) = stored(_plan(2, cmhsp_name="Barry County Community Mental Health Authority"))
    assert not outbox.owes_notice(desk.engine, rid, Outcome.REJECTED.value)  # written already
    assert outbox.owes_notice(desk.engine, rid, Outcome.HELD.value)  # another outcome: another notice
    assert outbox.owes_notice(desk.engine, waiting.received_file_id, Outcome.REJECTED.value)
    assert not outbox.owes_notice(desk.engine, waiting.received_file_id, Outcome.ACCEPTED.value)


@pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (make system-deps)")
def test_in_chromium_a_rejection_is_previewed_confirmed_and_its_notice_sent(desk, stored, smtp, served):
    (plan,) = stored(_plan(1))
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{served}/login")
        page.get_by_label("Name").fill(COORDINATOR)
        page.get_by_label("Password").fill(PASSWORD)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{served}/")
        page.goto(f"{served}/documents/{plan.received_file_id}")
        page.get_by_label("Message to the agency (optional, one line, in the notice)").fill(MESSAGE)
        page.get_by_role("button", name="Preview the notice").click()
        page.wait_for_url(re.compile(r".*/rejection\?.*"))
        assert MESSAGE in page.locator("pre.notice-body").inner_text()
        assert not list(desk.settings.data_home.notices.rglob("*.eml"))  # nothing written yet
        page.get_by_label("Internal note (never sent)").fill(NOTE)
        page.get_by_role("button", name="Confirm: reject and write the notice").click()
        page.wait_for_url(re.compile(r".*/documents/\d+\?done=rejected"))

        page.get_by_role("link", name="Notices", exact=True).click()
        page.get_by_text(re.compile(r"^To avery\.sample@example\.org: ")).click()  # opens the notice's text
        assert MESSAGE in page.locator("pre.notice-body").inner_text()
        page.get_by_role("button", name="Send every notice due now").click()
        assert "Sent 1; failed 0" in page.get_by_role("status").inner_text()
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{served}/login")
    (received,) = smtp.received
    body = received.message.get_body().get_content()
    assert MESSAGE in body and "INTERNAL" not in body and outbox.notices(desk.engine)[0].sent_by == COORDINATOR


def test_the_notice_pages_carry_the_desks_policy_and_no_inline_script(coordinator, desk, stored):
    from pipeline.desk.app import CONTENT_SECURITY_POLICY

    (rid,) = _rejected(desk, stored, _plan(1))
    (waiting,) = stored(_plan(2, cmhsp_name="Barry County Community Mental Health Authority"))
    (item,) = outbox.notices(desk.engine)
    for path in ("/notices", f"/notices/{item.id}", f"/documents/{waiting.received_file_id}/rejection", "/runs"):
        response = coordinator.get(path, headers=HTML)
        assert response.status_code == 200, path
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", response.text) and not re.search(r"<[^>]+\son[a-z]+=", response.text)
    nav = coordinator.get("/notices", headers=HTML).text
    assert 'href="/notices" aria-current="page"' in nav and 'href="/runs"' in nav and 'href="/overview"' in nav


def test_a_notice_withdrawn_by_a_reopening_says_so_and_the_next_rejection_writes_another(reviewer, desk, stored):
    from pipeline.load import reopen

    (rid,) = _rejected(desk, stored, _plan(1))
    reopen.reopen(desk.engine, rid, actor=REVIEWER, reason="rejected by mistake", context=desk.validation,
                  destination=desk.router.destination)
    after_change(desk)
    listing = reviewer.get("/notices", headers=HTML).text
    assert "Nothing waits to be sent." in listing and f"Withdrawn by {REVIEWER}" in listing
    assert outbox.owes_notice(desk.engine, rid, Outcome.REJECTED.value)  # the withdrawn one does not stand
    preview = reviewer.get(f"/documents/{rid}/rejection", params={"message_to_agency": MESSAGE}, headers=HTML)
    assert preview.status_code == 200 and "notice-body" in preview.text


def test_typed_in_values_that_hold_the_form_preview_the_notice_they_write(reviewer, desk, stored):
    from tests.desk.test_entry import as_posted
    from tests.load.test_entry import typed, unreadable_scan

    (_, scan) = stored(form_as_read("PSP-ORP", number=1), unreadable_scan(2))
    before = _store_state(desk.engine)
    accepted = reviewer.post_form(f"/documents/{scan.received_file_id}/entry", action="preview",
                                  **as_posted("PSP-REG", typed("PSP-REG")))
    assert "accepted" in accepted.text and "The notice it writes" not in accepted.text
    barry = typed("PSP-REG", cmhsp_name="Barry County Community Mental Health Authority")  # no plan on file
    held = reviewer.post_form(f"/documents/{scan.received_file_id}/entry", action="preview", **as_posted("PSP-REG", barry))
    assert "outcome held" in held.text and "Once these values are saved, this notice is written" in held.text
    assert "received, waiting" in held.text and _store_state(desk.engine) == before


def test_two_coordinators_sending_at_once_send_each_notice_once(desk, stored):
    import threading

    from pipeline.desk.app import create_app
    from tests.desk.conftest import DeskClient

    _rejected(desk, stored, _plan(1), _plan(2, contact_email="jordan.sample@example.org",
                                            cmhsp_name="Barry County Community Mental Health Authority"))
    with SmtpTestServer(delay=0.5) as slow:  # each message takes a while: the two sendings overlap
        desk.settings = desk.settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": slow.port, "smtp_starttls": False, "smtp_timeout": 10})
        app = create_app(desk)
        with DeskClient(app) as first, DeskClient(app) as second:
            for client in (first, second):
                client.sign_in(COORDINATOR)
            pages: list[str] = []
            senders = [threading.Thread(target=lambda c=client: pages.append(c.post_form("/notices/send").text))
                       for client in (first, second)]
            for sender in senders:
                sender.start()
            for sender in senders:
                sender.join(timeout=60)
    assert sorted(slow.recipients()) == ["avery.sample@example.org", "jordan.sample@example.org"]
    sent = [int(re.search(r"Sent (\d+);", page).group(1)) for page in pages]
    assert sum(sent) == 2 and all(item.sent_by == COORDINATOR for item in outbox.notices(desk.engine))
