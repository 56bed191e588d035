"""Forwarded mail: the coordinator or a colleague forwards an agency's email into the inbox, as an
attached message or inline. The notice goes back to the agency, never to the office, and the form
counts as received when the agency sent it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.intake.forwarded import (
    Office,
    Origin,
    agency_origin,
    quoted_origins,
    quoted_time,
)
from pipeline.report.notices import notice_address
from pipeline.run import process
from pipeline.settings import Settings
from samples.msgfile import write_msg
from samples.renditions import write_eml
from tests.intake.conftest import PLAN, SUBMISSIONS

BROKEN_PLAN = (SUBMISSIONS / "orp_r01_missing_fields.pdf").read_bytes()
EST = timezone(timedelta(hours=-5))
AGENCY_SENT = datetime(2026, 12, 1, 9, 30, tzinfo=EST)
FORWARDED = AGENCY_SENT + timedelta(days=2, hours=3)  # forwarded two days later
OFFICE = Office.of(["mdhhs.example"], ["psp-coordinator@example.org"])
DETROIT = ZoneInfo("America/Detroit")


def _agency_mail(tmp_path: Path, attachments) -> EmailMessage:
    write_eml(tmp_path / "original.eml", "Avery Sample <avery.sample@agency.example.org>", AGENCY_SENT, attachments)
    return message_from_bytes((tmp_path / "original.eml").read_bytes(), policy=policy.default)


def _forward_as_attachment(tmp_path: Path, out: Path, attachments) -> None:
    original = _agency_mail(tmp_path, attachments)
    forward = EmailMessage()
    forward["From"] = "Morgan Colleague <morgan.colleague@mdhhs.example>"
    forward["To"] = "psp-inbox@mdhhs.example"
    forward["Subject"] = "Fwd: PSP forms"
    forward["Date"] = format_datetime(FORWARDED)
    forward.set_content("See the agency's email attached.\n")
    forward.add_attachment(original)  # message/rfc822: Outlook's and Thunderbird's "forward as attachment"
    out.write_bytes(bytes(forward))


def _forward_inline(out: Path, body: str, attachments, sender: str = "PSP Coordinator <psp-coordinator@example.org>") -> None:
    forward = EmailMessage()
    forward["From"] = sender
    forward["To"] = "psp-inbox@mdhhs.example"
    forward["Subject"] = "FW: PSP forms"
    forward["Date"] = format_datetime(FORWARDED)
    forward.set_content(body)
    for name, data in attachments:
        forward.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    out.write_bytes(bytes(forward))


GMAIL = """FYI

---------- Forwarded message ---------
From: Avery Sample <avery.sample@agency.example.org>
Date: Tue, Dec 1, 2026 at 9:30 AM
Subject: PSP forms
To: <psp-coordinator@example.org>

Please find our forms attached.
"""

OUTLOOK = """Forwarding for the file.

________________________________
From: Avery Sample [mailto:avery.sample@agency.example.org]
Sent: Tuesday, December 1, 2026 9:30 AM
To: PSP Coordinator
Subject: PSP forms

Please find our forms attached.
"""

APPLE_QUOTED = """> Begin forwarded message:
>
> From: Avery Sample <avery.sample@agency.example.org>
> Subject: PSP forms
> Date: December 1, 2026 at 9:30:00 AM EST
> To: psp-coordinator@example.org
"""


@pytest.fixture
def office_settings(settings) -> Settings:
    return Settings(home=settings.home, workers=settings.workers, database_url=settings.database_url,
                    office_domains="mdhhs.example")


def _inbox(office_settings) -> Path:
    inbox = office_settings.data_home.inbox
    inbox.mkdir(parents=True, exist_ok=True)
    return inbox


def _stamp(path: Path, moment: datetime) -> None:
    import os

    os.utime(path, (moment.timestamp(), moment.timestamp()))


@pytest.mark.parametrize("body", [GMAIL, OUTLOOK, APPLE_QUOTED], ids=["gmail", "outlook", "apple-quoted"])
def test_an_inline_forward_counts_as_the_agency_sent_it(tmp_path, collect, body):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _forward_inline(inbox / "fwd.eml", body, [("plan.pdf", PLAN)])
    _stamp(inbox / "fwd.eml", FORWARDED + timedelta(minutes=5))
    (received,) = collect(inbox, office=OFFICE)
    assert received.sender == "avery.sample@agency.example.org"
    assert received.received_at == AGENCY_SENT.astimezone(UTC)
    assert received.received_note is None


def test_a_message_forwarded_as_an_attachment_counts_as_the_agency_sent_it(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _forward_as_attachment(tmp_path, inbox / "fwd.eml", [("plan.pdf", PLAN)])
    _stamp(inbox / "fwd.eml", FORWARDED + timedelta(minutes=5))
    (received,) = collect(inbox, office=OFFICE)  # the form inside the attached message is found
    assert (received.original_name, received.sender) == ("fwd.eml/plan.pdf", "avery.sample@agency.example.org")
    assert received.received_at == AGENCY_SENT.astimezone(UTC)


def test_an_outlook_message_forwarded_inline(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    write_msg(inbox / "fwd.msg", sender="Morgan Colleague <morgan.colleague@mdhhs.example>", sent_at=FORWARDED,
              subject="FW: PSP forms", body=OUTLOOK, attachments=[("plan.pdf", PLAN)])
    _stamp(inbox / "fwd.msg", FORWARDED + timedelta(minutes=5))
    (received,) = collect(inbox, office=OFFICE)
    assert received.sender == "avery.sample@agency.example.org"
    assert received.received_at == AGENCY_SENT.astimezone(UTC)


def test_a_forward_without_the_agencys_message_goes_to_a_person(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _forward_inline(inbox / "fwd.eml", "Here is a plan that came by fax.\n", [("plan.pdf", PLAN)])
    _stamp(inbox / "fwd.eml", FORWARDED + timedelta(minutes=5))
    (received,) = collect(inbox, office=OFFICE)
    assert received.sender is None  # never the colleague who forwarded it
    assert received.received_at == FORWARDED.astimezone(UTC)
    assert "forwarded by the program office" in received.received_note


def test_an_agencys_own_email_that_quotes_another_is_the_agencys(tmp_path, collect):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _forward_inline(inbox / "reply.eml", GMAIL.replace("avery.sample@agency.example.org", "someone@elsewhere.example"),
                    [("plan.pdf", PLAN)], sender="Avery Sample <avery.sample@agency.example.org>")
    _stamp(inbox / "reply.eml", FORWARDED + timedelta(minutes=5))
    (received,) = collect(inbox, office=OFFICE)
    assert received.sender == "avery.sample@agency.example.org"
    assert received.received_at == FORWARDED.astimezone(UTC)


def test_quoted_headers_are_read_only_as_a_block():
    assert quoted_origins("From: the coordinator's desk, as discussed\nThanks", DETROIT) == []
    (origin,) = quoted_origins(OUTLOOK, DETROIT)
    assert origin == Origin("avery.sample@agency.example.org", datetime(2026, 12, 1, 9, 30, tzinfo=DETROIT))
    name_only = OUTLOOK.replace(" [mailto:avery.sample@agency.example.org]", "")
    assert quoted_origins(name_only, DETROIT) == [Origin(None, datetime(2026, 12, 1, 9, 30, tzinfo=DETROIT))]
    assert quoted_time("not a time at all", DETROIT) is None
    assert quoted_time("December 1, 9999 at 9:30 AM", DETROIT) is None


def test_the_first_sender_inside_that_is_not_the_office_is_the_agency():
    inner = [Origin("psp-coordinator@example.org", None), Origin("avery@agency.example.org", AGENCY_SENT)]
    assert agency_origin("morgan@mdhhs.example", FORWARDED, inner, OFFICE) == (inner[1], True)
    assert agency_origin("avery@agency.example.org", AGENCY_SENT, [], OFFICE) == (Origin("avery@agency.example.org", AGENCY_SENT), False)
    assert agency_origin("morgan@sub.mdhhs.example", FORWARDED, inner[:1], OFFICE) == (Origin(None, None), True)


def test_a_notice_never_goes_to_the_office():
    plan = {"contact_email": "morgan@mdhhs.example"}
    assert notice_address("PSP-ORP", plan, "psp-coordinator@example.org", office=OFFICE) is None
    assert notice_address("PSP-ORP", {"contact_email": "avery@agency.example.org"}, None, office=OFFICE) == "avery@agency.example.org"


def test_a_run_sends_the_notice_of_a_forwarded_form_to_the_agency(office_settings):
    inbox = _inbox(office_settings)
    _forward_inline(inbox / "fwd.eml", OUTLOOK, [("missing.pdf", BROKEN_PLAN)],
                    sender="Morgan Colleague <morgan.colleague@mdhhs.example>")
    _stamp(inbox / "fwd.eml", FORWARDED + timedelta(minutes=5))
    summary = process(office_settings)
    (document,) = summary.documents
    assert document.outcome == "rejected"
    assert document.notice.to == "avery.sample@agency.example.org"



THUNDERBIRD = """FYI

-------- Forwarded Message --------
Subject: \tPSP forms
Date: \tTue, 1 Dec 2026 09:30:00 -0500
From: \tAvery Sample <avery.sample@agency.example.org>
To: \tpsp-coordinator@example.org

Hello, here are our forms.

> From: Jordan Parent <jordan.parent@example.net>
> Sent: Monday, November 23, 2026 4:12 PM
> To: Avery Sample
> Subject: my packet
"""


def test_a_thunderbird_forward_whose_date_comes_before_from_is_the_agencys(tmp_path, collect):
    # Thunderbird quotes Subject and Date before From: the agency's block was skipped and the PSP's
    # own earlier message, quoted under it, got the notice and an earlier received day.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _forward_inline(inbox / "fwd.eml", THUNDERBIRD, [("plan.pdf", PLAN)])
    _stamp(inbox / "fwd.eml", FORWARDED + timedelta(minutes=5))
    (received,) = collect(inbox, office=OFFICE)
    assert (received.sender, received.received_at) == ("avery.sample@agency.example.org", AGENCY_SENT.astimezone(UTC))


def test_an_attached_message_counts_before_one_quoted_in_the_forwarders_words(tmp_path, collect):
    # A colleague forwards agency A's email as an attachment, in a reply that quotes agency B:
    # agency A's notice must not go to agency B.
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    original = _agency_mail(tmp_path, [("plan.pdf", PLAN)])
    forward = EmailMessage()
    forward["From"] = "Morgan Colleague <morgan.colleague@mdhhs.example>"
    forward["To"] = "psp-inbox@mdhhs.example"
    forward["Subject"] = "Fwd: PSP forms"
    forward["Date"] = format_datetime(FORWARDED)
    forward.set_content(OUTLOOK.replace("avery.sample@agency.example.org", "blake@agency-b.example.org"))
    forward.add_attachment(original)
    (inbox / "fwd.eml").write_bytes(bytes(forward))
    _stamp(inbox / "fwd.eml", FORWARDED + timedelta(minutes=5))
    (received,) = collect(inbox, office=OFFICE)
    assert received.sender == "avery.sample@agency.example.org"
