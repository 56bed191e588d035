"""Acknowledgements of fetched mail, against the real Dovecot and a real SMTP server (aiosmtpd):
one receipt per message, at once, naming its files and when to expect an answer; never a second
one (a re-fetch, a renumbered folder, the same message sent again, a run killed at each step);
never to the program office, to a sender outside the rule's domains, or to an automatic message.
The rule's ``cmhsp`` domains come from the reference data's ``domains`` column."""

from __future__ import annotations

import os
import shutil
import signal
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cli.main import app
from pipeline.load import store
from pipeline.load.mail_messages import AcknowledgementRow
from pipeline.mailbox.accounts import MailAccounts, Rule
from pipeline.settings import Settings
from schemas.reference import load_reference
from tests.mailbox.conftest import FOLDER, VALID_PLAN, account_for, message, stored_rows
from tests.mailbox.test_fetch import fetch
from tests.mailserver import PASSWORD
from tests.report.smtp import SmtpTestServer, free_port
from tests.test_crash import run

AGENCY = "Avery Sample <avery.sample@cei.example.org>"
OFFICE = "office.example.gov"
RULE = Rule(folder=FOLDER, sender_domains=("cei.example.org", OFFICE), acknowledge=True)
PACKAGED_CMHSPS = Path(__file__).resolve().parents[2] / "schemas" / "reference"


@pytest.fixture
def smtp() -> SmtpTestServer:
    with SmtpTestServer() as server:
        yield server


def with_rule(settings: Settings, dovecot, user: str, smtp: SmtpTestServer, rule: Rule = RULE, **changes) -> Settings:
    """``settings`` sending over ``smtp``, the office at ``OFFICE``, one account with ``rule``."""
    settings = settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "smtp_starttls": False,
                                           "office_domains": OFFICE, **changes})
    MailAccounts(settings.data_home.root).save(account_for(dovecot, user, rules=(rule,)), SecretStr(PASSWORD))
    return settings


def acknowledgements(settings: Settings) -> list[AcknowledgementRow]:
    return stored_rows(settings, AcknowledgementRow)


def test_each_message_gets_one_receipt_at_once_naming_its_files(mail_settings, dovecot, mailbox_user, smtp):
    settings = with_rule(mail_settings, dovecot, mailbox_user, smtp, mail_ack_answer_within="within 3 working days")
    sent = message(sender=AGENCY, subject="Plan for Jordan Example",
                   attachments=(("plan.pdf", VALID_PLAN), ("cover letter.pdf", VALID_PLAN)))
    dovecot.deliver(mailbox_user, sent, FOLDER)
    assert fetch(settings).saved == 1
    (receipt,) = smtp.received
    assert receipt.rcpt_tos == ("avery.sample@cei.example.org",)
    text = receipt.message.get_content()
    assert "“plan.pdf”" in text and "“cover letter.pdf”" in text and "within 3 working days" in text
    assert "Jordan Example" not in receipt.data.decode()  # the subject is the agency's words: not quoted
    original_id = str(message_from_bytes(sent, policy=policy.default)["Message-ID"]).strip()
    assert str(receipt.message["In-Reply-To"]).strip() == original_id and receipt.message["Auto-Submitted"] == "auto-replied"
    (row,) = acknowledgements(settings)
    assert row.sent_at is not None and row.attempts == 1 and row.message_key == original_id
    # Fetched again, renumbered by the server, sent again by the agency: no second receipt.
    assert fetch(settings).saved == 0
    dovecot.renumber(mailbox_user, FOLDER)
    assert fetch(settings).recognised == 1
    dovecot.deliver(mailbox_user, sent.replace(b"Our form is attached.", b"Our form is attached again."), FOLDER)
    assert fetch(settings).saved == 1  # new bytes: its documents are taken in, and judged as usual
    assert len(smtp.received) == 1 and len(acknowledgements(settings)) == 1


def test_no_receipt_to_the_office_outside_the_domains_or_to_an_automatic_message(mail_settings, dovecot,
                                                                                mailbox_user, smtp):
    settings = with_rule(mail_settings, dovecot, mailbox_user, smtp)
    dovecot.deliver(mailbox_user, message(sender=f"Coordinator's colleague <colleague@{OFFICE}>"), FOLDER)
    dovecot.deliver(mailbox_user, message(sender="someone@elsewhere.example.com"), FOLDER)  # left by the rule
    robot = message(sender="noreply@cei.example.org").replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    dovecot.deliver(mailbox_user, robot, FOLDER)
    summary = fetch(settings)
    assert (summary.saved, summary.left) == (2, 1)
    assert smtp.received == [] and acknowledgements(settings) == []
    # A rule naming no domain takes every sender and acknowledges none of them.
    user = dovecot.new_user()
    open_rule = with_rule(mail_settings, dovecot, user, smtp, Rule(folder=FOLDER, acknowledge=True))
    dovecot.deliver(user, message(sender=AGENCY), FOLDER)
    assert fetch(open_rule).saved == 1 and smtp.received == []


def test_a_receipt_not_sent_when_the_server_is_down_goes_with_notices_send_once(mail_settings, dovecot,
                                                                                mailbox_user, smtp):
    down = with_rule(mail_settings, dovecot, mailbox_user, smtp, smtp_port=free_port())  # nothing listens there
    dovecot.deliver(mailbox_user, message(sender=AGENCY), FOLDER)
    assert fetch(down).saved == 1  # the fetch goes on; the receipt waits
    (row,) = acknowledgements(down)
    assert row.sent_at is None and row.last_error and row.claimed_by is None
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PSP_")}, "PSP_HOME": str(down.home),
           "PSP_DATABASE_URL": down.store_url, "PSP_SMTP_HOST": "127.0.0.1", "PSP_SMTP_PORT": str(smtp.port),
           "PSP_SMTP_STARTTLS": "false"}
    first = CliRunner().invoke(app, ["notices", "send"], env=env)
    assert first.exit_code == 0, first.output
    assert "Acknowledgements of mail: 1 sent" in first.output
    again = CliRunner().invoke(app, ["notices", "send"], env=env)
    assert again.exit_code == 0 and "Acknowledgements" not in again.output
    assert [r.rcpt_tos for r in smtp.received] == [("avery.sample@cei.example.org",)]
    (row,) = acknowledgements(down)
    assert row.sent_at is not None and row.attempts == 2


def test_the_rules_cmhsp_domains_come_from_the_reference_data(mail_settings, dovecot, mailbox_user, smtp, tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(PACKAGED_CMHSPS, reference)
    csv = (reference / "cmhsps.csv").read_text("utf-8").splitlines()
    csv[0] += ",domains"
    csv[1] += ",@Allegan.example.org; onpoint.example.org"
    (reference / "cmhsps.csv").write_text("\n".join(csv) + "\n", "utf-8")
    assert load_reference(reference).cmhsp_domains == {"allegan.example.org", "onpoint.example.org"}
    rule = Rule(folder=FOLDER, sender_domains=("cmhsp",), acknowledge=True)
    settings = with_rule(mail_settings, dovecot, mailbox_user, smtp, rule, reference_dir=reference)
    dovecot.deliver(mailbox_user, message(sender="intake@mail.onpoint.example.org"), FOLDER)
    dovecot.deliver(mailbox_user, message(sender=AGENCY), FOLDER)  # not a CMHSP domain of the reference data
    summary = fetch(settings)
    assert (summary.saved, summary.left) == (1, 1)
    assert [r.rcpt_tos for r in smtp.received] == [("intake@mail.onpoint.example.org",)]
    csv[1] = csv[1].replace("onpoint.example.org", "not a domain")
    (reference / "cmhsps.csv").write_text("\n".join(csv) + "\n", "utf-8")
    with pytest.raises(ValueError, match="cmhsps.csv line 2: 'not a domain' is not an email domain"):
        load_reference(reference)


@pytest.mark.crash
@pytest.mark.parametrize("kill_at", ["mail.saved:1", "mail.recorded:1", "batch.committed"])
def test_a_run_killed_at_each_step_sends_each_receipt_once(kill_at, tmp_path, database_url, dovecot, mailbox_user,
                                                           smtp):
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    MailAccounts(home).save(account_for(dovecot, mailbox_user, rules=(RULE,)), SecretStr(PASSWORD))
    for _ in range(2):
        dovecot.deliver(mailbox_user, message(sender=AGENCY), FOLDER)
    smtp_env = dict(PSP_SETTLE_SECONDS="0", PSP_SMTP_HOST="127.0.0.1", PSP_SMTP_PORT=str(smtp.port),
                    PSP_SMTP_STARTTLS="false")
    killed = run(home, database_url, kill_at, **smtp_env)
    assert killed.returncode == -signal.SIGKILL, f"{kill_at} was never reached:\n{killed.stdout}"
    for _ in range(2):
        assert run(home, database_url, **smtp_env).returncode == 0
    assert sorted(r.rcpt_tos for r in smtp.received) == [("avery.sample@cei.example.org",)] * 2
    engine = store.open_store(database_url)
    with Session(engine) as session:
        rows = list(session.scalars(select(AcknowledgementRow)))
    engine.dispose()
    assert len(rows) == 2 and all(row.sent_at is not None for row in rows)
    assert not [p for p in (home / "inbox").rglob("*") if p.is_file()]


def test_a_receipt_whose_end_got_no_answer_waits_for_a_persons_say(mail_settings, dovecot, mailbox_user):
    with SmtpTestServer(delay=1.5) as slow:  # answers the end of the message after the sender gave up
        settings = with_rule(mail_settings, dovecot, mailbox_user, slow, smtp_data_timeout=0.3)
        dovecot.deliver(mailbox_user, message(sender=AGENCY), FOLDER)
        assert fetch(settings).saved == 1
        (row,) = acknowledgements(settings)
        assert row.possibly_sent_at is not None and row.sent_at is None
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PSP_")}, "PSP_HOME": str(settings.home),
               "PSP_DATABASE_URL": settings.store_url, "PSP_SMTP_HOST": "127.0.0.1", "PSP_SMTP_PORT": str(slow.port),
               "PSP_SMTP_STARTTLS": "false", "PSP_SMTP_DATA_TIMEOUT": "5"}
        listed = CliRunner().invoke(app, ["mail", "receipts"], env=env)
        assert f"#{row.id} possibly sent: avery.sample@cei.example.org (1 file(s), 1 try)" in listed.output
        assert CliRunner().invoke(app, ["notices", "send"], env=env).exit_code == 0  # not sent again by itself
        assert acknowledgements(settings)[0].attempts == 1
        resent = CliRunner().invoke(app, ["mail", "receipts", "--resend", str(row.id)], env=env)
        assert resent.exit_code == 0, resent.output
        sent = CliRunner().invoke(app, ["notices", "send"], env=env)
        assert "Acknowledgements of mail: 1 sent" in sent.output
        assert CliRunner().invoke(app, ["mail", "receipts", "--resend", str(row.id)], env=env).exit_code == 2
    # The resent one arrived (the first may have too, had the server kept it: why a person decides).
    assert 1 <= len(slow.received) <= 2 and slow.received[-1].rcpt_tos == ("avery.sample@cei.example.org",)
