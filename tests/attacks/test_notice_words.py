"""Submitters write the coordinator's words: line breaks in a name or a value quoted in a finding,
a display name that shows another address, a non-ASCII address, a 5,000-character name, and a
reviewer's internal reason, each put into a notice sent from the coordinator's address.

Issue 16, item 8 and item 14 (notices). Before the fix, a name with blank lines in it wrote whole
paragraphs (a forged "approved, wire the fee" and a second signature) into the notice, and a
value quoted in a finding's message did the same; the To line kept the sender's display name, so
``"ceo@agency.org" <someone@example.net>`` showed one address and went to another; an address
with non-ASCII letters became an encoded word inside the address (an invalid header); a long
name made a body line of thousands of octets, which SMTP servers refuse (RFC 5322: 998 at most);
and ``review reject --reason`` sent the coordinator's internal note to the agency.

Now every value a notice quotes is one line, at most 80 characters (an ellipsis ends a cut one),
between “ ” quotes, and every finding is one line; To is the bare address in ASCII (a domain in
IDNA), and an address that cannot be written so leaves the notice waiting for a person (no To,
``NO ADDRESS``); a body with a line over 998 octets is quoted-printable; and only
``--message-to-agency`` reaches the notice, kept with the decision, while ``--reason`` stays in
the office. The findings stored are left as they were made.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli import app
from pipeline.load import program, review, store
from pipeline.model import Outcome
from pipeline.service import write_missing_notices
from tests.conftest import RECEIVED_AT, VALID_PACKET, VALID_PLAN, make_document

SIGNATURE = "Statewide PSP Coordinator"
FORGED = "Your registration is approved. Wire the $250 training fee to account 000111 today."
# A name that, as it is, writes a paragraph and a second signature into the notice.
NAME_WITH_PARAGRAPHS = f"Jordan\n\n{FORGED}\n\n{SIGNATURE}\nMichigan Parent Support Partner (PSP) Program\n\n"
NO_PLAN_AGENCY = "Detroit Wayne Integrated Health Network"  # no plan of its agency: a packet is held
SMTP_LINE_OCTETS = 998
QUOTE = re.compile(r"“([^”]*)”")

_numbers = iter(range(1, 10_000))


def packet(changes: dict | None = None, *, sender: str | None = None, name: str | None = None):
    number = next(_numbers)
    document = make_document("PSP-REG", {**VALID_PACKET, "psp_email": f"pat{number}@example.org", **(changes or {})},
                             received_at=RECEIVED_AT + timedelta(minutes=number), name=name or f"packet-{number}.pdf")
    received = document.received.model_copy(update={"sha256": f"{number:064d}", "sender": sender})
    return document.model_copy(update={"received": received})


@pytest.fixture
def engine(settings):
    engine = store.open_store(settings.store_url)
    yield engine
    engine.dispose()


@pytest.fixture
def notices(settings, engine, validation_context, tmp_path):
    """Record documents as a batch would and write their notices: {received file id: (notice, raw bytes, to)}."""
    run_id = store.start_run(engine)

    def destination(received, outcome):
        return tmp_path / "filed" / outcome.value / received.sha256

    def write(*documents):
        stored, _ = program.record_batch(engine, run_id, list(documents), validation_context, destination)
        written = write_missing_notices(settings, engine, just_stored=stored)
        out = {}
        for receipt in stored:
            notice = written[receipt.received_file_id]
            raw = notice.path.read_bytes()
            out[receipt.received_file_id] = (message_from_bytes(raw, policy=policy.default), raw, notice.to)
        return [out[receipt.received_file_id] for receipt in stored]

    write.destination = destination
    return write


def assert_quotes_are_short(body: str) -> None:
    for shown in QUOTE.findall(body):
        assert len(shown) <= 80, shown
        assert "\n" not in shown


# --- line breaks and long values ------------------------------------------------------------------


def test_line_breaks_in_a_name_do_not_write_paragraphs_into_the_notice(notices):
    (message, _, _), = notices(packet({"psp_first_name": NAME_WITH_PARAGRAPHS, "cmhsp_name": NO_PLAN_AGENCY}))
    body = message.get_content()
    lines = body.splitlines()
    assert message["X-PSP-Notice"] == "held"
    # One signature, the coordinator's: the name's second one is not a line of its own.
    assert lines.count(SIGNATURE) == 1
    assert FORGED not in lines
    # The name is on the line that says whom the form is about, between quotes.
    about = next(line for line in lines if line.startswith("We received your"))
    assert "for “Jordan " in about and "”" in about
    assert_quotes_are_short(body)


def test_a_value_quoted_in_a_finding_stays_on_its_line_cut_and_quoted(notices, engine):
    zip_code = f"4885\n\n{FORGED}\n\n{SIGNATURE}\n" + "x" * 300
    (message, _, _), = notices(packet({"psp_zip": zip_code}))
    body = message.get_content()
    lines = body.splitlines()
    assert message["X-PSP-Notice"] == "rejected"
    assert lines.count(SIGNATURE) == 1 and FORGED not in lines
    zip_line = next(line for line in lines if "is not a ZIP code" in line)
    assert zip_line.startswith("1. ") and "“4885 " in zip_line and "…”" in zip_line
    assert_quotes_are_short(body)
    # The finding stored is left as it was made: the notice only shows it otherwise.
    with Session(engine) as session:
        stored = session.scalars(select(store.Document)).one().findings
    assert any(zip_code in f["message"] for f in stored)


def test_a_quote_inside_a_value_does_not_let_the_rest_of_it_out_of_the_quotes(notices):
    zip_code = "O' " + "y" * 200 + "' is fine. " + FORGED
    (message, _, _), = notices(packet({"psp_zip": zip_code}))
    zip_line = next(line for line in message.get_content().splitlines() if "is not a ZIP code" in line)
    assert FORGED not in zip_line  # all of the value is inside one quote, cut at 80 characters
    assert zip_line.count("“") == 1 and zip_line.count("”") == 1


def test_a_file_name_with_line_breaks_is_one_quoted_line(notices):
    name = f"packet.pdf\n\n{FORGED}\n\n{SIGNATURE}\n" + "z" * 100 + ".pdf"  # within a file system's 255
    (message, _, _), = notices(packet({"psp_zip": "4885"}, name=name))
    body = message.get_content()
    lines = body.splitlines()
    assert lines.count(SIGNATURE) == 1 and FORGED not in lines
    assert any("(the file “packet.pdf Your registration is approved." in line for line in lines)
    assert_quotes_are_short(body)


@pytest.mark.parametrize("name", ["J" * 5000, "é" * 5000, "Jordan " * 715], ids=["ascii", "two-octet", "words"])
def test_no_line_of_a_notice_is_longer_than_smtp_allows(notices, name):
    (message, raw, _), = notices(packet({"psp_first_name": name, "psp_last_name": name, "psp_zip": name}))
    longest = max(len(line) for line in raw.splitlines())
    assert longest <= SMTP_LINE_OCTETS, longest
    assert_quotes_are_short(message.get_content())


def test_a_body_line_over_998_octets_goes_quoted_printable(settings, engine, validation_context, tmp_path):
    """Whatever makes a line long (here the coordinator's own signature), the email package
    encodes the body so that no line exceeds the limit and the reader sees it unchanged."""
    long_settings = settings.model_copy(update={"coordinator_name": "Coordinator " + "ä" * 1200})
    stored, _ = program.record_batch(engine, store.start_run(engine), [packet({"psp_zip": "4885"})],
                                     validation_context, lambda received, outcome: tmp_path / received.sha256)
    notice, = write_missing_notices(long_settings, engine, just_stored=stored).values()
    raw = notice.path.read_bytes()
    assert max(len(line) for line in raw.splitlines()) <= SMTP_LINE_OCTETS
    message = message_from_bytes(raw, policy=policy.default)
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert "Coordinator " + "ä" * 1200 in message.get_content().splitlines()


# --- the To line ------------------------------------------------------------------------------------


def assert_valid_to(message, raw: bytes, to: str) -> None:
    """The To header is ASCII, parses without defects, and holds that one address and nothing else."""
    header = next(line for line in raw.splitlines() if line.startswith(b"To:"))
    assert header.isascii(), header
    assert header == f"To: {to}".encode("ascii")
    parsed = message["To"]
    assert not parsed.defects
    assert [a.addr_spec for a in parsed.addresses] == [to]
    assert str(parsed) == to


@pytest.mark.parametrize(
    ("sender", "to"),
    [
        ('"ceo@agency.org" <intruder@example.net>', "intruder@example.net"),
        # Malformed: the email package and parseaddr read different addresses; the form's is used.
        ("ceo@agency.org <intruder@example.net>", VALID_PACKET["supervisor_email"]),
        ("Agency Director <intake@agency.example.org>", "intake@agency.example.org"),
    ],
    ids=["quoted-address-as-name", "address-as-bare-name", "plain-name"],
)
def test_the_to_line_shows_only_the_address_the_notice_goes_to(notices, sender, to):
    (message, raw, stored_to), = notices(packet({"psp_zip": "4885"}, sender=sender))
    assert stored_to == to  # what `notices send` delivers to
    assert_valid_to(message, raw, to)


def test_a_display_name_in_a_form_field_does_not_reach_the_to_line(notices):
    (message, raw, to), = notices(packet({"psp_zip": "4885", "supervisor_email": '"ceo@agency.org" <intruder@example.net>'}))
    assert to == "intruder@example.net"
    assert_valid_to(message, raw, to)


@pytest.mark.parametrize(
    ("sender", "to"),
    [
        ("Jörg Müller <joerg@example.org>", "joerg@example.org"),
        ("joerg@exämple.org", "joerg@xn--exmple-cua.org"),
        ("Jörg <joerg@bücher.example>", "joerg@xn--bcher-kva.example"),
    ],
    ids=["non-ascii-name", "non-ascii-domain", "both"],
)
def test_a_non_ascii_sender_gives_a_valid_to_header(notices, sender, to):
    (message, raw, stored_to), = notices(packet({"psp_zip": "4885"}, sender=sender))
    assert stored_to == to
    assert_valid_to(message, raw, to)


@pytest.mark.parametrize("address", ["jörg@example.org", "Jörg <jörg@exämple.org>", "用户@例子.广告"])
def test_an_address_that_cannot_be_written_in_a_header_waits_for_a_person(notices, address):
    # Neither the sender nor any address on the form can be written: nobody to send it to.
    changes = {"psp_zip": "4885", "supervisor_email": address, "psp_email": address}
    (message, raw, to), = notices(packet(changes, sender=address))
    assert to is None  # `notices list` shows NO ADDRESS: a person sends it by hand
    assert message["To"] is None and b"\nTo:" not in raw


def test_an_unwritable_sender_falls_back_to_the_address_on_the_form(notices):
    (message, raw, to), = notices(packet({"psp_zip": "4885"}, sender="jörg@example.org"))
    assert to == VALID_PACKET["supervisor_email"]
    assert_valid_to(message, raw, to)


# --- the reviewer's reason --------------------------------------------------------------------------

INTERNAL = "director is difficult; do not register anyone from this agency until March"
TO_AGENCY = "out-of-state PSPs cannot be registered this year"


def _held(notices):
    (message, _, _), = notices(packet({"cmhsp_name": NO_PLAN_AGENCY}))
    assert message["X-PSP-Notice"] == "held"


def _receipt_id(engine) -> int:
    with Session(engine) as session:
        return session.scalars(select(store.ReceivedFileRow.id)).one()


def test_a_rejections_reason_stays_in_the_office(settings, engine, notices):
    _held(notices)
    received_file_id = _receipt_id(engine)
    review.reject(engine, received_file_id, actor="riley", reason=INTERNAL, destination=notices.destination)
    notice, = write_missing_notices(settings, engine).values()
    body = message_from_bytes(notice.path.read_bytes(), policy=policy.default).get_content()
    assert "director is difficult" not in body and INTERNAL not in body
    assert "the coordinator reviewed the form and cannot accept it" in body
    # The reason is kept with the decision, for the office.
    decisions = review.show(engine, received_file_id)["decisions"]
    assert decisions[-1]["reason"] == INTERNAL and decisions[-1]["message_to_agency"] is None


def test_only_the_message_to_the_agency_goes_into_the_notice(settings, engine, notices):
    _held(notices)
    received_file_id = _receipt_id(engine)
    review.reject(engine, received_file_id, actor="riley", reason=INTERNAL, message_to_agency=TO_AGENCY,
                  destination=notices.destination)
    notice, = write_missing_notices(settings, engine).values()
    body = message_from_bytes(notice.path.read_bytes(), policy=policy.default).get_content()
    assert TO_AGENCY in body and INTERNAL not in body
    with Session(engine) as session:
        decision = session.scalars(select(store.DecisionRow).where(store.DecisionRow.action == "rejected")).one()
    # The held notice it replaces is withdrawn, and the decision says which.
    assert decision.reason == INTERNAL and decision.detail == {"message_to_agency": TO_AGENCY, "withdrawn_notice": 1}


def test_a_message_to_the_agency_on_several_lines_is_refused(engine, notices):
    from pipeline.errors import BadInputError

    _held(notices)
    with pytest.raises(BadInputError, match="one line"):
        review.reject(engine, _receipt_id(engine), actor="riley", reason="x",
                      message_to_agency=f"fine\n\n{SIGNATURE}", destination=notices.destination)


def _drop_plan_needing_review(home: Path) -> None:
    from samples.fill import fill_pdf

    forms = Path(__file__).resolve().parents[2] / "samples" / "forms"
    (home / "inbox").mkdir(parents=True, exist_ok=True)
    fill_pdf(forms / "PSP-ORP_2025.1.pdf",
             {**VALID_PLAN, "supervisor_credential": "Other", "supervisor_credential_other": "LBSW"},
             home / "inbox" / "plan.pdf")


def test_review_reject_on_the_command_line_sends_the_message_not_the_reason(tmp_path, database_url, monkeypatch):
    monkeypatch.setenv("PSP_DATABASE_URL", database_url)
    home = tmp_path / "home"
    _drop_plan_needing_review(home)
    runner = CliRunner()
    ran = runner.invoke(app, ["run", "--without-prefect", "--home", str(home)])
    assert ran.exit_code == 0, ran.output
    rejected = runner.invoke(app, ["review", "reject", "1", "--reason", INTERNAL, "--message-to-agency", TO_AGENCY,
                                   "--by", "riley", "--home", str(home)])
    assert rejected.exit_code == 0, rejected.output
    notice = Path(next(line for line in rejected.output.splitlines() if line.startswith("Notice for")).split(": ", 1)[1])
    body = message_from_bytes(notice.read_bytes(), policy=policy.default).get_content()
    assert TO_AGENCY in body and INTERNAL not in body
    shown = runner.invoke(app, ["review", "show", "1", "--home", str(home)])
    assert f"riley: rejected (needs_review -> rejected): {INTERNAL}" in shown.output
    assert f"to the agency: {TO_AGENCY}" in shown.output


def test_a_plain_rejection_quotes_its_value_and_goes_to_the_bare_address(notices):
    """An ordinary document's notice still lists its problems by label, its value now quoted."""
    (message, _, to), = notices(packet({"psp_zip": "4885"}, sender="Riley <riley.testperson@example.org>"))
    body = message.get_content()
    assert to == "riley.testperson@example.org"
    assert "Home ZIP code: “4885” is not a ZIP code" in body and "(rule REG-R05)" in body
    assert message["X-PSP-Notice"] == Outcome.REJECTED.value
