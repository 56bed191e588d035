"""Fetching from a real Dovecot: each message taken into the inbox once, by the rules, moved on the
server only after its documents are stored; a renumbered folder, a dropped connection, a 30 MB
message and poison messages."""

from __future__ import annotations

import os
from collections import Counter

import pytest
from pydantic import SecretStr

from pipeline import run as steps
from pipeline.load import queries
from pipeline.load.mail_messages import MailMessageRow, MailStatus
from pipeline.mailbox.accounts import MailAccounts, Rule, Security
from pipeline.mailbox.fetch import MailSummary, fetch_mail
from pipeline.model import Outcome
from pipeline.service import open_desk
from pipeline.settings import Settings
from tests.mailbox.conftest import (
    FOLDER,
    VALID_PLAN,
    account_for,
    inbox_files,
    message,
    stored_rows,
)
from tests.mailserver import PASSWORD, DroppingProxy

PROCESSED, FAILED = "PSP.Processed", "PSP.Needs attention"  # the rule's folders, in Dovecot's own naming


def fetch(settings: Settings) -> MailSummary:
    """``psp-pipeline mail fetch``, as a library call."""
    desk = open_desk(settings)
    try:
        return fetch_mail(settings, desk.engine)
    finally:
        desk.close()


def tracked(settings: Settings) -> list[MailMessageRow]:
    return stored_rows(settings, MailMessageRow)


def stored_files(settings: Settings) -> Counter:
    desk = open_desk(settings)
    try:
        return Counter((row["file"].split("-")[0], row["outcome"]) for row in queries.export_rows(desk.engine))
    finally:
        desk.close()


def test_a_message_is_saved_into_the_inbox_once_dated_when_the_server_received_it(mail_settings, dovecot,
                                                                                 mailbox_user):
    body = message()
    dovecot.deliver(mailbox_user, body, FOLDER)
    first = fetch(mail_settings)
    assert (first.saved, first.failures) == (1, [])
    (saved,) = inbox_files(mail_settings)
    assert saved.read_bytes() == body and saved.stat().st_mode & 0o077 == 0
    assert abs(saved.stat().st_mtime - os.stat(dovecot.runtime).st_mtime) < 3600  # INTERNALDATE, not a fixed date
    again = fetch(mail_settings)
    assert (again.saved, again.moved) == (0, 0)
    assert len(inbox_files(mail_settings)) == 1
    (row,) = tracked(mail_settings)
    assert row.status is MailStatus.SAVED and row.inbox_name == saved.name and row.message_id.startswith("<")
    # Not yet stored: the message stays where it is on the server.
    assert dovecot.uids(mailbox_user, FOLDER) == [1]


def test_the_rules_take_only_their_senders_and_subjects_and_leave_the_rest_untouched(tmp_path, database_url,
                                                                                     dovecot, mailbox_user):
    settings = Settings(home=tmp_path / "home", database_url=database_url)
    rule = Rule(folder=FOLDER, sender_domains=("cei.example.org",), subject_words=("psp", "readiness"))
    MailAccounts(settings.data_home.root).save(account_for(dovecot, mailbox_user, rules=(rule,)), SecretStr(PASSWORD))
    dovecot.deliver(mailbox_user, message(), FOLDER)
    dovecot.deliver(mailbox_user, message(sender="someone@elsewhere.example.com"), FOLDER)  # not an agency
    dovecot.deliver(mailbox_user, message(sender="x@mail.cei.example.org", subject="Lunch on Friday"), FOLDER)
    dovecot.deliver(mailbox_user, message(sender="x@notcei.example.org"), FOLDER)  # a look-alike domain
    summary = fetch(settings)
    assert (summary.saved, summary.left) == (1, 3)
    assert len(inbox_files(settings)) == 1
    assert fetch(settings).left == 3  # left unread and in place, looked at again
    assert dovecot.uids(mailbox_user, FOLDER) == [1, 2, 3, 4]


def test_a_run_fetches_first_and_moves_each_message_only_after_its_documents_are_stored(mail_settings, dovecot,
                                                                                       mailbox_user):
    dovecot.deliver(mailbox_user, message(), FOLDER)
    dovecot.deliver(mailbox_user, message(attachments=(("photo.jpg", b"\xff\xd8\xff\xe0 not a form"),)), FOLDER)
    summary = steps.process(mail_settings)
    assert sum(summary.counts.values()) == 2
    assert stored_files(mail_settings) == Counter({("agencies", Outcome.ACCEPTED.value): 1,
                                                   ("agencies", Outcome.NEEDS_REVIEW.value): 1})
    assert dovecot.uids(mailbox_user, FOLDER) == []
    assert len(dovecot.uids(mailbox_user, PROCESSED)) == 1  # the form, stored
    assert len(dovecot.uids(mailbox_user, FAILED)) == 1  # no form in it: a person looks
    assert {row.status for row in tracked(mail_settings)} == {MailStatus.MOVED}
    assert inbox_files(mail_settings) == []
    # The next run imports nothing again.
    again = steps.process(mail_settings)
    assert sum(again.counts.values()) == 0


def test_a_renumbered_folder_is_recognised_by_content_and_imported_once(mail_settings, dovecot, mailbox_user):
    dovecot.deliver(mailbox_user, message(), FOLDER)
    assert fetch(mail_settings).saved == 1
    dovecot.renumber(mailbox_user, FOLDER)  # new UIDVALIDITY: every UID means something else now
    summary = steps.process(mail_settings)
    assert sum(summary.counts.values()) == 1
    assert dovecot.uids(mailbox_user, FOLDER) == [] and len(dovecot.uids(mailbox_user, PROCESSED)) == 1
    (row,) = tracked(mail_settings)
    assert row.status is MailStatus.MOVED
    # The same message put back into the folder is moved again, never imported again.
    (moved,) = dovecot.messages(mailbox_user, PROCESSED)
    dovecot.deliver(mailbox_user, moved, FOLDER)
    again = steps.process(mail_settings)
    assert sum(again.counts.values()) == 0
    assert dovecot.uids(mailbox_user, FOLDER) == [] and len(dovecot.uids(mailbox_user, PROCESSED)) == 2


def test_a_connection_dropped_in_the_middle_of_a_download_leaves_nothing_and_the_next_fetch_takes_it(
        mail_settings, dovecot, mailbox_user):
    body = message(attachments=(("plan.pdf", VALID_PLAN), ("big.pdf", b"%PDF-1.4\n" + os.urandom(2_000_000))))
    dovecot.deliver(mailbox_user, body, FOLDER)
    proxy = DroppingProxy(dovecot.imap_port, limit=500_000)  # after the login and envelopes, in the body
    accounts = MailAccounts(mail_settings.data_home.root)
    accounts.save(account_for(dovecot, mailbox_user, port=proxy.port), SecretStr(PASSWORD))
    dropped = fetch(mail_settings)
    proxy.close()
    assert dropped.saved == 0 and len(dropped.failures) == 1 and "dropped" in dropped.failures[0]
    assert PASSWORD not in dropped.failures[0]
    assert inbox_files(mail_settings) == [] and tracked(mail_settings) == []
    accounts.save(account_for(dovecot, mailbox_user), SecretStr(PASSWORD))
    assert fetch(mail_settings).saved == 1
    assert inbox_files(mail_settings)[0].read_bytes() == body


def test_a_30_mb_message_is_fetched_whole_and_one_over_the_limit_is_set_aside_unread(mail_settings, dovecot,
                                                                                    mailbox_user):
    big = message(attachments=(("plan.pdf", VALID_PLAN), ("scans.pdf", b"%PDF-1.4\n" + os.urandom(22_000_000))))
    assert len(big) > 30_000_000  # base64 makes 22 MB of attachment 30 MB of message
    dovecot.deliver(mailbox_user, big, FOLDER)
    assert fetch(mail_settings).saved == 1
    assert inbox_files(mail_settings)[0].read_bytes() == big

    small_limit = mail_settings.model_copy(update={"max_file_mb": 20})
    other = dovecot.new_user()
    # An account of its own (another name): the same name, re-pointed, would share the first one's UIDs.
    MailAccounts(small_limit.data_home.root).save(account_for(dovecot, other, name="second"), SecretStr(PASSWORD))
    # A message of its own: the same bytes would be known already (by sha256) and moved, not judged.
    over = message(attachments=(("plan.pdf", VALID_PLAN), ("scans.pdf", b"%PDF-1.4\n" + os.urandom(22_000_000))))
    dovecot.deliver(other, over, FOLDER)
    summary = fetch(small_limit)
    assert (summary.saved, summary.set_aside) == (0, 1)
    assert dovecot.uids(other, FOLDER) == [] and len(dovecot.uids(other, FAILED)) == 1  # for a person
    assert len(inbox_files(small_limit)) == 1  # only the first account's


def _nested(depth: int) -> bytes:
    head = b"From: avery.sample@cei.example.org\r\nSubject: PSP forms\r\nDate: Tue, 1 Dec 2026 09:30:00 -0500\r\n"
    body = b"Content-Type: text/plain\r\n\r\nbottom\r\n"
    for level in range(depth):
        boundary = f"b{level}".encode()
        body = (b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n--" + boundary + b"\r\n" + body
                + b"\r\n--" + boundary + b"--\r\n")
    return head + b"MIME-Version: 1.0\r\n" + body


def test_poison_messages_go_to_a_person_and_the_run_goes_on(mail_settings, dovecot, mailbox_user):
    dovecot.deliver(mailbox_user, _nested(60), FOLDER)  # nested deeper than any mail client nests
    dovecot.deliver(mailbox_user, message(date="Fri, 31 Dec 9999 23:59:59 -1400"), FOLDER)  # a Date no calendar holds
    dovecot.deliver(mailbox_user, message(), FOLDER)
    summary = steps.process(mail_settings)
    assert sum(summary.counts.values()) == 3
    outcomes = stored_files(mail_settings)
    assert outcomes[("agencies", Outcome.NEEDS_REVIEW.value)] == 1  # the nested one
    # A bad Date: the arrival counts and the form is read (the same plan twice: the second is a duplicate).
    assert outcomes[("agencies", Outcome.ACCEPTED.value)] == outcomes[("agencies", Outcome.DUPLICATE.value)] == 1
    assert dovecot.uids(mailbox_user, FOLDER) == []
    assert len(dovecot.uids(mailbox_user, FAILED)) == 1 and len(dovecot.uids(mailbox_user, PROCESSED)) == 2


@pytest.mark.parametrize("security", [Security.STARTTLS, Security.IMAPS])
def test_tls_connections_are_checked_against_the_servers_certificate(security, mail_settings, dovecot, mailbox_user):
    port = dovecot.imaps_port if security is Security.IMAPS else dovecot.imap_port
    accounts = MailAccounts(mail_settings.data_home.root)
    dovecot.deliver(mailbox_user, message(), FOLDER)
    untrusted = account_for(dovecot, mailbox_user, security=security, port=port, insecure_plain=False)
    accounts.save(untrusted, SecretStr(PASSWORD))
    refused = fetch(mail_settings)
    assert refused.saved == 0 and "certificate" in refused.failures[0]
    accounts.save(untrusted.model_copy(update={"ca_file": dovecot.ca_file}), SecretStr(PASSWORD))
    assert fetch(mail_settings).saved == 1


def test_a_wrong_password_is_one_line_naming_the_account(mail_settings, dovecot, mailbox_user):
    MailAccounts(mail_settings.data_home.root).save(account_for(dovecot, mailbox_user), SecretStr("wrong"))
    summary = fetch(mail_settings)
    assert summary.saved == 0 and "agencies" in summary.failures[0] and "refused" in summary.failures[0]
